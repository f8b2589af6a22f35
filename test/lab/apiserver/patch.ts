// The three patch formats the API server accepts: JSON patch (RFC 6902), JSON merge patch
// (RFC 7386) and strategic merge patch (k8s.io/apimachinery/pkg/util/strategicpatch) with the
// merge keys of the built-in kinds the lab serves.
import { ApiError } from './errors.ts';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type JsonObject = { [k: string]: Json };

function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function invalidPatch(message: string): ApiError {
  return new ApiError('Invalid', message, undefined, 422);
}

// ---- JSON patch ----

interface JsonPatchOp { op: string; path: string; value?: Json; from?: string }

function pointer(path: string): string[] {
  if (path === '') return [];
  if (!path.startsWith('/')) throw invalidPatch(`invalid JSON pointer: "${path}"`);
  return path.slice(1).split('/').map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

/** Returns the container holding the last token, and that token. */
function parentOf(doc: Json, tokens: string[], op: string, path: string): [JsonObject | Json[], string] {
  let cur: Json = doc;
  for (const t of tokens.slice(0, -1)) {
    const next: Json | undefined = Array.isArray(cur) ? cur[Number(t)] : isObject(cur) ? cur[t] : undefined;
    if (next === undefined || next === null || typeof next !== 'object') {
      throw invalidPatch(`${op} operation does not apply: doc is missing path: "${path}": missing value`);
    }
    cur = next;
  }
  if (cur === null || typeof cur !== 'object') throw invalidPatch(`${op} operation does not apply: doc is missing path: "${path}"`);
  return [cur, tokens[tokens.length - 1]!];
}

function getAt(doc: Json, path: string, op: string): Json {
  const tokens = pointer(path);
  if (tokens.length === 0) return doc;
  const [parent, key] = parentOf(doc, tokens, op, path);
  const v = Array.isArray(parent) ? parent[Number(key)] : parent[key];
  if (v === undefined) throw invalidPatch(`${op} operation does not apply: doc is missing key: ${path}: missing value`);
  return v;
}

function addAt(doc: Json, path: string, value: Json): Json {
  const tokens = pointer(path);
  if (tokens.length === 0) return value;
  const [parent, key] = parentOf(doc, tokens, 'add', path);
  if (Array.isArray(parent)) {
    const i = key === '-' ? parent.length : Number(key);
    if (!Number.isInteger(i) || i < 0 || i > parent.length) throw invalidPatch(`add operation does not apply: index out of bounds: ${path}`);
    parent.splice(i, 0, value);
  } else parent[key] = value;
  return doc;
}

function removeAt(doc: Json, path: string, op: string): Json {
  const tokens = pointer(path);
  const [parent, key] = parentOf(doc, tokens, op, path);
  if (Array.isArray(parent)) {
    const i = Number(key);
    if (!Number.isInteger(i) || i < 0 || i >= parent.length) throw invalidPatch(`${op} operation does not apply: doc is missing key: ${path}: missing value`);
    return parent.splice(i, 1)[0]!;
  }
  if (!Object.hasOwn(parent, key)) throw invalidPatch(`${op} operation does not apply: doc is missing key: ${path}: missing value`);
  const old = parent[key]!;
  delete parent[key];
  return old;
}

export function applyJsonPatch<T>(target: T, patch: unknown): T {
  if (!Array.isArray(patch)) throw badPatchBody('json: cannot unmarshal object into Go value of type jsonpatch.Patch');
  let doc = structuredClone(target) as Json;
  for (const raw of patch as JsonPatchOp[]) {
    const { op, path } = raw;
    if (typeof path !== 'string') throw invalidPatch(`${op} operation does not apply: missing path`);
    switch (op) {
      case 'add': doc = addAt(doc, path, structuredClone(raw.value ?? null)); break;
      case 'remove': removeAt(doc, path, 'remove'); break;
      case 'replace': {
        getAt(doc, path, 'replace');
        if (pointer(path).length === 0) { doc = structuredClone(raw.value ?? null); break; }
        removeAt(doc, path, 'replace');
        doc = addAt(doc, path, structuredClone(raw.value ?? null));
        break;
      }
      case 'move': {
        const v = removeAt(doc, raw.from ?? '', 'move');
        doc = addAt(doc, path, v);
        break;
      }
      case 'copy': doc = addAt(doc, path, structuredClone(getAt(doc, raw.from ?? '', 'copy'))); break;
      case 'test': {
        const v = getAt(doc, path, 'test');
        if (JSON.stringify(v) !== JSON.stringify(raw.value)) throw invalidPatch(`testing value ${path} failed: test failed`);
        break;
      }
      default: throw invalidPatch(`Unexpected kind: ${op}`);
    }
  }
  return doc as T;
}

function badPatchBody(message: string): ApiError {
  return new ApiError('BadRequest', message);
}

// ---- JSON merge patch ----

export function applyMergePatch<T>(target: T, patch: unknown): T {
  return mergeValue(structuredClone(target) as Json, patch as Json) as T;
}

function mergeValue(target: Json | undefined, patch: Json): Json {
  if (!isObject(patch)) return structuredClone(patch);
  const out: JsonObject = isObject(target) ? target : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergeValue(out[k], v);
  }
  return out;
}

// ---- Strategic merge patch ----

/** Merge key of a list field, by field name and (where it differs) the field above it. */
function mergeKeyFor(field: string, parentField: string): string | undefined {
  switch (field) {
    case 'containers': case 'initContainers': case 'ephemeralContainers':
    case 'env': case 'volumes': case 'imagePullSecrets': case 'resourceClaims':
      return 'name';
    case 'volumeMounts': return 'mountPath';
    case 'volumeDevices': return 'devicePath';
    case 'ports': return parentField === 'spec' ? 'port' : 'containerPort';
    case 'conditions': return 'type';
    case 'ownerReferences': return 'uid';
    case 'hostAliases': return 'ip';
    case 'containerStatuses': case 'initContainerStatuses': case 'ephemeralContainerStatuses': return 'name';
    default: return undefined;
  }
}

/** Primitive lists merged as sets rather than replaced. */
const SET_LISTS = new Set(['finalizers']);

export function applyStrategicMergePatch<T>(target: T, patch: unknown): T {
  if (!isObject(patch)) throw badPatchBody('strategic merge patch must be a JSON object');
  return smpObject(structuredClone(target) as unknown as JsonObject, patch, '') as T;
}

function smpObject(target: JsonObject, patch: JsonObject, field: string): JsonObject {
  if (patch['$patch'] === 'replace') {
    const { $patch: _ignored, ...rest } = patch;
    return stripDirectives(rest) as JsonObject;
  }
  if (patch['$patch'] === 'delete') return {};
  const retain = patch['$retainKeys'];
  for (const [k, v] of Object.entries(patch)) {
    if (k === '$patch' || k === '$retainKeys' || k.startsWith('$setElementOrder/')) continue;
    if (k.startsWith('$deleteFromPrimitiveList/')) {
      const name = k.slice('$deleteFromPrimitiveList/'.length);
      const list = target[name];
      if (Array.isArray(list) && Array.isArray(v)) target[name] = list.filter((x) => !v.some((d) => d === x));
      continue;
    }
    if (v === null) { delete target[k]; continue; }
    const cur = target[k];
    if (Array.isArray(v)) target[k] = smpList(Array.isArray(cur) ? cur : [], v, k, field);
    else if (isObject(v)) target[k] = smpObject(isObject(cur) ? cur : {}, v, k);
    else target[k] = v;
  }
  if (Array.isArray(retain)) {
    for (const k of Object.keys(target)) if (!retain.includes(k)) delete target[k];
  }
  return target;
}

function smpList(target: Json[], patch: Json[], field: string, parentField: string): Json[] {
  const key = mergeKeyFor(field, parentField);
  if (SET_LISTS.has(field)) {
    const out = [...target];
    for (const v of patch) if (!out.includes(v)) out.push(v);
    return out;
  }
  if (!key) {
    if (patch.some((p) => isObject(p) && p['$patch'] === 'replace')) return stripDirectives(patch.filter((p) => !(isObject(p) && p['$patch'])) ) as Json[];
    return stripDirectives(patch) as Json[];
  }
  if (patch.some((p) => isObject(p) && p['$patch'] === 'replace')) {
    return stripDirectives(patch.filter((p) => !(isObject(p) && p['$patch'] === 'replace'))) as Json[];
  }
  const out = [...target];
  for (const p of patch) {
    if (!isObject(p)) continue;
    const idx = out.findIndex((t) => isObject(t) && t[key] === p[key]);
    if (p['$patch'] === 'delete') {
      if (idx >= 0) out.splice(idx, 1);
      continue;
    }
    if (idx >= 0) out[idx] = smpObject(out[idx] as JsonObject, p, field);
    else out.push(stripDirectives(p));
  }
  return out;
}

function stripDirectives(v: Json): Json {
  if (Array.isArray(v)) return v.map(stripDirectives);
  if (!isObject(v)) return v;
  const out: JsonObject = {};
  for (const [k, x] of Object.entries(v)) if (!k.startsWith('$')) out[k] = stripDirectives(x);
  return out;
}

export const PATCH_TYPES = {
  json: 'application/json-patch+json',
  merge: 'application/merge-patch+json',
  strategic: 'application/strategic-merge-patch+json',
  apply: 'application/apply-patch+yaml',
} as const;
