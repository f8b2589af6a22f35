// Lab-test plumbing for the e2e files: whether pods can run here (and the printed reason when a test
// is skipped outside CI), and a kubectl of the shared lab with its own kubeconfig copy, so a test can
// set a current namespace the way the seed document assumes without touching other tests' config.
import { inject } from 'vitest';
import { canRunPods } from '../lab/kubelet/kubelet.ts';
import { sessionFor, type LabSession } from './session.ts';

export type { LabSession };

/** True when the lab kubelet can run pods; outside CI prints why not, in CI refuses to skip. */
export function podsCanRun(what: string): boolean {
  const can = canRunPods();
  if (can.ok) return true;
  if (process.env['CI']) throw new Error(`${what} cannot be skipped in CI: ${can.reason}`);
  console.log(`skipping ${what}: ${can.reason}`);
  return false;
}

/** The shared lab through a private copy of its kubeconfig whose current namespace is `namespace`. */
export function labSession(namespace?: string): Promise<LabSession> {
  return sessionFor(inject('labKubeconfig'), inject('labCacheDir'), namespace);
}
