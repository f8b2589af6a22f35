// KServe's InferenceService controller (pkg/controller/v1beta1/inferenceservice/controller.go and
// components/, reconcilers/), per release: an InferenceService becomes a Knative Service (the lab's
// KnativeServing stand-in makes its Deployment) or, in Standard mode, a Deployment and a Service; the
// status follows them and their pods as KServe reports it, blind spots included: PropagateModelStatus
// only looks at storage-initializer and kserve-container, never at modelcar or modelcar-init.
import { isPodReady, controllerRef } from '../controllers/pod-state.ts';
import { nsKey, splitKey, WorkQueue } from '../controllers/queue.ts';
import { nowTimestamp } from '../apiserver/names.ts';
import type { KObject, LabStore } from '../types.ts';
import { ConditionSet, type Condition, type ConditionStatus } from './conditions.ts';
import { parseStorageInitializerConfig } from './config.ts';
import { CONFIG_MAP_NAME } from './install.ts';
import { readDeployConfig } from './isvc-defaulter.ts';
import { KnativeServing, type KnativeServiceStatus, type TrafficTarget } from './knative.ts';
import { KSERVE_CONTAINER, STORAGE_INITIALIZER, type Container, type PodSpec } from './pod-spec.ts';
import { InvalidSpecError, predictorPod, type PredictorPod } from './runtime.ts';
import { commonStorageInitialization } from './storage.ts';
import { kserveBehaviour, type KServeBehaviour } from './versions.ts';
import { controllerNamespace, INFERENCE_SERVICE_LABEL, SOURCE_URI_ANNOTATION } from './webhook.ts';

const ISVC = 'inferenceservices.serving.kserve.io';
const DEPLOYMENTS = 'deployments.apps';
const SOURCE = { component: 'v1beta1Controllers' };

export interface KServeControllerOptions {
  version: string;
  /** The lab's default when neither the annotation nor the `deploy` config says (the shipped config says Serverless). */
  deploymentMode?: 'Knative' | 'Standard';
  /** Divides Knative's waits (scale to zero after 90 s, progress deadline 600 s), as the lab's --time-scale does. */
  timeScale?: number;
}

type Mode = 'Knative' | 'Standard';
type ComponentName = 'predictor' | 'transformer';

interface ComponentStatus {
  latestReadyRevision?: string;
  latestCreatedRevision?: string;
  previousRolledoutRevision?: string;
  latestRolledoutRevision?: string;
  traffic?: TrafficTarget[];
  url?: string;
  address?: { url: string };
}

interface FailureInfo {
  reason: string;
  message?: string;
  exitCode?: number;
}

interface ModelStatus {
  transitionStatus: string;
  states?: { activeModelState: string; targetModelState?: string };
  lastFailureInfo?: FailureInfo;
  copies?: { failedCopies: number; totalCopies?: number };
}

interface IsvcStatus {
  observedGeneration?: number;
  conditions?: Condition[];
  address?: { url: string };
  url?: string;
  components?: Partial<Record<ComponentName, ComponentStatus>>;
  modelStatus?: ModelStatus;
  deploymentMode?: string;
  servingRuntimeName?: string;
  clusterServingRuntimeName?: string;
}

const READY_CONDITION: Record<ComponentName, string> = { predictor: 'PredictorReady', transformer: 'TransformerReady' };
const ROUTE_CONDITION: Record<ComponentName, string> = { predictor: 'PredictorRouteReady', transformer: 'TransformerRouteReady' };
const CONFIGURATION_CONDITION: Record<ComponentName, string> = { predictor: 'PredictorConfigurationReady', transformer: 'TransformerConfigurationReady' };

export function startKServeController(store: LabStore, opts: KServeControllerOptions): () => void {
  const b = kserveBehaviour(opts.version);
  const timeScale = opts.timeScale ?? 1;
  const knative = new KnativeServing(store, { scaleToZeroAfterMs: 90_000 / timeScale, progressDeadlineMs: 600_000 / timeScale });
  const standardTemplates = new Map<string, string>();
  const rechecks = new Map<string, { at: number; timer: NodeJS.Timeout }>();
  // WorkQueue.addAfter keeps the first timer per key; Knative's scale-to-zero needs the earliest one.
  const recheck = (key: string, ms: number) => {
    const at = Date.now() + ms;
    const existing = rechecks.get(key);
    if (existing && existing.at <= at) return;
    if (existing) clearTimeout(existing.timer);
    rechecks.set(key, { at, timer: setTimeout(() => { rechecks.delete(key); queue.add(key); }, ms) });
  };
  // Reconcile errors are retried every 500 ms by the queue; each distinct one is logged once.
  const logged = new Set<string>();
  const queue: WorkQueue = new WorkQueue(
    (key) => reconcile(store, key, { opts, b, knative, recheck, standardTemplates }),
    (key, err) => {
      const line = `kserve-controller: ${key}: ${err instanceof Error ? err.message : String(err)}`;
      if (!logged.has(line)) console.error(line);
      logged.add(line);
    },
  );
  const enqueueOwner = (obj: KObject) => {
    const isvc = obj.metadata.labels?.[INFERENCE_SERVICE_LABEL];
    if (isvc) queue.add(nsKey(obj.metadata.namespace, isvc));
  };
  const stops = [
    store.watch(ISVC, undefined, (ev) => {
      if (ev.type === 'DELETED') {
        for (const component of ['predictor', 'transformer']) knative.forget(ev.object.metadata.namespace!, `${ev.object.metadata.name}-${component}`);
      }
      else queue.add(nsKey(ev.object.metadata.namespace, ev.object.metadata.name!));
    }),
    store.watch('pods', undefined, (ev) => enqueueOwner(ev.object)),
    store.watch(DEPLOYMENTS, undefined, (ev) => enqueueOwner(ev.object)),
  ];
  for (const isvc of store.list(ISVC)) queue.add(nsKey(isvc.metadata.namespace, isvc.metadata.name!));
  return () => {
    queue.stop();
    for (const r of rechecks.values()) clearTimeout(r.timer);
    for (const stop of stops) stop();
  };
}

/** utils.GetDeploymentMode: since v0.15.2 the mode recorded in the status wins (a mode never
 *  changes after creation), then the annotation, then the `deploy` config (the lab's option first). */
function deploymentMode(isvc: KObject, configData: Record<string, string>, opts: KServeControllerOptions, b: KServeBehaviour): Mode {
  const normalize = (m: string): Mode => (m === 'RawDeployment' || m === 'Standard' ? 'Standard' : 'Knative');
  const recorded = (isvc.status as IsvcStatus | undefined)?.deploymentMode;
  if (b.statusRecordsDeploymentMode && recorded) return normalize(recorded);
  const annotation = isvc.metadata.annotations?.['serving.kserve.io/deploymentMode'];
  if (annotation && ['RawDeployment', 'Standard', 'Serverless', 'Knative'].includes(annotation)) return normalize(annotation);
  if (opts.deploymentMode) return opts.deploymentMode;
  // A malformed `deploy` throws: the real reconcile stops there too, and the status stays as it was.
  return normalize(readDeployConfig(configData, opts.version).defaultDeploymentMode ?? 'Serverless');
}

function modeName(mode: Mode, b: KServeBehaviour): string {
  if (b.deploymentModeNames === 'Knative/Standard') return mode;
  return mode === 'Knative' ? 'Serverless' : 'RawDeployment';
}

interface ControllerContext {
  opts: KServeControllerOptions;
  b: KServeBehaviour;
  knative: KnativeServing;
  recheck: (key: string, ms: number) => void;
  /** Standard-mode Deployment specs as last sent, to notice InferenceService changes. */
  standardTemplates: Map<string, string>;
}

async function reconcile(store: LabStore, key: string, ctx: ControllerContext): Promise<void> {
  const { opts, b, knative, recheck, standardTemplates } = ctx;
  const [ns, name] = splitKey(key);
  const isvc = store.get(ISVC, ns, name);
  if (!isvc || isvc.metadata.deletionTimestamp) return;
  const configMap = store.get('configmaps', controllerNamespace(store), CONFIG_MAP_NAME) as { data?: Record<string, string> } | undefined;
  const configData = configMap?.data ?? {};
  const mode = deploymentMode(isvc, configData, opts, b);
  const status = structuredClone((isvc.status ?? {}) as IsvcStatus);
  const conditions = new ConditionSet(status.conditions, ['PredictorReady', 'IngressReady'], nowTimestamp);
  conditions.initialize();
  const finish = async () => {
    status.conditions = conditions.conditions;
    status.deploymentMode = modeName(mode, b);
    await writeStatus(store, isvc, status, b);
  };

  let predictor: PredictorPod;
  try {
    predictor = predictorPod(store, isvc);
  } catch (err) {
    if (!(err instanceof InvalidSpecError)) throw err;
    // UpdateModelTransitionStatus(InvalidSpec, failure), the InternalError event, then the status update.
    status.modelStatus = { ...(status.modelStatus ?? { transitionStatus: '' }), transitionStatus: 'InvalidSpec' };
    status.modelStatus.states = { activeModelState: status.modelStatus.states?.activeModelState ?? '', targetModelState: 'FailedToLoad' };
    status.modelStatus.lastFailureInfo = err.failure;
    await store.recordEvent(isvc, 'Warning', 'InternalError', err.message, SOURCE);
    await finish();
    return;
  }
  if (b.runtimeNameInStatus && predictor.runtime) {
    // v0.16+: status.servingRuntimeName / clusterServingRuntimeName (predictor.go).
    status.clusterServingRuntimeName = predictor.runtime.clusterScoped ? predictor.runtime.name : '';
    status.servingRuntimeName = predictor.runtime.clusterScoped ? '' : predictor.runtime.name;
    if (!status.clusterServingRuntimeName) delete status.clusterServingRuntimeName;
    if (!status.servingRuntimeName) delete status.servingRuntimeName;
  }
  applyStorageUris(predictor, configData, opts.version, b);

  // controller.go reconciles the predictor first, then the transformer.
  const components: Array<[ComponentName, PredictorPod]> = [['predictor', predictor]];
  const transformer = transformerPod(isvc);
  if (transformer) components.push(['transformer', transformer]);

  let recheckInMs: number | undefined;
  let predictorKsvc: KnativeServiceStatus | undefined;
  for (const [component, pod] of components) {
    const spec = isvc.spec as { predictor: { minReplicas?: number; maxReplicas?: number }; transformer?: { minReplicas?: number; maxReplicas?: number } };
    const extension = component === 'predictor' ? spec.predictor : spec.transformer!;
    const meta = componentMeta(isvc, component, pod);
    if (mode === 'Knative') {
      const minScale = extension.minReplicas ?? 1;
      meta.annotations['autoscaling.knative.dev/class'] ??= 'kpa.autoscaling.knative.dev';
      meta.annotations['autoscaling.knative.dev/min-scale'] = String(minScale);
      if (extension.maxReplicas) meta.annotations['autoscaling.knative.dev/max-scale'] = String(extension.maxReplicas);
      const result = await knative.reconcile({ name: `${name}-${component}`, owner: isvc, template: { ...meta, spec: pod.spec }, minScale });
      propagateKnativeStatus(status, conditions, component, result.status);
      if (component === 'predictor') predictorKsvc = result.status;
      if (result.recheckInMs !== undefined) recheckInMs = Math.min(recheckInMs ?? Infinity, result.recheckInMs);
    } else {
      const deployment = await reconcileStandard(store, isvc, component, meta, pod.spec, extension.minReplicas, standardTemplates);
      propagateRawStatus(status, conditions, component, deployment, `http://${name}-${component}-${ns}.example.com`);
    }
  }

  const pods = componentPods(store, isvc, mode, status.components?.predictor?.latestCreatedRevision);
  if (b.modelStatusChecksInitFirst) propagateModelStatus(status, conditions, pods, mode, predictorKsvc, b);
  else propagateModelStatusV013(status, conditions, pods, mode);

  if (b.stoppedCondition && !conditions.get('Stopped')) conditions.apply('Stopped', { status: 'False' });
  if (mode === 'Knative') {
    const names = components.map(([c]) => c);
    crossComponent(conditions, 'RoutesReady', names.map((c) => ROUTE_CONDITION[c]));
    crossComponent(conditions, 'LatestDeploymentReady', names.map((c) => CONFIGURATION_CONDITION[c]));
  }
  reconcileIngress(status, conditions, isvc, configData, components.map(([c]) => c));
  status.observedGeneration = isvc.metadata.generation;
  await finish();
  if (recheckInMs !== undefined) recheck(key, Math.max(recheckInMs, 10));
}

/** v0.16+: storageUris are added to the template by the controller (ksvc_reconciler.go, raw_kube_reconciler.go). */
function applyStorageUris(pod: PredictorPod, configData: Record<string, string>, version: string, b: KServeBehaviour): void {
  if (!pod.storageUris || !b.storageUris) return;
  // The controller parses the same config; a malformed one fails the reconcile like the webhook.
  const config = parseStorageInitializerConfig(configData, version);
  const readOnly = !b.storageReadonlyAnnotation || pod.annotations['serving.kserve.io/storage-readonly'] !== 'false';
  commonStorageInitialization(pod.spec, pod.storageUris, config, version, { legacy: false, readOnly });
}

/** CustomTransformer.GetContainer: containers[0] as kserve-container with model name, predictor host and port args. */
function transformerPod(isvc: KObject): PredictorPod | undefined {
  const t = (isvc.spec as { transformer?: { containers?: Container[]; [k: string]: unknown } }).transformer;
  if (!t?.containers?.length) return undefined;
  const { containers, minReplicas: _min, maxReplicas: _max, ...podFields } = t;
  const [first, ...rest] = structuredClone(containers);
  const args = [...(first!.args ?? [])];
  const ensure = (flag: string, value: string) => {
    if (!args.some((a) => a === flag || a.startsWith(`${flag}=`))) args.push(flag, value);
  };
  ensure('--model_name', isvc.metadata.name!);
  ensure('--predictor_host', `${isvc.metadata.name}-predictor.${isvc.metadata.namespace}`);
  ensure('--http_port', '8080');
  const container: Container = { ...first!, name: KSERVE_CONTAINER, args };
  return { spec: { ...(podFields as object), containers: [container, ...rest] } as PodSpec, labels: { ...(isvc.metadata.labels ?? {}) }, annotations: {} };
}

/** The component's object metadata: labels and annotations with KServe's precedence (component >
 *  isvc > runtime) plus the inferenceservice/component labels and the storage annotation. */
function componentMeta(isvc: KObject, component: ComponentName, pod: PredictorPod): { labels: Record<string, string>; annotations: Record<string, string> } {
  const spec = (isvc.spec as Record<string, { labels?: Record<string, string>; annotations?: Record<string, string> } | undefined>)[component];
  const annotations = { ...pod.annotations, ...(spec?.annotations ?? {}) };
  if (pod.sourceUri) annotations[SOURCE_URI_ANNOTATION] = pod.sourceUri;
  return {
    labels: { ...pod.labels, ...(spec?.labels ?? {}), [INFERENCE_SERVICE_LABEL]: isvc.metadata.name!, component },
    annotations,
  };
}

/** Standard (RawDeployment) mode: Deployment and Service `<isvc>-<component>` (raw_kube_reconciler.go). */
async function reconcileStandard(
  store: LabStore, isvc: KObject, component: ComponentName, meta: { labels: Record<string, string>; annotations: Record<string, string> },
  spec: PodSpec, minReplicas: number | undefined, templates: Map<string, string>,
): Promise<KObject> {
  const ns = isvc.metadata.namespace!;
  const name = `${isvc.metadata.name}-${component}`;
  const app = `isvc.${name}`;
  const labels = { ...meta.labels, app };
  const desired: KObject = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: ns, labels, annotations: meta.annotations, ownerReferences: [controllerRef(isvc)] },
    spec: {
      replicas: Math.max(minReplicas ?? 1, 1),
      selector: { matchLabels: { app } },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '25%', maxSurge: '25%' } },
      template: { metadata: { labels, annotations: meta.annotations }, spec },
    },
  };
  // The API server adds defaults to what it stores, so a change is noticed against what was sent last.
  const fingerprint = JSON.stringify(desired.spec);
  const key = `${ns}/${name}`;
  let deployment = store.get(DEPLOYMENTS, ns, name);
  if (!deployment) {
    deployment = await store.create(DEPLOYMENTS, desired);
  } else if (templates.has(key) && templates.get(key) !== fingerprint) {
    deployment = await store.update(DEPLOYMENTS, { ...deployment, metadata: { ...deployment.metadata, labels, annotations: meta.annotations }, spec: desired.spec });
  }
  templates.set(key, fingerprint);
  if (!store.get('services', ns, name)) {
    await store.create('services', {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name, namespace: ns, labels, ownerReferences: [controllerRef(isvc)] },
      spec: { selector: { app }, ports: [{ name: `${isvc.metadata.name}-${component}`, port: 80, protocol: 'TCP', targetPort: 8080 }], type: 'ClusterIP' },
    });
  }
  return deployment;
}

/** InferenceServiceStatus.PropagateStatus (Knative). */
function propagateKnativeStatus(status: IsvcStatus, conditions: ConditionSet, component: ComponentName, ksvc: KnativeServiceStatus): void {
  status.components ??= {};
  const c: ComponentStatus = status.components[component] ?? {};
  c.latestCreatedRevision = ksvc.latestCreatedRevisionName;
  const total = new Map<string, number>();
  for (const t of ksvc.traffic) total.set(t.revisionName, (total.get(t.revisionName) ?? 0) + t.percent);
  for (const t of ksvc.traffic) {
    if (t.revisionName !== ksvc.latestReadyRevisionName || !t.latestRevision) continue;
    if (c.latestRolledoutRevision !== ksvc.latestReadyRevisionName) {
      if (t.percent === 100) {
        if (c.latestRolledoutRevision) c.previousRolledoutRevision = c.latestRolledoutRevision;
        c.latestRolledoutRevision = ksvc.latestReadyRevisionName;
      }
    } else if (ksvc.latestReadyRevisionName === ksvc.latestCreatedRevisionName && t.percent < 100 && total.get(t.revisionName) === 100 && c.previousRolledoutRevision) {
      c.latestRolledoutRevision = c.previousRolledoutRevision;
    }
  }
  if (ksvc.latestReadyRevisionName) c.latestReadyRevision = ksvc.latestReadyRevisionName;
  if (ksvc.ready.status === 'True') {
    c.address = { url: ksvc.address };
    c.url = ksvc.url;
  }
  conditions.apply(READY_CONDITION[component], ksvc.ready);
  conditions.apply(ROUTE_CONDITION[component], ksvc.routesReady);
  if (ksvc.traffic.length > 0) c.traffic = ksvc.traffic;
  else delete c.traffic;
  conditions.apply(CONFIGURATION_CONDITION[component], ksvc.configurationsReady);
  status.components[component] = c;
}

/** InferenceServiceStatus.PropagateRawStatus: the Deployment's Available condition is the component's readiness. */
function propagateRawStatus(status: IsvcStatus, conditions: ConditionSet, component: ComponentName, deployment: KObject, url: string): void {
  status.components ??= {};
  const c: ComponentStatus = status.components[component] ?? {};
  const revision = deployment.metadata.annotations?.['deployment.kubernetes.io/revision'];
  if (revision) c.latestCreatedRevision = revision;
  const available = ((deployment.status as { conditions?: Array<{ type: string; status: ConditionStatus; reason?: string; message?: string }> } | undefined)?.conditions ?? []).find((x) => x.type === 'Available');
  if (available?.status === 'True') c.url = url;
  conditions.apply(READY_CONDITION[component], available ?? { status: 'Unknown' });
  status.components[component] = c;
}

/** PropagateCrossComponentStatus: True only when every component's condition is. */
function crossComponent(conditions: ConditionSet, type: string, parts: string[]): void {
  let result: { status: ConditionStatus; reason?: string } = { status: 'True' };
  for (const part of parts) {
    const c = conditions.get(part);
    if (c?.status === 'True') continue;
    result = { status: !c || c.status === 'Unknown' ? 'Unknown' : 'False', reason: `${part} not ready` };
  }
  conditions.apply(type, result);
}

/** The ingress reconciler: IngressReady once every component is ready, with the isvc URL from the
 *  `ingress` config's domainTemplate. */
function reconcileIngress(status: IsvcStatus, conditions: ConditionSet, isvc: KObject, configData: Record<string, string>, components: ComponentName[]): void {
  for (const component of ['predictor', 'transformer'] as const) {
    if (!components.includes(component)) continue;
    const ready = conditions.get(READY_CONDITION[component]);
    if (ready?.status === 'True') continue;
    const label = component === 'predictor' ? 'Predictor' : 'Transformer';
    conditions.apply('IngressReady', { status: !ready || ready.status === 'Unknown' ? 'Unknown' : 'False', reason: `${label} ingress not created` });
    return;
  }
  let ingress: { ingressDomain?: string; domainTemplate?: string; urlScheme?: string } = {};
  try {
    ingress = JSON.parse(configData.ingress ?? '{}') as typeof ingress;
  } catch {
    // NewIngressConfig fails: the real controller stops here with an error; the lab keeps the defaults.
  }
  const host = (ingress.domainTemplate ?? '{{ .Name }}-{{ .Namespace }}.{{ .IngressDomain }}')
    .replace(/\{\{\s*\.Name\s*\}\}/g, isvc.metadata.name!)
    .replace(/\{\{\s*\.Namespace\s*\}\}/g, isvc.metadata.namespace!)
    .replace(/\{\{\s*\.IngressDomain\s*\}\}/g, ingress.ingressDomain ?? 'example.com');
  status.url = `${ingress.urlScheme ?? 'http'}://${host}`;
  status.address = { url: `http://${isvc.metadata.name}.${isvc.metadata.namespace}.svc.cluster.local` };
  conditions.apply('IngressReady', { status: 'True' });
}

function componentPods(store: LabStore, isvc: KObject, mode: Mode, latestCreatedRevision: string | undefined): KObject[] {
  const ns = isvc.metadata.namespace!;
  if (mode === 'Standard') return store.list('pods', ns, { labelSelector: `app=isvc.${isvc.metadata.name}-predictor` });
  if (!latestCreatedRevision) return [];
  return store.list('pods', ns, { labelSelector: `serving.knative.dev/revision=${latestCreatedRevision}` });
}

interface ContainerStatus {
  name: string;
  state?: { running?: object; waiting?: { reason?: string }; terminated?: { reason?: string; message?: string; exitCode: number } };
  lastState?: { terminated?: { message?: string; exitCode: number } };
}

function statuses(pod: KObject, kind: 'initContainerStatuses' | 'containerStatuses'): ContainerStatus[] {
  return ((pod.status as Record<string, ContainerStatus[] | undefined> | undefined)?.[kind]) ?? [];
}

/** UpdateModelRevisionStates. */
function updateModelState(status: IsvcStatus, state: 'Pending' | 'Loading' | 'Loaded' | 'FailedToLoad', info?: FailureInfo, copies?: number): void {
  const m: ModelStatus = (status.modelStatus ??= { transitionStatus: '' });
  m.states = { activeModelState: m.states?.activeModelState ?? '', targetModelState: state };
  if (state === 'Pending' || state === 'Loading') m.transitionStatus = 'InProgress';
  if (state === 'Loaded') {
    m.transitionStatus = 'UpToDate';
    m.states.activeModelState = 'Loaded';
    if (copies !== undefined) m.copies = { failedCopies: 0, ...(copies ? { totalCopies: copies } : {}) };
  }
  if (state === 'FailedToLoad') m.transitionStatus = 'BlockedByFailedLoad';
  if (info) m.lastFailureInfo = info;
}

const failureFrom = (t: { message?: string; exitCode: number } | undefined): FailureInfo => ({
  reason: 'ModelLoadFailed',
  ...(t?.message ? { message: t.message } : {}),
  ...(t?.exitCode ? { exitCode: t.exitCode } : {}),
});

function isReady(status: IsvcStatus, conditions: ConditionSet, mode: Mode): boolean {
  if (!conditions.isTrue('Ready')) return false;
  const p = status.components?.predictor;
  return mode === 'Standard' || p?.latestCreatedRevision === p?.latestReadyRevision;
}

/** The storage-initializer and kserve-container checks shared by both variants; undefined when neither decides. */
function initContainerState(pod: KObject): { state: 'Loading' | 'FailedToLoad'; info?: FailureInfo; restarted?: boolean } | undefined {
  for (const cs of statuses(pod, 'initContainerStatuses')) {
    if (cs.name !== STORAGE_INITIALIZER) continue;
    if (cs.state?.running) return { state: 'Loading', restarted: Boolean(cs.lastState?.terminated) };
    if (cs.state?.terminated?.reason === 'Error') return { state: 'FailedToLoad', info: failureFrom(cs.state.terminated) };
    if (cs.state?.waiting?.reason === 'CrashLoopBackOff') return { state: 'FailedToLoad', info: failureFrom(cs.lastState?.terminated) };
  }
  return undefined;
}

function runtimeContainerState(status: IsvcStatus, pod: KObject): void {
  for (const cs of statuses(pod, 'containerStatuses')) {
    if (cs.name !== KSERVE_CONTAINER) continue;
    if (cs.state?.terminated?.reason === 'Error') updateModelState(status, 'FailedToLoad', failureFrom(cs.state.terminated));
    else if (cs.state?.waiting?.reason === 'CrashLoopBackOff') updateModelState(status, 'FailedToLoad', failureFrom(cs.lastState?.terminated));
    else updateModelState(status, 'Pending');
  }
}

/** PropagateModelStatus as in v0.13/v0.14: Ready first, copies only when Loaded. */
function propagateModelStatusV013(status: IsvcStatus, conditions: ConditionSet, pods: KObject[], mode: Mode): void {
  if (pods.length === 0) return updateModelState(status, 'Pending');
  if (isReady(status, conditions, mode)) return updateModelState(status, 'Loaded', undefined, pods.length);
  const init = initContainerState(pods[0]!);
  if (init) return updateModelState(status, init.state, init.info);
  runtimeContainerState(status, pods[0]!);
}

/** PropagateModelStatus since v0.15: a zero-pod Knative service with a False condition is
 *  FailedToLoad, storage-initializer checked before Ready; from v0.16 ready copies counted always. */
function propagateModelStatus(status: IsvcStatus, conditions: ConditionSet, pods: KObject[], mode: Mode, ksvc: KnativeServiceStatus | undefined, b: KServeBehaviour): void {
  const m: ModelStatus = (status.modelStatus ??= { transitionStatus: '' });
  const readyCopies = pods.filter(isPodReady).length;
  if (b.modelCopiesCountReady) m.copies = { failedCopies: 0, ...(readyCopies ? { totalCopies: readyCopies } : {}) };
  const loadedCopies = b.modelCopiesCountReady ? undefined : pods.length;
  if (pods.length === 0) {
    const failed = mode === 'Knative' && ksvc && [ksvc.ready, ksvc.configurationsReady, ksvc.routesReady].some((c) => c.status === 'False');
    return updateModelState(status, failed ? 'FailedToLoad' : 'Pending');
  }
  const init = initContainerState(pods[0]!);
  if (init?.state === 'Loading' && init.restarted) return; // requeued: may be looping between error and running
  if (init) return updateModelState(status, init.state, init.info);
  if (isReady(status, conditions, mode)) return updateModelState(status, 'Loaded', undefined, loadedCopies);
  runtimeContainerState(status, pods[0]!);
}

/** updateStatus: write only when something changed, with the Ready/NotReady events. */
async function writeStatus(store: LabStore, isvc: KObject, status: IsvcStatus, b: KServeBehaviour): Promise<void> {
  const before = (isvc.status ?? {}) as IsvcStatus;
  if (JSON.stringify(before) === JSON.stringify(status)) return;
  const wasReady = before.conditions?.find((c) => c.type === 'Ready')?.status === 'True';
  const ready = status.conditions?.find((c) => c.type === 'Ready')?.status;
  await store.updateStatus(ISVC, { ...isvc, status });
  const name = isvc.metadata.name;
  if (wasReady && ready === 'False') {
    const failed = (status.conditions ?? []).filter((c) => c.status === 'False').map((c) => c.type).join(', ');
    const because = b.notReadyEventNamesConditions ? ` because of: ${failed}` : '';
    await store.recordEvent(isvc, 'Warning', 'InferenceServiceNotReady', `InferenceService [${name}] is no longer Ready${because}`, SOURCE);
  } else if (!wasReady && ready === 'True') {
    await store.recordEvent(isvc, 'Normal', 'InferenceServiceReady', `InferenceService [${name}] is Ready`, SOURCE);
  }
}
