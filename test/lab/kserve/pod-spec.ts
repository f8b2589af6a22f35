// The pod spec pieces KServe injects, shaped as Go's json.Marshal of corev1 types emits them
// (`omitempty`: no readOnly:false, no empty subPath). Shared by the pod webhook (the
// storage-initializer-sourceuri annotation) and the controller (storageUris, added to the template).

export interface VolumeMount {
  name: string;
  mountPath: string;
  subPath?: string;
  readOnly?: boolean;
}

export interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: unknown;
}

export interface Container {
  name: string;
  image?: string;
  args?: string[];
  env?: EnvVar[];
  volumeMounts?: VolumeMount[];
  securityContext?: Record<string, unknown>;
  resources?: { limits?: Record<string, string>; requests?: Record<string, string> };
  terminationMessagePolicy?: string;
  [k: string]: unknown;
}

export interface Volume {
  name: string;
  emptyDir?: Record<string, never>;
  persistentVolumeClaim?: { claimName: string };
  image?: { reference: string; pullPolicy: string };
  [k: string]: unknown;
}

export interface PodSpec {
  containers: Container[];
  initContainers?: Container[];
  volumes?: Volume[];
  shareProcessNamespace?: boolean;
  serviceAccountName?: string;
  [k: string]: unknown;
}

export const KSERVE_CONTAINER = 'kserve-container';
export const WORKER_CONTAINER = 'worker-container';
export const TRANSFORMER_CONTAINER = 'transformer-container';
export const STORAGE_INITIALIZER = 'storage-initializer';
export const PROVISION_VOLUME = 'kserve-provision-location';
export const PVC_SOURCE_VOLUME = 'kserve-pvc-source';
export const MODEL_MOUNT_PATH = '/mnt/models';
export const DEFAULT_STORAGE_INITIALIZER_IMAGE = 'kserve/storage-initializer:latest';
/** constants.CustomSpecStorageUriEnvVarKey: a custom container's STORAGE_URI is pointed at /mnt/models. */
export const STORAGE_URI_ENV = 'STORAGE_URI';

export function containerNamed(spec: PodSpec, name: string): Container | undefined {
  return spec.containers.find((c) => c.name === name);
}

export function initContainerNamed(spec: PodSpec, name: string): Container | undefined {
  return spec.initContainers?.find((c) => c.name === name);
}

export function addOrReplaceEnv(c: Container, name: string, value: string): void {
  c.env ??= [];
  const existing = c.env.find((e) => e.name === name);
  if (existing) existing.value = value;
  else c.env.push({ name, value });
}

/** A mount as Go marshals it: readOnly and subPath only when set. */
export function mount(name: string, mountPath: string, opts: { readOnly?: boolean; subPath?: string } = {}): VolumeMount {
  return { name, mountPath, ...(opts.subPath ? { subPath: opts.subPath } : {}), ...(opts.readOnly ? { readOnly: true } : {}) };
}

export function addVolumeMountIfNotPresent(c: Container, m: VolumeMount): boolean {
  if (c.volumeMounts?.some((v) => v.name === m.name)) return false;
  (c.volumeMounts ??= []).push(m);
  return true;
}

export function addVolumeIfNotPresent(spec: PodSpec, v: Volume): void {
  if (spec.volumes?.some((x) => x.name === v.name)) return;
  (spec.volumes ??= []).push(v);
}

export const emptyDirVolume = (name: string): Volume => ({ name, emptyDir: {} });

/** utils.GetParentDirectory: filepath.Dir, with "/" for a top-level path. */
export function parentDirectory(path: string): string {
  const trimmed = path.replace(/\/+$/, '');
  const idx = trimmed.lastIndexOf('/');
  return idx <= 0 ? '/' : trimmed.slice(0, idx);
}

/** utils.GetVolumeNameFromPath: `/mnt/models` -> `mnt-models`. */
export const volumeNameFromPath = (path: string) => path.replace(/^\/+|\/+$/g, '').replaceAll('/', '-');

/** utils.FindCommonParentPath: the common leading directories of several mount paths. */
export function commonParentPath(paths: string[]): string {
  if (paths.length === 0) return '';
  if (paths.length === 1) return paths[0]!;
  const split = paths.map((p) => (p.replace(/^\/+|\/+$/g, '') === '' ? [] : p.replace(/^\/+|\/+$/g, '').split('/')));
  const nonEmpty = split.filter((s) => s.length > 0);
  const minLength = nonEmpty.length === 0 ? 0 : Math.min(...nonEmpty.map((s) => s.length));
  const common: string[] = [];
  for (let i = 0; i < minLength; i++) {
    const level = new Set(split.map((s) => s[i]));
    if (level.size !== 1) break;
    common.push(split[0]![i]!);
  }
  return common.length === 0 ? '/' : `/${common.join('/')}`;
}

/** utils.ParsePvcURI: `pvc://claim/some/path` -> ['claim', 'some/path']. */
export function parsePvcUri(uri: string): [string, string] {
  const parts = uri.slice('pvc://'.length).split('/');
  return [parts[0]!, parts.slice(1).join('/')];
}

/** utils.ShellQuote (v0.20): single-quote anything beyond [A-Za-z0-9/._-]. */
export function shellQuote(s: string): string {
  if (s === '') return "''";
  return /^[A-Za-z0-9/._-]+$/.test(s) ? s : `'${s.replaceAll("'", "'\\''")}'`;
}
