// What every check group derives from a snapshot the same way: the parsed config, the
// controller version, each target's objects, events with their ages. Pure: computed from the
// snapshot alone, including "now".
import type { CheckId } from '../catalogue.ts';
import type { CheckResult, Status } from '../report.ts';
import type { Deployment, Event, InferenceService, Pod, ReplicaSet, Revision, Snapshot, TargetRef } from '../snapshot.ts';
import { effectiveOciMode, patchValue, readConfig, type OciMode, type StorageInitializerConfig } from '../kserve/config.ts';
import { parseQuantity } from '../kserve/quantity.ts';
import { belongsTo, imageOfUri, isNativeUri, modelcarContainers, ociSources, podsOfTarget, STORAGE_INITIALIZER, type ModelSource } from '../kserve/pod.ts';
import { parseVersion, type Version } from '../kserve/version.ts';

export interface EventView {
  object: string;
  reason: string;
  message: string;
  type: string;
  count: number;
  /** Last time it was seen, and how long before the snapshot. */
  at: string | null;
  ageSeconds: number | null;
  fieldPath?: string;
}

export interface TargetView {
  ref: TargetRef;
  object: string;
  isvc: InferenceService | undefined;
  /** oci:// sources with the mode they resolve to. */
  /** oci:// sources, the mode each resolves to and where that was read. */
  sources: Array<ModelSource & { mode: OciMode | ''; modeFrom: string; image: string }>;
  pods: Pod[];
  replicaSets: ReplicaSet[];
  deployments: Deployment[];
  revisions: Revision[];
  /** Admission refusals: FailedCreate events of its ReplicaSets/Deployments/Revisions and
   *  ReplicaFailure conditions. */
  refusals: EventView[];
  /** Why there are no pods, when there are none. */
  noPodsReason: string | null;
}

export interface Context {
  snapshot: Snapshot;
  now: number;
  configObject: string;
  config: ReturnType<typeof readConfig>;
  /** The parsed config when it parsed without problems. */
  validConfig: StorageInitializerConfig | null;
  version: Version | null;
  versionEvidence: { version: string | null; source: string; image?: string };
  targets: TargetView[];
}

/** The part of the context that event ages need. */
export type Clock = Pick<Context, 'snapshot' | 'now'>;

export function objectRef(kind: string, namespace: string | undefined, name: string): string {
  return namespace ? `${kind.toLowerCase()}/${namespace}/${name}` : `${kind.toLowerCase()}/${name}`;
}

export function podRef(pod: Pod): string {
  return objectRef('pod', pod.metadata.namespace, pod.metadata.name);
}

export function ageSeconds(ctx: Clock, iso: string | null | undefined): number | null {
  if (!iso) return null;
  const t = Date.parse(iso);
  return Number.isNaN(t) ? null : Math.round((ctx.now - t) / 1000);
}

function eventView(now: number, e: Event): EventView {
  const at = e.lastTimestamp ?? e.eventTime ?? e.firstTimestamp ?? e.metadata.creationTimestamp ?? null;
  const t = at ? Date.parse(at) : NaN;
  return {
    object: objectRef(e.involvedObject.kind ?? 'object', e.involvedObject.namespace, e.involvedObject.name ?? '?'),
    reason: e.reason ?? '',
    message: e.message ?? '',
    type: e.type ?? '',
    count: e.count ?? 1,
    at,
    ageSeconds: Number.isNaN(t) ? null : Math.round((now - t) / 1000),
    ...(e.involvedObject.fieldPath ? { fieldPath: e.involvedObject.fieldPath } : {}),
  };
}

/** Events about one object; `gathered` false when events of its namespace were not listed. */
export function eventsOf(ctx: Clock, kind: string, namespace: string | undefined, name: string): { gathered: boolean; gatheredAt: string | null; items: EventView[] } {
  const list = ctx.snapshot.events.find((l) => l.namespace === namespace);
  if (!list) return { gathered: false, gatheredAt: null, items: [] };
  const items = list.items
    .filter((e) => e.involvedObject.kind === kind && e.involvedObject.name === name && (e.involvedObject.namespace ?? e.metadata.namespace) === namespace)
    .map((e) => eventView(ctx.now, e));
  return { gathered: true, gatheredAt: list.gatheredAt, items };
}

/** Why a check that reads events found none: never a pass. */
export function noEventsReason(ctx: Context, pod: Pod): string {
  const ev = eventsOf(ctx, 'Pod', pod.metadata.namespace, pod.metadata.name);
  if (!ev.gathered) return ctx.snapshot.source === 'file' ? 'no events in the input' : 'events were not gathered';
  const age = ageSeconds(ctx, pod.metadata.creationTimestamp);
  return age !== null && age > 3600
    ? `no events left (the pod is ${Math.round(age / 60)} min old; events expire after about an hour)`
    : 'no events recorded for the pod';
}

export function containerStatus(pod: Pod, name: string, init = false) {
  return (init ? pod.status?.initContainerStatuses : pod.status?.containerStatuses)?.find((s) => s.name === name);
}

export function logOf(ctx: Context, pod: Pod, container: string, previous: boolean) {
  return ctx.snapshot.logs.find((l) => l.pod === pod.metadata.name && l.namespace === pod.metadata.namespace && l.container === container && l.previous === previous);
}

/** The first log line matching `re` in the current or previous log, with where it came from. */
export function findLogLine(ctx: Context, pod: Pod, container: string, re: RegExp): { line: string; log: string } | null {
  for (const previous of [false, true]) {
    const text = logOf(ctx, pod, container, previous)?.text;
    const line = text?.split('\n').find((l) => re.test(l));
    if (line !== undefined) return { line, log: `kubectl logs ${pod.metadata.name} -c ${container}${previous ? ' --previous' : ''}` };
  }
  return null;
}

/** The values most hints need about a target: `{{namespace}}`, `{{isvc}}`. */
export function targetEvidence(t: TargetView) {
  return { namespace: t.ref.namespace, isvc: t.ref.name };
}

/** ... and about one of its pods: `{{pod}}`. */
export function podEvidence(t: TargetView, pod: Pod) {
  return { namespace: pod.metadata.namespace, pod: pod.metadata.name, isvc: t.ref.name };
}

export function result(id: CheckId, status: Status, object: string, message: string, evidence: Record<string, unknown> = {}, container?: string): CheckResult {
  return container ? { id, status, object, container, message, evidence } : { id, status, object, message, evidence };
}

export function skip(id: CheckId, object: string, reason: string, evidence: Record<string, unknown> = {}, container?: string): CheckResult {
  return result(id, 'skip', object, `skipped: ${reason}`, { reason, ...evidence }, container);
}

function targetView(ctx: Omit<Context, 'targets'>, ref: TargetRef): TargetView {
  const s = ctx.snapshot;
  const isvc = s.inferenceServices.find((i) => i.metadata.namespace === ref.namespace && i.metadata.name === ref.name);
  const pods = podsOfTarget(s.pods, ref);
  // The mode of bare oci:// comes from the config; when it cannot be read, from what the pods
  // got, else KServe's default since v0.15.2 (modelcar). Evidence says which.
  const [mode, modeFrom]: [OciMode | '', string] = ctx.validConfig
    ? [effectiveOciMode(ctx.validConfig, ctx.version), 'storageInitializer']
    : pods.some((p) => modelcarContainers(p.spec).length > 0)
      ? ['modelcar', 'the pods (the config is unreadable)']
      : pods.some((p) => p.spec.initContainers?.some((c) => c.name === STORAGE_INITIALIZER && c.args?.some((a) => a.startsWith('oci://'))))
        ? ['', 'the pods (the config is unreadable)']
        : ['modelcar', 'assumed: KServe default since v0.15.2 (the config is unreadable, no pod shows it)'];
  const sources = (isvc ? ociSources(isvc) : []).map((src) => ({
    ...src,
    mode: isNativeUri(src.uri) ? ('native' as const) : src.uri.startsWith('oci://') ? mode : ('modelcar' as const),
    modeFrom: isNativeUri(src.uri) || !src.uri.startsWith('oci://') ? 'the URI scheme' : modeFrom,
    image: imageOfUri(src.uri),
  }));
  const replicaSets = s.replicaSets.filter((r) => belongsTo(r, ref));
  const deployments = s.deployments.filter((d) => belongsTo(d, ref));
  const revisions = s.revisions.filter((r) => belongsTo(r, ref));
  const refusals: EventView[] = [
    ...[...replicaSets, ...deployments, ...revisions].flatMap((o) =>
      eventsOf(ctx, o.kind, o.metadata.namespace, o.metadata.name).items.filter((e) => e.reason === 'FailedCreate'),
    ),
    // Knative reports pods it could not create on the Revision (ResourcesAvailable/Ready False).
    ...revisions.flatMap((r) =>
      (r.status?.conditions ?? [])
        .filter((c) => c.status === 'False' && /forbidden|Error creating|failed calling webhook/i.test(c.message ?? ''))
        .map((c) => ({
          object: objectRef('revision', r.metadata.namespace, r.metadata.name),
          reason: c.reason ?? c.type,
          message: c.message ?? '',
          type: 'Condition',
          count: 1,
          at: c.lastTransitionTime ?? null,
          ageSeconds: ageSeconds(ctx, c.lastTransitionTime),
          fieldPath: `status.conditions[${c.type}]`,
        })),
    ),
    ...deployments.flatMap((d) =>
      (d.status?.conditions ?? [])
        .filter((c) => c.type === 'ReplicaFailure' && c.status === 'True')
        .map((c) => ({
          object: objectRef('deployment', d.metadata.namespace, d.metadata.name),
          reason: c.reason ?? 'ReplicaFailure',
          message: c.message ?? '',
          type: 'Condition',
          count: 1,
          at: c.lastUpdateTime ?? c.lastTransitionTime ?? null,
          ageSeconds: ageSeconds(ctx, c.lastUpdateTime ?? c.lastTransitionTime),
          fieldPath: 'status.conditions[ReplicaFailure]',
        })),
    ),
  ];
  let noPodsReason: string | null = null;
  if (pods.length === 0) {
    const min = isvc?.spec.predictor.minReplicas;
    // KServe names the mode Knative since v0.16 (Serverless before, still accepted as LegacyServerless).
    const knativeMode = (m: string | undefined) => m === 'Knative' || m === 'Serverless';
    const knative = revisions.length > 0 || knativeMode(isvc?.status?.deploymentMode) || knativeMode(isvc?.metadata.annotations?.['serving.kserve.io/deploymentMode']);
    if (ref.pod) noPodsReason = `pod ${ref.pod} not found`;
    else if (refusals.length > 0) noPodsReason = `no pods: admission refused them (${refusals[0]!.object}: ${refusals[0]!.message})`;
    else if (knative && (min === 0 || revisions.some((r) => r.status?.actualReplicas === 0))) noPodsReason = 'no pods: scaled to zero (Knative, minReplicas 0); KServe injects the modelcar at pod admission, so there is no pod spec to check until it scales up';
    else noPodsReason = 'no pods';
  }
  return { ref, object: objectRef('inferenceservice', ref.namespace, ref.name), isvc, sources, pods, replicaSets, deployments, revisions, refusals, noPodsReason };
}

export function buildContext(snapshot: Snapshot): Context {
  const config = readConfig(snapshot.kserve.configMap);
  const v = snapshot.kserve.controllerVersion;
  const base = {
    snapshot,
    now: Date.parse(snapshot.now),
    configObject: objectRef('configmap', snapshot.kserve.namespace, 'inferenceservice-config'),
    config,
    validConfig: config.present && config.ok ? config.config : null,
    version: parseVersion(v.version),
    versionEvidence: { version: v.version, source: v.source, ...(v.image ? { image: v.image } : {}) },
  };
  return { ...base, targets: snapshot.targets.map((t) => targetView(base, t)) };
}

/** Pods of a target that got a modelcar-mode oci:// source. */
/** Why a check that needs the InferenceService's OCI sources has none: `reason`, or, when the
 *  InferenceService itself is missing (offline input without it), that. */
export function noSourceReason(t: TargetView, reason: string): string {
  return t.isvc ? reason : `InferenceService ${t.ref.namespace}/${t.ref.name} is not in the input, so its OCI sources are unknown`;
}

export function usesModelcar(t: TargetView): boolean {
  return t.sources.some((s) => s.mode === 'modelcar' || s.mode === 'fetch');
}

export function usesNative(t: TargetView): boolean {
  return t.sources.some((s) => s.mode === 'native');
}

/** Registry host of an image reference ("docker.io" when none is named). */
export function registryOf(image: string): string {
  const first = image.split('/')[0]!;
  return image.includes('/') && (first.includes('.') || first.includes(':') || first === 'localhost') ? first : 'docker.io';
}

/** Repository of an image reference without tag or digest. */
export function repositoryOf(image: string): string {
  const noDigest = image.split('@')[0]!;
  const slash = noDigest.lastIndexOf('/');
  const colon = noDigest.lastIndexOf(':');
  return colon > slash ? noDigest.slice(0, colon) : noDigest;
}

/** The tag of an image reference; '' when none, null when pinned by digest. */
export function tagOf(image: string): string | null {
  if (image.includes('@')) return null;
  const slash = image.lastIndexOf('/');
  const colon = image.lastIndexOf(':');
  return colon > slash ? image.slice(colon + 1) : '';
}

/** `{{kserveNamespace}}` and, with a readable config, the JSON-patch value applying `changes`. */
export function patchEvidence(ctx: Context, changes: Record<string, unknown>): Record<string, unknown> {
  const raw = ctx.config.present && ctx.config.config ? ctx.config.config.raw : null;
  return { kserveNamespace: ctx.snapshot.kserve.namespace, ...(raw ? { patchValue: patchValue(raw, changes) } : {}) };
}

/** A memoryModelcar to suggest when the current one is too small: twice it, at least 32Mi. */
export function suggestedModelcarMemory(limit: string | number | null): string {
  const bytes = limit !== null ? parseQuantity(limit) : null;
  return `${Math.max(32, Math.ceil((2 * (bytes ?? 15 * 2 ** 20)) / 2 ** 20))}Mi`;
}
