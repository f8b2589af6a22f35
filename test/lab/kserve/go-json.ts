// Go's encoding/json as KServe's config parsing sees it: the exact syntax error messages of its
// scanner (encoding/json/scanner.go) and the field matching and type errors of json.Unmarshal into a
// flat struct (decode.go). KServe puts these messages into its panics, so users see them verbatim.

type Step = (c: string) => Step | string;

const isSpace = (c: string) => c === ' ' || c === '\t' || c === '\r' || c === '\n';
const isDigit = (c: string) => c >= '0' && c <= '9';
const isHex = (c: string) => isDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');

/** quoteChar in scanner.go: `'x'`, `'\''`, `'"'`, or strconv.Quote's escape inside single quotes. */
function quoteChar(c: string): string {
  if (c === "'") return `'\\''`;
  if (c === '"') return `'"'`;
  const code = c.codePointAt(0)!;
  const named: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t', '\b': '\\b', '\f': '\\f', '\v': '\\v', '\x07': '\\a', '\\': '\\\\' };
  if (named[c]) return `'${named[c]}'`;
  if (code < 0x20 || code === 0x7f) return `'\\x${code.toString(16).padStart(2, '0')}'`;
  return `'${c}'`;
}

const syntaxError = (c: string, context: string) => `invalid character ${quoteChar(c)} ${context}`;

/** Returns Go's error text for malformed JSON, or undefined when the text is valid. */
export function goJsonSyntaxError(text: string): string | undefined {
  type Frame = 'objectKey' | 'objectValue' | 'arrayValue';
  const stack: Frame[] = [];
  let done = false;

  const endValue: Step = (c) => {
    const top = stack[stack.length - 1];
    if (top === undefined) {
      done = true;
      return endTop(c);
    }
    if (isSpace(c)) return endValue;
    if (top === 'objectKey') {
      if (c === ':') { stack[stack.length - 1] = 'objectValue'; return beginValue; }
      return syntaxError(c, 'after object key');
    }
    if (top === 'objectValue') {
      if (c === ',') { stack[stack.length - 1] = 'objectKey'; return beginString; }
      if (c === '}') { stack.pop(); return endValue; }
      return syntaxError(c, 'after object key:value pair');
    }
    if (c === ',') return beginValue;
    if (c === ']') { stack.pop(); return endValue; }
    return syntaxError(c, 'after array element');
  };
  const endTop: Step = (c) => (isSpace(c) ? endTop : syntaxError(c, 'after top-level value'));
  const literal = (rest: string, name: string): Step => {
    const next: Step = rest.length === 1 ? endValue : literal(rest.slice(1), name);
    return (c) => (c === rest[0] ? next : syntaxError(c, `in literal ${name} (expecting ${quoteChar(rest[0]!)})`));
  };
  const inString: Step = (c) => {
    if (c === '"') return endValue;
    if (c === '\\') return inStringEsc;
    if (c.codePointAt(0)! < 0x20) return syntaxError(c, 'in string literal');
    return inString;
  };
  const escU = (left: number): Step => (c) =>
    isHex(c) ? (left === 1 ? inString : escU(left - 1)) : syntaxError(c, 'in \\u hexadecimal character escape');
  const inStringEsc: Step = (c) => {
    if ('bfnrt\\/"'.includes(c)) return inString;
    if (c === 'u') return escU(4);
    return syntaxError(c, 'in string escape code');
  };
  const e0: Step = (c) => (isDigit(c) ? e0 : endValue(c));
  const eSign: Step = (c) => (isDigit(c) ? e0 : syntaxError(c, 'in exponent of numeric literal'));
  const exp: Step = (c) => (c === '+' || c === '-' ? eSign : eSign(c));
  const dot0: Step = (c) => (isDigit(c) ? dot0 : c === 'e' || c === 'E' ? exp : endValue(c));
  const dot: Step = (c) => (isDigit(c) ? dot0 : syntaxError(c, 'after decimal point in numeric literal'));
  const zero: Step = (c) => (c === '.' ? dot : c === 'e' || c === 'E' ? exp : endValue(c));
  const one: Step = (c) => (isDigit(c) ? one : zero(c));
  const neg: Step = (c) => (c === '0' ? zero : c >= '1' && c <= '9' ? one : syntaxError(c, 'in numeric literal'));
  const beginValue: Step = (c) => {
    if (isSpace(c)) return beginValue;
    switch (c) {
      case '{': stack.push('objectKey'); return beginStringOrEmpty;
      case '[': stack.push('arrayValue'); return beginValueOrEmpty;
      case '"': return inString;
      case '-': return neg;
      case '0': return zero;
      case 't': return literal('rue', 'true');
      case 'f': return literal('alse', 'false');
      case 'n': return literal('ull', 'null');
    }
    if (c >= '1' && c <= '9') return one;
    return syntaxError(c, 'looking for beginning of value');
  };
  const beginValueOrEmpty: Step = (c) => {
    if (isSpace(c)) return beginValueOrEmpty;
    if (c === ']') { stack.pop(); return endValue; }
    return beginValue(c);
  };
  const beginString: Step = (c) => {
    if (isSpace(c)) return beginString;
    if (c === '"') return inString;
    return syntaxError(c, 'looking for beginning of object key string');
  };
  const beginStringOrEmpty: Step = (c) => {
    if (isSpace(c)) return beginStringOrEmpty;
    if (c === '}') { stack.pop(); return endValue; }
    return beginString(c);
  };

  let step: Step = beginValue;
  for (const c of text) {
    const next = step(c);
    if (typeof next === 'string') return next;
    step = next;
  }
  // A number at the very end is complete once input ends (scanner.eof feeds a space).
  if (!done) {
    const last = step(' ');
    if (typeof last === 'string' || stack.length > 0 || !done) return 'unexpected end of JSON input';
  }
  return undefined;
}

export type GoFieldType = 'string' | 'bool' | '*int64';

export interface GoDecodeResult {
  values: Record<string, string | boolean | number | null>;
  /** The first error json.Unmarshal returns (syntax or type), as its Error() text. */
  error?: string;
}

/** Unmarshals a JSON object into a flat Go struct (`goType` as Go prints it: `types.StorageInitializerConfig`): exact key match first, else a case-insensitive
 *  one (decode.go's fold); unknown keys ignored; null leaves a field as it is (nil for pointers);
 *  type errors do not stop decoding, the first one is returned. */
export function goUnmarshalStruct(text: string, goType: string, fields: Record<string, GoFieldType>): GoDecodeResult {
  const structName = goType.slice(goType.lastIndexOf('.') + 1);
  const values: GoDecodeResult['values'] = {};
  const syntax = goJsonSyntaxError(text);
  if (syntax) return { values, error: syntax };
  const parsed: unknown = JSON.parse(text);
  if (parsed === null) return { values };
  const kindOf = (v: unknown) => (Array.isArray(v) ? 'array' : typeof v === 'object' ? 'object' : typeof v === 'boolean' ? 'bool' : typeof v);
  if (typeof parsed !== 'object' || Array.isArray(parsed)) {
    return { values, error: `json: cannot unmarshal ${kindOf(parsed)} into Go value of type ${goType}` };
  }
  const names = Object.keys(fields);
  let error: string | undefined;
  const typeError = (value: string, field: string, type: string) => {
    error ??= `json: cannot unmarshal ${value} into Go struct field ${structName}.${field} of type ${type}`;
  };
  for (const { key, value, raw } of members(text)) {
    const field = names.find((n) => n === key) ?? names.find((n) => n.toLowerCase() === key.toLowerCase());
    if (!field) continue;
    const type = fields[field]!;
    if (value === null) {
      if (type === '*int64') values[field] = null;
      continue;
    }
    const kind = kindOf(value);
    if (type === 'string') {
      if (typeof value === 'string') values[field] = value;
      else typeError(kind, field, 'string');
    } else if (type === 'bool') {
      if (typeof value === 'boolean') values[field] = value;
      else typeError(kind, field, 'bool');
    } else if (typeof value === 'number') {
      // strconv.ParseInt on the literal as written: `1010.0` and `1e3` are not int64.
      if (/^-?\d+$/.test(raw) && Number.isSafeInteger(value)) values[field] = value;
      else typeError(`number ${raw}`, field, 'int64');
    } else {
      typeError(kind, field, 'int64');
    }
  }
  return { values, ...(error ? { error } : {}) };
}

/** The top-level members of a valid JSON object in document order, duplicates kept (JSON.parse keeps
 *  only the last) and each value's literal text. */
function members(text: string): Array<{ key: string; value: unknown; raw: string }> {
  const out: Array<{ key: string; value: unknown; raw: string }> = [];
  let i = text.indexOf('{') + 1;
  const skipSpace = () => {
    while (i < text.length && isSpace(text[i]!)) i++;
  };
  const stringEnd = (start: number) => {
    for (let j = start + 1; j < text.length; j++) {
      if (text[j] === '\\') j++;
      else if (text[j] === '"') return j + 1;
    }
    return text.length;
  };
  const valueEnd = (): number => {
    if (text[i] === '"') return stringEnd(i);
    let depth = 0;
    for (let j = i; j < text.length; j++) {
      const c = text[j]!;
      if (c === '"') j = stringEnd(j) - 1;
      else if (c === '{' || c === '[') depth++;
      else if (c === '}' || c === ']') {
        if (depth === 0) return j;
        if (--depth === 0) return j + 1;
      } else if ((c === ',' || isSpace(c)) && depth === 0) return j;
    }
    return text.length;
  };
  for (;;) {
    skipSpace();
    if (text[i] !== '"') return out;
    const keyEnd = stringEnd(i);
    const key = JSON.parse(text.slice(i, keyEnd)) as string;
    i = keyEnd;
    skipSpace();
    i++; // the ':'
    skipSpace();
    const end = valueEnd();
    const raw = text.slice(i, end);
    out.push({ key, value: JSON.parse(raw), raw });
    i = end;
    skipSpace();
    if (text[i] === ',') i++;
  }
}
