// gather() against a small HTTP API that answers some calls and refuses others, to hold the rules:
// a refused call is a gap that names the missing permission, a 404 where it only means "not installed"
// is no gap, logs say why they are absent, and the controller is found without cluster-wide rights.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { KubeClient } from './client.ts';
import { gather } from './gather.ts';
import { mergeKubeconfigs, resolveConnection } from './kubeconfig.ts';

vi.setConfig({ testTimeout: 30_000 });

const NS = 'kserve-test';
const POD = 'sklearn-iris-oci-predictor-abc';

const pod = {
  metadata: { name: POD, namespace: NS, uid: 'pod-uid', labels: { 'serving.kserve.io/inferenceservice': 'sklearn-iris-oci' } },
  spec: {
    nodeName: 'node-1',
    shareProcessNamespace: true,
    containers: [
      { name: 'kserve-container', image: 'kserve/sklearnserver:v0.15.2' },
      { name: 'modelcar', image: 'reg/m:v1', args: ['sh', '-c', 'ln -sf /proc/$$$$/root/models /mnt/models && sleep infinity'] },
    ],
  },
  status: {
    phase: 'Pending',
    containerStatuses: [
      { name: 'kserve-container', ready: false, restartCount: 1, state: { waiting: { reason: 'CrashLoopBackOff' } }, lastState: { terminated: { exitCode: 1 } } },
      { name: 'modelcar', ready: true, restartCount: 0, state: { running: { startedAt: '2026-11-25T22:00:00Z' } } },
    ],
  },
};

const controller = {
  metadata: { name: 'kserve-controller-manager-x', namespace: 'kserve' },
  spec: { containers: [{ name: 'manager', image: 'kserve/kserve-controller:v0.15.2', env: [{ name: 'POD_NAMESPACE', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } }] }] },
};

function status(code: number, reason: string, message: string): string {
  return JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', message, reason, code });
}

const list = (items: unknown[]) => JSON.stringify({ items });

/** path (without query) -> answer */
function route(url: URL): [number, string] {
  const p = url.pathname;
  if (p === '/version') return [200, JSON.stringify({ gitVersion: 'v1.31.2' })];
  if (p === `/apis/serving.kserve.io/v1beta1/namespaces/${NS}/inferenceservices/sklearn-iris-oci`)
    return [200, JSON.stringify({ apiVersion: 'serving.kserve.io/v1beta1', kind: 'InferenceService', metadata: { name: 'sklearn-iris-oci', namespace: NS, uid: 'isvc-uid' }, spec: { predictor: { model: { storageUri: 'oci://reg/m:v1' } } } })];
  // Not allowed cluster-wide, allowed in the default KServe namespace.
  if (p === '/api/v1/pods') return [403, status(403, 'Forbidden', 'pods is forbidden: User "support" cannot list resource "pods" in API group "" at the cluster scope')];
  if (p === '/api/v1/namespaces/kserve/pods') return [200, list([controller])];
  if (p === `/api/v1/namespaces/${NS}/pods`) return [200, list([pod])];
  if (p === `/api/v1/namespaces/${NS}/events`)
    return [200, list([{ metadata: { name: 'e1', namespace: NS }, involvedObject: { kind: 'Pod', name: POD, uid: 'pod-uid' }, reason: 'BackOff', message: 'Back-off restarting failed container kserve-container' }, { metadata: { name: 'e2', namespace: NS }, involvedObject: { kind: 'Pod', name: 'unrelated' }, reason: 'Pulled' }])];
  if (p === `/apis/apps/v1/namespaces/${NS}/replicasets` || p === `/apis/apps/v1/namespaces/${NS}/deployments`) return [200, list([])];
  // Knative is not installed: a 404 for the whole resource.
  if (p === `/apis/serving.knative.dev/v1/namespaces/${NS}/revisions`) return [404, status(404, 'NotFound', 'the server could not find the requested resource')];
  if (p === `/api/v1/namespaces/${NS}`) return [200, JSON.stringify({ metadata: { name: NS, labels: { 'pod-security.kubernetes.io/enforce': 'baseline' } } })];
  if (p === `/api/v1/namespaces/${NS}/limitranges`) return [403, status(403, 'Forbidden', 'limitranges is forbidden: User "support" cannot list resource "limitranges" in API group "" in the namespace "kserve-test"')];
  if (p === `/api/v1/namespaces/${NS}/resourcequotas`) return [200, list([])];
  if (p.endsWith('/servingruntimes') || p.endsWith('/clusterservingruntimes')) return [200, list([])];
  if (p === '/api/v1/namespaces/kserve/configmaps/inferenceservice-config') return [403, status(403, 'Forbidden', 'configmaps "inferenceservice-config" is forbidden: User "support" cannot get resource "configmaps"')];
  if (p === '/api/v1/nodes/node-1') return [200, JSON.stringify({ metadata: { name: 'node-1' } })];
  if (p === `/api/v1/namespaces/${NS}/pods/${POD}/log`) {
    const c = url.searchParams.get('container');
    const previous = url.searchParams.get('previous') === 'true';
    if (c === 'kserve-container' && previous) return [200, 'FileNotFoundError: /mnt/models\n'];
    if (c === 'kserve-container') return [400, status(400, 'BadRequest', `container "kserve-container" in pod "${POD}" is waiting to start: CrashLoopBackOff`)];
    if (c === 'modelcar') return [200, ''];
  }
  return [404, status(404, 'NotFound', `no route for ${p}`)];
}

describe('gather against a partly permitted API', () => {
  let server: http.Server;
  let base: string;
  beforeAll(async () => {
    server = http.createServer((req, res) => {
      const [code, body] = route(new URL(req.url!, 'http://x'));
      res.writeHead(code, { 'content-type': body.startsWith('{') ? 'application/json' : 'text/plain' });
      res.end(body);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => {
    server.closeAllConnections();
    return new Promise<void>((r) => server.close(() => r()));
  });

  it('turns refusals into gaps with the rule, keeps going, and records why logs are absent', async () => {
    const text = `current-context: t\nclusters:\n- name: c\n  cluster: {server: "${base}"}\nusers:\n- name: u\n  user: {token: t0k}\ncontexts:\n- name: t\n  context: {cluster: c, user: u, namespace: ${NS}}\n`;
    const conn = resolveConnection(mergeKubeconfigs([['/x/config', text]]), {});
    const client = await KubeClient.connect(conn, { verbosity: 0, write: () => {} });
    const snap = await gather(client, { namespace: NS, name: 'sklearn-iris-oci' }, { now: new Date('2026-11-25T23:00:00Z') });
    client.close();

    expect(snap.now).toBe('2026-11-25T23:00:00.000Z');
    expect(snap.cluster.serverVersion).toBe('v1.31.2');
    expect(snap.pods.map((p) => [p.kind, p.metadata.name])).toEqual([['Pod', POD]]);
    expect(snap.namespaces[0]?.metadata.labels).toEqual({ 'pod-security.kubernetes.io/enforce': 'baseline' });
    expect(snap.nodes.map((n) => n.metadata.name)).toEqual(['node-1']);

    // The controller was found in the default namespace after the cluster-wide list was refused; not a gap.
    expect(snap.kserve).toMatchObject({ namespace: 'kserve', namespaceSource: 'controller-pods', configMap: null, configMapAbsence: 'forbidden', controllerVersion: { version: 'v0.15.2', source: 'image-tag' } });

    // Exactly the two refused calls are gaps; the missing Knative API is not.
    expect(snap.gaps.map((g) => [g.verb, g.resource, g.status])).toEqual([
      ['list', 'limitranges', 403],
      ['get', 'configmaps', 403],
    ]);
    expect(snap.gaps[0]!.message).toContain('- apiGroups: [""]\n  resources: ["limitranges"]\n  verbs: ["list"]');
    expect(snap.revisions).toEqual([]);

    // Only the events of our objects, stamped with when they were listed.
    expect(snap.events).toHaveLength(1);
    expect(snap.events[0]!.gatheredAt).toBe('2026-11-25T23:00:00.000Z');
    expect(snap.events[0]!.items.map((e) => e.reason)).toEqual(['BackOff']);

    const log = (c: string, previous: boolean) => snap.logs.find((l) => l.container === c && l.previous === previous);
    expect(log('kserve-container', true)?.text).toBe('FileNotFoundError: /mnt/models\n');
    expect(log('kserve-container', false)).toMatchObject({ absence: 'not-started' });
    expect(log('modelcar', false)).toMatchObject({ text: '' });
    expect(log('modelcar', true)).toBeUndefined(); // never restarted: not asked

    // The pod is not running: no exec was attempted, and the probe says why.
    expect(snap.execs).toEqual([
      { namespace: NS, pod: POD, container: 'kserve-container', outcome: 'skipped', reason: 'pod-not-running', detail: 'container kserve-container is not running (pod phase Pending)' },
    ]);
  });
});
