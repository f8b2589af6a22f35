// A container's environment as the kubelet builds it (makeEnvironmentVariables): envFrom first,
// then env in order, each value `$(VAR)`-expanded against what came before; the runtime then lays
// it over the image's Env.
import type { KObject, LabStore } from '../types.ts';
import { expand } from './expand.ts';
import type { Container, Pod } from './pod-types.ts';
import { parseQuantity } from './quantity.ts';

/** Why a container cannot be created yet: the kubelet's CreateContainerConfigError message. */
export class ContainerConfigError extends Error {}

/** The value of a downward API `fieldRef` (`metadata.name`, `metadata.labels['x']`, `status.podIP`, ...). */
export function fieldValue(pod: Pod, path: string): string {
  const keyed = /^metadata\.(labels|annotations)\['(.+)'\]$/.exec(path);
  if (keyed) return (pod.metadata[keyed[1] as 'labels' | 'annotations'] ?? {})[keyed[2]!] ?? '';
  switch (path) {
    case 'metadata.name': return pod.metadata.name ?? '';
    case 'metadata.namespace': return pod.metadata.namespace ?? '';
    case 'metadata.uid': return pod.metadata.uid ?? '';
    case 'metadata.labels': return Object.entries(pod.metadata.labels ?? {}).map(([k, v]) => `${k}="${v}"`).join('\n');
    case 'metadata.annotations': return Object.entries(pod.metadata.annotations ?? {}).map(([k, v]) => `${k}="${v}"`).join('\n');
    case 'spec.nodeName': return pod.spec.nodeName ?? '';
    case 'spec.serviceAccountName': return pod.spec.serviceAccountName ?? 'default';
    case 'status.hostIP': return pod.status?.hostIP ?? '';
    case 'status.hostIPs': return (pod.status?.hostIPs ?? []).map((x) => x.ip).join(',');
    case 'status.podIP': return pod.status?.podIP ?? '';
    case 'status.podIPs': return (pod.status?.podIPs ?? []).map((x) => x.ip).join(',');
    default: throw new ContainerConfigError(`unsupported fieldPath: ${path}`);
  }
}

function resourceValue(c: Container, resource: string, divisor: string | undefined, nodeAllocatable: { cpu: number; memory: number }): string {
  const [kind, name] = resource.split('.') as ['limits' | 'requests', string];
  const set = c.resources?.[kind]?.[name];
  const value = set !== undefined ? parseQuantity(set) : name === 'cpu' ? nodeAllocatable.cpu : nodeAllocatable.memory;
  return String(Math.ceil(value / parseQuantity(divisor ?? '1')));
}

function lookupKey(store: LabStore, kind: 'configmaps' | 'secrets', ns: string, ref: { name: string; key: string; optional?: boolean }): string | undefined {
  const obj = store.get(kind, ns, ref.name);
  const label = kind === 'configmaps' ? 'configmap' : 'secret';
  if (!obj) {
    if (ref.optional) return undefined;
    throw new ContainerConfigError(`${label} "${ref.name}" not found`);
  }
  const value = objectData(obj, kind)[ref.key];
  if (value === undefined && !ref.optional) throw new ContainerConfigError(`couldn't find key ${ref.key} in ${kind === 'configmaps' ? 'ConfigMap' : 'Secret'} ${ns}/${ref.name}`);
  return value;
}

function objectData(obj: KObject, kind: 'configmaps' | 'secrets'): Record<string, string> {
  const data = (obj['data'] as Record<string, string> | undefined) ?? {};
  if (kind === 'configmaps') return data;
  return Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v, 'base64').toString()]));
}

/** The variables the pod spec defines for `c`, in definition order (later ones override earlier ones). */
export function specEnvironment(store: LabStore, pod: Pod, c: Container, nodeAllocatable: { cpu: number; memory: number }): Map<string, string> {
  const ns = pod.metadata.namespace!;
  const env = new Map<string, string>();
  for (const from of c.envFrom ?? []) {
    const kind = from.configMapRef ? 'configmaps' : 'secrets';
    const ref = from.configMapRef ?? from.secretRef!;
    const obj = store.get(kind, ns, ref.name);
    if (!obj) {
      if (ref.optional) continue;
      throw new ContainerConfigError(`${kind === 'configmaps' ? 'configmap' : 'secret'} "${ref.name}" not found`);
    }
    for (const [k, v] of Object.entries(objectData(obj, kind))) env.set(`${from.prefix ?? ''}${k}`, v);
  }
  for (const e of c.env ?? []) {
    let value: string | undefined;
    const src = e.valueFrom;
    if (!src) value = expand(e.value ?? '', (n) => env.get(n));
    else if (src.fieldRef) value = fieldValue(pod, src.fieldRef.fieldPath);
    else if (src.resourceFieldRef) value = resourceValue(pod.spec.containers.find((x) => x.name === (src.resourceFieldRef!.containerName || c.name)) ?? c, src.resourceFieldRef.resource, src.resourceFieldRef.divisor, nodeAllocatable);
    else if (src.configMapKeyRef) value = lookupKey(store, 'configmaps', ns, src.configMapKeyRef);
    else if (src.secretKeyRef) value = lookupKey(store, 'secrets', ns, src.secretKeyRef);
    if (value !== undefined) env.set(e.name, value);
  }
  return env;
}

/** The process environment as containerd assembles it: HOSTNAME, then the image's Env, then the spec's variables (replacing same names in place). */
export function processEnvironment(hostname: string, imageEnv: string[] | undefined, spec: Map<string, string>): string[] {
  const merged = new Map<string, string>([['HOSTNAME', hostname]]);
  for (const kv of imageEnv ?? []) {
    const i = kv.indexOf('=');
    merged.set(i === -1 ? kv : kv.slice(0, i), i === -1 ? '' : kv.slice(i + 1));
  }
  for (const [k, v] of spec) merged.set(k, v);
  return [...merged].map(([k, v]) => `${k}=${v}`);
}
