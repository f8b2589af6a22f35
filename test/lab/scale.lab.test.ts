// The simulated node through the real kubectl: `lab populate` puts InferenceServices of several
// scenarios on sim-node-1, whose pods get the statuses, events and logs the lab's kubelet would
// report, without processes; exec on them fails with a clear error.
import { beforeAll, describe, expect, it } from 'vitest';
import { labCli } from './faults/lab-cli.ts';
import { kubectl } from './testkit.ts';

const MIX = 'healthy-standard-v0.20=1,uid-mismatch=1,no-models-dir=1,image-missing=1,modelcar-oomkilled=1,healthy-knative-v0.20=1';

async function pod(ns: string): Promise<any> {
  const r = await kubectl(['get', 'pods', '-n', ns, '-o', 'json']);
  return JSON.parse(r.stdout).items[0];
}

beforeAll(async () => {
  const r = await labCli(['populate', '--isvcs', '6', '--mix', MIX]);
  expect(r.stderr).toBe('');
  expect(r.stdout).toMatch(/populated 6 InferenceServices \(6 pods\) on sim-node-1 in [\d.]+ s/);
}, 180_000);

describe('simulated node', () => {
  it('is a Ready node next to the lab node', async () => {
    const r = await kubectl(['get', 'nodes', '-l', 'lab.kubectl-modelcar.dev/simulated=true', '-o', 'jsonpath={.items[*].metadata.name} {.items[0].status.conditions[?(@.type=="Ready")].status}']);
    expect(r.stdout).toBe('sim-node-1 True');
  });

  it('runs a healthy pod: Running, ready, scheduled there, kubelet events', async () => {
    const p = await pod('sim-healthy-standard-v0-20-01');
    expect(p.spec.nodeName).toBe('sim-node-1');
    expect(p.status.phase).toBe('Running');
    expect(p.status.containerStatuses.every((c: any) => c.ready && c.state.running)).toBe(true);
    expect(p.status.initContainerStatuses[0].state.terminated).toMatchObject({ exitCode: 0, reason: 'Completed' });
    const events = await kubectl(['get', 'events', '-n', 'sim-healthy-standard-v0-20-01', '--field-selector', `involvedObject.name=${p.metadata.name}`, '-o', 'jsonpath={range .items[*]}{.reason}:{.message}{"\\n"}{end}']);
    expect(events.stdout).toContain(`Scheduled:Successfully assigned sim-healthy-standard-v0-20-01/${p.metadata.name} to sim-node-1`);
    expect(events.stdout).toContain('Started:Started container modelcar');
  });

  it('uid-mismatch: the runtime crash-loops with the permission error in its previous log; its spec has no modelcar uid', async () => {
    const ns = 'sim-uid-mismatch-01';
    const p = await pod(ns);
    const runtime = p.status.containerStatuses.find((c: any) => c.name === 'kserve-container');
    expect(runtime.state.waiting.reason).toBe('CrashLoopBackOff');
    expect(runtime.lastState.terminated).toMatchObject({ exitCode: 1, reason: 'Error' });
    expect(p.spec.containers.find((c: any) => c.name === 'modelcar').securityContext).toBeUndefined();
    const logs = await kubectl(['logs', '-n', ns, p.metadata.name, '-c', 'kserve-container', '--previous']);
    expect(logs.stdout).toContain("PermissionError: [Errno 13] Permission denied: '/mnt/models'");
  });

  it('no-models-dir: Init:CrashLoopBackOff, modelcar-init prints NOK, modelcar waits in PodInitializing', async () => {
    const ns = 'sim-no-models-dir-01';
    const p = await pod(ns);
    const table = await kubectl(['get', 'pod', '-n', ns, p.metadata.name, '--no-headers']);
    expect(table.stdout).toMatch(/0\/2\s+Init:CrashLoopBackOff\s+2/);
    expect((await kubectl(['logs', '-n', ns, p.metadata.name, '-c', 'modelcar-init'])).stdout).toContain('NOK ... Prefetched but modelcar is invalid');
    const modelcar = await kubectl(['logs', '-n', ns, p.metadata.name, '-c', 'modelcar']);
    expect(modelcar.stderr).toContain(`container "modelcar" in pod "${p.metadata.name}" is waiting to start: PodInitializing`);
  });

  it('image-missing: ImagePullBackOff on modelcar-init with containerd\'s not found in the Failed event', async () => {
    const ns = 'sim-image-missing-01';
    const p = await pod(ns);
    expect(p.status.initContainerStatuses[0].state.waiting.reason).toBe('ImagePullBackOff');
    const failed = await kubectl(['get', 'events', '-n', ns, '--field-selector', 'reason=Failed', '-o', 'jsonpath={.items[*].message}']);
    expect(failed.stdout).toContain('Failed to pull image "lab/no-such-model:1.0": rpc error: code = NotFound desc = failed to pull and unpack image "docker.io/lab/no-such-model:1.0"');
  });

  it('modelcar-oomkilled: restarted once, OOMKilled with 137 in lastState and no OOMKilled event', async () => {
    const ns = 'sim-modelcar-oomkilled-01';
    const p = await pod(ns);
    const modelcar = p.status.containerStatuses.find((c: any) => c.name === 'modelcar');
    expect(modelcar).toMatchObject({ restartCount: 1, lastState: { terminated: { exitCode: 137, reason: 'OOMKilled' } } });
    expect(modelcar.state.running).toBeDefined();
    expect((await kubectl(['get', 'events', '-n', ns, '--field-selector', 'reason=OOMKilled'])).stdout).toBe('');
  });

  it('Knative mode: queue-proxy too, 3/3', async () => {
    const r = await kubectl(['get', 'pods', '-n', 'sim-healthy-knative-v0-20-01', '--no-headers']);
    expect(r.stdout).toMatch(/3\/3\s+Running/);
  });

  it('exec answers with a clear error: no processes on a simulated node', async () => {
    const p = await pod('sim-healthy-standard-v0-20-01');
    const r = await kubectl(['exec', '-n', 'sim-healthy-standard-v0-20-01', p.metadata.name, '-c', 'kserve-container', '--', 'ls']);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toBe(`error: Internal error occurred: error executing command in container: pod "${p.metadata.name}" runs on simulated node "sim-node-1", which runs no processes`);
  });

  it('refuses scenarios a populated lab cannot hold, saying why', async () => {
    const r = await labCli(['populate', '--isvcs', '1', '--mix', 'healthy-v0.13.0=1']);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain('scenario healthy-v0.13.0 cannot be populated: needs a lab on KServe v0.13.0');
  });
});
