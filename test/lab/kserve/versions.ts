// What changes between KServe releases, as read in kserve/kserve at each tag. Every behaviour switch
// of the emulation is one field here, so a reader sees in one place which release does what.

/** `v0.15.2` -> [0, 15, 2]; a pre-release suffix (`-rc1`) is ignored. */
export function parseVersion(version: string): [number, number, number] {
  const m = /^v?(\d+)\.(\d+)\.(\d+)/.exec(version);
  if (!m) throw new Error(`not a KServe release: ${version}`);
  return [Number(m[1]), Number(m[2]), Number(m[3])];
}

export function atLeast(version: string, minimum: string): boolean {
  const a = parseVersion(version);
  const b = parseVersion(minimum);
  for (let i = 0; i < 3; i++) {
    if (a[i]! !== b[i]!) return a[i]! > b[i]!;
  }
  return true;
}

export interface KServeBehaviour {
  /** `ln -sf` since v0.15.0 (#4274); `ln -s` before, which fails with "File exists" after a restart. */
  lnForce: boolean;
  /** Init container `modelcar-init` since v0.14.0 (storage_initializer_injector.go createModelInitContainer). */
  modelcarInit: boolean;
  /** v0.12 to v0.17.1 replace the runtime's securityContext by `{runAsUser}`; v0.18.0 sets only runAsUser
   *  (pkg/utils/storage.go ConfigureModelcarToContainer, #5167). */
  runtimeSecurityContext: 'replace' | 'merge';
  /** The modelcar path falls back to `worker-container` since v0.17.0 (InjectModelcar). */
  modelcarWorkerFallback: boolean;
  /** The storage-initializer path falls back to `worker-container` since v0.15.0. */
  storageInitializerWorkerFallback: boolean;
  /** v0.13 copies the runtime's securityContext onto storage-initializer (removed in v0.14.0). */
  storageInitializerCopiesSecurityContext: boolean;
  /** v0.16.0 moved the storage-initializer into CommonStorageInitialization: HF_* env vars and the
   *  volume appended after the mounts (storage_initializer_injector.go, pkg/utils/storage.go). */
  commonStorageInitialization: boolean;
  /** v0.16.0 moved StorageInitializerConfig to pkg/types (Go type `types.StorageInitializerConfig`) and
   *  dropped enableDirectPvcVolumeMount: pvc:// is always mounted directly. */
  configInTypesPackage: boolean;
  /** `serving.kserve.io/storage-readonly` annotation honoured since v0.14.0. */
  storageReadonlyAnnotation: boolean;
  /** `spec.predictor.storageUris` handled by the controller since v0.16.0. */
  storageUris: boolean;
  /** `oci://` inside storageUris becomes modelcars since v0.19.0 (#5200); before, an oci:// first entry
   *  with modelcars on makes the controller inject nothing. */
  storageUrisOci: boolean;
  /** `ociModelMode`, `enableOciModelSupport`, `oci+native://`, `modelcar-N` sources: v0.20.0. */
  ociModes: boolean;
  /** `mkdir -p <dir> && ln -sf ...` for a model path other than /mnt/models: v0.18.0 (modelcarCommand). */
  modelcarMkdir: boolean;
  /** GetStorageInitializerConfigs validates cpuModelcar/memoryModelcar and names the key since v0.16.0
   *  (v0.16 even when they are empty; v0.17.0 only when set); before, a bad modelcar quantity panics
   *  in resource.MustParse at injection time (#5083). */
  validatesModelcarQuantities: 'no' | 'always' | 'whenSet';
  /** controller-runtime >= 0.19 recovers webhook panics by default (KServe v0.15.0 upgraded to it);
   *  v0.13/v0.14 ran 0.16/0.18 with RecoverPanic false, so a panic drops the connection. */
  webhookRecoversPanics: boolean;
  /** The credentials key is parsed by GetCredentialConfig with its own message since v0.17.0. */
  credentialConfigError: boolean;
  /** Knative/Standard names since v0.16.0 (constants.ParseDeploymentMode); `Stopped` condition since v0.16.0. */
  deploymentModeNames: 'Serverless/RawDeployment' | 'Knative/Standard';
  stoppedCondition: boolean;
  /** Since v0.15.0 PropagateModelStatus checks storage-initializer before Ready and reports
   *  FailedToLoad at zero pods when a Knative condition is False. */
  modelStatusChecksInitFirst: boolean;
  /** Since v0.16.0 modelStatus.copies.totalCopies counts ready pods at every reconcile; before, it is
   *  set only on Loaded, to the number of pods. */
  modelCopiesCountReady: boolean;
  /** status.servingRuntimeName / clusterServingRuntimeName since v0.16.0 (predictor.go). */
  runtimeNameInStatus: boolean;
  /** utils.GetDeploymentMode prefers status.deploymentMode since v0.15.2. */
  statusRecordsDeploymentMode: boolean;
  /** The InferenceServiceNotReady event lists the False conditions since v0.14.0 (controller.go). */
  notReadyEventNamesConditions: boolean;
}

export function kserveBehaviour(version: string): KServeBehaviour {
  const v = (min: string) => atLeast(version, min);
  return {
    lnForce: v('v0.15.0'),
    modelcarInit: v('v0.14.0'),
    runtimeSecurityContext: v('v0.18.0') ? 'merge' : 'replace',
    modelcarWorkerFallback: v('v0.17.0'),
    storageInitializerWorkerFallback: v('v0.15.0'),
    storageInitializerCopiesSecurityContext: !v('v0.14.0'),
    commonStorageInitialization: v('v0.16.0'),
    configInTypesPackage: v('v0.16.0'),
    storageReadonlyAnnotation: v('v0.14.0'),
    storageUris: v('v0.16.0'),
    storageUrisOci: v('v0.19.0'),
    ociModes: v('v0.20.0'),
    modelcarMkdir: v('v0.18.0'),
    validatesModelcarQuantities: v('v0.17.0') ? 'whenSet' : v('v0.16.0') ? 'always' : 'no',
    webhookRecoversPanics: v('v0.15.0'),
    credentialConfigError: v('v0.17.0'),
    deploymentModeNames: v('v0.16.0') ? 'Knative/Standard' : 'Serverless/RawDeployment',
    stoppedCondition: v('v0.16.0'),
    modelStatusChecksInitFirst: v('v0.15.0'),
    modelCopiesCountReady: v('v0.16.0'),
    runtimeNameInStatus: v('v0.16.0'),
    statusRecordsDeploymentMode: v('v0.15.2'),
    notReadyEventNamesConditions: v('v0.14.0'),
  };
}
