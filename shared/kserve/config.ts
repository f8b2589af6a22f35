// The `storageInitializer` key of ConfigMap inferenceservice-config, read the way KServe's
// GetStorageInitializerConfigs (pkg/apis/serving/v1beta1/configmap.go) reads it: JSON into a typed
// struct (a wrong type fails the whole parse), then resource.ParseQuantity on the quantities and a
// closed set for ociModelMode. Any failure there fails every new pod's admission, so it is data
// here (MC102), never an exception.
import { z } from 'zod';
import type { ConfigMap } from '../snapshot.ts';
import { parseQuantity } from './quantity.ts';
import { atLeast, SINCE, type Version } from './version.ts';

export const CONFIG_MAP_NAME = 'inferenceservice-config';
export const STORAGE_INITIALIZER_KEY = 'storageInitializer';

export const OCI_MODES = ['modelcar', 'native', 'fetch'] as const;
export type OciMode = (typeof OCI_MODES)[number];

/** KServe v0.20 defaults for a modelcar when the keys are empty (pkg/constants). */
export const MODELCAR_DEFAULTS = { cpu: '10m', memory: '15Mi' } as const;

/** Go's encoding/json into types.StorageInitializerConfig: unknown keys are ignored, null leaves
 *  the zero value, a wrong type is an error. */
const StorageInitializerSchema = z
  .object({
    image: z.string().nullish(),
    cpuRequest: z.string().nullish(),
    cpuLimit: z.string().nullish(),
    memoryRequest: z.string().nullish(),
    memoryLimit: z.string().nullish(),
    caBundleConfigMapName: z.string().nullish(),
    caBundleVolumeMountPath: z.string().nullish(),
    enableModelcar: z.boolean().nullish(),
    enableOciModelSupport: z.boolean().nullish(),
    ociModelMode: z.string().nullish(),
    cpuModelcar: z.string().nullish(),
    memoryModelcar: z.string().nullish(),
    uidModelcar: z.number().int().nullish(),
  })
  .loose();

export interface StorageInitializerConfig {
  enableModelcar: boolean;
  enableOciModelSupport: boolean;
  ociModelMode: string;
  cpuModelcar: string;
  memoryModelcar: string;
  uidModelcar: number | null;
  /** The object as written, for patches that keep everything else. */
  raw: Record<string, unknown>;
}

export interface ConfigProblem {
  /** JSON key, or '' for the whole document. */
  key: string;
  message: string;
}

export type ParsedConfig =
  | { ok: true; config: StorageInitializerConfig; problems: [] }
  | { ok: false; config: StorageInitializerConfig | null; problems: ConfigProblem[] };

export function parseStorageInitializer(text: string): ParsedConfig {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    return { ok: false, config: null, problems: [{ key: '', message: `not valid JSON: ${(e as Error).message}` }] };
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    return { ok: false, config: null, problems: [{ key: '', message: 'not a JSON object' }] };
  }
  const parsed = StorageInitializerSchema.safeParse(json);
  if (!parsed.success) {
    return {
      ok: false,
      config: null,
      problems: parsed.error.issues.map((i) => ({
        key: i.path.join('.'),
        message: `${i.path.join('.')} has the wrong type: ${JSON.stringify((json as Record<string, unknown>)[String(i.path[0])])} (${i.message})`,
      })),
    };
  }
  const c = parsed.data;
  const config: StorageInitializerConfig = {
    enableModelcar: c.enableModelcar ?? false,
    enableOciModelSupport: c.enableOciModelSupport ?? false,
    ociModelMode: c.ociModelMode ?? '',
    cpuModelcar: c.cpuModelcar ?? '',
    memoryModelcar: c.memoryModelcar ?? '',
    uidModelcar: c.uidModelcar ?? null,
    raw: json as Record<string, unknown>,
  };
  const problems: ConfigProblem[] = [];
  for (const key of ['cpuRequest', 'cpuLimit', 'memoryRequest', 'memoryLimit', 'cpuModelcar', 'memoryModelcar'] as const) {
    const v = c[key];
    if (v && parseQuantity(v) === null) problems.push({ key, message: `${key} is not a Kubernetes quantity: ${JSON.stringify(v)}` });
  }
  if (config.ociModelMode && !(OCI_MODES as readonly string[]).includes(config.ociModelMode)) {
    problems.push({ key: 'ociModelMode', message: `ociModelMode ${JSON.stringify(config.ociModelMode)} is not one of ${OCI_MODES.join(', ')}` });
  }
  return problems.length ? { ok: false, config, problems } : { ok: true, config, problems: [] };
}

/** What `storageInitializer` of a ConfigMap says, or why it says nothing. */
export function readConfig(cm: ConfigMap | null): { present: false } | ({ present: true; text: string } & ParsedConfig) {
  const text = cm?.data?.[STORAGE_INITIALIZER_KEY];
  if (text === undefined) return { present: false };
  return { present: true, text, ...parseStorageInitializer(text) };
}

/** KServe's ResolveOciModelMode: a non-empty ociModelMode wins, else enableModelcar ||
 *  enableOciModelSupport means modelcar, else off (''). Controllers before v0.20 know only
 *  enableModelcar, so with a known older version the newer keys are ignored. */
export function effectiveOciMode(c: StorageInitializerConfig, controller: Version | null): OciMode | '' {
  const newKeys = controller === null || atLeast(controller, SINCE.severalSourcesAndNative);
  if (newKeys && c.ociModelMode) return c.ociModelMode as OciMode;
  if (c.enableModelcar || (newKeys && c.enableOciModelSupport)) return 'modelcar';
  return '';
}

/** The modelcar resources a pod gets from this config (empty means KServe's default). */
export function modelcarResources(c: StorageInitializerConfig): { cpu: string; memory: string } {
  return { cpu: c.cpuModelcar || MODELCAR_DEFAULTS.cpu, memory: c.memoryModelcar || MODELCAR_DEFAULTS.memory };
}

// ---- the `_example` block ------------------------------------------------------------------

/** Modelcar keys and their values in the `_example` block KServe ships (the same v0.12..v0.20). */
export const SHIPPED_EXAMPLE_VALUES: Readonly<Record<string, unknown>> = {
  enableModelcar: false,
  enableOciModelSupport: false,
  ociModelMode: 'modelcar',
  cpuModelcar: '10m',
  memoryModelcar: '15Mi',
  uidModelcar: 10,
};

/** Modelcar keys whose value in `_example` differs from the shipped example: someone edited the
 *  documentation block, which KServe never reads. */
export function editedExampleKeys(cm: ConfigMap | null): Record<string, unknown> {
  const example = cm?.data?.['_example'];
  if (!example) return {};
  const edited: Record<string, unknown> = {};
  const re = /"(enableModelcar|enableOciModelSupport|ociModelMode|cpuModelcar|memoryModelcar|uidModelcar)"\s*:\s*("[^"]*"|true|false|-?\d+)/g;
  for (const m of example.matchAll(re)) {
    const key = m[1]!;
    const value: unknown = JSON.parse(m[2]!);
    if (value !== SHIPPED_EXAMPLE_VALUES[key]) edited[key] = value;
  }
  return edited;
}

// ---- patches -------------------------------------------------------------------------------

/** The value for a JSON patch of /data/storageInitializer that keeps everything else and applies
 *  `changes` (undefined removes a key), quoted to sit inside a single-quoted shell argument. */
export function patchValue(raw: Record<string, unknown>, changes: Record<string, unknown>): string {
  const next: Record<string, unknown> = { ...raw };
  for (const [k, v] of Object.entries(changes)) {
    if (v === undefined) delete next[k];
    else next[k] = v;
  }
  return JSON.stringify(JSON.stringify(next)).replaceAll("'", "'\\''");
}
