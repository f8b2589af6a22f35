// Request bodies in Kubernetes protobuf (`application/vnd.kubernetes.protobuf`), which the typed
// clients of kubectl 1.32+ send for built-in kinds (`kubectl create configmap`, `kubectl auth can-i`).
// The envelope is "k8s\0" + runtime.Unknown{typeMeta, raw}; `raw` is decoded with the field numbers
// of k8s.io/api's generated.proto for the kinds below. Other kinds get 415, as a server without a
// protobuf serializer for them would answer.
import type { KObject } from '../types.ts';
import { ApiError } from './errors.ts';

export const PROTOBUF = 'application/vnd.kubernetes.protobuf';

type FieldType = 'string' | 'bytes' | 'int' | 'bool' | 'time' | 'quantity' | Schema | { map: 'string' | 'bytes' | 'quantity' };
interface Field { name: string; type: FieldType; repeated?: boolean }
type Schema = Record<number, Field>;

const f = (name: string, type: FieldType, repeated = false): Field => ({ name, type, repeated });

const OWNER_REFERENCE: Schema = { 1: f('kind', 'string'), 3: f('name', 'string'), 4: f('uid', 'string'), 5: f('apiVersion', 'string'), 6: f('controller', 'bool'), 7: f('blockOwnerDeletion', 'bool') };
const OBJECT_META: Schema = {
  1: f('name', 'string'), 2: f('generateName', 'string'), 3: f('namespace', 'string'), 5: f('uid', 'string'),
  6: f('resourceVersion', 'string'), 7: f('generation', 'int'), 8: f('creationTimestamp', 'time'), 9: f('deletionTimestamp', 'time'),
  10: f('deletionGracePeriodSeconds', 'int'), 11: f('labels', { map: 'string' }), 12: f('annotations', { map: 'string' }),
  13: f('ownerReferences', OWNER_REFERENCE, true), 14: f('finalizers', 'string', true),
};
const OBJECT_REFERENCE: Schema = { 1: f('kind', 'string'), 2: f('namespace', 'string'), 3: f('name', 'string'), 4: f('uid', 'string'), 5: f('apiVersion', 'string'), 6: f('resourceVersion', 'string'), 7: f('fieldPath', 'string') };
const LOCAL_OBJECT_REFERENCE: Schema = { 1: f('name', 'string') };
const RESOURCE_ATTRIBUTES: Schema = { 1: f('namespace', 'string'), 2: f('verb', 'string'), 3: f('group', 'string'), 4: f('version', 'string'), 5: f('resource', 'string'), 6: f('subresource', 'string'), 7: f('name', 'string') };
const NON_RESOURCE_ATTRIBUTES: Schema = { 1: f('path', 'string'), 2: f('verb', 'string') };

const LABEL_SELECTOR: Schema = { 1: f('matchLabels', { map: 'string' }), 2: f('matchExpressions', { 1: f('key', 'string'), 2: f('operator', 'string'), 3: f('values', 'string', true) }, true) };
// The Container and PodSpec fields `kubectl create deployment` fills (name, image, command, ports, ...).
const CONTAINER: Schema = {
  1: f('name', 'string'), 2: f('image', 'string'), 3: f('command', 'string', true), 4: f('args', 'string', true), 5: f('workingDir', 'string'),
  6: f('ports', { 1: f('name', 'string'), 2: f('hostPort', 'int'), 3: f('containerPort', 'int'), 4: f('protocol', 'string') }, true),
  7: f('env', { 1: f('name', 'string'), 2: f('value', 'string') }, true),
  8: f('resources', { 1: f('limits', { map: 'quantity' }), 2: f('requests', { map: 'quantity' }) }),
  13: f('terminationMessagePath', 'string'), 14: f('imagePullPolicy', 'string'), 20: f('terminationMessagePolicy', 'string'),
};
const POD_SPEC: Schema = {
  2: f('containers', CONTAINER, true), 3: f('restartPolicy', 'string'), 4: f('terminationGracePeriodSeconds', 'int'), 6: f('dnsPolicy', 'string'),
  7: f('nodeSelector', { map: 'string' }), 8: f('serviceAccountName', 'string'), 10: f('nodeName', 'string'), 19: f('schedulerName', 'string'),
  20: f('initContainers', CONTAINER, true),
};

const KINDS: Record<string, Schema> = {
  'apps/v1/Deployment': {
    1: f('metadata', OBJECT_META),
    2: f('spec', {
      1: f('replicas', 'int'), 2: f('selector', LABEL_SELECTOR), 3: f('template', { 1: f('metadata', OBJECT_META), 2: f('spec', POD_SPEC) }),
      4: f('strategy', { 1: f('type', 'string') }), 5: f('minReadySeconds', 'int'), 6: f('revisionHistoryLimit', 'int'), 7: f('paused', 'bool'), 9: f('progressDeadlineSeconds', 'int'),
    }),
  },
  'v1/ConfigMap': { 1: f('metadata', OBJECT_META), 2: f('data', { map: 'string' }), 3: f('binaryData', { map: 'bytes' }), 4: f('immutable', 'bool') },
  'v1/Secret': { 1: f('metadata', OBJECT_META), 2: f('data', { map: 'bytes' }), 3: f('type', 'string'), 4: f('stringData', { map: 'string' }), 5: f('immutable', 'bool') },
  'v1/Namespace': { 1: f('metadata', OBJECT_META), 2: f('spec', { 1: f('finalizers', 'string', true) }) },
  'v1/ServiceAccount': { 1: f('metadata', OBJECT_META), 2: f('secrets', OBJECT_REFERENCE, true), 3: f('imagePullSecrets', LOCAL_OBJECT_REFERENCE, true), 4: f('automountServiceAccountToken', 'bool') },
  'authorization.k8s.io/v1/SelfSubjectAccessReview': {
    1: f('metadata', OBJECT_META),
    2: f('spec', { 1: f('resourceAttributes', RESOURCE_ATTRIBUTES), 2: f('nonResourceAttributes', NON_RESOURCE_ATTRIBUTES) }),
  },
  'authorization.k8s.io/v1/SelfSubjectRulesReview': { 1: f('metadata', OBJECT_META), 2: f('spec', { 1: f('namespace', 'string') }) },
  'authentication.k8s.io/v1/SelfSubjectReview': { 1: f('metadata', OBJECT_META) },
};

class Reader {
  pos = 0;
  readonly buf: Buffer;
  constructor(buf: Buffer) { this.buf = buf; }
  get done(): boolean { return this.pos >= this.buf.length; }
  varint(): bigint {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      const b = this.buf[this.pos++];
      if (b === undefined) throw new Error('truncated varint');
      result |= BigInt(b & 0x7f) << shift;
      if (!(b & 0x80)) return result;
      shift += 7n;
    }
  }
  bytes(): Buffer {
    const len = Number(this.varint());
    const out = this.buf.subarray(this.pos, this.pos + len);
    this.pos += len;
    return out;
  }
  skip(wire: number): void {
    if (wire === 0) this.varint();
    else if (wire === 1) this.pos += 8;
    else if (wire === 2) this.bytes();
    else if (wire === 5) this.pos += 4;
    else throw new Error(`unsupported wire type ${wire}`);
  }
}

function decodeMessage(buf: Buffer, schema: Schema): Record<string, unknown> {
  const r = new Reader(buf);
  const out: Record<string, unknown> = {};
  while (!r.done) {
    const tag = Number(r.varint());
    const field = schema[tag >> 3];
    const wire = tag & 7;
    if (!field) { r.skip(wire); continue; }
    const value = decodeValue(r, field.type, wire);
    // Go's JSON omits empty values (omitempty); gogo protobuf writes them, so drop them here.
    if (!field.repeated && (value === '' || value === 0 || value === false || value === undefined)) continue;
    if (typeof field.type === 'object' && 'map' in field.type) {
      const [k, v] = value as [string, unknown];
      out[field.name] = { ...(out[field.name] as object | undefined), [k]: v };
    } else if (field.repeated) {
      out[field.name] = [...((out[field.name] as unknown[] | undefined) ?? []), value];
    } else out[field.name] = value;
  }
  return out;
}

function decodeValue(r: Reader, type: FieldType, wire: number): unknown {
  switch (type) {
    case 'string': return r.bytes().toString('utf8');
    case 'bytes': return r.bytes().toString('base64');
    case 'int': return Number(BigInt.asIntN(64, r.varint()));
    case 'bool': return r.varint() !== 0n;
    case 'quantity': return decodeMessage(r.bytes(), { 1: f('string', 'string') }).string;
    case 'time': {
      const t = decodeMessage(r.bytes(), { 1: f('seconds', 'int'), 2: f('nanos', 'int') });
      return t.seconds ? new Date(Number(t.seconds) * 1000).toISOString().replace('.000Z', 'Z') : undefined;
    }
    default:
      if (wire !== 2) throw new Error('expected a length-delimited field');
      if ('map' in type) {
        const entry = decodeMessage(r.bytes(), { 1: f('key', 'string'), 2: f('value', type.map) });
        return [entry.key ?? '', entry.value ?? ''];
      }
      return decodeMessage(r.bytes(), type as Schema);
  }
}

/** Decodes a protobuf request body into the JSON object it stands for. */
export function decodeProtobufBody(body: Buffer): KObject {
  if (body.subarray(0, 4).toString('latin1') !== 'k8s\0') throw new ApiError('BadRequest', 'the body of the request was in an unknown format - protobuf without the k8s envelope');
  const unknown = decodeMessage(body.subarray(4), { 1: f('typeMeta', { 1: f('apiVersion', 'string'), 2: f('kind', 'string') }), 2: f('raw', 'bytes') });
  const typeMeta = (unknown.typeMeta ?? {}) as { apiVersion?: string; kind?: string };
  const schema = KINDS[`${typeMeta.apiVersion}/${typeMeta.kind}`];
  if (!schema) {
    throw new ApiError('UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: application/json, application/yaml (protobuf is not served for ${typeMeta.apiVersion} ${typeMeta.kind} by the lab)`);
  }
  const obj = decodeMessage(Buffer.from(String(unknown.raw ?? ''), 'base64'), schema);
  return { apiVersion: typeMeta.apiVersion!, kind: typeMeta.kind!, metadata: {}, ...obj } as KObject;
}
