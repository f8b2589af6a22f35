// Offline mode. `inspect --dump FILE` writes a Snapshot as one YAML `kind: List` (Kubernetes objects
// plus two plugin items: SnapshotInfo and ContainerLog) with Secrets left out and credentials redacted;
// `--from-file` reads that back, or any YAML/JSON List, multi-document YAML, a `kubectl cluster-info
// dump` directory (JSON lists and per-pod logs.txt) or a must-gather-style directory of YAML files,
// and builds the same Snapshot. In-pod probes cannot run offline: they are recorded as skipped.
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseAllDocuments, stringify as toYaml } from 'yaml';
import { z } from 'zod';
import { CONFIG_MAP_NAME, STORAGE_INITIALIZER_KEY } from '../../shared/kserve/config.ts';
import { ISVC_LABEL, modelcarContainers, runtimeContainers } from '../../shared/kserve/pod.ts';
import { versionFromImage } from '../../shared/kserve/version.ts';
import { emptySnapshot, type ContainerLog, type Event, type KObject, type Pod, type Snapshot } from '../../shared/snapshot.ts';
import { UsageError, redact } from './errors.ts';
import { CONTROLLER_LABEL, controllerImage, controllerNamespace, DEFAULT_KSERVE_NAMESPACE, logContainers, relevantEvents } from './gather.ts';

export const DUMP_API_VERSION = 'kubectl-modelcar/v1';
const REDACTED = '<redacted>';

// ---- writing ----------------------------------------------------------------------------------

/** Env var names whose literal `value` is treated as a credential. */
export const SECRET_NAME = /TOKEN|PASSW(OR)?D|SECRET|KEY|CREDENTIAL|AUTH/i;
const SECRET_ARG = /^(--?[\w.-]*(?:token|password|passwd|secret|api-?key|credential)[\w.-]*=).+$/i;

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** Walks any object and redacts container env values and args that look like credentials. */
function redactContainers(node: Json): Json {
  if (Array.isArray(node)) return node.map(redactContainers);
  if (node === null || typeof node !== 'object') return node;
  const out: { [k: string]: Json } = {};
  for (const [k, v] of Object.entries(node)) {
    if (k === 'env' && Array.isArray(v)) {
      out[k] = v.map((e) => {
        if (e && typeof e === 'object' && !Array.isArray(e) && typeof e.name === 'string' && typeof e.value === 'string' && SECRET_NAME.test(e.name)) {
          return { ...e, value: REDACTED };
        }
        return redactContainers(e);
      });
    } else if ((k === 'args' || k === 'command') && Array.isArray(v)) {
      out[k] = v.map((a) => (typeof a === 'string' ? redact(a.replace(SECRET_ARG, `$1${REDACTED}`)) : a));
    } else {
      out[k] = redactContainers(v);
    }
  }
  return out;
}

/** A copy of an object that is safe to send: no last-applied annotation (it repeats the spec with its
 *  values), container credentials redacted, ConfigMap values other than storageInitializer scrubbed. */
export function redactObject<T extends KObject>(obj: T): T {
  const copy = redactContainers(JSON.parse(JSON.stringify(obj)) as Json) as unknown as T;
  const ann = copy.metadata.annotations;
  if (ann) {
    delete ann['kubectl.kubernetes.io/last-applied-configuration'];
    for (const [k, v] of Object.entries(ann)) ann[k] = redact(v);
  }
  if (copy.kind === 'ConfigMap') {
    const data = (copy as { data?: Record<string, string> }).data ?? {};
    for (const [k, v] of Object.entries(data)) if (k !== STORAGE_INITIALIZER_KEY) data[k] = redact(v);
  }
  return copy;
}

interface SnapshotInfo {
  apiVersion: typeof DUMP_API_VERSION;
  kind: 'SnapshotInfo';
  metadata: { name: string };
  now: string;
  cluster: Snapshot['cluster'];
  kserve: Omit<Snapshot['kserve'], 'configMap' | 'controllerPods'>;
  targets: Snapshot['targets'];
  eventsGatheredAt: Record<string, string | null>;
  gaps: Snapshot['gaps'];
}

/** The dump: one YAML List, Secrets left out, credentials redacted. */
export function dumpSnapshot(snap: Snapshot): string {
  const info: SnapshotInfo = {
    apiVersion: DUMP_API_VERSION,
    kind: 'SnapshotInfo',
    metadata: { name: 'snapshot' },
    now: snap.now,
    cluster: snap.cluster,
    kserve: {
      namespace: snap.kserve.namespace,
      namespaceSource: snap.kserve.namespaceSource,
      controllerVersion: snap.kserve.controllerVersion,
      ...(snap.kserve.configMapAbsence ? { configMapAbsence: snap.kserve.configMapAbsence } : {}),
    },
    targets: snap.targets,
    eventsGatheredAt: Object.fromEntries(snap.events.map((e) => [e.namespace, e.gatheredAt])),
    gaps: snap.gaps,
  };
  const objects: KObject[] = [
    ...snap.inferenceServices,
    ...snap.pods,
    ...snap.kserve.controllerPods,
    ...(snap.kserve.configMap ? [snap.kserve.configMap] : []),
    ...snap.replicaSets,
    ...snap.deployments,
    ...snap.revisions,
    ...snap.namespaces,
    ...snap.limitRanges,
    ...snap.resourceQuotas,
    ...snap.events.flatMap((e) => e.items),
    ...snap.nodes,
    ...snap.servingRuntimes,
  ].filter((o: KObject) => (o.kind as string) !== 'Secret');
  const logs = snap.logs.map((l) => ({
    apiVersion: DUMP_API_VERSION,
    kind: 'ContainerLog',
    metadata: { name: `${l.pod}.${l.container}${l.previous ? '.previous' : ''}`, namespace: l.namespace },
    pod: l.pod,
    container: l.container,
    previous: l.previous,
    ...(l.text !== undefined ? { text: redact(l.text) } : {}),
    ...(l.absence ? { absence: l.absence } : {}),
    ...(l.detail ? { detail: redact(l.detail) } : {}),
  }));
  const list = { apiVersion: 'v1', kind: 'List', metadata: {}, items: [info, ...objects.map(redactObject), ...logs] };
  return toYaml(list, { lineWidth: 0 });
}

export function writeDump(snap: Snapshot, file: string): void {
  try {
    writeFileSync(file, dumpSnapshot(snap), { mode: 0o600 });
  } catch (err) {
    throw new UsageError(`cannot write the dump to ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}; pick another --dump path`);
  }
}

// ---- reading ----------------------------------------------------------------------------------

const ObjectSchema = z.object({ kind: z.string(), metadata: z.object({ name: z.string() }).passthrough() }).passthrough();

/** Flattens Lists (typed lists drop their items' kind: "PodList" gives it back). */
export function flattenObjects(doc: unknown, source: string): KObject[] {
  if (doc === null || typeof doc !== 'object') return [];
  const d = doc as Record<string, unknown>;
  if (Array.isArray(d.items)) {
    const listKind = typeof d.kind === 'string' && d.kind.endsWith('List') && d.kind !== 'List' ? d.kind.slice(0, -4) : undefined;
    const listApi = typeof d.apiVersion === 'string' ? d.apiVersion : 'v1';
    return d.items.flatMap((it) => {
      if (it && typeof it === 'object' && listKind && !(it as Record<string, unknown>).kind) return flattenObjects({ apiVersion: listApi, kind: listKind, ...it }, source);
      return flattenObjects(it, source);
    });
  }
  const parsed = ObjectSchema.safeParse(d);
  if (!parsed.success) return [];
  return [{ apiVersion: typeof d.apiVersion === 'string' ? d.apiVersion : 'v1', ...(parsed.data as object) } as KObject];
}

function parseText(text: string, source: string): unknown[] {
  const trimmed = text.trimStart();
  if (trimmed.startsWith('{') || trimmed.startsWith('[')) {
    try {
      const j = JSON.parse(text) as unknown;
      return Array.isArray(j) ? j : [j];
    } catch {
      // fall through to YAML, which reads JSON too and reports positions
    }
  }
  const docs = parseAllDocuments(text);
  const list = Array.isArray(docs) ? docs : [docs];
  const out: unknown[] = [];
  for (const doc of list) {
    if (doc.errors.length > 0) throw new UsageError(`cannot parse ${source}: ${doc.errors[0]!.message.split('\n')[0]}; pass a YAML or JSON file, or a dump directory`);
    out.push(doc.toJS());
  }
  return out;
}

const LOG_BLOCK = /^==== START logs for container (\S+) of pod ([^/\s]+)\/(\S+) ====\n([\s\S]*?)^==== END logs for container \1 of pod \2\/\3 ====$/gm;

/** `kubectl cluster-info dump` puts each pod's container logs into <ns>/<pod>/logs.txt between markers. */
export function parseClusterInfoLogs(text: string, tail: number): ContainerLog[] {
  const out: ContainerLog[] = [];
  for (const m of text.matchAll(LOG_BLOCK)) {
    const lines = m[4]!.replace(/\n$/, '').split('\n');
    out.push({ namespace: m[2]!, pod: m[3]!, container: m[1]!, previous: false, text: lines.slice(-tail).join('\n') + '\n' });
  }
  return out;
}

// must-gather keeps logs at namespaces/<ns>/pods/<pod>/<container>/<container>/logs/{current,previous}.log
const MUST_GATHER_LOG = /(?:^|\/)namespaces\/([^/]+)\/pods\/([^/]+)\/([^/]+)\/(?:\3\/)?logs\/(current|previous)\.log$/;

export function mustGatherLog(relativePath: string, read: () => string, tail: number): ContainerLog | undefined {
  const m = MUST_GATHER_LOG.exec(relativePath.split(path.sep).join('/'));
  if (!m) return undefined;
  const lines = read().replace(/\n$/, '').split('\n');
  return { namespace: m[1]!, pod: m[2]!, container: m[3]!, previous: m[4] === 'previous', text: `${lines.slice(-tail).join('\n')}\n` };
}

interface Loaded {
  objects: KObject[];
  logs: ContainerLog[];
}

function walk(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...walk(p));
    else if (e.isFile()) out.push(p);
  }
  return out.sort();
}

function loadPath(p: string, readStdin: () => string, tail: number): Loaded {
  if (p === '-') return { objects: parseText(readStdin(), 'stdin').flatMap((d) => flattenObjects(d, 'stdin')), logs: [] };
  let st;
  try {
    st = statSync(p);
  } catch {
    throw new UsageError(`--from-file ${p} does not exist: check the path`);
  }
  if (!st.isDirectory()) {
    let text: string;
    try {
      text = readFileSync(p, 'utf8');
    } catch (err) {
      throw new UsageError(`cannot read --from-file ${p}: ${(err as NodeJS.ErrnoException).code}; check its permissions`);
    }
    return { objects: parseText(text, p).flatMap((d) => flattenObjects(d, p)), logs: [] };
  }
  const loaded: Loaded = { objects: [], logs: [] };
  for (const f of walk(p)) {
    if (/\.(json|ya?ml)$/i.test(f)) {
      loaded.objects.push(...parseText(readFileSync(f, 'utf8'), f).flatMap((d) => flattenObjects(d, f)));
    } else if (path.basename(f) === 'logs.txt') {
      loaded.logs.push(...parseClusterInfoLogs(readFileSync(f, 'utf8'), tail));
    } else {
      const log = mustGatherLog(path.relative(p, f), () => readFileSync(f, 'utf8'), tail);
      if (log) loaded.logs.push(log);
    }
  }
  return loaded;
}

export interface OfflineTarget {
  /** -n, when given; otherwise the namespace of the one InferenceService of that name in the input. */
  namespace?: string;
  name: string;
  pod?: string;
}

export interface OfflineOptions {
  kserveNamespace?: string;
  kserveVersion?: string;
  logTail?: number;
  readStdin?: () => string;
}

const PluginLogSchema = z.object({
  pod: z.string(),
  container: z.string(),
  previous: z.boolean(),
  text: z.string().optional(),
  absence: z.enum(['offline', 'forbidden', 'not-found', 'no-previous', 'not-started', 'error']).optional(),
  detail: z.string().optional(),
});

function notInInput(resource: string, namespace: string, name: string, get: string): Snapshot['gaps'][number] {
  const kind = resource === 'inferenceservices' ? 'InferenceService' : 'ConfigMap';
  return { verb: 'get', resource, namespace, name, status: null, message: `${kind} ${namespace}/${name} is not in the input (kubectl cluster-info dump leaves it out): add the output of \`${get}\` as another --from-file` };
}

/** Reads --from-file inputs into a Snapshot of one InferenceService. */
export function loadSnapshot(paths: string[], target: OfflineTarget, opts: OfflineOptions = {}): Snapshot {
  const tail = opts.logTail ?? 100;
  const readStdin = opts.readStdin ?? (() => readFileSync(0, 'utf8'));
  const objects: KObject[] = [];
  const logs: ContainerLog[] = [];
  for (const p of paths) {
    const l = loadPath(p, readStdin, tail);
    objects.push(...l.objects);
    logs.push(...l.logs);
  }
  if (objects.length === 0) throw new UsageError(`no Kubernetes objects found in ${paths.join(', ')}: pass a file written by inspect --dump, a YAML/JSON List, or a cluster-info dump directory`);

  const info = objects.find((o) => o.kind === 'SnapshotInfo' && o.apiVersion === DUMP_API_VERSION) as unknown as SnapshotInfo | undefined;
  const byKind = (kind: string) => objects.filter((o) => o.kind === kind);
  const isvcs = byKind('InferenceService').filter((o) => o.metadata.name === target.name);
  let namespace = target.namespace;
  if (!namespace) {
    const namespaces = [...new Set([...isvcs, ...byKind('Pod').filter((p) => p.metadata.labels?.[ISVC_LABEL] === target.name)].map((o) => o.metadata.namespace ?? ''))];
    if (namespaces.length > 1) throw new UsageError(`InferenceService "${target.name}" is in several namespaces of the input (${namespaces.join(', ')}): pick one with -n`);
    namespace = namespaces[0] || 'default';
  }
  const inNs = <T extends KObject>(o: T) => (o.metadata.namespace ?? '') === namespace;
  const isvc = isvcs.find(inNs);
  const podsOfIsvc = (byKind('Pod') as Pod[]).filter((p) => inNs(p) && p.metadata.labels?.[ISVC_LABEL] === target.name);
  if (!isvc && podsOfIsvc.length === 0) {
    const known = [...new Set(byKind('InferenceService').map((o) => `${o.metadata.namespace}/${o.metadata.name}`))];
    throw new UsageError(
      `InferenceService "${target.name}" not found in namespace "${namespace}" of the input` + (known.length ? `; it has: ${known.join(', ')}` : '; the input has no InferenceService objects'),
    );
  }

  const snap = emptySnapshot(info?.now ?? new Date().toISOString(), 'file');
  if (info) {
    snap.cluster = info.cluster;
    snap.gaps = info.gaps ?? [];
  }
  snap.targets.push({ kind: 'InferenceService', namespace, name: target.name, ...(target.pod ? { pod: target.pod } : {}) });
  if (isvc) snap.inferenceServices.push(isvc as Snapshot['inferenceServices'][number]);
  // kubectl cluster-info dump has pods but neither InferenceServices nor ConfigMaps: say what is
  // missing and how to add it, rather than judge the pods against no spec.
  else snap.gaps.push(notInInput('inferenceservices', namespace, target.name, `kubectl get inferenceservice ${target.name} -n ${namespace} -o yaml`));

  let pods = podsOfIsvc;
  if (target.pod) {
    pods = pods.filter((p) => p.metadata.name === target.pod);
    if (pods.length === 0) throw new UsageError(`pod "${target.pod}" of InferenceService "${target.name}" is not in the input; its pods there: ${podsOfIsvc.map((p) => p.metadata.name).join(', ') || 'none'}`);
  }
  snap.pods = pods;
  const labelled = <T extends KObject>(kind: string) => (byKind(kind) as T[]).filter((o) => inNs(o) && (o.metadata.labels?.[ISVC_LABEL] === target.name || o.metadata.name.startsWith(`${target.name}-`)));
  snap.replicaSets = labelled('ReplicaSet');
  snap.deployments = labelled('Deployment');
  snap.revisions = labelled('Revision');
  snap.namespaces = byKind('Namespace').filter((n) => n.metadata.name === namespace) as Snapshot['namespaces'];
  snap.limitRanges = byKind('LimitRange').filter(inNs) as Snapshot['limitRanges'];
  snap.resourceQuotas = byKind('ResourceQuota').filter(inNs) as Snapshot['resourceQuotas'];
  snap.servingRuntimes = objects.filter((o) => o.kind === 'ClusterServingRuntime' || (o.kind === 'ServingRuntime' && inNs(o))) as Snapshot['servingRuntimes'];
  const nodeNames = new Set(pods.map((p) => p.spec.nodeName));
  snap.nodes = byKind('Node').filter((n) => nodeNames.has(n.metadata.name)) as Snapshot['nodes'];

  const uids = new Set([isvc, ...pods, ...snap.replicaSets, ...snap.deployments, ...snap.revisions].map((o) => o?.metadata.uid ?? '').filter(Boolean));
  const events = relevantEvents((byKind('Event') as Event[]).filter(inNs), target.name, uids);
  // A dump made by the plugin says when events were listed; other inputs do not.
  snap.events.push({ namespace, gatheredAt: info?.eventsGatheredAt?.[namespace] ?? null, items: events });

  // KServe install.
  const controllerPods = (byKind('Pod') as Pod[]).filter((p) => {
    const [k, v] = CONTROLLER_LABEL.split('=');
    return p.metadata.labels?.[k!] === v;
  });
  const kserveNamespace = opts.kserveNamespace ?? info?.kserve.namespace ?? controllerNamespace(controllerPods) ?? DEFAULT_KSERVE_NAMESPACE;
  snap.kserve.namespace = kserveNamespace;
  snap.kserve.namespaceSource = opts.kserveNamespace ? 'flag' : (info?.kserve.namespaceSource ?? (controllerPods.length ? 'controller-pods' : 'default'));
  snap.kserve.controllerPods = controllerPods.filter((p) => (p.metadata.namespace ?? '') === kserveNamespace);
  const image = controllerImage(snap.kserve.controllerPods);
  snap.kserve.controllerVersion = opts.kserveVersion
    ? { version: opts.kserveVersion, source: 'flag', ...(image ? { image } : {}) }
    : (info?.kserve.controllerVersion ?? { version: versionFromImage(image), source: versionFromImage(image) ? 'image-tag' : 'unknown', ...(image ? { image } : {}) });
  const cm = byKind('ConfigMap').find((c) => c.metadata.name === CONFIG_MAP_NAME && (c.metadata.namespace ?? '') === kserveNamespace);
  snap.kserve.configMap = (cm as Snapshot['kserve']['configMap']) ?? null;
  if (cm) delete snap.kserve.configMapAbsence;
  else {
    snap.kserve.configMapAbsence = info?.kserve.configMapAbsence ?? 'not-in-input';
    // A dump of the plugin's own already carries why it has no ConfigMap among its gaps.
    if (!info) snap.gaps.push(notInInput('configmaps', kserveNamespace, CONFIG_MAP_NAME, `kubectl get configmap ${CONFIG_MAP_NAME} -n ${kserveNamespace} -o yaml`));
  }

  // Logs: the plugin's own items, then cluster-info logs; containers with none are "offline".
  const podNames = new Set(pods.map((p) => p.metadata.name));
  for (const o of byKind('ContainerLog')) {
    const l = PluginLogSchema.safeParse(o);
    if (l.success && podNames.has(l.data.pod) && inNs(o)) snap.logs.push({ namespace, ...l.data });
  }
  for (const l of logs) if (l.namespace === namespace && podNames.has(l.pod) && !snap.logs.some((x) => x.pod === l.pod && x.container === l.container && x.previous === l.previous)) snap.logs.push(l);
  for (const p of pods) {
    for (const c of logContainers(p)) {
      if (!snap.logs.some((l) => l.pod === p.metadata.name && l.container === c && !l.previous)) {
        snap.logs.push({ namespace, pod: p.metadata.name, container: c, previous: false, absence: 'offline', detail: 'not in the input' });
      }
    }
  }

  // In-pod probes need a live pod.
  for (const p of pods) {
    if (modelcarContainers(p.spec).length === 0) continue;
    for (const rc of runtimeContainers(p.spec)) {
      snap.execs.push({ namespace, pod: p.metadata.name, container: rc.name, outcome: 'skipped', reason: 'offline', detail: 'offline input: in-pod checks need a live pod' });
    }
  }
  return snap;
}
