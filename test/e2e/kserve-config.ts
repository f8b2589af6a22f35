// Edits of KServe's `storageInitializer` configuration for a scenario, undone afterwards.
import { getJson, type Kubectl } from './isvc.ts';

type Config = Record<string, unknown>;

async function setStorageInitializer(k: Kubectl, value: string): Promise<void> {
  const patch = JSON.stringify([{ op: 'replace', path: '/data/storageInitializer', value }]);
  const r = await k(['patch', 'configmap', '-n', 'kserve', 'inferenceservice-config', '--type=json', '-p', patch]);
  if (r.exitCode !== 0) throw new Error(`patching inferenceservice-config: ${r.stderr}`);
}

/** Applies `edit` to the live storageInitializer JSON; returns the function that puts the original text back. */
export async function editStorageInitializer(k: Kubectl, edit: (config: Config) => Config): Promise<() => Promise<void>> {
  const original = (await getJson(k, ['configmap', '-n', 'kserve', 'inferenceservice-config'])).data.storageInitializer as string;
  await setStorageInitializer(k, JSON.stringify(edit(JSON.parse(original) as Config)));
  return () => setStorageInitializer(k, original);
}

/** The config without `keys`. */
export const without = (...keys: string[]) => (config: Config): Config => Object.fromEntries(Object.entries(config).filter(([key]) => !keys.includes(key)));
