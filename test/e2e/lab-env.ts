// Lab-test plumbing for the e2e files: whether pods can run here (and the printed reason when a test
// is skipped outside CI), and a kubectl of the shared lab with its own kubeconfig copy, so a test can
// set a current namespace the way the seed document assumes without touching other tests' config.
import { copyFile, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inject } from 'vitest';
import { canRunPods } from '../lab/kubelet/kubelet.ts';
import { kubectlWith, type Kubectl } from './isvc.ts';

/** True when the lab kubelet can run pods; outside CI prints why not, in CI refuses to skip. */
export function podsCanRun(what: string): boolean {
  const can = canRunPods();
  if (can.ok) return true;
  if (process.env['CI']) throw new Error(`${what} cannot be skipped in CI: ${can.reason}`);
  console.log(`skipping ${what}: ${can.reason}`);
  return false;
}

export interface LabSession { env: Record<string, string>; kubectl: Kubectl; dir: string }

/** The shared lab through a private copy of its kubeconfig whose current namespace is `namespace`. */
export async function labSession(namespace?: string): Promise<LabSession> {
  const dir = await mkdtemp(join(tmpdir(), 'e2e-session-'));
  const kubeconfig = join(dir, 'kubeconfig');
  await copyFile(inject('labKubeconfig'), kubeconfig);
  const env = { KUBECONFIG: kubeconfig, KUBECACHEDIR: inject('labCacheDir') };
  const kubectl = kubectlWith(env);
  if (namespace) {
    const r = await kubectl(['config', 'set-context', '--current', `--namespace=${namespace}`]);
    if (r.exitCode !== 0) throw new Error(`kubectl config set-context: ${r.stderr}`);
  }
  return { env, kubectl, dir };
}
