// Deployments through the real kubectl: rollout status/restart, wait, pods replaced after a delete
// by selector, and the seed document's enable script run verbatim.
import { ENABLE_MODELCARS_SCRIPT } from '../e2e/seed.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execa } from 'execa';
import { kubectl, labClient, labEnv } from './testkit.ts';
import { startKubeletStandIn, STANDIN_NODE } from './kubelet-standin.ts';
import { until } from './until.ts';

const ns = `wl-${Date.now().toString(36)}`;
let stopKubelet: () => void = () => {};

const deployment = `
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: ${ns}}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      nodeName: ${STANDIN_NODE}
      containers: [{name: main, image: busybox:1.36}]
`;

const podNames = async (selector: string, namespace = ns): Promise<string[]> =>
  (await kubectl(['get', 'pods', '-n', namespace, '-l', selector, '-o', 'jsonpath={.items[*].metadata.name}'])).stdout.split(' ').filter(Boolean);

beforeAll(async () => {
  expect((await kubectl(['create', 'namespace', ns])).exitCode).toBe(0);
  stopKubelet = startKubeletStandIn(labClient(), ns);
});

afterAll(async () => {
  stopKubelet();
  await kubectl(['delete', 'namespace', ns, '--wait=false']);
});

describe('deployments', () => {
  it('rolls out, reports status and waits for conditions', async () => {
    expect((await kubectl(['apply', '-f', '-'], { input: deployment })).stdout).toContain('deployment.apps/web created');
    const status = await kubectl(['rollout', 'status', 'deployment/web', '-n', ns, '--timeout=60s']);
    expect(status.stdout).toContain('deployment "web" successfully rolled out');
    expect((await kubectl(['wait', '--for=condition=Available', 'deployment/web', '-n', ns, '--timeout=30s'])).stdout.trim()).toBe('deployment.apps/web condition met');
    const [header, row] = (await kubectl(['get', 'deploy', 'web', '-n', ns])).stdout.split('\n');
    expect(header!.split(/\s+/)).toEqual(['NAME', 'READY', 'UP-TO-DATE', 'AVAILABLE', 'AGE']);
    expect(row!.split(/\s+/).slice(0, 4)).toEqual(['web', '2/2', '2', '2']);
    const pods = await podNames('app=web');
    expect(pods).toHaveLength(2);
    const rs = (await kubectl(['get', 'rs', '-n', ns, '-o', 'jsonpath={.items[0].metadata.name}'])).stdout;
    for (const p of pods) expect(p).toMatch(new RegExp(`^${rs}-[bcdfghjklmnpqrstvwxz2456789]{5}$`));
    expect(rs).toMatch(/^web-[bcdfghjklmnpqrstvwxz2456789]{6,10}$/);
  });

  it('rolls a restart through a new ReplicaSet and scales the old one down', async () => {
    const before = (await kubectl(['get', 'rs', '-n', ns, '-o', 'jsonpath={.items[0].metadata.name}'])).stdout;
    expect((await kubectl(['rollout', 'restart', 'deployment/web', '-n', ns])).stdout.trim()).toBe('deployment.apps/web restarted');
    expect((await kubectl(['rollout', 'status', 'deployment/web', '-n', ns, '--timeout=60s'])).stdout).toContain('deployment "web" successfully rolled out');
    const rs = JSON.parse((await kubectl(['get', 'rs', '-n', ns, '-o', 'json'])).stdout) as { items: Array<{ metadata: { name: string; annotations: Record<string, string> }; spec: { replicas: number } }> };
    const byName = new Map(rs.items.map((r) => [r.metadata.name, r]));
    const after = rs.items.find((r) => r.metadata.name !== before)!;
    expect(byName.get(before)!.spec.replicas).toBe(0);
    expect(after.spec.replicas).toBe(2);
    expect(after.metadata.annotations['deployment.kubernetes.io/revision']).toBe('2');
    const pods = await until('old pods to go', async () => {
      const names = await podNames('app=web');
      return names.length === 2 && names.every((n) => n.startsWith(`${after.metadata.name}-`)) ? names : undefined;
    });
    expect(pods).toHaveLength(2);
    const events = (await kubectl(['get', 'events', '-n', ns, '--field-selector', 'involvedObject.kind=Deployment', '-o', 'jsonpath={range .items[*]}{.reason}: {.message}{"\\n"}{end}'])).stdout;
    expect(events).toContain(`ScalingReplicaSet: Scaled up replica set ${after.metadata.name} from 0 to 1`);
    expect(events).toContain(`ScalingReplicaSet: Scaled down replica set ${before} from 2 to 1`);
    const history = await kubectl(['rollout', 'history', 'deployment/web', '-n', ns]);
    expect(history.stdout).toMatch(/^1\s+<none>$/m);
    expect(history.stdout).toMatch(/^2\s+<none>$/m);
  });

  it('rolls back with rollout undo to the ReplicaSet of the previous revision', async () => {
    const rsList = async () => (JSON.parse((await kubectl(['get', 'rs', '-n', ns, '-o', 'json'])).stdout) as { items: Array<{ metadata: { name: string; annotations: Record<string, string> }; spec: { replicas: number } }> }).items;
    const first = (await rsList()).find((r) => r.metadata.annotations['deployment.kubernetes.io/revision'] === '1')!;
    expect((await kubectl(['rollout', 'undo', 'deployment/web', '-n', ns])).stdout.trim()).toBe('deployment.apps/web rolled back');
    expect((await kubectl(['rollout', 'status', 'deployment/web', '-n', ns, '--timeout=60s'])).stdout).toContain('successfully rolled out');
    const after = await rsList();
    expect(after).toHaveLength(2);
    const reused = after.find((r) => r.metadata.name === first.metadata.name)!;
    expect(reused.spec.replicas).toBe(2);
    expect(reused.metadata.annotations['deployment.kubernetes.io/revision']).toBe('3');
  });

  it('scales through the scale subresource', async () => {
    expect((await kubectl(['scale', 'deployment/web', '-n', ns, '--replicas=3'])).stdout.trim()).toBe('deployment.apps/web scaled');
    await until('three ready replicas', async () => {
      const ready = (await kubectl(['get', 'deploy', 'web', '-n', ns, '-o', 'jsonpath={.status.readyReplicas}'])).stdout;
      return ready === '3' ? ready : undefined;
    });
    expect((await kubectl(['scale', 'deployment/web', '-n', ns, '--replicas=2'])).exitCode).toBe(0);
    expect((await kubectl(['rollout', 'status', 'deployment/web', '-n', ns, '--timeout=60s'])).stdout).toContain('successfully rolled out');
    await until('two pods', async () => ((await podNames('app=web')).length === 2 ? true : undefined));
  });

  it('replaces pods deleted by selector with new names and uids', async () => {
    const uids = async () => (await kubectl(['get', 'pods', '-n', ns, '-l', 'app=web', '-o', 'jsonpath={.items[*].metadata.uid}'])).stdout.split(' ').filter(Boolean);
    const old = await uids();
    const del = await kubectl(['delete', 'pod', '-n', ns, '-l', 'app=web']);
    expect(del.stdout.split('\n').filter((l) => / deleted$/.test(l))).toHaveLength(2);
    const fresh = await until('replacement pods', async () => {
      const now = await uids();
      return now.length === 2 && now.every((u) => !old.includes(u)) ? now : undefined;
    });
    expect(fresh).toHaveLength(2);
    const rsEvents = (await kubectl(['get', 'events', '-n', ns, '--field-selector', 'involvedObject.kind=ReplicaSet,reason=SuccessfulCreate', '-o', 'jsonpath={.items[*].message}'])).stdout;
    expect(rsEvents).toMatch(/Created pod: web-\w+-\w{5}/);
  });
});

describe('the seed enable script', () => {
  it('runs verbatim, changes storageInitializer and gets the controller pod replaced', async () => {
    const script = ENABLE_MODELCARS_SCRIPT;
    const oldUids = (await kubectl(['get', 'pods', '-n', 'kserve', '-l', 'control-plane=kserve-controller-manager', '-o', 'jsonpath={.items[*].metadata.uid}'])).stdout.split(' ').filter(Boolean);
    expect(oldUids.length).toBeGreaterThan(0);
    const r = await execa('bash', ['-e', '-c', script], { env: labEnv(), reject: false });
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain('configmap/inferenceservice-config patched');
    expect(r.stdout).toMatch(/pod "kserve-controller-manager-\w+-\w{5}" deleted/);
    const value = JSON.parse((await kubectl(['get', 'cm', '-n', 'kserve', 'inferenceservice-config', '-o', 'jsonpath={.data.storageInitializer}'])).stdout) as Record<string, unknown>;
    expect(value).toMatchObject({ enableModelcar: true, uidModelcar: 1010 });
    await until('a new controller pod', async () => {
      const pods = JSON.parse((await kubectl(['get', 'pods', '-n', 'kserve', '-l', 'control-plane=kserve-controller-manager', '-o', 'json'])).stdout) as { items: Array<{ metadata: { uid: string; deletionTimestamp?: string } }> };
      const fresh = pods.items.filter((p) => !p.metadata.deletionTimestamp && !oldUids.includes(p.metadata.uid));
      return fresh.length === 1 ? fresh : undefined;
    });
  });
});
