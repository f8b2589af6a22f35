// The fault switchboard through the real kubectl (and client-node where kubectl hides the failure):
// each fault is added with `lab fault add`, scoped to this file's namespace, and shows what a real
// cluster's failure looks like to a client.
import { CoreV1Api } from '@kubernetes/client-node';
import { execa } from 'execa';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { labCli } from './faults/lab-cli.ts';
import { canRunPods } from './kubelet/kubelet.ts';
import { KUBECTL, kubectl, labClient, labEnv } from './testkit.ts';
import { until } from './until.ts';

const NS = 'faults-lab';
const POD = 'shell';

async function addFault(args: string[]): Promise<string> {
  const r = await labCli(['fault', 'add', ...args]);
  expect(r.stderr).toBe('');
  expect(r.exitCode).toBe(0);
  return r.json.id as string;
}

async function faultState(id: string): Promise<{ matched: number; fired: number }> {
  return (await labCli(['fault', 'list'])).json.faults.find((f: { id: string }) => f.id === id);
}

beforeAll(async () => {
  await kubectl(['create', 'namespace', NS]);
  const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: POD, namespace: NS }, spec: { containers: [{ name: 'shell', image: 'busybox:latest', command: ['sleep', '3600'] }] } };
  expect((await kubectl(['apply', '-f', '-'], { input: JSON.stringify(pod) })).exitCode).toBe(0);
  await until('exec in the faults namespace', async () => ((await kubectl(['exec', '-n', NS, POD, '--', 'true'])).exitCode === 0 ? true : undefined), 90_000, 500);
}, 120_000);

afterEach(async () => {
  await labCli(['fault', 'clear']);
});

afterAll(async () => {
  // Wait for the kubelet to stop the containers, so the lab's teardown finds none running.
  await kubectl(['delete', 'pods', '--all', '-n', NS, '--grace-period=1'], { timeoutMs: 60_000 });
});

describe('API faults', () => {
  it('503 once: kubectl fails with the real message, the next request passes', async () => {
    const id = await addFault(['--type', 'status', '--code', '503', '--verb', 'list', '--resource', 'pods', '--namespace', NS, '--count', '1']);
    const first = await kubectl(['get', 'pods', '-n', NS]);
    expect(first.exitCode).toBe(1);
    expect(first.stderr).toContain('Error from server (ServiceUnavailable): the server is currently unable to handle the request');
    expect((await kubectl(['get', 'pods', '-n', NS])).exitCode).toBe(0);
    expect(await faultState(id)).toMatchObject({ matched: 2, fired: 1 });
  });

  it('429 with Retry-After: kubectl waits as told and retries, then succeeds', async () => {
    await addFault(['--type', 'status', '--code', '429', '--retry-after', '1', '--verb', 'list', '--resource', 'configmaps', '--namespace', NS, '--count', '1']);
    const started = Date.now();
    const r = await kubectl(['get', 'configmaps', '-n', NS, '-v=6']);
    expect(r.exitCode).toBe(0);
    expect(r.stderr).toContain('429 Too Many Requests');
    expect(r.stderr).toContain('Got a Retry-After response');
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
  });

  it('500 on a seeded schedule: the same seed fails the same requests every time', async () => {
    const pattern = async () => {
      const id = await addFault(['--type', 'status', '--code', '500', '--verb', 'get', '--resource', 'namespaces', '--name', NS, '--seed', '7', '--probability', '0.5']);
      const outcomes: number[] = [];
      for (let i = 0; i < 8; i++) outcomes.push((await kubectl(['get', 'namespace', NS])).exitCode);
      await labCli(['fault', 'clear', id]);
      return outcomes;
    };
    const first = await pattern();
    expect(new Set(first)).toEqual(new Set([0, 1]));
    expect(await pattern()).toEqual(first);
  }, 150_000); // 16 kubectl processes: a minute is too short on a loaded 2-core machine

  it('added latency delays only the scoped requests', async () => {
    await addFault(['--type', 'latency', '--ms', '800', '--verb', 'get', '--resource', 'pods', '--namespace', NS]);
    const t0 = Date.now();
    expect((await kubectl(['get', 'pod', '-n', NS, POD])).exitCode).toBe(0);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(800);
  });

  it('connection reset: client-node (undici) fails with "other side closed"', async () => {
    await addFault(['--type', 'reset', '--verb', 'list', '--resource', 'secrets', '--namespace', NS, '--count', '1']);
    const api = labClient().makeApiClient(CoreV1Api);
    await expect(api.listNamespacedSecret({ namespace: NS })).rejects.toMatchObject({ message: 'fetch failed', cause: { code: 'UND_ERR_SOCKET', message: 'other side closed' } });
    await expect(api.listNamespacedSecret({ namespace: NS })).resolves.toMatchObject({ items: [] });
  });

  it('a watch closed early ends kubectl get --watch', async () => {
    await addFault(['--type', 'watch-close', '--after-seconds', '1', '--verb', 'watch', '--resource', 'pods', '--namespace', NS]);
    const t0 = Date.now();
    const r = await kubectl(['get', 'pods', '-n', NS, '--watch', '--output-watch-events'], { timeoutMs: 15_000 });
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain(POD);
    expect(Date.now() - t0).toBeLessThan(10_000);
  });

  it('a token that expires after N seconds: accepted, then Unauthorized', async () => {
    // 10 s: the first request must land before expiry even on a loaded machine; wait from issue time.
    const issued = await labCli(['fault', 'token', 'support', '10']);
    const issuedBy = Date.now();
    const token = issued.json.token as string;
    expect((await kubectl(['--token', token, 'auth', 'whoami', '-o', 'jsonpath={.status.userInfo.username}'])).stdout).toBe('support');
    await new Promise((r) => setTimeout(r, Math.max(0, issuedBy + 10_500 - Date.now())));
    const late = await kubectl(['--token', token, 'get', 'pods', '-n', NS]);
    expect(late.exitCode).toBe(1);
    expect(late.stderr).toContain('error: You must be logged in to the server (Unauthorized)');
  });

  it('only admin reaches the switchboard', async () => {
    const r = await kubectl(['get', '--raw', '/lab/faults'], { context: 'lab-support' });
    expect(r.stderr).toContain('Error from server (Forbidden): forbidden: User "support" cannot get path "/lab/faults"');
  });
});

describe('exec faults', () => {
  it('the WebSocket dropped after N bytes of stdout: kubectl exec fails mid-stream', async () => {
    await addFault(['--type', 'exec-drop', '--direction', 'stdout', '--after-bytes', '65536', '--namespace', NS, '--name', POD]);
    const r = await execa(KUBECTL, ['exec', '-n', NS, POD, '--', 'head', '-c', '1048576', '/dev/zero'], { env: labEnv(), encoding: 'buffer', reject: false, timeout: 30_000 });
    expect(r.exitCode).not.toBe(0);
    expect(Buffer.from(r.stdout).length).toBeLessThan(1048576);
  });

  it('an exec that hangs without a status frame never returns', async () => {
    await addFault(['--type', 'exec-hang', '--namespace', NS, '--name', POD]);
    const r = await execa(KUBECTL, ['exec', '-n', NS, POD, '--', 'true'], { env: labEnv(), reject: false, timeout: 3_000 });
    expect(r.timedOut).toBe(true);
  });
});

describe('pod faults', () => {
  // What the kernel does with the changed pods needs runc; the spec changes are the API server's alone.
  const runc = canRunPods();
  const needsRunc = !runc.ok && !process.env.CI ? `skipped outside CI: ${runc.reason}` : undefined;
  const createPod = async (name: string) => {
    const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: NS }, spec: { containers: [{ name: 'kserve-container', image: 'busybox:latest', command: ['sleep', '3600'] }] } };
    expect((await kubectl(['create', '-f', '-'], { input: JSON.stringify(pod) })).exitCode).toBe(0);
    return JSON.parse((await kubectl(['get', 'pod', '-n', NS, name, '-o', 'jsonpath={.spec}'])).stdout);
  };
  const running = (name: string) => until(`${name} running`, async () =>
    (await kubectl(['get', 'pod', '-n', NS, name, '-o', 'jsonpath={.status.containerStatuses[0].state.running.startedAt}'])).stdout || undefined, 60_000, 500);

  it('read-only root filesystem and a full size-limited /tmp: EROFS and ENOSPC in the container', async () => {
    await addFault(['--type', 'pod', '--change', 'readonly-rootfs', '--namespace', NS, '--name', 'victim']);
    await addFault(['--type', 'pod', '--change', 'full-volume', '--path', '/tmp', '--size-limit', '1Mi', '--namespace', NS, '--name', 'victim']);
    const spec = await createPod('victim');
    expect(spec.containers[0].securityContext.readOnlyRootFilesystem).toBe(true);
    expect(spec.containers[0].volumeMounts).toContainEqual({ name: 'lab-fault-full-volume', mountPath: '/tmp' });
    expect(spec.volumes).toContainEqual({ name: 'lab-fault-full-volume', emptyDir: { sizeLimit: '1Mi' } });
    if (needsRunc) { console.log(needsRunc); return; }
    await running('victim');
    const touch = await kubectl(['exec', '-n', NS, 'victim', '--', 'touch', '/agent']);
    expect(touch.stderr).toContain("touch: /agent: Read-only file system");
    const fill = await kubectl(['exec', '-n', NS, 'victim', '--', 'dd', 'if=/dev/zero', 'of=/tmp/agent', 'bs=1024', 'count=2048']);
    expect(fill.stderr).toContain("dd: error writing '/tmp/agent': No space left on device");
    expect(fill.exitCode).toBe(1);
  });

  it('/tmp mounted noexec: a binary copied there cannot run', async () => {
    await addFault(['--type', 'pod', '--change', 'noexec-tmp', '--namespace', NS, '--name', 'noexec']);
    await createPod('noexec');
    const annotations = JSON.parse((await kubectl(['get', 'pod', '-n', NS, 'noexec', '-o', 'jsonpath={.metadata.annotations}'])).stdout);
    expect(annotations['lab.kubectl-modelcar.dev/fault-noexec-tmp']).toBe('kserve-container');
    if (needsRunc) { console.log(needsRunc); return; }
    await running('noexec');
    // busybox picks its applet from its name, so the copy is called `true`.
    const run = await kubectl(['exec', '-n', NS, 'noexec', '--', 'sh', '-c', 'cp /bin/busybox /tmp/true && /tmp/true']);
    expect(run.stderr).toContain('/tmp/true: Permission denied');
    expect(run.stderr).toContain('command terminated with exit code 126');
    // The same binary runs from a directory that is not noexec: the refusal is the mount's, not the file's.
    const elsewhere = await kubectl(['exec', '-n', NS, 'noexec', '--', 'sh', '-c', 'cp /bin/busybox /true && /true']);
    expect(elsewhere.exitCode).toBe(0);
  });

  it('a runtime container without any shell: not even the sleep it was given can start', async () => {
    await addFault(['--type', 'pod', '--change', 'no-shell', '--namespace', NS, '--name', 'shell-less']);
    const spec = await createPod('shell-less');
    expect(spec.containers[0].image).toBe('lab/sklearnserver-without-shell:1.0');
    if (needsRunc) { console.log(needsRunc); return; }
    const message = await until('the start error', async () => {
      const cs = JSON.parse((await kubectl(['get', 'pod', '-n', NS, 'shell-less', '-o', 'jsonpath={.status.containerStatuses[0]}'])).stdout || '{}');
      return (cs.state?.terminated ?? cs.lastState?.terminated)?.message as string | undefined;
    }, 60_000, 500);
    expect(message).toContain('exec: "sleep": executable file not found in $PATH');
  });

  it('kill a named container now: the kubelet restarts it, lastState shows exit 137', async () => {
    if (needsRunc) { console.log(needsRunc); return; }
    const r = await labCli(['fault', 'kill', NS, POD, 'shell']);
    expect(r.exitCode).toBe(0);
    const status = await until('the restart', async () => {
      const cs = JSON.parse((await kubectl(['get', 'pod', '-n', NS, POD, '-o', 'jsonpath={.status.containerStatuses[0]}'])).stdout);
      return cs.restartCount === 1 && cs.state.running ? cs : undefined;
    }, 30_000, 250);
    expect(status.lastState.terminated).toMatchObject({ exitCode: 137, reason: 'Error' });
  });

  it('delete a pod now: gone at once, its ReplicaSet makes a new one', async () => {
    const dep = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: NS }, spec: { replicas: 1, selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { nodeSelector: { 'lab.kubectl-modelcar.dev/simulated': 'true' }, containers: [{ name: 'web', image: 'busybox:latest' }] } } } };
    expect((await kubectl(['apply', '-f', '-'], { input: JSON.stringify(dep) })).exitCode).toBe(0);
    const podName = () => until('a web pod', async () => (await kubectl(['get', 'pods', '-n', NS, '-l', 'app=web', '-o', 'jsonpath={.items[0].metadata.name}'])).stdout || undefined, 20_000, 200);
    const first = await podName();
    const r = await labCli(['fault', 'delete-pod', NS, first]);
    expect(r.exitCode).toBe(0);
    expect((await kubectl(['get', 'pod', '-n', NS, first])).stderr).toContain(`pods "${first}" not found`);
    const next = await until('a new web pod', async () => { const name = await podName(); return name !== first ? name : undefined; }, 20_000, 100);
    const kill = await labCli(['fault', 'kill', NS, next, 'web']);
    expect(kill.exitCode).toBe(1);
    expect(kill.stderr).toContain('runs on simulated node sim-node-1: there is no process to kill');
  });
});
