// A private copy of a lab's kubeconfig, optionally with a current namespace (the seed document
// assumes `kserve-test`), so that setting it touches no one else's configuration.
import { copyFile, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { kubectlWith, type Kubectl } from './isvc.ts';

export interface LabSession { env: Record<string, string>; kubectl: Kubectl; dir: string }

export async function sessionFor(kubeconfig: string, cacheDir: string, namespace?: string): Promise<LabSession> {
  const dir = await mkdtemp(join(tmpdir(), 'e2e-session-'));
  const copy = join(dir, 'kubeconfig');
  await copyFile(kubeconfig, copy);
  const env = { KUBECONFIG: copy, KUBECACHEDIR: cacheDir };
  const kubectl = kubectlWith(env);
  if (namespace) {
    const r = await kubectl(['config', 'set-context', '--current', `--namespace=${namespace}`]);
    if (r.exitCode !== 0) throw new Error(`kubectl config set-context: ${r.stderr}`);
  }
  return { env, kubectl, dir };
}
