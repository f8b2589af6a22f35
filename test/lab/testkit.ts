// Helpers for lab tests: the real kubectl and client-node pointed at the lab of this test run.
import { KubeConfig } from '@kubernetes/client-node';
import { execa } from 'execa';
import { inject } from 'vitest';

export const KUBECTL = '/usr/bin/kubectl';

export interface KubectlResult { stdout: string; stderr: string; exitCode: number }

/** The environment a kubectl against the lab needs: its kubeconfig and a private discovery cache. */
export function labEnv(): Record<string, string> {
  return { KUBECONFIG: inject('labKubeconfig'), KUBECACHEDIR: inject('labCacheDir') };
}

/** Runs /usr/bin/kubectl against the lab; never throws on a non-zero exit. */
export async function kubectl(args: string[], opts: { input?: string; context?: string; timeoutMs?: number } = {}): Promise<KubectlResult> {
  const r = await execa(KUBECTL, [...(opts.context ? ['--context', opts.context] : []), ...args], {
    env: labEnv(),
    input: opts.input ?? '',
    reject: false,
    timeout: opts.timeoutMs ?? 30_000,
  });
  return { stdout: String(r.stdout), stderr: String(r.stderr), exitCode: r.exitCode ?? -1 };
}

/** A client-node KubeConfig for the lab (admin context unless told otherwise). */
export function labClient(context = 'lab-admin'): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromFile(inject('labKubeconfig'));
  kc.setCurrentContext(context);
  return kc;
}
