// The predictor's pod spec as KServe's Predictor reconciler builds it
// (pkg/controller/v1beta1/inferenceservice/components/predictor.go): the serving runtime chosen by
// model format, its kserve-container merged with the InferenceService's model container,
// placeholders replaced, and the storage URI handed to the pod webhook as an annotation.
import type { KObject, LabStore } from '../types.ts';
import { KSERVE_CONTAINER, type Container, type PodSpec } from './pod-spec.ts';
import type { StorageUri } from './storage.ts';

export interface ModelFormat {
  name: string;
  version?: string;
}

interface SupportedModelFormat extends ModelFormat {
  autoSelect?: boolean;
  priority?: number;
}

export interface RuntimeSpec {
  disabled?: boolean;
  supportedModelFormats?: SupportedModelFormat[];
  containers?: Container[];
  annotations?: Record<string, string>;
  labels?: Record<string, string>;
  volumes?: unknown[];
  nodeSelector?: unknown;
  tolerations?: unknown;
  imagePullSecrets?: unknown;
  multiModel?: boolean;
  [k: string]: unknown;
}

export interface ChosenRuntime {
  name: string;
  clusterScoped: boolean;
  spec: RuntimeSpec;
}

/** Thrown when the spec cannot be reconciled; `failure` goes into modelStatus as KServe reports it. */
export class InvalidSpecError extends Error {
  readonly failure: { reason: string; message: string };
  constructor(message: string, failure: { reason: string; message: string }) {
    super(message);
    this.failure = failure;
  }
}

/** Older framework fields (`spec.predictor.sklearn`, ...) are ModelSpecs with an implied format. */
const FRAMEWORKS = ['sklearn', 'xgboost', 'tensorflow', 'pytorch', 'triton', 'onnx', 'pmml', 'lightgbm', 'paddle', 'huggingface'];

export interface PredictorModel {
  modelFormat: ModelFormat;
  runtime?: string;
  storageUri?: string;
  container: Container;
}

/** `spec.predictor.model`, or a framework field turned into one (predictor_*.go GetImplementation). */
export function predictorModel(predictor: Record<string, unknown>): PredictorModel | undefined {
  const fromSpec = (raw: Record<string, unknown>, format: ModelFormat): PredictorModel => {
    const { modelFormat: _f, runtime, storageUri, protocolVersion: _p, runtimeVersion: _r, storage: _s, ...container } = raw;
    return {
      modelFormat: format,
      ...(typeof runtime === 'string' ? { runtime } : {}),
      ...(typeof storageUri === 'string' ? { storageUri } : {}),
      container: { ...(container as Partial<Container>), name: KSERVE_CONTAINER },
    };
  };
  const model = predictor.model as Record<string, unknown> | undefined;
  if (model) return fromSpec(model, model.modelFormat as ModelFormat);
  for (const f of FRAMEWORKS) {
    const raw = predictor[f] as Record<string, unknown> | undefined;
    if (raw) return fromSpec(raw, { name: f });
  }
  return undefined;
}

/** ModelSpec.GetSupportingRuntimes: namespace runtimes first, then cluster ones, each sorted by the
 *  format's priority (stable otherwise); only autoSelect formats count unless a runtime is named. */
export function chooseRuntime(store: LabStore, namespace: string, model: PredictorModel): ChosenRuntime {
  const label = (f: ModelFormat) => `mt:${f.name}${f.version ? `:${f.version}` : ''}`;
  const supports = (spec: RuntimeSpec, explicit: boolean) => {
    const labels = new Set<string>();
    for (const f of spec.supportedModelFormats ?? []) {
      if (!explicit && !f.autoSelect) continue;
      labels.add(`mt:${f.name}`);
      if (f.version) labels.add(`mt:${f.name}:${f.version}`);
    }
    return labels.has(label(model.modelFormat));
  };
  if (model.runtime) {
    const local = store.get('servingruntimes.serving.kserve.io', namespace, model.runtime);
    const found = local ?? store.get('clusterservingruntimes.serving.kserve.io', undefined, model.runtime);
    if (!found) {
      throw new InvalidSpecError(`No ServingRuntimes or ClusterServingRuntimes with the name: ${model.runtime}`, {
        reason: 'RuntimeNotRecognized', message: 'Waiting for runtime to become available',
      });
    }
    const spec = found.spec as RuntimeSpec;
    if (spec.disabled) throw new InvalidSpecError(`specified runtime ${model.runtime} is disabled`, { reason: 'RuntimeDisabled', message: 'Specified runtime is disabled' });
    if (!supports(spec, true)) {
      throw new InvalidSpecError(`specified runtime ${model.runtime} does not support specified framework/version`, {
        reason: 'NoSupportingRuntime', message: 'Specified runtime does not support specified framework/version',
      });
    }
    return { name: model.runtime, clusterScoped: !local, spec };
  }
  const priority = (spec: RuntimeSpec) => spec.supportedModelFormats?.find((f) => f.name === model.modelFormat.name && f.autoSelect)?.priority;
  const candidates = (objs: KObject[], clusterScoped: boolean) =>
    objs
      .filter((o) => !(o.spec as RuntimeSpec).disabled && !(o.spec as RuntimeSpec).multiModel && supports(o.spec as RuntimeSpec, false))
      .sort((a, b) => (a.metadata.name! < b.metadata.name! ? -1 : 1))
      .sort((a, b) => (priority(b.spec as RuntimeSpec) ?? -Infinity) - (priority(a.spec as RuntimeSpec) ?? -Infinity))
      .map((o) => ({ name: o.metadata.name!, clusterScoped, spec: o.spec as RuntimeSpec }));
  const all = [
    ...candidates(store.list('servingruntimes.serving.kserve.io', namespace), false),
    ...candidates(store.list('clusterservingruntimes.serving.kserve.io'), true),
  ];
  if (all.length === 0) {
    const format = `{${model.modelFormat.name} ${model.modelFormat.version ?? '<nil>'}}`;
    throw new InvalidSpecError(`no runtime found to support predictor with model type: ${format}`, {
      reason: 'NoSupportingRuntime', message: 'No runtime found to support specified framework/version',
    });
  }
  return all[0]!;
}

/** MergeRuntimeContainers: a strategic merge (env and ports by key, maps key by key) with the
 *  InferenceService's args appended to the runtime's. */
export function mergeRuntimeContainer(runtime: Container, isvc: Container): Container {
  const merged = mergeObjects(runtime, isvc) as Container;
  merged.args = [...(runtime.args ?? []), ...(isvc.args ?? [])];
  if (merged.args.length === 0) delete merged.args;
  return merged;
}

const MERGE_KEYS: Record<string, string> = { env: 'name', ports: 'containerPort', volumeMounts: 'mountPath', containers: 'name', volumes: 'name' };

function mergeObjects(base: Record<string, unknown>, patch: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = structuredClone(base);
  for (const [key, value] of Object.entries(patch)) {
    const current = out[key];
    if (Array.isArray(value) && Array.isArray(current) && MERGE_KEYS[key]) {
      const k = MERGE_KEYS[key]!;
      const list = [...current] as Array<Record<string, unknown>>;
      for (const item of value as Array<Record<string, unknown>>) {
        const i = list.findIndex((x) => x[k] === item[k]);
        if (i >= 0) list[i] = mergeObjects(list[i]!, item);
        else list.push(structuredClone(item));
      }
      out[key] = list;
    } else if (isPlainObject(value) && isPlainObject(current)) {
      out[key] = mergeObjects(current, value);
    } else {
      out[key] = structuredClone(value);
    }
  }
  return out;
}

const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** ReplacePlaceholders: the container JSON run through text/template with the InferenceService's
 *  ObjectMeta (`{{.Name}}`, `{{.Namespace}}`, `{{.Labels.x}}`, `{{.Annotations.x}}`). */
export function replacePlaceholders(c: Container, meta: KObject['metadata']): Container {
  const json = JSON.stringify(c).replace(/\{\{\s*\.(\w+)(?:\.([\w./-]+))?\s*\}\}/g, (_m, field: string, key?: string) => {
    const value = key ? (meta[field.toLowerCase()] as Record<string, string> | undefined)?.[key] : meta[field.charAt(0).toLowerCase() + field.slice(1)];
    return JSON.stringify(String(value ?? '<no value>')).slice(1, -1);
  });
  return JSON.parse(json) as Container;
}

export interface PredictorPod {
  spec: PodSpec;
  runtime?: ChosenRuntime;
  /** Goes to the storage-initializer-sourceuri annotation. */
  sourceUri?: string;
  storageUris?: StorageUri[];
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

/** Annotations KServe does not pass on to the component (constants.ServiceAnnotationDisallowedList). */
const DISALLOWED_ANNOTATIONS = new Set(['autoscaling.knative.dev/min-scale', 'autoscaling.knative.dev/max-scale', 'internal.serving.kserve.io/storage-initializer-sourceuri', 'kubectl.kubernetes.io/last-applied-configuration']);

/** The predictor's pod spec, labels and annotations before Knative or the Deployment wrap them. */
export function predictorPod(store: LabStore, isvc: KObject): PredictorPod {
  const spec = isvc.spec as { predictor: Record<string, unknown> };
  const predictor = spec.predictor;
  const annotations = Object.fromEntries(Object.entries(isvc.metadata.annotations ?? {}).filter(([k]) => !DISALLOWED_ANNOTATIONS.has(k)));
  const labels: Record<string, string> = { ...(isvc.metadata.labels ?? {}) };
  const { containers: customContainers, model: _m, minReplicas: _min, maxReplicas: _max, storageUris, ...podFields } = predictor;
  const model = predictorModel(predictor);
  let pod: PredictorPod;
  if (model) {
    const runtime = chooseRuntime(store, isvc.metadata.namespace!, model);
    const runtimeContainers = runtime.spec.containers ?? [];
    const kserveIdx = runtimeContainers.findIndex((c) => c.name === KSERVE_CONTAINER);
    if (kserveIdx < 0) throw new Error('failed to find kserve-container in ServingRuntime containers');
    const container = replacePlaceholders(mergeRuntimeContainer(runtimeContainers[kserveIdx]!, model.container), isvc.metadata);
    const podSpec = mergeObjects(
      pick(runtime.spec, ['nodeSelector', 'affinity', 'tolerations', 'volumes', 'imagePullSecrets', 'schedulerName']),
      stripFrameworks(podFields),
    ) as PodSpec;
    podSpec.containers = [container, ...runtimeContainers.filter((_, i) => i !== kserveIdx)];
    pod = {
      spec: podSpec,
      runtime,
      labels: { ...(runtime.spec.labels ?? {}), ...labels },
      annotations: { ...(runtime.spec.annotations ?? {}), ...annotations },
      ...(model.storageUri ? { sourceUri: model.storageUri } : {}),
    };
  } else {
    // A custom predictor: its containers as given, the first one is the kserve-container; a
    // STORAGE_URI env var plays the part of storageUri (predictor_custom.go GetStorageUri).
    const containers = structuredClone((customContainers as Container[] | undefined) ?? []);
    if (containers.length === 0) throw new InvalidSpecError('no predictor specified', { reason: 'InvalidPredictorSpec', message: 'No predictor specified' });
    containers[0]!.name ||= KSERVE_CONTAINER;
    const uri = containers[0]!.env?.find((e) => e.name === 'STORAGE_URI')?.value;
    pod = { spec: { ...(podFields as object), containers } as PodSpec, labels, annotations, ...(uri ? { sourceUri: uri } : {}) };
  }
  if (Array.isArray(storageUris) && storageUris.length > 0) {
    pod.storageUris = (storageUris as Array<{ uri: string; mountPath?: string }>).map((u) => ({ uri: u.uri, mountPath: u.mountPath ?? '/mnt/models' }));
  }
  return pod;
}

function stripFrameworks(fields: Record<string, unknown>): Record<string, unknown> {
  const out = { ...fields };
  for (const f of [...FRAMEWORKS, 'logger', 'batcher', 'scaleTarget', 'scaleMetric', 'canaryTrafficPercent', 'timeout', 'labels', 'annotations', 'deploymentStrategy', 'workerSpec', 'storageContainerName']) delete out[f];
  return out;
}

function pick(o: Record<string, unknown>, keys: string[]): Record<string, unknown> {
  return Object.fromEntries(keys.filter((k) => o[k] !== undefined).map((k) => [k, o[k]]));
}
