// The Snapshot: everything a check may look at, as plain JSON. Built from a live cluster by
// plugin/cluster/gather.ts or from a dump file; checks never fetch, so both paths share them.
// Kubernetes objects are minimal local interfaces with ISO-string timestamps (client-node's
// classes carry Date objects, which do not survive a JSON round trip); unknown fields pass through.

export const SNAPSHOT_API_VERSION = 'kubectl-modelcar/v1';

export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
}

export interface ObjectMeta {
  name: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: OwnerReference[];
  managedFields?: ManagedFieldsEntry[];
  [k: string]: unknown;
}

/** `managedFields` is how "when did the ConfigMap last change" can be told (MC105). */
export interface ManagedFieldsEntry {
  manager?: string;
  operation?: string;
  time?: string;
  [k: string]: unknown;
}

export interface KObject {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  [k: string]: unknown;
}

// ---- pod spec and status -------------------------------------------------------------------

export type Quantity = string | number;

export interface ResourceRequirements {
  requests?: Record<string, Quantity>;
  limits?: Record<string, Quantity>;
}

export interface SecurityContext {
  runAsUser?: number;
  runAsGroup?: number;
  runAsNonRoot?: boolean;
  allowPrivilegeEscalation?: boolean;
  privileged?: boolean;
  readOnlyRootFilesystem?: boolean;
  capabilities?: { add?: string[]; drop?: string[] };
  seccompProfile?: { type: string; localhostProfile?: string };
  [k: string]: unknown;
}

export interface PodSecurityContext {
  runAsUser?: number;
  runAsGroup?: number;
  runAsNonRoot?: boolean;
  fsGroup?: number;
  supplementalGroups?: number[];
  seccompProfile?: { type: string; localhostProfile?: string };
  [k: string]: unknown;
}

export interface VolumeMount {
  name: string;
  mountPath: string;
  readOnly?: boolean;
  subPath?: string;
}

export interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: unknown;
}

export interface Container {
  name: string;
  image?: string;
  imagePullPolicy?: 'Always' | 'IfNotPresent' | 'Never';
  command?: string[];
  args?: string[];
  env?: EnvVar[];
  resources?: ResourceRequirements;
  volumeMounts?: VolumeMount[];
  securityContext?: SecurityContext;
  [k: string]: unknown;
}

export interface Volume {
  name: string;
  emptyDir?: Record<string, unknown>;
  image?: { reference?: string; pullPolicy?: string };
  [k: string]: unknown;
}

export interface PodSpec {
  containers: Container[];
  initContainers?: Container[];
  volumes?: Volume[];
  shareProcessNamespace?: boolean;
  securityContext?: PodSecurityContext;
  serviceAccountName?: string;
  imagePullSecrets?: Array<{ name: string }>;
  nodeName?: string;
  [k: string]: unknown;
}

export interface ContainerStateWaiting {
  reason?: string;
  message?: string;
}
export interface ContainerStateRunning {
  startedAt?: string;
}
export interface ContainerStateTerminated {
  exitCode: number;
  reason?: string;
  message?: string;
  startedAt?: string;
  finishedAt?: string;
  signal?: number;
}
export interface ContainerState {
  waiting?: ContainerStateWaiting;
  running?: ContainerStateRunning;
  terminated?: ContainerStateTerminated;
}

export interface ContainerStatus {
  name: string;
  ready: boolean;
  restartCount: number;
  image?: string;
  imageID?: string;
  started?: boolean;
  state?: ContainerState;
  lastState?: ContainerState;
  [k: string]: unknown;
}

export interface Condition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
  lastTransitionTime?: string;
  lastUpdateTime?: string;
  [k: string]: unknown;
}

export interface PodStatus {
  phase?: string;
  conditions?: Condition[];
  startTime?: string;
  containerStatuses?: ContainerStatus[];
  initContainerStatuses?: ContainerStatus[];
  reason?: string;
  message?: string;
  [k: string]: unknown;
}

export interface Pod extends KObject {
  kind: 'Pod';
  spec: PodSpec;
  status?: PodStatus;
}

export interface PodTemplate {
  metadata?: Partial<ObjectMeta>;
  spec: PodSpec;
}

export interface ReplicaSet extends KObject {
  kind: 'ReplicaSet';
  spec?: { replicas?: number; template?: PodTemplate; [k: string]: unknown };
  status?: { replicas?: number; readyReplicas?: number; conditions?: Condition[]; [k: string]: unknown };
}

export interface Deployment extends KObject {
  kind: 'Deployment';
  spec?: { replicas?: number; template?: PodTemplate; progressDeadlineSeconds?: number; [k: string]: unknown };
  status?: { replicas?: number; readyReplicas?: number; availableReplicas?: number; conditions?: Condition[]; [k: string]: unknown };
}

/** Knative serving.knative.dev/v1 Revision: its FailedCreate events and the spec when scaled to zero. */
export interface Revision extends KObject {
  kind: 'Revision';
  spec?: PodSpec & Record<string, unknown>;
  status?: { conditions?: Condition[]; actualReplicas?: number; desiredReplicas?: number; [k: string]: unknown };
}

// ---- KServe objects ------------------------------------------------------------------------

export interface StorageUriSpec {
  uri: string;
  mountPath?: string;
}

export interface ComponentSpec {
  minReplicas?: number;
  maxReplicas?: number;
  model?: { storageUri?: string; storageUris?: StorageUriSpec[]; runtime?: string; modelFormat?: { name: string; version?: string }; [k: string]: unknown };
  storageUri?: string;
  storageUris?: StorageUriSpec[];
  containers?: Container[];
  workerSpec?: Record<string, unknown>;
  [k: string]: unknown;
}

export interface InferenceService extends KObject {
  kind: 'InferenceService';
  spec: { predictor: ComponentSpec; transformer?: ComponentSpec; explainer?: ComponentSpec; [k: string]: unknown };
  status?: {
    conditions?: Condition[];
    url?: string;
    deploymentMode?: string;
    components?: Record<string, { latestCreatedRevision?: string; latestReadyRevision?: string; [k: string]: unknown }>;
    modelStatus?: {
      transitionStatus?: string;
      states?: { activeModelState?: string; targetModelState?: string };
      lastFailureInfo?: { reason?: string; message?: string; [k: string]: unknown };
      [k: string]: unknown;
    };
    [k: string]: unknown;
  };
}

export interface ServingRuntime extends KObject {
  kind: 'ServingRuntime' | 'ClusterServingRuntime';
  spec?: { containers?: Container[]; supportedModelFormats?: unknown[]; [k: string]: unknown };
}

// ---- cluster objects -----------------------------------------------------------------------

export interface ConfigMap extends KObject {
  kind: 'ConfigMap';
  data?: Record<string, string>;
}

/** Labels carry Pod Security (`pod-security.kubernetes.io/enforce`); annotations the OpenShift
 *  SCC ranges (`openshift.io/sa.scc.uid-range`). */
export interface Namespace extends KObject {
  kind: 'Namespace';
}

export interface LimitRangeItem {
  type: string;
  min?: Record<string, Quantity>;
  max?: Record<string, Quantity>;
  default?: Record<string, Quantity>;
  defaultRequest?: Record<string, Quantity>;
  maxLimitRequestRatio?: Record<string, Quantity>;
}
export interface LimitRange extends KObject {
  kind: 'LimitRange';
  spec: { limits: LimitRangeItem[] };
}

export interface ResourceQuota extends KObject {
  kind: 'ResourceQuota';
  spec?: { hard?: Record<string, Quantity>; [k: string]: unknown };
  status?: { hard?: Record<string, Quantity>; used?: Record<string, Quantity> };
}

export interface Event extends KObject {
  kind: 'Event';
  involvedObject: { kind?: string; name?: string; namespace?: string; uid?: string; fieldPath?: string; apiVersion?: string };
  reason?: string;
  message?: string;
  type?: string;
  count?: number;
  firstTimestamp?: string | null;
  lastTimestamp?: string | null;
  eventTime?: string | null;
  source?: { component?: string; host?: string };
}

export interface Node extends KObject {
  kind: 'Node';
  status?: {
    nodeInfo?: { kubeletVersion?: string; containerRuntimeVersion?: string; architecture?: string; [k: string]: unknown };
    conditions?: Condition[];
    [k: string]: unknown;
  };
}

// ---- what the plugin adds --------------------------------------------------------------------

/** An API call that failed while gathering; the report is then incomplete (exit code 4). */
export interface Gap {
  verb: string;
  resource: string;
  namespace?: string;
  name?: string;
  /** HTTP status, or null when the request never got an answer. */
  status: number | null;
  message: string;
}

export type ConfigMapAbsence = 'not-found' | 'forbidden' | 'not-in-input' | 'error';

export type VersionSource = 'flag' | 'image-tag' | 'unknown';

export interface KServeInstall {
  /** The controller namespace. */
  namespace: string;
  namespaceSource: 'flag' | 'controller-pods' | 'default';
  configMap: ConfigMap | null;
  /** Why `configMap` is null. */
  configMapAbsence?: ConfigMapAbsence;
  controllerPods: Pod[];
  controllerVersion: {
    /** e.g. "v0.15.2"; null when no tag says it (digests, vendor builds). */
    version: string | null;
    source: VersionSource;
    image?: string;
  };
}

export interface TargetRef {
  kind: 'InferenceService';
  namespace: string;
  name: string;
  /** `--pod NAME`: only this pod is inspected. */
  pod?: string;
}

/** Events of one namespace and when they were listed: events expire (about an hour), so a
 *  check that finds none can say how old "none" is. */
export interface EventList {
  namespace: string;
  /** When they were listed; null when the input does not say (some offline dumps). */
  gatheredAt: string | null;
  items: Event[];
}

export type LogAbsence = 'offline' | 'forbidden' | 'not-found' | 'no-previous' | 'not-started' | 'error';

export interface ContainerLog {
  namespace: string;
  pod: string;
  container: string;
  previous: boolean;
  /** The last lines; absent when it could not be read (see `absence`). */
  text?: string;
  absence?: LogAbsence;
  detail?: string;
}

// ---- in-pod probes (exec into the runtime container) ----------------------------------------

export interface ProcessIds {
  /** Real, effective, saved, filesystem, as in /proc/<pid>/status `Uid:`. */
  uids: number[];
  gids: number[];
}

export type ExecSkipReason = 'offline' | 'forbidden' | 'no-shell' | 'pod-not-running' | 'not-requested' | 'error';

export interface ExecSkipped {
  namespace: string;
  pod: string;
  container: string;
  outcome: 'skipped';
  reason: ExecSkipReason;
  /** Human detail: the RBAC message, the exec error. */
  detail?: string;
  /** For 'forbidden': what is missing. */
  rbac?: { verb: string; resource: string; namespace: string };
}

export type FileType = 'symlink' | 'directory' | 'file' | 'missing' | 'other';

export interface ExecProbe {
  namespace: string;
  pod: string;
  container: string;
  outcome: 'probed';
  /** How the probe ran: a shell script, only ls/cat, or the agent binary. */
  tool: 'sh' | 'ls' | 'agent';
  /** The model path probed (from the modelcar args). */
  modelPath: string;
  /** `lstat` type of the model path. */
  lstatType: FileType;
  /** `readlink` output; null when not a symlink or unreadable. */
  readlink: string | null;
  /** Whether the link target resolves (stat follows it). */
  targetResolves: boolean;
  /** The pid in `/proc/<pid>/root/...` of the link target, when it has that shape. */
  targetPid: number | null;
  /** That pid as seen from the runtime container; null when no such process is visible. */
  targetProcess: { cmdline: string[] | null; ids: ProcessIds | null } | null;
  /** The runtime container's own process (the probe's shell), for the UID comparison. */
  self: { pid: number | null; ids: ProcessIds | null };
  /** Processes visible in the pod whose cmdline looks like a modelcar (`ln -sf /proc/...` / `sleep infinity`). */
  modelcarPids: number[];
  listing:
    | { ok: true; fileCount: number; totalBytes: number; unreadable: string[] }
    | { ok: false; errno: string; message: string };
  /** Set when the probe ran in an ephemeral debug container targeting `container` (`inspect
   *  --ephemeral`), not by exec into `container` itself. */
  via?: { ephemeral: string; image: string };
}

export type ExecResult = ExecProbe | ExecSkipped;

export interface ClusterInfo {
  /** The API server's gitVersion (e.g. "v1.33.1"); null when unknown (offline). */
  serverVersion: string | null;
  /** Feature gates are not readable through the API: unknown unless the user says. */
  featureGates: Record<string, boolean> | null;
}

export interface Snapshot {
  apiVersion: typeof SNAPSHOT_API_VERSION;
  kind: 'Snapshot';
  /** ISO time the snapshot was taken: checks compute ages from it, never from the clock. */
  now: string;
  source: 'cluster' | 'file';
  cluster: ClusterInfo;
  kserve: KServeInstall;
  targets: TargetRef[];
  inferenceServices: InferenceService[];
  /** Pods of all components of the targets. */
  pods: Pod[];
  replicaSets: ReplicaSet[];
  deployments: Deployment[];
  revisions: Revision[];
  namespaces: Namespace[];
  limitRanges: LimitRange[];
  resourceQuotas: ResourceQuota[];
  events: EventList[];
  nodes: Node[];
  servingRuntimes: ServingRuntime[];
  logs: ContainerLog[];
  execs: ExecResult[];
  gaps: Gap[];
}

/** An empty snapshot to build on (gather and the dump reader fill it in). */
export function emptySnapshot(now: string, source: Snapshot['source']): Snapshot {
  return {
    apiVersion: SNAPSHOT_API_VERSION,
    kind: 'Snapshot',
    now,
    source,
    cluster: { serverVersion: null, featureGates: null },
    kserve: {
      namespace: 'kserve',
      namespaceSource: 'default',
      configMap: null,
      configMapAbsence: 'not-in-input',
      controllerPods: [],
      controllerVersion: { version: null, source: 'unknown' },
    },
    targets: [],
    inferenceServices: [],
    pods: [],
    replicaSets: [],
    deployments: [],
    revisions: [],
    namespaces: [],
    limitRanges: [],
    resourceQuotas: [],
    events: [],
    nodes: [],
    servingRuntimes: [],
    logs: [],
    execs: [],
    gaps: [],
  };
}
