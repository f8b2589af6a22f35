// How KServe provisions a model into a pod, per release: modelcars (oci://), OCI image volumes
// (oci+native://, v0.20), the storage-initializer init container (everything else) and direct PVC
// mounts. Reproduced from pkg/webhook/admission/pod/storage_initializer_injector.go and (v0.16+)
// pkg/utils/storage.go at each tag; the comments name the function each piece comes from.
import { mustParseQuantity, resolveOciModelMode, WebhookError, type StorageInitializerConfig } from './config.ts';
import {
  addOrReplaceEnv, addVolumeIfNotPresent, addVolumeMountIfNotPresent, commonParentPath, containerNamed, emptyDirVolume,
  initContainerNamed, mount, parentDirectory, parsePvcUri, shellQuote, volumeNameFromPath,
  DEFAULT_STORAGE_INITIALIZER_IMAGE, KSERVE_CONTAINER, MODEL_MOUNT_PATH, PROVISION_VOLUME, PVC_SOURCE_VOLUME,
  STORAGE_INITIALIZER, STORAGE_URI_ENV, TRANSFORMER_CONTAINER, WORKER_CONTAINER,
  type Container, type PodSpec, type Volume, type VolumeMount,
} from './pod-spec.ts';
import { kserveBehaviour } from './versions.ts';

export interface StorageUri {
  uri: string;
  mountPath: string;
}

const CPU_MODELCAR_DEFAULT = '10m';
const MEMORY_MODELCAR_DEFAULT = '15Mi';
/** utils.MaxOCISourcesPerPod (v0.20). */
export const MAX_OCI_SOURCES = 10;

/** utils.ParseOciScheme (v0.20): `oci+native://x` -> native, `oci://x`; `oci://x` -> '' (mode from config). */
export function parseOciScheme(uri: string, version: string): { mode: string; uri: string } | undefined {
  if (kserveBehaviour(version).ociModes && uri.startsWith('oci+')) {
    const rest = uri.slice(4);
    const sep = rest.indexOf('://');
    if (sep > 0) return { mode: rest.slice(0, sep), uri: `oci://${rest.slice(sep + 3)}` };
  }
  return uri.startsWith('oci://') ? { mode: '', uri } : undefined;
}

function modelcarResources(config: StorageInitializerConfig) {
  const cpu = mustParseQuantity(config.cpuModelcar || CPU_MODELCAR_DEFAULT);
  const memory = mustParseQuantity(config.memoryModelcar || MEMORY_MODELCAR_DEFAULT);
  return { limits: { cpu, memory }, requests: { cpu, memory } };
}

/** The sidecar's shell line. `$$$$` is what the API object holds: Kubernetes turns `$$` into `$`, so
 *  the shell sees `$$`, its own pid. */
function modelcarCommand(modelPath: string, version: string): string {
  const b = kserveBehaviour(version);
  if (!b.lnForce) return `ln -s /proc/$$$$/root/models ${modelPath} && sleep infinity`; // v0.12-v0.14
  if (!b.modelcarMkdir || modelPath === MODEL_MOUNT_PATH) {
    const path = b.ociModes ? shellQuote(modelPath) : modelPath;
    return `ln -sf /proc/$$$$/root/models ${path} && sleep infinity`;
  }
  // v0.18 modelcarCommand: a custom path needs its parent directory; v0.20 shell-quotes both.
  const quote = b.ociModes ? shellQuote : (s: string) => s;
  return `mkdir -p ${quote(parentDirectory(modelPath))} && ln -sf /proc/$$$$/root/models ${quote(modelPath)} && sleep infinity`;
}

/** createModelContainer / utils.CreateModelcarContainer. */
function modelcarContainer(name: string, image: string, modelPath: string, volume: string, config: StorageInitializerConfig, version: string): Container {
  return {
    name,
    image,
    volumeMounts: [mount(volume, parentDirectory(modelPath))],
    args: ['sh', '-c', modelcarCommand(modelPath, version)],
    resources: modelcarResources(config),
    terminationMessagePolicy: 'FallbackToLogsOnError',
    ...(config.uidModelcar !== null ? { securityContext: { runAsUser: config.uidModelcar } } : {}),
  };
}

/** createModelInitContainer / utils.CreateModelcarInitContainer (v0.14+): no mount, no securityContext. */
function modelcarInitContainer(name: string, image: string, config: StorageInitializerConfig): Container {
  return {
    name,
    image,
    args: [
      'sh',
      '-c',
      `echo 'Pre-fetching modelcar ${image}: ' && [ -d /models ] && [ "$$(ls -A /models)" ] && echo 'OK ... Prefetched and valid (/models exists)' || (echo 'NOK ... Prefetched but modelcar is invalid (/models does not exist or is empty)' && exit 1)`,
    ],
    resources: modelcarResources(config),
    terminationMessagePolicy: 'FallbackToLogsOnError',
  };
}

/** utils.ModelcarNames (v0.20): index 0 keeps the plain names, later sources get `-N`. */
function modelcarNames(index: number): { sidecar: string; init: string; volume: string } {
  const suffix = index === 0 ? '' : `-${index}`;
  return { sidecar: `modelcar${suffix}`, init: `modelcar-init${suffix}`, volume: `${PROVISION_VOLUME}${suffix}` };
}

/** InjectModelcar's body up to v0.15 / utils.ConfigureModelcarToContainer since v0.16: wires one OCI
 *  source into `target` and adds the sidecar (and init container) once. */
export function configureModelcar(
  spec: PodSpec, uri: string, target: string, modelPath: string, config: StorageInitializerConfig, version: string, index = 0,
): void {
  const b = kserveBehaviour(version);
  const container = containerNamed(spec, target);
  if (!container) throw new WebhookError(`no container found with name ${target}`);
  const names = modelcarNames(index);
  addOrReplaceEnv(container, 'MODEL_INIT_MODE', 'async');
  addVolumeIfNotPresent(spec, emptyDirVolume(names.volume));
  addVolumeMountIfNotPresent(container, mount(names.volume, parentDirectory(modelPath)));
  if (config.uidModelcar !== null) {
    // #5166: up to v0.17.1 the whole securityContext is replaced; v0.18.0 sets only runAsUser (#5167).
    if (b.runtimeSecurityContext === 'replace') container.securityContext = { runAsUser: config.uidModelcar };
    else container.securityContext = { ...container.securityContext, runAsUser: config.uidModelcar };
  }
  if (!containerNamed(spec, names.sidecar)) {
    const image = uri.slice('oci://'.length);
    spec.containers.push(modelcarContainer(names.sidecar, image, modelPath, names.volume, config, version));
    if (b.modelcarInit) (spec.initContainers ??= []).push(modelcarInitContainer(names.init, image, config));
  }
  spec.shareProcessNamespace = true;
}

/** utils.ConfigureOciNativeToContainer (v0.20): an image volume, mounted read-only with subPath models. */
export function configureOciNative(spec: PodSpec, uri: string, target: string, modelPath: string): void {
  const container = containerNamed(spec, target);
  if (!container) throw new WebhookError(`no container found with name ${target}`);
  const volume = volumeNameFromPath(modelPath) || 'oci-model';
  const clash = container.volumeMounts?.find((m) => m.mountPath === modelPath && m.name !== volume);
  if (clash) throw new WebhookError(`mountPath "${modelPath}" already used by volume "${clash.name}"`);
  addVolumeIfNotPresent(spec, { name: volume, image: { reference: uri.slice('oci://'.length), pullPolicy: 'IfNotPresent' } });
  addVolumeMountIfNotPresent(container, mount(volume, modelPath, { subPath: 'models', readOnly: true }));
}

/** The runtime container a model goes to: kserve-container, or worker-container where the release
 *  falls back to it; `missing` is that release's error text. */
function targetContainer(spec: PodSpec, workerFallback: boolean, missing: string): Container {
  const user = containerNamed(spec, KSERVE_CONTAINER);
  if (user) return user;
  const worker = workerFallback ? containerNamed(spec, WORKER_CONTAINER) : undefined;
  if (worker) return worker;
  throw new WebhookError(missing);
}

/** StorageInitializerInjector.InjectModelcar, registered only when OCI models are on. */
export function injectModelcar(spec: PodSpec, sourceUri: string, config: StorageInitializerConfig, version: string): void {
  const b = kserveBehaviour(version);
  const oci = parseOciScheme(sourceUri, version);
  if (!oci) return;
  const mode = oci.mode || resolveOciModelMode(config, version);
  const configure = (name: string) =>
    mode === 'native' ? configureOciNative(spec, oci.uri, name, MODEL_MOUNT_PATH) : configureModelcar(spec, oci.uri, name, MODEL_MOUNT_PATH, config, version);
  if (!b.modelcarWorkerFallback) {
    // v0.13-v0.16: volume first, kserve-container only, transformer gets the mount but nothing else.
    addVolumeIfNotPresent(spec, emptyDirVolume(PROVISION_VOLUME));
    if (!containerNamed(spec, KSERVE_CONTAINER)) throw new WebhookError(`no container found with name ${KSERVE_CONTAINER}`);
    const transformer = containerNamed(spec, TRANSFORMER_CONTAINER);
    configure(KSERVE_CONTAINER);
    if (transformer) addVolumeMountIfNotPresent(transformer, mount(PROVISION_VOLUME, parentDirectory(MODEL_MOUNT_PATH)));
    return;
  }
  const target = targetContainer(spec, true, `Invalid configuration: cannot find container: ${KSERVE_CONTAINER}`);
  configure(target.name);
  if (containerNamed(spec, TRANSFORMER_CONTAINER)) configure(TRANSFORMER_CONTAINER);
}

/** CreateInitContainerWithConfig: image from config, requests/limits from config. */
function storageInitializerContainer(config: StorageInitializerConfig, args: string[]): Container {
  return {
    name: STORAGE_INITIALIZER,
    image: config.image || DEFAULT_STORAGE_INITIALIZER_IMAGE,
    args,
    terminationMessagePolicy: 'FallbackToLogsOnError',
    resources: {
      limits: { cpu: mustParseQuantity(config.cpuLimit), memory: mustParseQuantity(config.memoryLimit) },
      requests: { cpu: mustParseQuantity(config.cpuRequest), memory: mustParseQuantity(config.memoryRequest) },
    },
  };
}

/** utils.AddDefaultHuggingFaceEnvVars (v0.16+), added to storage-initializer unless already set. */
function addHuggingFaceEnv(c: Container): void {
  for (const [name, value] of [['HF_HUB_ENABLE_HF_TRANSFER', '1'], ['HF_XET_HIGH_PERFORMANCE', '1'], ['HF_XET_NUM_CONCURRENT_RANGE_GETS', '8']] as const) {
    if (!c.env?.some((e) => e.name === name)) (c.env ??= []).push({ name, value });
  }
}

function pointStorageUriEnvAtModels(c: Container): void {
  for (const e of c.env ?? []) if (e.name === STORAGE_URI_ENV && e.value) e.value = MODEL_MOUNT_PATH;
}

export interface LegacyInjection {
  sourceUri: string;
  annotations: Record<string, string>;
}

/** `serving.kserve.io/storage-readonly: "false"` makes the model mounts writable (v0.14+). */
function readOnlyFlag(annotations: Record<string, string>, version: string): boolean {
  if (!kserveBehaviour(version).storageReadonlyAnnotation) return true;
  return annotations['serving.kserve.io/storage-readonly'] !== 'false';
}

/** StorageInitializerInjector.InjectStorageInitializer for the storage-initializer-sourceuri annotation. */
export function injectStorageInitializer(spec: PodSpec, req: LegacyInjection, config: StorageInitializerConfig, version: string): void {
  const b = kserveBehaviour(version);
  if (req.annotations['internal.serving.kserve.io/agent'] !== undefined) return; // the model agent pulls instead
  if (b.commonStorageInitialization) {
    commonStorageInitialization(spec, [{ uri: req.sourceUri, mountPath: MODEL_MOUNT_PATH }], config, version, { legacy: true, readOnly: readOnlyFlag(req.annotations, version) });
    return;
  }
  // v0.13-v0.15
  if (config.enableModelcar && req.sourceUri.startsWith('oci://')) return;
  if (initContainerNamed(spec, STORAGE_INITIALIZER)) return;
  const readOnly = readOnlyFlag(req.annotations, version);
  const user = targetContainer(spec, b.storageInitializerWorkerFallback, `Invalid configuration: cannot find container: ${KSERVE_CONTAINER}`);
  const transformer = containerNamed(spec, TRANSFORMER_CONTAINER);
  let sourceUri = req.sourceUri;
  const siMounts: VolumeMount[] = [];
  const volumes: Volume[] = [];
  if (sourceUri.startsWith('pvc://')) {
    const [claimName, pvcPath] = parsePvcUri(sourceUri);
    volumes.push({ name: PVC_SOURCE_VOLUME, persistentVolumeClaim: { claimName } });
    if (config.enableDirectPvcVolumeMount) {
      const pvcMount = mount(PVC_SOURCE_VOLUME, MODEL_MOUNT_PATH, { subPath: pvcPath, readOnly });
      if (user.volumeMounts?.some((m) => m.name === PVC_SOURCE_VOLUME)) return;
      (user.volumeMounts ??= []).push(pvcMount);
      if (transformer) {
        if (transformer.volumeMounts?.some((m) => m.name === PVC_SOURCE_VOLUME)) return;
        (transformer.volumeMounts ??= []).push(pvcMount);
      }
      pointStorageUriEnvAtModels(user);
      (spec.volumes ??= []).push(...volumes);
      return;
    }
    const pvcMount = mount(PVC_SOURCE_VOLUME, '/mnt/pvc', { readOnly });
    siMounts.push(pvcMount);
    (user.volumeMounts ??= []).push(pvcMount);
    if (transformer) (transformer.volumeMounts ??= []).push(pvcMount);
    sourceUri = `/mnt/pvc/${pvcPath}`;
  }
  volumes.push(emptyDirVolume(PROVISION_VOLUME));
  siMounts.push(mount(PROVISION_VOLUME, MODEL_MOUNT_PATH));
  const init = storageInitializerContainer(config, [sourceUri, MODEL_MOUNT_PATH]);
  init.volumeMounts = siMounts;
  // v0.13 copies the runtime's securityContext (removed in v0.14.0).
  if (b.storageInitializerCopiesSecurityContext && user.securityContext) init.securityContext = structuredClone(user.securityContext);
  (user.volumeMounts ??= []).push(mount(PROVISION_VOLUME, MODEL_MOUNT_PATH, { readOnly }));
  if (transformer) (transformer.volumeMounts ??= []).push(mount(PROVISION_VOLUME, MODEL_MOUNT_PATH, { readOnly }));
  pointStorageUriEnvAtModels(user);
  (spec.volumes ??= []).push(...volumes);
  (spec.initContainers ??= []).push(init);
}

/** pod.CommonStorageInitialization (v0.16+): the webhook calls it with the one annotated URI
 *  (`legacy`), the controller with `spec.predictor.storageUris`. */
export function commonStorageInitialization(
  spec: PodSpec, uris: StorageUri[], config: StorageInitializerConfig, version: string, opts: { legacy: boolean; readOnly: boolean },
): void {
  const b = kserveBehaviour(version);
  let remaining = uris;
  if (b.ociModes) {
    const hasOci = uris.some((u) => {
      const oci = parseOciScheme(u.uri, version);
      return oci !== undefined && (oci.mode || resolveOciModelMode(config, version)) !== '';
    });
    if (hasOci) {
      if (opts.legacy) return; // InjectModelcar handles the annotation
      injectOciSources(spec, uris, config, version);
    }
    // The storageUris path skips every OCI-scheme entry, even with OCI models off.
    if (!opts.legacy) remaining = uris.filter((u) => !parseOciScheme(u.uri, version));
  } else if (b.storageUrisOci) {
    // v0.19: every oci:// entry goes to ConfigureModelcarToContainer (one shared `modelcar`), the rest is dropped.
    if (config.enableModelcar && uris.some((u) => u.uri.startsWith('oci://'))) {
      if (opts.legacy) return;
      const user = containerNamed(spec, KSERVE_CONTAINER) ?? containerNamed(spec, WORKER_CONTAINER);
      if (!user) throw new WebhookError('Invalid configuration: cannot find container');
      for (const u of uris.filter((x) => x.uri.startsWith('oci://'))) {
        configureModelcar(spec, u.uri, user.name, u.mountPath, config, version);
        if (containerNamed(spec, TRANSFORMER_CONTAINER)) configureModelcar(spec, u.uri, TRANSFORMER_CONTAINER, u.mountPath, config, version);
      }
      return;
    }
  } else if (config.enableModelcar && uris[0]?.uri.startsWith('oci://')) {
    // v0.16-v0.18: an oci:// first entry means "modelcar": the controller path then injects nothing (#5200).
    return;
  }
  if (initContainerNamed(spec, STORAGE_INITIALIZER)) return;
  if (remaining.length === 0) return;

  const user = targetContainer(spec, true, 'Invalid configuration: cannot find container');
  const transformer = containerNamed(spec, TRANSFORMER_CONTAINER);
  const runtimeNames = [user.name, ...(transformer ? [transformer.name] : [])];
  let init: Container | undefined;

  if (!opts.legacy) {
    const pvcUris = remaining.filter((u) => u.uri.startsWith('pvc://'));
    const fetched = remaining.filter((u) => !u.uri.startsWith('pvc://'));
    for (const u of pvcUris) {
      for (const name of runtimeNames) {
        addModelMount(spec, name, { mountPath: u.mountPath, volume: volumeNameFromPath(u.mountPath), claimName: parsePvcUri(u.uri)[0], readOnly: opts.readOnly });
      }
    }
    if (fetched.length > 0) {
      const parent = commonParentPath(fetched.map((u) => u.mountPath));
      init = storageInitializerContainer(config, fetched.flatMap((u) => [u.uri, u.mountPath]));
      (spec.initContainers ??= []).push(init);
      for (const name of [...runtimeNames, STORAGE_INITIALIZER]) {
        addModelMount(spec, name, { mountPath: parent, volume: volumeNameFromPath(parent), readOnly: opts.readOnly });
      }
    }
  } else {
    const uri = remaining[0]!.uri;
    const names = [...runtimeNames];
    let target: ModelMount = { mountPath: MODEL_MOUNT_PATH, volume: PROVISION_VOLUME, readOnly: opts.readOnly };
    if (uri.startsWith('pvc://')) {
      const [claimName, subPath] = parsePvcUri(uri);
      target = { ...target, volume: PVC_SOURCE_VOLUME, claimName, subPath };
    } else {
      init = storageInitializerContainer(config, [uri, MODEL_MOUNT_PATH]);
      (spec.initContainers ??= []).push(init);
      names.push(STORAGE_INITIALIZER);
    }
    for (const name of names) addModelMount(spec, name, target);
    pointStorageUriEnvAtModels(user);
  }
  if (init) addHuggingFaceEnv(init);
}

/** utils.AddModelMount: mounts into the named container (read-write for init containers) and adds
 *  the volume (PVC or emptyDir) when the mount was new. */
interface ModelMount {
  mountPath: string;
  volume: string;
  readOnly: boolean;
  /** A PVC volume when set, else an emptyDir. */
  claimName?: string;
  subPath?: string;
}

function addModelMount(spec: PodSpec, containerName: string, p: ModelMount): void {
  const regular = containerNamed(spec, containerName);
  const container = regular ?? initContainerNamed(spec, containerName);
  if (!container) return;
  const readOnly = regular ? p.readOnly : false;
  const added = addVolumeMountIfNotPresent(container, mount(p.volume, p.mountPath, { readOnly, ...(p.subPath ? { subPath: p.subPath } : {}) }));
  if (!added) return;
  addVolumeIfNotPresent(spec, p.claimName ? { name: p.volume, persistentVolumeClaim: { claimName: p.claimName } } : emptyDirVolume(p.volume));
}

/** The OCI dispatch block of CommonStorageInitialization (v0.20): at most ten oci:// sources, parent
 *  directories distinct (modelcar) or mount paths distinct (native), one modelcar-N per source. */
function injectOciSources(spec: PodSpec, uris: StorageUri[], config: StorageInitializerConfig, version: string): void {
  const user = containerNamed(spec, KSERVE_CONTAINER);
  if (!user && !containerNamed(spec, WORKER_CONTAINER)) throw new WebhookError('Invalid configuration: cannot find container');
  const ociPaths = uris.filter((u) => u.uri.startsWith('oci://')).map((u) => u.mountPath);
  if (ociPaths.length > MAX_OCI_SOURCES) throw new WebhookError(`too many OCI sources (${ociPaths.length}); maximum is ${MAX_OCI_SOURCES} per pod`);
  validateOciMountPaths(ociPaths, resolveOciModelMode(config, version));
  const target = user ? KSERVE_CONTAINER : WORKER_CONTAINER;
  let index = 0;
  for (const u of uris) {
    const oci = parseOciScheme(u.uri, version);
    if (!oci) continue;
    const mode = oci.mode || resolveOciModelMode(config, version);
    if (mode === '') continue;
    const targets = [target, ...(containerNamed(spec, TRANSFORMER_CONTAINER) ? [TRANSFORMER_CONTAINER] : [])];
    for (const name of targets) {
      if (mode === 'native') configureOciNative(spec, oci.uri, name, u.mountPath);
      else configureModelcar(spec, oci.uri, name, u.mountPath, config, version, index);
    }
    index++;
  }
}

/** utils.ValidateOCIMountPaths (v0.20). */
function validateOciMountPaths(paths: string[], mode: string): void {
  if (paths.length <= 1) return;
  const seen = new Map<string, string>();
  for (const p of paths) {
    const key = mode === 'native' ? p : parentDirectory(p);
    const previous = seen.get(key);
    if (previous !== undefined) {
      if (mode === 'native') throw new WebhookError(`OCI mount path "${p}" is specified more than once; each native ImageVolume must have a unique mount path`);
      throw new WebhookError(
        `OCI mount paths "${previous}" and "${p}" share parent directory "${key}", which would cause volume mount shadowing; use mount paths with distinct parent directories`,
      );
    }
    seen.set(key, p);
  }
}
