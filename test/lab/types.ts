// Contracts between the lab's parts: the API server (apiserver/), its controllers, the kubelet
// (kubelet/), the registry (registry/) and the KServe emulation (kserve/). Everything in one
// process talks through these interfaces; only the API server speaks HTTP.
import type { Readable, Writable } from 'node:stream';

export interface ObjectMeta {
  name?: string;
  generateName?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: Array<{ apiVersion: string; kind: string; name: string; uid: string; controller?: boolean; blockOwnerDeletion?: boolean }>;
  finalizers?: string[];
  managedFields?: unknown[];
  [k: string]: unknown;
}

/** Any Kubernetes object as JSON. Parts of the lab that need more type it locally. */
export interface KObject {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  [k: string]: unknown;
}

/** A resource as `plural` for the core group or `plural.group` otherwise: 'pods', 'deployments.apps',
 *  'inferenceservices.serving.kserve.io'. Events are one resource ('events') served under both
 *  core/v1 and events.k8s.io/v1, as a real API server stores them once. */
export type ResourceName = string;

export interface ListOptions {
  labelSelector?: string;
  fieldSelector?: string;
}

export interface WatchEvent {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
  object: KObject;
}

/** Who is acting: API requests carry the authenticated user; in-process controllers use a system user. */
export interface UserInfo {
  username: string;
  groups: string[];
  uid?: string;
}

export const SYSTEM_USER: UserInfo = { username: 'system:lab-controller', groups: ['system:masters'] };

/** The object store behind the API server. Methods throw `ApiError` (apiserver/errors.ts) with real
 *  Status reasons: NotFound, AlreadyExists, Conflict, Invalid, Forbidden. Mutations run admission. */
export interface LabStore {
  get(resource: ResourceName, namespace: string | undefined, name: string): KObject | undefined;
  list(resource: ResourceName, namespace?: string, opts?: ListOptions): KObject[];
  create(resource: ResourceName, obj: KObject, user?: UserInfo): Promise<KObject>;
  /** Full update with optimistic concurrency when metadata.resourceVersion is set. */
  update(resource: ResourceName, obj: KObject, user?: UserInfo): Promise<KObject>;
  /** Replace only `.status` (the status subresource): spec and metadata changes are ignored. */
  updateStatus(resource: ResourceName, obj: KObject): Promise<KObject>;
  delete(resource: ResourceName, namespace: string | undefined, name: string, user?: UserInfo): Promise<KObject | undefined>;
  /** Calls `onEvent` for every change after now; returns a function that stops the watch. */
  watch(resource: ResourceName, namespace: string | undefined, onEvent: (ev: WatchEvent) => void): () => void;
  /** Records a core/v1 Event about `involved` the way the given component would (kubelet, replicaset-controller, ...),
   *  aggregating repeats into `count`/`lastTimestamp` as the real event recorder does. */
  recordEvent(involved: KObject, type: 'Normal' | 'Warning', reason: string, message: string, source: { component: string; host?: string }): Promise<void>;
}

export interface AdmissionRequest {
  operation: 'CREATE' | 'UPDATE' | 'DELETE';
  resource: ResourceName;
  namespace?: string;
  object: KObject;
  oldObject?: KObject;
  user: UserInfo;
  store: LabStore;
}

/** A mutating/validating admission step (KServe's pod webhook, Pod Security, LimitRanger, ResourceQuota,
 *  the OpenShift-like SCC). Returns the (possibly mutated) object, or throws an ApiError (Forbidden,
 *  Invalid, InternalError) whose message is what the real admission plugin says. */
export interface AdmissionPlugin {
  name: string;
  admit(req: AdmissionRequest): Promise<KObject> | KObject;
}

export interface ExecRequest {
  namespace: string;
  pod: KObject;
  container: string;
  command: string[];
  tty: boolean;
  stdin: Readable | null;
  stdout: Writable | null;
  stderr: Writable | null;
}

/** Runs `kubectl exec` commands. The in-process runner (issue 3) and runc (issue 4) implement it.
 *  Resolves with the exit code; rejects with an ApiError for a missing container, a container that is
 *  not running, or a command that cannot be started (the API server turns that into a status frame). */
export interface ExecRunner {
  exec(req: ExecRequest): Promise<number>;
}

export interface LogRequest {
  namespace: string;
  pod: KObject;
  container: string;
  previous: boolean;
  follow: boolean;
  tailLines?: number;
  sinceSeconds?: number;
  timestamps: boolean;
  limitBytes?: number;
}

export interface LogSource {
  /** Writes the container's log to `out`; with `follow`, keeps writing until `signal` aborts. */
  logs(req: LogRequest, out: Writable, signal: AbortSignal): Promise<void>;
}

// ---- Images (registry/, images/): the node's image store that the kubelet pulls through ----

export type PullPolicy = 'Always' | 'IfNotPresent' | 'Never';

export interface RegistryCredentials {
  username: string;
  password: string;
}

/** The parts of an OCI image config the kubelet needs to start a container. */
export interface ImageConfig {
  user?: string;
  env?: string[];
  entrypoint?: string[];
  cmd?: string[];
  workingDir?: string;
}

export interface PulledImage {
  /** The reference as the pod spec wrote it. */
  ref: string;
  /** As the kubelet reports it in containerStatuses: `docker-pullable://<repo>@sha256:...`. */
  imageID: string;
  /** The manifest digest, `sha256:...`. */
  digest: string;
  /** Bytes of the image's compressed layers plus config, as the kubelet's "Image size" event reports. */
  sizeBytes: number;
  /** An unpacked root filesystem. Shared between containers: never write into it; copy or overlay instead. */
  rootfs: string;
  config: ImageConfig;
  /** True when the registry was contacted (every Always pull, an IfNotPresent miss): the kubelet then
   *  reports Pulling/Pulled events. False when the node's copy was used without asking the registry
   *  ("Container image ... already present on machine"). Layers are downloaded only when the digest is new. */
  pulled: boolean;
  durationMs: number;
}

/** `reason` is what the kubelet shows in the container's waiting state: ErrImagePull, InvalidImageName, or
 *  ErrImageNeverPull for policy Never with no cached image. `message` is containerd's wording. */
export interface ImagePullFailure {
  reason: 'ErrImagePull' | 'ErrImageNeverPull' | 'InvalidImageName';
  message: string;
}

export interface ImageStore {
  /** Resolves the reference against the lab registry; throws `ImagePullError` (images/store.ts). */
  pull(ref: string, opts: { policy: PullPolicy; auth?: RegistryCredentials }): Promise<PulledImage>;
  /** Whether the node already holds the image (what IfNotPresent would use). */
  has(ref: string): boolean;
  /** Cached images for the Node's status.images. */
  list(): Array<{ names: string[]; sizeBytes: number }>;
}
