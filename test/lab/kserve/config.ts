// Reading `inferenceservice-config` the way the pod webhook does at every admission (mutator.go
// `mutate`): each key is unmarshalled with Go's encoding/json, and a malformed value panics.
import { goJsonSyntaxError, goUnmarshalStruct, type GoFieldType } from './go-json.ts';
import { kserveBehaviour } from './versions.ts';

/** A Go panic inside the webhook handler (KServe panics on unparsable config JSON). */
export class WebhookPanic extends Error {}

/** `admission.Errored(http.StatusInternalServerError, err)`: the handler returns an error. */
export class WebhookError extends Error {}

export type OciModelMode = 'modelcar' | 'native' | 'fetch';

export interface StorageInitializerConfig {
  image: string;
  cpuRequest: string;
  cpuLimit: string;
  memoryRequest: string;
  memoryLimit: string;
  cpuModelcar: string;
  memoryModelcar: string;
  caBundleConfigMapName: string;
  caBundleVolumeMountPath: string;
  enableDirectPvcVolumeMount: boolean;
  enableModelcar: boolean;
  enableOciModelSupport: boolean;
  ociModelMode: string;
  uidModelcar: number | null;
}

const QUANTITY_FORMAT_ERROR = "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";
const QUANTITY_SUFFIX_ERROR = "unable to parse quantity's suffix";

/** The error resource.ParseQuantity returns (k8s.io/apimachinery/pkg/api/resource/quantity.go), or undefined. */
export function quantityError(s: string): string | undefined {
  const m = /^([+-]?)(\d*)(?:\.(\d*))?(.*)$/s.exec(s);
  if (!m || s === '' || (m[2] === '' && (m[3] ?? '') === '')) return QUANTITY_FORMAT_ERROR;
  const suffix = m[4]!;
  const valid = /^(|Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E|[eE][+-]?\d+)$/.test(suffix);
  return valid ? undefined : QUANTITY_SUFFIX_ERROR;
}

/** resource.MustParse: panics with `cannot parse '<s>': <err>`. */
export function mustParseQuantity(s: string): string {
  const err = quantityError(s);
  if (err) throw new WebhookPanic(`cannot parse '${s}': ${err}`);
  return s;
}

// Struct fields per release: pkg/webhook/admission/pod/storage_initializer_injector.go (v0.13-v0.15),
// pkg/types/config.go (v0.16+; enableDirectPvcVolumeMount gone, ociModelMode/enableOciModelSupport in v0.20).
function storageInitializerFields(version: string): Record<string, GoFieldType> {
  const b = kserveBehaviour(version);
  const fields: Record<string, GoFieldType> = {
    image: 'string',
    cpuRequest: 'string',
    cpuLimit: 'string',
    cpuModelcar: 'string',
    memoryRequest: 'string',
    memoryLimit: 'string',
    caBundleConfigMapName: 'string',
    caBundleVolumeMountPath: 'string',
    memoryModelcar: 'string',
    enableModelcar: 'bool',
    uidModelcar: '*int64',
  };
  if (!b.configInTypesPackage) fields.enableDirectPvcVolumeMount = 'bool';
  if (b.ociModes) {
    fields.enableOciModelSupport = 'bool';
    fields.ociModelMode = 'string';
  }
  return fields;
}

/** getStorageInitializerConfigs / v1beta1.GetStorageInitializerConfigs at the given release. */
export function parseStorageInitializerConfig(data: Record<string, string>, version: string): StorageInitializerConfig {
  const b = kserveBehaviour(version);
  const config: StorageInitializerConfig = {
    image: '', cpuRequest: '', cpuLimit: '', memoryRequest: '', memoryLimit: '', cpuModelcar: '', memoryModelcar: '',
    caBundleConfigMapName: '', caBundleVolumeMountPath: '', enableDirectPvcVolumeMount: false, enableModelcar: false,
    enableOciModelSupport: false, ociModelMode: '', uidModelcar: null,
  };
  const raw = data.storageInitializer;
  if (raw !== undefined) {
    const goType = b.configInTypesPackage ? 'types.StorageInitializerConfig' : 'pod.StorageInitializerConfig';
    const decoded = goUnmarshalStruct(raw, goType, storageInitializerFields(version));
    if (decoded.error) throw new WebhookPanic(`Unable to unmarshall storageInitializer json string due to ${decoded.error} `);
    Object.assign(config, decoded.values);
  }

  if (b.validatesModelcarQuantities === 'no') {
    // v0.13-v0.15: four quantities, unnamed in the message.
    for (const q of [config.memoryRequest, config.memoryLimit, config.cpuRequest, config.cpuLimit]) {
      const err = quantityError(q);
      if (err) throw new WebhookError(`Failed to parse resource configuration for "storageInitializer": "${err}"`);
    }
    return config;
  }
  const quantities: Record<string, string> = {
    memoryRequest: config.memoryRequest,
    memoryLimit: config.memoryLimit,
    cpuRequest: config.cpuRequest,
    cpuLimit: config.cpuLimit,
  };
  const always = b.validatesModelcarQuantities === 'always';
  if (always || config.cpuModelcar !== '') quantities.cpuModelcar = config.cpuModelcar;
  if (always || config.memoryModelcar !== '') quantities.memoryModelcar = config.memoryModelcar;
  // Go ranges over a map here, so with several bad values the one named varies; we name the first.
  for (const [key, value] of Object.entries(quantities)) {
    const err = quantityError(value);
    if (err) throw new WebhookError(`failed to parse resource configuration for "storageInitializer"."${key}": ${err}`);
  }
  if (b.ociModes && config.ociModelMode !== '' && !['modelcar', 'native', 'fetch'].includes(config.ociModelMode)) {
    throw new WebhookError(`invalid "storageInitializer".ociModelMode "${config.ociModelMode}": must be one of "modelcar", "native", "fetch"`);
  }
  return config;
}

/** types.ResolveOciModelMode (v0.20): an explicit ociModelMode wins, then the two booleans. Earlier
 *  releases only know enableModelcar. '' means OCI models are off. */
export function resolveOciModelMode(config: StorageInitializerConfig, version: string): OciModelMode | '' {
  if (!kserveBehaviour(version).ociModes) return config.enableModelcar ? 'modelcar' : '';
  if (config.ociModelMode !== '') return config.ociModelMode as OciModelMode;
  return config.enableModelcar || config.enableOciModelSupport ? 'modelcar' : '';
}

/** The other keys `mutate` unmarshals before injecting anything, in its order, with each one's panic
 *  text (credentials: service_account_credentials.go; the rest: pkg/webhook/admission/pod/*.go). Only
 *  syntax is checked: their contents do not change what the lab's pods look like. */
function checkOtherKeys(data: Record<string, string>, version: string, stage: 'beforeStorage' | 'afterStorage'): void {
  const b = kserveBehaviour(version);
  const keys: Array<[string, (err: string) => string]> =
    stage === 'beforeStorage'
      ? [['credentials', (e) => (b.credentialConfigError ? `unable to parse credential config json: ${e}` : `Unable to unmarshall json string due to ${e} `)]]
      : [
          ['logger', (e) => `Unable to unmarshall logger json string due to ${e} `],
          ['batcher', (e) => `Unable to unmarshall batcher json string due to ${e} `],
          ['agent', (e) => `unable to unmarshall agent json string due to ${e}`],
          ['metricsAggregator', (e) => `Unable to unmarshall metricsAggregator json string due to ${e} `],
        ];
  for (const [key, message] of keys) {
    const raw = data[key];
    if (raw === undefined) continue;
    const err = goJsonSyntaxError(raw);
    if (err) throw new WebhookPanic(message(err));
  }
}

/** Everything `mutate` reads from the ConfigMap, in its order; throws WebhookPanic/WebhookError as it fails. */
export function readWebhookConfig(data: Record<string, string>, version: string): StorageInitializerConfig {
  checkOtherKeys(data, version, 'beforeStorage');
  const config = parseStorageInitializerConfig(data, version);
  checkOtherKeys(data, version, 'afterStorage');
  return config;
}
