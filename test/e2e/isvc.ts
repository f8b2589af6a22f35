// InferenceServices and their pods through the real kubectl, for the e2e tests and the startup
// benchmark: each function takes the kubectl to use, so a test's shared lab and a lab of its own
// (a benchmark, a second KServe version) go through the same code.
import { execa } from 'execa';
import { KUBECTL, type KubectlResult } from '../lab/testkit.ts';
import { until } from '../lab/until.ts';

export type Kubectl = (args: string[], opts?: { input?: string; timeoutMs?: number }) => Promise<KubectlResult>;

/** /usr/bin/kubectl with `env` (KUBECONFIG, KUBECACHEDIR); never throws on a non-zero exit. */
export function kubectlWith(env: Record<string, string>): Kubectl {
  return async (args, opts = {}) => {
    const r = await execa(KUBECTL, args, { env, input: opts.input ?? '', reject: false, timeout: opts.timeoutMs ?? 30_000 });
    return { stdout: String(r.stdout), stderr: String(r.stderr), exitCode: r.exitCode ?? -1 };
  };
}

/** Runs a bash script (the seed's shell snippets) with `env`; never throws on a non-zero exit. */
export async function bash(script: string, env: Record<string, string>, timeoutMs = 60_000): Promise<KubectlResult> {
  const r = await execa('bash', ['-c', script], { env: { PATH: '/usr/bin:/bin', ...env }, reject: false, timeout: timeoutMs });
  return { stdout: String(r.stdout), stderr: String(r.stderr), exitCode: r.exitCode ?? -1 };
}

/** `kubectl get ... -o json`, parsed; undefined when kubectl fails. */
export async function getJson(k: Kubectl, args: string[]): Promise<any> {
  const r = await k(['get', ...args, '-o', 'json']);
  return r.exitCode === 0 ? JSON.parse(r.stdout) : undefined;
}


/** The InferenceService's pods (label serving.kserve.io/inferenceservice), not the ones being deleted. */
export async function livePods(k: Kubectl, ns: string, isvc: string): Promise<any[]> {
  const list = await getJson(k, ['pods', '-n', ns, '-l', `serving.kserve.io/inferenceservice=${isvc}`]);
  return (list?.items ?? []).filter((p: any) => !p.metadata.deletionTimestamp);
}

/** The first live pod of the InferenceService, once the controllers made it. */
export async function predictorPod(k: Kubectl, ns: string, isvc: string, timeoutMs = 60_000): Promise<any> {
  return until(`a pod of ${ns}/${isvc}`, async () => (await livePods(k, ns, isvc))[0], timeoutMs, 200);
}

/** `kubectl wait --for=condition=Ready`: one watching kubectl rather than a polling loop. */
export async function waitPodReady(k: Kubectl, ns: string, pod: string, timeoutS = 90): Promise<KubectlResult> {
  return k(['wait', '-n', ns, '--for=condition=Ready', `pod/${pod}`, `--timeout=${timeoutS}s`], { timeoutMs: (timeoutS + 10) * 1000 });
}

/** `kubectl wait` for the InferenceService's Ready condition. */
export async function waitIsvcReady(k: Kubectl, ns: string, isvc: string, timeoutS = 90): Promise<KubectlResult> {
  return k(['wait', '-n', ns, '--for=condition=Ready', `inferenceservice/${isvc}`, `--timeout=${timeoutS}s`], { timeoutMs: (timeoutS + 10) * 1000 });
}

/** Deletes InferenceServices and waits until their pods are gone: pods share the host's network, so
 *  the next scenario's runtime would find port 8080 taken. */
export async function deleteIsvcs(k: Kubectl, ns: string, names: string[], timeoutMs = 60_000): Promise<void> {
  if (names.length === 0) return;
  await k(['delete', 'inferenceservice', '-n', ns, ...names, '--ignore-not-found', '--wait=false']);
  for (const name of names) {
    await until(`the pods of ${ns}/${name} to be gone`, async () => {
      const list = await getJson(k, ['pods', '-n', ns, '-l', `serving.kserve.io/inferenceservice=${name}`]);
      return list && list.items.length === 0 ? true : undefined;
    }, timeoutMs, 250);
  }
}

/** Events about one object as `reason|fieldPath|message` lines. */
export async function eventsOf(k: Kubectl, ns: string, name: string): Promise<string> {
  const r = await k(['get', 'events', '-n', ns, '--field-selector', `involvedObject.name=${name}`,
    '-o', 'jsonpath={range .items[*]}{.reason}|{.involvedObject.fieldPath}|{.message}{"\\n"}{end}']);
  return r.stdout;
}

/** A container's status (containerStatuses or initContainerStatuses) in the pod as it is now. */
export async function containerStatus(k: Kubectl, ns: string, pod: string, container: string): Promise<any> {
  const p = await getJson(k, ['pod', '-n', ns, pod]);
  return [...(p?.status?.containerStatuses ?? []), ...(p?.status?.initContainerStatuses ?? [])].find((c: any) => c.name === container);
}

/** The container's latest finished run: state.terminated if it is down now, else lastState.terminated. */
export function lastTermination(status: any): { reason: string; exitCode: number } | undefined {
  return status?.state?.terminated ?? status?.lastState?.terminated;
}

/** Waits until the container has finished a run, then returns that run's termination and logs. */
export async function finishedRun(k: Kubectl, ns: string, pod: string, container: string, timeoutMs = 90_000): Promise<{ terminated: { reason: string; exitCode: number }; logs: string }> {
  const status = await until(`a finished run of ${container} in ${pod}`, async () => {
    const cs = await containerStatus(k, ns, pod, container);
    return lastTermination(cs) ? cs : undefined;
  }, timeoutMs, 250);
  // The kubelet may already be starting the next run: take the logs of whichever run has some.
  const runs = status.state?.terminated ? [[], ['--previous']] : [['--previous'], []];
  const logs = await until(`logs of ${container} in ${pod}`, async () => {
    for (const run of runs) {
      const r = await k(['logs', '-n', ns, pod, '-c', container, ...run]);
      if (r.exitCode === 0 && r.stdout) return r.stdout;
    }
    return undefined;
  }, 30_000, 250);
  return { terminated: lastTermination(status)!, logs };
}

/** The modelcar's link as it sees it (`readlink /mnt/models` in the modelcar), once the modelcar has made it:
 *  the kubelet starts containers in order, so the runtime may have failed before the modelcar started. */
export async function modelcarLink(k: Kubectl, ns: string, pod: string, timeoutMs = 60_000): Promise<string> {
  return until(`the modelcar's link in ${pod}`, async () => {
    const r = await k(['exec', '-n', ns, pod, '-c', 'modelcar', '--', 'readlink', '/mnt/models']);
    return /^\/proc\/\d+\/root\/models$/.test(r.stdout) ? r.stdout : undefined;
  }, timeoutMs, 250);
}
