// What the containers of a pod on a simulated node do. Without processes nothing can find out, so a
// pod says which scenario of docs/scenarios.md it plays (an annotation `populate` puts on the
// InferenceService, which KServe copies to the pod) and this table says how each container ends up.
// Containers a scenario does not name start and stay running; init containers complete.
import { normalizeImageRef } from '../kubelet/image-names.ts';
import type { Container } from '../kubelet/pod-types.ts';

export const SIM_SCENARIO_ANNOTATION = 'lab.kubectl-modelcar.dev/simulate';

export type ContainerFate =
  | { kind: 'runs' }
  /** Exits again after every restart: CrashLoopBackOff with the last exit in lastState. */
  | { kind: 'crashLoop'; exitCode: number; reason: 'Error' | 'OOMKilled'; log: (c: Container) => string }
  /** Exited once and runs since its restart. */
  | { kind: 'restartedOnce'; exitCode: number; reason: 'Error' | 'OOMKilled'; log: (c: Container) => string }
  /** The image cannot be pulled; `error` is containerd's text. */
  | { kind: 'pullFails'; error: (c: Container) => string };

const RUNS: ContainerFate = { kind: 'runs' };

/** The sklearn server's failure to read its model (KServe's Python logging, as the lab's stand-in prints it). */
const modelUnreadable = (error: string) => () =>
  `Traceback (most recent call last):\n  File "/sklearnserver/sklearnserver/__main__.py", line 39, in <module>\n    model.load()\n${error}\n`;

const modelcarInitNok = (c: Container) =>
  `Pre-fetching modelcar ${c.image}: \nNOK ... Prefetched but modelcar is invalid (/models does not exist or is empty)\n`;

// containerd's wording, as the lab's image store (images/store.ts) reports real pull failures.
const notFound = (c: Container) => {
  const name = normalizeImageRef(c.image);
  return `failed to pull and unpack image "${name}": failed to resolve reference "${name}": ${name}: not found`;
};
const unauthorized = (c: Container) => {
  const name = normalizeImageRef(c.image);
  const slash = name.indexOf('/');
  const [repository, tag] = name.slice(slash + 1).split(':') as [string, string];
  return `failed to pull and unpack image "${name}": failed to resolve reference "${name}": unexpected status from HEAD request to https://${name.slice(0, slash)}/v2/${repository}/manifests/${tag}: 401 Unauthorized`;
};

/** Per scenario, the containers that do not simply run. Scenarios absent here run healthy. */
const FATES: Record<string, Record<string, ContainerFate>> = {
  'uid-mismatch': { 'kserve-container': { kind: 'crashLoop', exitCode: 1, reason: 'Error', log: modelUnreadable("PermissionError: [Errno 13] Permission denied: '/mnt/models'") } },
  'no-models-dir': { 'modelcar-init': { kind: 'crashLoop', exitCode: 1, reason: 'Error', log: modelcarInitNok } },
  'empty-models-dir': { 'modelcar-init': { kind: 'crashLoop', exitCode: 1, reason: 'Error', log: modelcarInitNok } },
  'image-missing': { 'modelcar-init': { kind: 'pullFails', error: notFound } },
  'private-image-no-secret': { 'modelcar-init': { kind: 'pullFails', error: unauthorized } },
  'modelcar-oomkilled': { modelcar: { kind: 'restartedOnce', exitCode: 137, reason: 'OOMKilled', log: () => '' } },
  'startup-race': { 'kserve-container': { kind: 'restartedOnce', exitCode: 1, reason: 'Error', log: modelUnreadable("FileNotFoundError: [Errno 2] No such file or directory: '/mnt/models'") } },
  'share-process-namespace-false': { 'kserve-container': { kind: 'crashLoop', exitCode: 1, reason: 'Error', log: modelUnreadable("FileNotFoundError: [Errno 2] No such file or directory: '/mnt/models'") } },
  'ln-s-file-exists-v0.13': { modelcar: { kind: 'crashLoop', exitCode: 1, reason: 'Error', log: () => "ln: /mnt/models/models: File exists\n" } },
  'modelcars-disabled': { 'storage-initializer': { kind: 'crashLoop', exitCode: 1, reason: 'Error', log: (c) => `Exception: Cannot recognize storage type for ${c.args?.[0] ?? ''}\n` } },
  'example-only-edit': { 'storage-initializer': { kind: 'crashLoop', exitCode: 1, reason: 'Error', log: (c) => `Exception: Cannot recognize storage type for ${c.args?.[0] ?? ''}\n` } },
};

export function fateOf(scenario: string | undefined, container: string): ContainerFate {
  return (scenario && FATES[scenario]?.[container]) || RUNS;
}
