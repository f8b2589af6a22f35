import { describe, expect, it } from 'vitest';
import { editedExampleKeys, effectiveOciMode, parseStorageInitializer, patchValue } from './config.ts';
import { parseQuantity } from './quantity.ts';
import type { ConfigMap } from '../snapshot.ts';

const V20 = '{"image":"kserve/storage-initializer:latest","memoryRequest":"100Mi","memoryLimit":"1Gi","cpuRequest":"100m","cpuLimit":"1","enableModelcar":true,"cpuModelcar":"10m","memoryModelcar":"15Mi","uidModelcar":1010}';

describe('parseStorageInitializer', () => {
  it('reads the shipped v0.20 config', () => {
    const p = parseStorageInitializer(V20);
    expect(p.ok).toBe(true);
    expect(p.config).toMatchObject({ enableModelcar: true, uidModelcar: 1010, cpuModelcar: '10m', memoryModelcar: '15Mi' });
  });
  it('reports invalid JSON instead of throwing', () => {
    const p = parseStorageInitializer('{"enableModelcar": true,');
    expect(p.ok).toBe(false);
    expect(p.problems[0]!.message).toMatch(/not valid JSON/);
  });
  it('reports a string uid as a wrong type, as Go would refuse it', () => {
    const p = parseStorageInitializer('{"enableModelcar": true, "uidModelcar": "1010"}');
    expect(p.ok).toBe(false);
    expect(p.problems[0]!.key).toBe('uidModelcar');
  });
  it('reports an unparsable quantity and an unknown ociModelMode', () => {
    const p = parseStorageInitializer('{"cpuModelcar": "ten", "ociModelMode": "sidecar"}');
    expect(p.problems.map((x) => x.key)).toEqual(['cpuModelcar', 'ociModelMode']);
  });
});

describe('effectiveOciMode', () => {
  const cfg = (s: string) => parseStorageInitializer(s).config!;
  it('lets a non-empty ociModelMode win', () => {
    expect(effectiveOciMode(cfg('{"enableModelcar": false, "ociModelMode": "native"}'), null)).toBe('native');
  });
  it('falls back to enableModelcar || enableOciModelSupport', () => {
    expect(effectiveOciMode(cfg('{"enableOciModelSupport": true}'), [0, 20, 0])).toBe('modelcar');
    expect(effectiveOciMode(cfg('{"enableModelcar": false}'), null)).toBe('');
  });
  it('ignores keys an older controller does not know', () => {
    expect(effectiveOciMode(cfg('{"enableOciModelSupport": true}'), [0, 17, 0])).toBe('');
  });
});

describe('editedExampleKeys', () => {
  const cm = (example: string): ConfigMap => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'inferenceservice-config' }, data: { _example: example } });
  it('ignores the shipped example values', () => {
    expect(editedExampleKeys(cm('storageInitializer: |-\n  {"enableModelcar": false, "cpuModelcar": "10m", "uidModelcar": 10}'))).toEqual({});
  });
  it('names the keys someone changed', () => {
    expect(editedExampleKeys(cm('storageInitializer: |-\n  {\n  "enableModelcar": true,\n  "uidModelcar": 1010 }'))).toEqual({ enableModelcar: true, uidModelcar: 1010 });
  });
});

describe('patchValue', () => {
  it('is a JSON string of the config with the change, quoted for a single-quoted shell argument', () => {
    const v = patchValue({ image: "it's", enableModelcar: false }, { enableModelcar: true });
    expect(v).toBe(JSON.stringify('{"image":"it\'s","enableModelcar":true}').replace("'", "'\\''"));
  });
});

describe('parseQuantity', () => {
  it.each([
    ['10m', 0.01], ['15Mi', 15 * 2 ** 20], ['1', 1], ['1.5Gi', 1.5 * 2 ** 30], ['1e3', 1000], ['100k', 1e5],
  ] as const)('%s', (q, v) => expect(parseQuantity(q)).toBeCloseTo(v));
  it.each(['ten', '', '10 m', 'Mi', '1.2.3'])('refuses %j', (q) => expect(parseQuantity(q)).toBeNull());
});
