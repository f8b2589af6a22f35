// What KServe's pod webhook makes of an oci:// pod (pkg/utils/storage.go ConfigureModelcarToContainer,
// CreateModelcarContainer, CreateModelcarInitContainer), read back from a pod spec.
import type { Container, InferenceService, ObjectMeta, Pod, PodSpec, ServingRuntime, TargetRef } from '../snapshot.ts';
import { atLeast, SINCE, type Version } from './version.ts';

export const ISVC_LABEL = 'serving.kserve.io/inferenceservice';
export const SOURCE_URI_ANNOTATION = 'internal.serving.kserve.io/storage-initializer-sourceuri';
export const PROVISION_VOLUME = 'kserve-provision-location';
export const DEFAULT_MODEL_PATH = '/mnt/models';
export const RUNTIME_CONTAINER = 'kserve-container';
export const WORKER_CONTAINER = 'worker-container';
export const TRANSFORMER_CONTAINER = 'transformer-container';
export const STORAGE_INITIALIZER = 'storage-initializer';

/** Whether a pod, ReplicaSet, Deployment or Revision belongs to the InferenceService: its
 *  `serving.kserve.io/inferenceservice` label, else a `<isvc>-` name prefix. */
export function belongsTo(obj: { metadata: ObjectMeta }, t: Pick<TargetRef, 'namespace' | 'name'>): boolean {
  if (obj.metadata.namespace !== t.namespace) return false;
  const label = obj.metadata.labels?.[ISVC_LABEL];
  return label !== undefined ? label === t.name : obj.metadata.name.startsWith(`${t.name}-`);
}

/** The target's pods (all components), or only `--pod` when it names one. */
export function podsOfTarget(pods: readonly Pod[], t: TargetRef): Pod[] {
  return pods.filter((p) => belongsTo(p, t) && (!t.pod || p.metadata.name === t.pod));
}

export function isOciUri(uri: string | undefined): boolean {
  return !!uri && /^oci(\+[a-z]+)?:\/\//.test(uri);
}

export function isNativeUri(uri: string): boolean {
  return uri.startsWith('oci+native://');
}

/** The image reference of an OCI URI ("oci://repo/img:1.0" -> "repo/img:1.0"). */
export function imageOfUri(uri: string): string {
  return uri.replace(/^oci(\+[a-z]+)?:\/\//, '');
}

export interface ModelSource {
  component: string;
  uri: string;
  /** Only `storageUris` entries carry one. */
  mountPath?: string;
  field: string;
}

/** Every storage URI of the InferenceService, with the field it came from. */
export function modelSources(isvc: InferenceService): ModelSource[] {
  const out: ModelSource[] = [];
  for (const component of ['predictor', 'transformer', 'explainer'] as const) {
    const spec = isvc.spec[component];
    if (!spec) continue;
    const at = `spec.${component}`;
    if (spec.model?.storageUri) out.push({ component, uri: spec.model.storageUri, field: `${at}.model.storageUri` });
    if (spec.storageUri) out.push({ component, uri: spec.storageUri, field: `${at}.storageUri` });
    for (const [i, s] of (spec.model?.storageUris ?? []).entries()) out.push({ component, uri: s.uri, mountPath: s.mountPath, field: `${at}.model.storageUris[${i}]` });
    for (const [i, s] of (spec.storageUris ?? []).entries()) out.push({ component, uri: s.uri, mountPath: s.mountPath, field: `${at}.storageUris[${i}]` });
    for (const c of spec.containers ?? []) {
      const env = c.env?.find((e) => e.name === 'STORAGE_URI');
      if (env?.value) out.push({ component, uri: env.value, field: `${at}.containers[${c.name}].env.STORAGE_URI` });
    }
  }
  return out;
}

export function ociSources(isvc: InferenceService): ModelSource[] {
  return modelSources(isvc).filter((s) => isOciUri(s.uri));
}

// ---- containers ----------------------------------------------------------------------------

export interface ModelcarContainer {
  /** 0 for `modelcar`, N for `modelcar-N`. */
  index: number;
  container: Container;
  /** `modelcar-init[-N]` of the same index, if any. */
  init: Container | undefined;
  /** The symlink the modelcar makes, from its args; null when the args have another shape. */
  modelPath: string | null;
  /** `ln -sf` (v0.15+) or `ln -s`; null when the args do not say. */
  lnForce: boolean | null;
  /** The volume mounted at the model path's parent (kserve-provision-location[-N]). */
  volume: string;
}

const MODELCAR_NAME = /^modelcar(?:-(\d+))?$/;

function initName(index: number): string {
  return index === 0 ? 'modelcar-init' : `modelcar-init-${index}`;
}

/** Reads the link command: `[mkdir -p <dir> && ]ln -s[f] /proc/$$$$/root/models <path> && sleep infinity`
 *  (the path is shell-quoted by v0.20 when needed). */
export function parseLinkCommand(script: string): { modelPath: string; lnForce: boolean } | null {
  const m = /\bln (-sf|-s|-fs)\s+\/proc\/\$+\/root\/models\/?\s+('(?:[^']|'\\'')*'|[^\s&;]+)/.exec(script);
  if (!m) return null;
  let path = m[2]!;
  if (path.startsWith("'")) path = path.slice(1, -1).replaceAll("'\\''", "'");
  return { modelPath: path.replace(/\/$/, ''), lnForce: m[1] !== '-s' };
}

export function modelcarContainers(spec: PodSpec): ModelcarContainer[] {
  const out: ModelcarContainer[] = [];
  for (const c of spec.containers) {
    const m = MODELCAR_NAME.exec(c.name);
    if (!m) continue;
    const index = m[1] ? Number(m[1]) : 0;
    const script = [...(c.command ?? []), ...(c.args ?? [])].join(' ');
    const link = parseLinkCommand(script);
    out.push({
      index,
      container: c,
      init: spec.initContainers?.find((i) => i.name === initName(index)),
      modelPath: link?.modelPath ?? null,
      lnForce: link?.lnForce ?? null,
      volume: index === 0 ? PROVISION_VOLUME : `${PROVISION_VOLUME}-${index}`,
    });
  }
  return out;
}

export function modelcarInitContainers(spec: PodSpec): Container[] {
  return (spec.initContainers ?? []).filter((c) => /^modelcar-init(?:-\d+)?$/.test(c.name));
}

/** The containers that read the model: kserve-container (else worker-container), and
 *  transformer-container when present. */
export function runtimeContainers(spec: PodSpec): Container[] {
  const main = spec.containers.find((c) => c.name === RUNTIME_CONTAINER) ?? spec.containers.find((c) => c.name === WORKER_CONTAINER);
  const transformer = spec.containers.find((c) => c.name === TRANSFORMER_CONTAINER);
  return [main, transformer].filter((c): c is Container => c !== undefined);
}

export function mainRuntimeContainer(spec: PodSpec): Container | undefined {
  return runtimeContainers(spec)[0];
}

/** The directory a modelcar's link lives in: the parent of the model path. */
export function parentDir(path: string): string {
  const i = path.replace(/\/$/, '').lastIndexOf('/');
  return i <= 0 ? '/' : path.slice(0, i);
}

// ---- users ---------------------------------------------------------------------------------

export interface EffectiveId {
  value: number | null;
  /** Where the value came from; 'image' means unknown from the spec (the image's USER). */
  source: 'container' | 'pod' | 'image';
  field?: string;
}

/** The UID and GID a container runs with, as far as the spec says: container securityContext,
 *  else pod securityContext, else the image's user (unknown without looking inside). */
export function effectiveIds(spec: PodSpec, container: Container, kind: 'containers' | 'initContainers' = 'containers'): { uid: EffectiveId; gid: EffectiveId } {
  const pick = (key: 'runAsUser' | 'runAsGroup'): EffectiveId => {
    const c = container.securityContext?.[key];
    if (typeof c === 'number') return { value: c, source: 'container', field: `spec.${kind}[${container.name}].securityContext.${key}` };
    const p = spec.securityContext?.[key];
    if (typeof p === 'number') return { value: p, source: 'pod', field: `spec.securityContext.${key}` };
    return { value: null, source: 'image' };
  };
  return { uid: pick('runAsUser'), gid: pick('runAsGroup') };
}

// ---- version behaviours --------------------------------------------------------------------

export type BehaviourSource = 'pod-spec' | 'version' | 'unknown';

export interface Behaviours {
  lnForce: { value: boolean | null; source: BehaviourSource };
  modelcarInit: { value: boolean | null; source: BehaviourSource };
  /** The runtime's securityContext was replaced by {runAsUser} (#5166). */
  securityContextReplaced: { value: boolean | null; source: BehaviourSource; lost?: string[] };
}

/** The runtime container of the ServingRuntime the InferenceService uses (spec.predictor.model.runtime,
 *  else the one runtime that lists its model format), to see what admission changed. */
export function servingRuntimeContainer(isvc: InferenceService | undefined, runtimes: readonly ServingRuntime[]): Container | undefined {
  const model = isvc?.spec.predictor.model;
  if (!model) return undefined;
  const visible = runtimes.filter((r) => r.kind === 'ClusterServingRuntime' || r.metadata.namespace === isvc?.metadata.namespace);
  const named = model.runtime ? visible.filter((r) => r.metadata.name === model.runtime) : [];
  // KServe auto-selects among runtimes whose format entry has autoSelect, highest priority first.
  type Format = { name?: string; autoSelect?: boolean; priority?: number };
  const entryOf = (r: ServingRuntime) => (r.spec?.supportedModelFormats as Format[] | undefined)?.find((f) => f.name === model.modelFormat?.name && f.autoSelect);
  const byFormat = visible.filter((r) => entryOf(r)).sort((a, b) => (entryOf(b)!.priority ?? 0) - (entryOf(a)!.priority ?? 0));
  const unique = byFormat.length === 1 || (byFormat.length > 1 && (entryOf(byFormat[0]!)!.priority ?? 0) > (entryOf(byFormat[1]!)!.priority ?? 0));
  const rt = named[0] ?? (unique ? byFormat[0] : undefined);
  return rt?.spec?.containers?.find((c) => c.name === RUNTIME_CONTAINER) ?? rt?.spec?.containers?.[0];
}

/** Version-dependent behaviour, read from the pod spec where it shows and from the controller
 *  version only where it does not; each answer says which it used. */
export function behaviours(
  pod: Pod,
  isvc: InferenceService | undefined,
  version: Version | null,
  uidModelcar: number | null,
  runtimes: readonly ServingRuntime[],
): Behaviours {
  const mc = modelcarContainers(pod.spec)[0];
  const lnForce: Behaviours['lnForce'] =
    mc?.lnForce != null ? { value: mc.lnForce, source: 'pod-spec' } : version ? { value: atLeast(version, SINCE.lnForce), source: 'version' } : { value: null, source: 'unknown' };
  const modelcarInit: Behaviours['modelcarInit'] = mc
    ? { value: mc.init !== undefined, source: 'pod-spec' }
    : version ? { value: atLeast(version, SINCE.modelcarInit), source: 'version' } : { value: null, source: 'unknown' };

  let securityContextReplaced: Behaviours['securityContextReplaced'] = { value: null, source: 'unknown' };
  const runtime = mainRuntimeContainer(pod.spec);
  const declaredIn = servingRuntimeContainer(isvc, runtimes);
  const injectedUid = mc?.container.securityContext?.runAsUser;
  if (mc && runtime && injectedUid === undefined) {
    // No uidModelcar at admission: KServe left the runtime's securityContext alone.
    securityContextReplaced = { value: false, source: 'pod-spec' };
  } else if (mc && runtime && declaredIn) {
    // The replacement leaves exactly {runAsUser: uidModelcar}; whatever else the runtime declared is gone.
    const sc = runtime.securityContext ?? {};
    const onlyUid = Object.keys(sc).length === 1 && sc.runAsUser === injectedUid;
    const lost = onlyUid ? Object.keys(declaredIn.securityContext ?? {}).filter((k) => k !== 'runAsUser') : [];
    securityContextReplaced = { value: lost.length > 0, source: 'pod-spec', lost };
  } else if (version && uidModelcar !== null) {
    securityContextReplaced = { value: !atLeast(version, SINCE.securityContextMerged), source: 'version' };
  }
  return { lnForce, modelcarInit, securityContextReplaced };
}
