// Features of real clusters in the lab, through the real kubectl: OpenShift's SCC uid ranges, Pod
// Security enforce levels, LimitRanger, ResourceQuota, event expiry and an operator that owns KServe's config.
import { afterAll, describe, expect, it } from 'vitest';
import { labCli } from './faults/lab-cli.ts';
import { canRunPods } from './kubelet/kubelet.ts';
import { kubectl } from './testkit.ts';
import { until } from './until.ts';

const SIM = { 'lab.kubectl-modelcar.dev/simulated': 'true' };

async function namespace(name: string, meta: { labels?: Record<string, string>; annotations?: Record<string, string> } = {}): Promise<void> {
  const ns = { apiVersion: 'v1', kind: 'Namespace', metadata: { name, ...meta } };
  expect((await kubectl(['apply', '-f', '-'], { input: JSON.stringify(ns) })).exitCode).toBe(0);
}

function deployment(ns: string, name: string, securityContext?: Record<string, unknown>) {
  return JSON.stringify({
    apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name, namespace: ns },
    spec: { replicas: 1, selector: { matchLabels: { app: name } }, template: { metadata: { labels: { app: name } }, spec: { nodeSelector: SIM, containers: [{ name: 'main', image: 'busybox:latest', ...(securityContext ? { securityContext } : {}) }] } } },
  });
}

const eventMessage = (ns: string, reason: string) => until(`a ${reason} event in ${ns}`, async () =>
  (await kubectl(['get', 'events', '-n', ns, '--field-selector', `reason=${reason}`, '-o', 'jsonpath={.items[0].message}'])).stdout || undefined, 20_000, 250);

afterAll(async () => {
  await labCli(['fault', 'event-ttl', '3600']);
  await labCli(['fault', 'manage-config', 'off']);
});

describe('OpenShift-like SCC (openshift.io/sa.scc.uid-range)', () => {
  const NS = 'platform-scc';
  it('refuses a runAsUser outside the range: FailedCreate on the ReplicaSet with OpenShift\'s message', async () => {
    await namespace(NS, { annotations: { 'openshift.io/sa.scc.uid-range': '1000660000/10000' } });
    await kubectl(['apply', '-f', '-'], { input: deployment(NS, 'fixed-uid', { runAsUser: 1010 }) });
    const message = await eventMessage(NS, 'FailedCreate');
    expect(message).toMatch(/^Error creating: pods "fixed-uid-[a-z0-9]+-" is forbidden: unable to validate against any security context constraint: \[provider "anyuid": Forbidden: not usable by user or serviceaccount, provider restricted-v2: \.containers\[0\]\.runAsUser: Invalid value: 1010: must be in the ranges: \[1000660000, 1000669999\], provider "restricted": Forbidden/);
  });

  it('gives a container without runAsUser the first uid of the range', async () => {
    const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'any-uid', namespace: NS }, spec: { nodeSelector: SIM, containers: [{ name: 'main', image: 'busybox:latest' }] } };
    expect((await kubectl(['create', '-f', '-'], { input: JSON.stringify(pod) })).exitCode).toBe(0);
    expect((await kubectl(['get', 'pod', '-n', NS, 'any-uid', '-o', 'jsonpath={.spec.containers[0].securityContext.runAsUser}'])).stdout).toBe('1000660000');
  });
});

describe('Pod Security admission', () => {
  it('restricted: kubectl run is refused with the policy\'s message', async () => {
    await namespace('platform-restricted', { labels: { 'pod-security.kubernetes.io/enforce': 'restricted' } });
    const r = await kubectl(['run', 'nginx', '-n', 'platform-restricted', '--image', 'busybox:latest']);
    expect(r.exitCode).toBe(1);
    expect(r.stderr.trim()).toBe('Error from server (Forbidden): pods "nginx" is forbidden: violates PodSecurity "restricted:latest": allowPrivilegeEscalation != false (container "nginx" must set securityContext.allowPrivilegeEscalation=false), unrestricted capabilities (container "nginx" must set securityContext.capabilities.drop=["ALL"]), runAsNonRoot != true (pod or container "nginx" must set securityContext.runAsNonRoot=true), seccompProfile (pod or container "nginx" must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost")');
  });

  it('restricted: a hardened pod is admitted', async () => {
    const pod = {
      apiVersion: 'v1', kind: 'Pod', metadata: { name: 'hardened', namespace: 'platform-restricted' },
      spec: { nodeSelector: SIM, securityContext: { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } }, containers: [{ name: 'main', image: 'busybox:latest', securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } } }] },
    };
    expect((await kubectl(['create', '-f', '-'], { input: JSON.stringify(pod) })).stderr).toBe('');
  });

  it('baseline: a privileged container is refused, a plain one admitted', async () => {
    await namespace('platform-baseline', { labels: { 'pod-security.kubernetes.io/enforce': 'baseline' } });
    const r = await kubectl(['run', 'priv', '-n', 'platform-baseline', '--image', 'busybox:latest', '--privileged']);
    expect(r.stderr.trim()).toBe('Error from server (Forbidden): pods "priv" is forbidden: violates PodSecurity "baseline:latest": privileged (container "priv" must not set securityContext.privileged=true)');
    expect((await kubectl(['run', 'plain', '-n', 'platform-baseline', '--image', 'busybox:latest', '--overrides', JSON.stringify({ spec: { nodeSelector: SIM } })])).exitCode).toBe(0);
  });
});

describe('LimitRanger', () => {
  const NS = 'platform-limits';
  it('refuses requests under the minimum and fills in defaults', async () => {
    await namespace(NS);
    const lr = { apiVersion: 'v1', kind: 'LimitRange', metadata: { name: 'mins', namespace: NS }, spec: { limits: [{ type: 'Container', min: { cpu: '50m', memory: '64Mi' }, defaultRequest: { cpu: '100m', memory: '128Mi' } }] } };
    expect((await kubectl(['apply', '-f', '-'], { input: JSON.stringify(lr) })).exitCode).toBe(0);
    const small = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'small', namespace: NS }, spec: { nodeSelector: SIM, containers: [{ name: 'modelcar', image: 'busybox:latest', resources: { requests: { cpu: '10m', memory: '15Mi' }, limits: { cpu: '10m', memory: '15Mi' } } }] } };
    const r = await kubectl(['create', '-f', '-'], { input: JSON.stringify(small) });
    expect(r.stderr.trim()).toBe('Error from server (Forbidden): error when creating "STDIN": pods "small" is forbidden: [minimum cpu usage per Container is 50m, but request is 10m, minimum memory usage per Container is 64Mi, but request is 15Mi]');
    await kubectl(['run', 'defaulted', '-n', NS, '--image', 'busybox:latest', '--overrides', JSON.stringify({ spec: { nodeSelector: SIM } })]);
    expect((await kubectl(['get', 'pod', '-n', NS, 'defaulted', '-o', 'jsonpath={.spec.containers[0].resources.requests}'])).stdout).toBe('{"cpu":"100m","memory":"128Mi"}');
  });
});

describe('ResourceQuota', () => {
  it('refuses a pod that would exceed the quota, naming requested, used and limited', async () => {
    const NS = 'platform-quota';
    await namespace(NS);
    const quota = { apiVersion: 'v1', kind: 'ResourceQuota', metadata: { name: 'compute', namespace: NS }, spec: { hard: { 'requests.cpu': '1', pods: '10' } } };
    expect((await kubectl(['apply', '-f', '-'], { input: JSON.stringify(quota) })).exitCode).toBe(0);
    const pod = (name: string, cpu: string) => JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: NS }, spec: { nodeSelector: SIM, containers: [{ name: 'main', image: 'busybox:latest', resources: { requests: { cpu } } }] } });
    expect((await kubectl(['create', '-f', '-'], { input: pod('first', '600m') })).exitCode).toBe(0);
    const r = await kubectl(['create', '-f', '-'], { input: pod('second', '500m') });
    expect(r.stderr.trim()).toBe('Error from server (Forbidden): error when creating "STDIN": pods "second" is forbidden: exceeded quota: compute, requested: requests.cpu=500m, used: requests.cpu=600m, limited: requests.cpu=1');
  });
});

describe('events expire after the TTL', () => {
  it('with a 2 s TTL the namespace has no events left', async () => {
    const NS = 'platform-events';
    await namespace(NS);
    await kubectl(['run', 'p', '-n', NS, '--image', 'busybox:latest', '--overrides', JSON.stringify({ spec: { nodeSelector: SIM } })]);
    await eventMessage(NS, 'Scheduled');
    expect((await labCli(['fault', 'event-ttl', '2'])).exitCode).toBe(0);
    // The sweeper runs every quarter TTL, at most 10 s apart: the new TTL applies from its next run.
    await until('the events to expire', async () => ((await kubectl(['get', 'events', '-n', NS])).stderr.includes(`No resources found in ${NS} namespace.`) ? true : undefined), 20_000);
    await labCli(['fault', 'event-ttl', '3600']);
  });
});

describe('ephemeral containers (kubectl debug --target)', () => {
  it('run for real in the target container\'s pid namespace: ps there shows its sleep', async () => {
    const runc = canRunPods();
    if (!runc.ok && !process.env.CI) { console.log(`skipped outside CI: ${runc.reason}`); return; }
    const NS = 'platform-debug';
    await namespace(NS);
    await kubectl(['run', 'target', '-n', NS, '--image', 'busybox:latest', '--', 'sleep', '3600']);
    await until('target running', async () => (await kubectl(['get', 'pod', '-n', NS, 'target', '-o', 'jsonpath={.status.containerStatuses[0].state.running.startedAt}'])).stdout || undefined, 60_000, 500);
    const debug = await kubectl(['debug', 'target', '-n', NS, '--image', 'busybox:latest', '--target', 'target', '--profile', 'general', '--', 'ps', '-o', 'pid,args']);
    expect(debug.exitCode).toBe(0);
    const name = (await kubectl(['get', 'pod', '-n', NS, 'target', '-o', 'jsonpath={.spec.ephemeralContainers[0].name}'])).stdout;
    const ps = await until('the debugger\'s output', async () => (await kubectl(['logs', '-n', NS, 'target', '-c', name])).stdout || undefined, 60_000, 500);
    expect(ps).toMatch(/^\s*1\s+sleep 3600$/m);
    // Wait for the kubelet to stop the containers, so the lab's teardown finds none running.
    await kubectl(['delete', 'pods', '--all', '-n', NS, '--grace-period=1'], { timeoutMs: 60_000 });
  });
});

describe('operator-managed inferenceservice-config', () => {
  it('carries ODH\'s owner and labels, and a manual edit is reverted within seconds', async () => {
    expect((await labCli(['fault', 'manage-config'])).exitCode).toBe(0);
    const meta = JSON.parse((await kubectl(['get', 'cm', '-n', 'kserve', 'inferenceservice-config', '-o', 'jsonpath={.metadata}'])).stdout);
    expect(meta.labels['app.kubernetes.io/managed-by']).toBe('opendatahub-operator');
    expect(meta.ownerReferences[0]).toMatchObject({ kind: 'DataScienceCluster', name: 'default-dsc', controller: true });
    const before = (await kubectl(['get', 'cm', '-n', 'kserve', 'inferenceservice-config', '-o', 'jsonpath={.data.storageInitializer}'])).stdout;
    expect((await kubectl(['patch', 'cm', '-n', 'kserve', 'inferenceservice-config', '--type', 'merge', '-p', '{"data":{"storageInitializer":"{}"}}'])).exitCode).toBe(0);
    expect((await kubectl(['get', 'cm', '-n', 'kserve', 'inferenceservice-config', '-o', 'jsonpath={.data.storageInitializer}'])).stdout).toBe('{}');
    await until('the operator to revert the edit', async () =>
      (await kubectl(['get', 'cm', '-n', 'kserve', 'inferenceservice-config', '-o', 'jsonpath={.data.storageInitializer}'])).stdout === before || undefined, 15_000);
    expect((await labCli(['fault', 'manage-config', 'off'])).exitCode).toBe(0);
  });
});
