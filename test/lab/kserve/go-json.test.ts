// Messages as Go's encoding/json (scanner.go, decode.go) prints them.
import { describe, expect, it } from 'vitest';
import { goJsonSyntaxError, goUnmarshalStruct } from './go-json.ts';

describe('goJsonSyntaxError', () => {
  it.each([
    ['{"a": 1}', undefined],
    ['  {"a": [1, 2.5e-3, true, null, "x\\u00e9"]}  ', undefined],
    ['', 'unexpected end of JSON input'],
    ['{"a": 1', 'unexpected end of JSON input'],
    ['{"a": 1,}', "invalid character '}' looking for beginning of object key string"],
    ["{'a': 1}", "invalid character '\\'' looking for beginning of object key string"],
    ['{"a" 1}', "invalid character '1' after object key"],
    ['{"a": 1 "b": 2}', `invalid character '"' after object key:value pair`],
    ['[1 2]', "invalid character '2' after array element"],
    ['{"a": True}', "invalid character 'T' looking for beginning of value"],
    ['{"a": tru}', "invalid character '}' in literal true (expecting 'e')"],
    ['{"a": 01}', "invalid character '1' after object key:value pair"],
    ['{"a": 1.}', "invalid character '}' after decimal point in numeric literal"],
    ['{"a": "x\ny"}', "invalid character '\\n' in string literal"],
    ['{"a": "\\q"}', "invalid character 'q' in string escape code"],
    ['{} {}', "invalid character '{' after top-level value"],
  ])('%j', (text, expected) => {
    expect(goJsonSyntaxError(text)).toBe(expected);
  });
});

describe('goUnmarshalStruct', () => {
  const fields = { uidModelcar: '*int64', enableModelcar: 'bool', cpuModelcar: 'string' } as const;

  it('matches keys case-insensitively when no exact key exists; the last duplicate wins', () => {
    expect(goUnmarshalStruct('{"EnableModelcar": true, "UIDMODELCAR": 7}', 'types.StorageInitializerConfig', fields).values).toEqual({ enableModelcar: true, uidModelcar: 7 });
    expect(goUnmarshalStruct('{"enableModelcar": true, "enableModelcar": false}', 'types.StorageInitializerConfig', fields).values).toEqual({ enableModelcar: false });
  });

  it('reports the first type error and keeps decoding', () => {
    const r = goUnmarshalStruct('{"cpuModelcar": 10, "uidModelcar": 1010.0, "enableModelcar": true}', 'types.StorageInitializerConfig', fields);
    expect(r.error).toBe('json: cannot unmarshal number into Go struct field StorageInitializerConfig.cpuModelcar of type string');
    expect(r.values).toEqual({ enableModelcar: true });
  });

  it('names the literal for a non-integer int64 and the kind otherwise', () => {
    expect(goUnmarshalStruct('{"uidModelcar": 1e3}', 'pod.StorageInitializerConfig', fields).error).toBe(
      'json: cannot unmarshal number 1e3 into Go struct field StorageInitializerConfig.uidModelcar of type int64',
    );
    expect(goUnmarshalStruct('{"enableModelcar": "true"}', 'pod.StorageInitializerConfig', fields).error).toBe(
      'json: cannot unmarshal string into Go struct field StorageInitializerConfig.enableModelcar of type bool',
    );
    expect(goUnmarshalStruct('[]', 'pod.StorageInitializerConfig', fields).error).toBe('json: cannot unmarshal array into Go value of type pod.StorageInitializerConfig');
  });

  it('null leaves a pointer nil', () => {
    expect(goUnmarshalStruct('{"uidModelcar": null}', 'types.StorageInitializerConfig', fields).values).toEqual({ uidModelcar: null });
  });
});
