// The pod network with real runc containers: a netns per pod on the lab bridge, so two pods listen
// on one port side by side and each answers its own readiness probe at its own IP; pods reach the
// model HTTP server on the host; stop() leaves no veth (and no bridge if no one else uses it).
// Needs root, runc, busybox-static and iproute2; skipped (with the reason) outside CI only.
import { mkdtempSync, rmSync, writeFileSync, mkdirSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryStore } from '../apiserver/store.ts';
import { startModelHttpServer, type ModelHttpServer } from '../images/model-http-server.ts';
import { canRunPods, startKubelet, type Kubelet } from './kubelet.ts';
import { linksNamed, POD_BRIDGE, POD_GATEWAY, RUN_DIR, vethPrefix } from './net.ts';
import type { Container, Pod } from './pod-types.ts';
import { runcList } from './runc.ts';
import { testImageStore } from './test-images.ts';
import { untilTruthy } from '../until.ts';

const can = canRunPods();
if (!can.ok) {
  if (process.env['CI']) throw new Error(`pod network tests cannot be skipped in CI: ${can.reason}`);
  console.log(`skipping pod network tests: ${can.reason}`);
}

/** Polls every 25 ms: these tests time the kubelet's own steps. */
const waitFor = <T>(what: string, probe: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 20_000) => untilTruthy(what, probe, timeoutMs, 25);

describe.skipIf(!can.ok)('the lab pod network', () => {
  const prefix = `kn${process.pid}`;
  let dir: string;
  let store: MemoryStore;
  let kubelet: Kubelet;
  let n = 0;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'podnet-test-'));
    store = new MemoryStore();
    store.gracefulPodDeletion = true;
    await store.create('namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'default' } });
    await store.create('configmaps', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'kube-root-ca.crt', namespace: 'default' }, data: { 'ca.crt': 'lab' } });
    const images = testImageStore(join(dir, 'images'), { 'busybox:1.36': { config: { env: ['PATH=/bin'], cmd: ['sh'] } } });
    await store.create('nodes', { apiVersion: 'v1', kind: 'Node', metadata: { name: 'lab-node' }, spec: {} });
    kubelet = await startKubelet(store, { nodeName: 'lab-node', stateDir: join(dir, 'state'), images, timeScale: 10, namePrefix: prefix, podNetwork: true });
  });

  afterAll(async () => {
    await kubelet?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const createPod = async (containers: Container[]): Promise<Pod> =>
    (await store.create('pods', {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: `p${++n}`, namespace: 'default' },
      spec: { nodeName: 'lab-node', terminationGracePeriodSeconds: 30, containers },
    })) as Pod;
  const current = (pod: Pod) => store.get('pods', 'default', pod.metadata.name!) as Pod | undefined;
  const ready = (pod: Pod) => current(pod)?.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') && current(pod);
  const exec = async (pod: Pod, container: string, command: string[]) => {
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    let out = '';
    let err = '';
    stdout.on('data', (d: Buffer) => (out += d));
    stderr.on('data', (d: Buffer) => (err += d));
    const code = await kubelet.execRunner.exec({ namespace: 'default', pod: current(pod)!, container, command, tty: false, stdin: null, stdout, stderr });
    return { code, out, err };
  };

  /** A busybox httpd on :8080 (all addresses) serving `body`, with a readiness probe on it. */
  const web = (body: string): Container => ({
    name: 'web',
    image: 'busybox:1.36',
    command: ['sh', '-c', `mkdir -p /www && echo ${body} > /www/index.html && exec httpd -f -p 8080 -h /www`],
    env: [{ name: 'MY_POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } }],
    readinessProbe: { httpGet: { path: '/', port: 8080 }, periodSeconds: 1 },
  });

  let block = 0;

  it('runs two pods listening on 8080 side by side, each Ready by its own probe at its own IP', async () => {
    const started = Date.now();
    const [a, b] = await Promise.all([createPod([web('pod-a')]), createPod([web('pod-b')])]);
    const [ra, rb] = await Promise.all([waitFor('a ready', () => ready(a)), waitFor('b ready', () => ready(b))]);
    console.log(`create 2 pods -> both Ready (probe at the pod IP): ${Date.now() - started} ms`);
    const ipA = ra.status!.podIP!;
    const ipB = rb.status!.podIP!;
    expect(ipA).toMatch(/^10\.213\.\d+\.\d+$/);
    expect(ipB).toMatch(/^10\.213\.\d+\.\d+$/);
    expect(ipA).not.toBe(ipB);
    expect(ra.status!.podIPs).toEqual([{ ip: ipA }]);
    expect(ra.status!.hostIP).toBe('127.0.0.1');
    block = Number(ipA.split('.')[2]);
    // The host reaches each pod through the bridge, and each answers with its own page.
    expect(await (await fetch(`http://${ipA}:8080/`)).text()).toBe('pod-a\n');
    expect(await (await fetch(`http://${ipB}:8080/`)).text()).toBe('pod-b\n');
    // Inside: eth0 has the pod IP, loopback works, the downward API and /etc/hosts name the pod IP.
    const addr = await exec(a, 'web', ['ip', '-o', '-4', 'addr', 'show']);
    expect(addr.out).toMatch(new RegExp(`\\blo\\s+inet 127\\.0\\.0\\.1/8`));
    expect(addr.out).toMatch(new RegExp(`\\beth0\\s+inet ${ipA.replaceAll('.', '\\.')}/16`));
    expect((await exec(a, 'web', ['wget', '-q', '-O', '-', 'http://127.0.0.1:8080/'])).out).toBe('pod-a\n');
    expect((await exec(a, 'web', ['sh', '-c', 'echo $MY_POD_IP'])).out).toBe(`${ipA}\n`);
    expect((await exec(a, 'web', ['cat', '/etc/hosts'])).out).toContain(`${ipA}\t${a.metadata.name}\n`);
    // Nothing off this machine: no default route.
    expect((await exec(a, 'web', ['ip', 'route'])).out).not.toContain('default');
    expect(linksNamed(vethPrefix(block)).length).toBe(2);
  });

  it('lets a pod download from the model HTTP server on the host', async () => {
    const models = join(dir, 'models');
    mkdirSync(models);
    writeFileSync(join(models, 'model.joblib'), 'model-over-http');
    const server: ModelHttpServer = await startModelHttpServer(models);
    try {
      expect(server.url).toMatch(new RegExp(`^http://${POD_GATEWAY.replaceAll('.', '\\.')}:\\d+$`));
      // The host reaches the same URL (tests and host-side tools use it as is).
      expect(await (await fetch(`${server.url}/model.joblib`)).text()).toBe('model-over-http');
      const pod = await createPod([{ name: 'c', image: 'busybox:1.36', command: ['sleep', 'infinity'] }]);
      await waitFor('running', () => current(pod)?.status?.containerStatuses?.[0]?.state.running);
      const got = await exec(pod, 'c', ['wget', '-q', '-O', '-', `${server.url}/model.joblib`]);
      expect(got).toMatchObject({ code: 0, out: 'model-over-http' });
    } finally {
      await server.stop();
    }
  });

  it('frees a deleted pod\'s veth with its netns', async () => {
    const before = linksNamed(vethPrefix(block)).length;
    const pod = await createPod([{ name: 'c', image: 'busybox:1.36', command: ['sleep', 'infinity'] }]);
    await waitFor('running', () => current(pod)?.status?.containerStatuses?.[0]?.state.running);
    expect(linksNamed(vethPrefix(block)).length).toBe(before + 1);
    await store.delete('pods', 'default', pod.metadata.name!);
    await waitFor('pod gone', () => !current(pod));
    await waitFor('veth gone', () => linksNamed(vethPrefix(block)).length === before);
  });

  it('stops leaving no container, veth or lease behind (nor the bridge, unless another lab uses it)', async () => {
    await kubelet.stop();
    expect((await runcList()).filter((c) => c.id.startsWith(`${prefix}-`))).toEqual([]);
    expect(linksNamed(vethPrefix(block))).toEqual([]);
    const leases = readdirSync(RUN_DIR).filter((f) => f.startsWith('block-') || f.startsWith('user-'));
    expect(leases).not.toContain(`block-${block}`);
    if (!leases.length) expect(linksNamed(POD_BRIDGE)).toEqual([]);
  });
}, 120_000);
