// The kubelet against the lab's object store, with real runc containers: the facts of
// shared/recipes/runc-pod.sh, restarts, init failures, OOM kills, pull failures, and clean shutdown.
// Needs root, runc and busybox-static; skipped (with the reason) outside CI only.
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryStore } from '../apiserver/store.ts';
import type { KObject } from '../types.ts';
import { canRunPods, memoryLimitsSupported, startKubelet, type Kubelet } from './kubelet.ts';
import { mountsUnder } from './mounts.ts';
import { linksNamed, POD_BRIDGE, RUN_DIR, vethPrefix } from './net.ts';
import type { Container, ContainerStatus, Pod } from './pod-types.ts';
import { runcList } from './runc.ts';
import { FAULT_ANNOTATIONS } from './faults.ts';
import { killContainerNow } from '../faults/pod-actions.ts';
import { createServer } from 'node:net';
import { testImageStore } from './test-images.ts';
import { untilTruthy } from '../until.ts';

const can = canRunPods();
const noMemoryLimits = memoryLimitsSupported() ? undefined : 'this host has no memory cgroup controller, so runc cannot enforce memory limits';
if (can.ok && noMemoryLimits) console.log(`skipping the OOMKilled test: ${noMemoryLimits}`);
if (!can.ok) {
  if (process.env['CI']) throw new Error(`kubelet tests cannot be skipped in CI: ${can.reason}`);
  console.log(`skipping kubelet tests: ${can.reason}`);
}

const MODEL_IMAGE = 'rhuss/kserving-example-sklearn:1.0';
const RUNTIME_IMAGE = 'kserve/sklearnserver:v0.15.2';
const MODEL_BYTES = 'model-bytes-0123456789';

/** The modelcar's args exactly as KServe stores them in the API object. */
const MODELCAR_ARGS = ['sh', '-c', 'ln -sf /proc/$$$$/root/models /mnt/models && sleep infinity'];

/** Polls every 25 ms: these tests time the kubelet's own steps. */
const waitFor = <T>(what: string, probe: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 20_000) => untilTruthy(what, probe, timeoutMs, 25);

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
          mkdirSync(join(root, 'models'));
          chmodSync(join(root, 'models'), 0o775);
          writeFileSync(join(root, 'models/model.joblib'), MODEL_BYTES);
        },
      },
      [RUNTIME_IMAGE]: { config: { env: ['PATH=/bin'], user: '1000', entrypoint: ['sleep'], cmd: ['infinity'] } },
      'busybox:1.36': { config: { env: ['PATH=/bin'], cmd: ['sh'] } },
    });
    await store.create('nodes', { apiVersion: 'v1', kind: 'Node', metadata: { name: 'lab-node' }, spec: {} });
    kubelet = await startKubelet(store, { nodeName: 'lab-node', stateDir: join(dir, 'state'), images, timeScale: 10, namePrefix: prefix });
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


  it('refuses /proc/<pid>/root across uids (runtime 1000 from the image, modelcar 1010)', async () => {
    const pod = await modelcarPod({});
    await waitFor('all containers running', () => allRunning(pod));
    const readlink = await waitFor('the link', async () => {
      const r = await exec(pod, 'kserve-container', ['readlink', '/mnt/models']);
      return r.code === 0 && r;
    });
    expect(readlink.out).toMatch(/^\/proc\/\d+\/root\/models\n$/);
    expect((await exec(pod, 'kserve-container', ['id', '-u'])).out).toBe('1000\n');
    const ls = await exec(pod, 'kserve-container', ['ls', '/mnt/models/']);
    expect(ls.code).toBe(1);
    expect(ls.err).toBe('ls: /mnt/models/: Permission denied\n');
  });

  it('gives each container its own pid namespace without shareProcessNamespace', async () => {
    const pod = await modelcarPod({ runtimeUid: 1010, share: false });
    await waitFor('all containers running', () => allRunning(pod));
    await waitFor('the link', async () => (await exec(pod, 'kserve-container', ['readlink', '/mnt/models'])).code === 0);
    const ls = await exec(pod, 'kserve-container', ['ls', '/mnt/models/']);
    expect(ls.code).toBe(1);
    expect(ls.err).toBe('ls: /mnt/models/: No such file or directory\n');
    // Each container is pid 1 of its own namespace.
    expect((await exec(pod, 'kserve-container', ['cat', '/proc/1/cmdline'])).out).toBe('sleep\0infinity\0');
  });

  it('leaves the link dangling when the modelcar dies; the restarted modelcar relinks with a new pid', async () => {
    const pod = await modelcarPod({ runtimeUid: 1010 });
    await waitFor('all containers running', () => allRunning(pod));
    const link = async () => (await exec(pod, 'kserve-container', ['readlink', '/mnt/models'])).out.trim();
    const first = await waitFor('the link', link);
    // The first restart is immediate; the second crash waits out the 10 s back-off (1 s at timeScale 10).
    await killContainerNow(store, 'default', pod.metadata.name!, 'modelcar');
    await waitFor('restart 1', () => statusOf(pod, 'modelcar')?.restartCount === 1 && statusOf(pod, 'modelcar')?.state.running);
    const second = await waitFor('a new link', async () => (await link()) !== first && link());
    expect(second).toMatch(/^\/proc\/\d+\/root\/models$/);
    expect((await exec(pod, 'kserve-container', ['ls', '/mnt/models/'])).out).toBe('model.joblib\n');
    await killContainerNow(store, 'default', pod.metadata.name!, 'modelcar');
    const waiting = await waitFor('CrashLoopBackOff', () => statusOf(pod, 'modelcar')?.state.waiting);
    expect(waiting.reason).toBe('CrashLoopBackOff');
    expect(waiting.message).toBe(`back-off 10s restarting failed container=modelcar pod=${pod.metadata.name}_default(${pod.metadata.uid})`);
    expect(statusOf(pod, 'modelcar')!.lastState.terminated).toMatchObject({ exitCode: 137, reason: 'Error' });
    expect(await link()).toBe(second);
    const dangling = await exec(pod, 'kserve-container', ['ls', '/mnt/models/']);
    expect(dangling).toMatchObject({ code: 1, err: 'ls: /mnt/models/: No such file or directory\n' });
    expect(current(pod)!.status!.conditions!.find((c) => c.type === 'Ready')).toMatchObject({ status: 'False', reason: 'ContainersNotReady', message: 'containers with unready status: [modelcar]' });
    const backoff = events(pod).find((e) => e.reason === 'BackOff')!;
    expect(backoff).toMatchObject({ type: 'Warning', message: `Back-off restarting failed container modelcar in pod ${pod.metadata.name}_default(${pod.metadata.uid})` });
    expect(backoff.involvedObject.fieldPath).toBe('spec.containers{modelcar}');
    await waitFor('restart 2', () => statusOf(pod, 'modelcar')?.restartCount === 2 && statusOf(pod, 'modelcar')?.state.running);
    const third = await waitFor('a third link', async () => (await link()) !== second && link());
    expect(third).not.toBe(first);
  });

  it('keeps a pod whose init container fails in Init:Error, then Init:CrashLoopBackOff', async () => {
    const pod = await createPod({
      initContainers: [{ name: 'modelcar-init', image: MODEL_IMAGE, args: ['sh', '-c', 'echo "NOK: /models is empty"; exit 1'], terminationMessagePolicy: 'FallbackToLogsOnError' }],
      containers: [{ name: 'kserve-container', image: RUNTIME_IMAGE }],
    });
    const failed = await waitFor('init terminated', () => statusOf(pod, 'modelcar-init')?.state.terminated);
    // FallbackToLogsOnError: the log's tail becomes the termination message.
    expect(failed).toMatchObject({ exitCode: 1, reason: 'Error', message: 'NOK: /models is empty\n' });
    const looping = await waitFor('init back-off', () => statusOf(pod, 'modelcar-init')?.state.waiting?.reason === 'CrashLoopBackOff' && current(pod)!.status!);
    expect(looping.phase).toBe('Pending');
    expect(looping.conditions!.find((c) => c.type === 'Initialized')).toMatchObject({ status: 'False', reason: 'ContainersNotInitialized', message: 'containers with incomplete status: [modelcar-init]' });
    expect(statusOf(pod, 'kserve-container')!.state).toEqual({ waiting: { reason: 'PodInitializing' } });
    expect(statusOf(pod, 'modelcar-init')!.lastState.terminated).toMatchObject({ exitCode: 1, reason: 'Error' });
    expect(events(pod).find((e) => e.reason === 'BackOff')!.involvedObject.fieldPath).toBe('spec.initContainers{modelcar-init}');
    const out = new PassThrough();
    let text = '';
    out.on('data', (d: Buffer) => (text += d));
    await kubelet.logSource.logs({ namespace: 'default', pod: current(pod)!, container: 'modelcar-init', previous: false, follow: false, timestamps: false }, out, new AbortController().signal);
    expect(text).toBe('NOK: /models is empty\n');
  });

  it.skipIf(Boolean(noMemoryLimits))('OOM-kills a container over its memory limit: exit code 137, reason OOMKilled', async () => {
    const pod = await createPod({
      restartPolicy: 'Never',
      containers: [{ name: 'hog', image: 'busybox:1.36', command: ['dd', 'if=/dev/zero', 'of=/dev/null', 'bs=64M', 'count=1'], resources: { limits: { memory: '16Mi' } } }],
    });
    const t = await waitFor('terminated', () => statusOf(pod, 'hog')?.state.terminated);
    expect(t).toMatchObject({ exitCode: 137, reason: 'OOMKilled' });
    await waitFor('phase Failed', () => current(pod)?.status?.phase === 'Failed');
    // The kubelet records no OOM event: only the status says it.
    expect(events(pod).map((e) => e.reason)).not.toContain('OOMKilled');
  });

  it('reports a missing image as ErrImagePull, then ImagePullBackOff, with the kubelet events', async () => {
    const ref = 'lab/does-not-exist:1.0';
    const pod = await createPod({ containers: [{ name: 'c', image: ref }] });
    const notFound = `rpc error: code = NotFound desc = failed to pull and unpack image "docker.io/lab/does-not-exist:1.0": failed to resolve reference "docker.io/lab/does-not-exist:1.0": docker.io/lab/does-not-exist:1.0: not found`;
    const err = await waitFor('ErrImagePull', () => statusOf(pod, 'c')?.state.waiting?.reason === 'ErrImagePull' && statusOf(pod, 'c')!.state.waiting);
    expect(err.message).toBe(notFound);
    const back = await waitFor('ImagePullBackOff', () => statusOf(pod, 'c')?.state.waiting?.reason === 'ImagePullBackOff' && statusOf(pod, 'c')!.state.waiting);
    expect(back.message).toBe(`Back-off pulling image "${ref}": ErrImagePull: ${notFound}`);
    expect(current(pod)!.status!.phase).toBe('Pending');
    const seen = events(pod).map((e) => [e.type, e.reason, e.message]);
    expect(seen).toEqual(expect.arrayContaining([
      ['Normal', 'Pulling', `Pulling image "${ref}"`],
      ['Warning', 'Failed', `Failed to pull image "${ref}": ${notFound}`],
      ['Warning', 'Failed', 'Error: ErrImagePull'],
      ['Normal', 'BackOff', `Back-off pulling image "${ref}"`],
      ['Warning', 'Failed', 'Error: ImagePullBackOff'],
    ]));
    expect(events(pod).every((e) => e.involvedObject.fieldPath === 'spec.containers{c}')).toBe(true);
  });

  it('expands $(VAR) and $$ in args, resolves env from fieldRef and ConfigMaps, and serves logs', async () => {
    await store.create('configmaps', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'settings', namespace: 'default' }, data: { mode: 'fast', extra: 'x' } });
    const pod = await createPod({
      restartPolicy: 'Never',
      containers: [{
        name: 'c',
        image: 'busybox:1.36',
        env: [
          { name: 'POD', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
          { name: 'MODE', valueFrom: { configMapKeyRef: { name: 'settings', key: 'mode' } } },
          { name: 'GREETING', value: 'hi-$(POD)' },
        ],
        envFrom: [{ prefix: 'CM_', configMapRef: { name: 'settings' } }],
        command: ['sh', '-c'],
        args: ['echo "$(GREETING) $(MODE)" \'$(UNDEFINED)\' "$$(echo shell) $CM_extra"; sleep 0.1; echo to-stderr >&2; sleep 0.1; echo done'],
      }],
    });
    await waitFor('Succeeded', () => current(pod)?.status?.phase === 'Succeeded');
    expect(statusOf(pod, 'c')!.state.terminated).toMatchObject({ exitCode: 0, reason: 'Completed' });
    const read = async (q: { tailLines?: number; timestamps?: boolean; limitBytes?: number }) => {
      const out = new PassThrough();
      let text = '';
      out.on('data', (d: Buffer) => (text += d));
      await kubelet.logSource.logs({ namespace: 'default', pod: current(pod)!, container: 'c', previous: false, follow: false, timestamps: false, ...q }, out, new AbortController().signal);
      return text;
    };
    expect(await read({})).toBe(`hi-${pod.metadata.name} fast $(UNDEFINED) shell x\nto-stderr\ndone\n`);
    expect(await read({ tailLines: 1 })).toBe('done\n');
    expect(await read({ limitBytes: 2 })).toBe('hi');
    expect(await read({ tailLines: 1, timestamps: true })).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z done\n$/);
    await expect(kubelet.logSource.logs({ namespace: 'default', pod: current(pod)!, container: 'c', previous: true, follow: false, timestamps: false }, new PassThrough(), new AbortController().signal))
      .rejects.toThrow(`previous terminated container "c" in pod "${pod.metadata.name}" not found`);
  });

  it('fails exec of a missing binary with containerd\'s message, and exec into a stopped container', async () => {
    const pod = await createPod({ containers: [{ name: 'c', image: 'busybox:1.36', command: ['sleep', 'infinity'] }] });
    await waitFor('running', () => allRunning(pod));
    await expect(exec(pod, 'c', ['bash'])).rejects.toThrow(
      /^Internal error occurred: error executing command in container: failed to exec in container: failed to start exec "[0-9a-f]{64}": OCI runtime exec failed: exec failed: unable to start container process: exec: "bash": executable file not found in \$PATH: unknown$/,
    );
    expect(await exec(pod, 'c', ['sh', '-c', 'exit 3'])).toMatchObject({ code: 3 });
    await expect(exec(pod, 'nope', ['true'])).rejects.toThrow('container not found ("nope")');
  });

  it('deletes a pod gracefully: SIGTERM, Killing events, then the object is gone', async () => {
    const pod = await createPod({
      terminationGracePeriodSeconds: 30,
      containers: [{ name: 'c', image: 'busybox:1.36', command: ['sh', '-c', 'trap "echo got TERM; exit 0" TERM; while true; do sleep 0.1; done'] }],
    });
    await waitFor('running', () => allRunning(pod));
    await new Promise((r) => setTimeout(r, 200));
    const started = Date.now();
    await store.delete('pods', 'default', pod.metadata.name!);
    await waitFor('pod gone', () => !current(pod));
    expect(Date.now() - started).toBeLessThan(2500); // well inside the grace period: TERM was handled
    expect(events(pod).map((e) => [e.reason, e.message])).toContainEqual(['Killing', 'Stopping container c']);
  });

  it('marks a container ready only once its HTTP readiness probe passes, with Unhealthy events before', async () => {
    const port = await new Promise<number>((ok) => {
      const srv = createServer().listen(0, '127.0.0.1', () => {
        const p = (srv.address() as { port: number }).port;
        srv.close(() => ok(p));
      });
    });
    const pod = await createPod({
      containers: [{
        name: 'web',
        image: 'busybox:1.36',
        command: ['sh', '-c', `mkdir -p /www && echo ok > /www/index.html && sleep 1 && exec httpd -f -p ${port} -h /www`],
        readinessProbe: { httpGet: { path: '/', port }, periodSeconds: 2 },
      }],
    });
    await waitFor('running', () => statusOf(pod, 'web')?.state.running);
    expect(statusOf(pod, 'web')!.ready).toBe(false);
    const ready = await waitFor('ready', () => current(pod)?.status?.conditions?.find((c) => c.type === 'Ready' && c.status === 'True'));
    expect(ready).toBeDefined();
    // The probe connects to the pod's IP (its own on the lab bridge, or 127.0.0.1 on the host network).
    const ip = current(pod)!.status!.podIP!;
    expect(events(pod).map((e) => [e.type, e.reason, e.message])).toContainEqual([
      'Warning', 'Unhealthy', `Readiness probe failed: Get "http://${ip}:${port}/": dial tcp ${ip}:${port}: connect: connection refused`,
    ]);
  });

  it('runs an ephemeral debug container in the target container\'s pid namespace', async () => {
    const pod = await createPod({
      shareProcessNamespace: false,
      containers: [{ name: 'kserve-container', image: RUNTIME_IMAGE }, { name: 'modelcar', image: MODEL_IMAGE, command: ['sleep', '3600'] }],
    });
    await waitFor('running', () => allRunning(pod));
    const live = current(pod)!;
    await store.update('pods', {
      ...live,
      spec: { ...live.spec, ephemeralContainers: [{ name: 'debugger', image: 'busybox:1.36', command: ['sleep', 'infinity'], targetContainerName: 'modelcar' }] },
    } as KObject, undefined, { subresource: 'ephemeralcontainers' } as never);
    const s = await waitFor('ephemeral running', () => current(pod)?.status?.ephemeralContainerStatuses?.find((e) => e.name === 'debugger' && e.state.running));
    expect(s.containerID).toMatch(/^containerd:\/\//);
    // pid 1 in the debugger's view is the modelcar's process, not the runtime's.
    expect((await exec(pod, 'debugger', ['cat', '/proc/1/cmdline'])).out).toBe('sleep\0' + '3600\0');
    expect(events(pod).map((e) => `${e.reason}:${e.involvedObject.fieldPath}`)).toContain('Started:spec.ephemeralContainers{debugger}');
  });

  it('honours readOnlyRootFilesystem, and mounts /tmp noexec when the fault annotation asks for it', async () => {
    const pod = await createPod({ containers: [{ name: 'c', image: 'busybox:1.36', command: ['sleep', 'infinity'], securityContext: { readOnlyRootFilesystem: true } }] });
    await store.update('pods', { ...current(pod)!, metadata: { ...current(pod)!.metadata, annotations: { [FAULT_ANNOTATIONS.noexecTmp]: 'c' } } } as KObject);
    // The fault applies from the next start: kill the container and let the restart pick it up.
    await waitFor('running', () => allRunning(pod));
    await killContainerNow(store, 'default', pod.metadata.name!, 'c');
    await waitFor('restarted', () => statusOf(pod, 'c')?.restartCount === 1 && statusOf(pod, 'c')?.state.running);
    const touch = await exec(pod, 'c', ['touch', '/marker']);
    expect(touch.err).toBe("touch: /marker: Read-only file system\n");
    const noexec = await exec(pod, 'c', ['sh', '-c', 'cp /bin/busybox /tmp/bb && /tmp/bb true']);
    expect(noexec).toMatchObject({ code: 126 });
    expect(noexec.err).toContain('Permission denied');
  });

  it('mounts an image volume read-only (native OCI mode) and limits an emptyDir to its sizeLimit', async () => {
    const pod = await createPod({
      volumes: [
        { name: 'model', image: { reference: MODEL_IMAGE, pullPolicy: 'IfNotPresent' } },
        { name: 'scratch', emptyDir: { sizeLimit: '1Mi' } },
      ],
      containers: [{
        name: 'kserve-container',
        image: 'busybox:1.36',
        command: ['sleep', 'infinity'],
        volumeMounts: [{ name: 'model', mountPath: '/mnt/models', subPath: 'models', readOnly: true }, { name: 'scratch', mountPath: '/scratch' }],
      }],
    });
    await waitFor('running', () => allRunning(pod));
    expect((await exec(pod, 'kserve-container', ['cat', '/mnt/models/model.joblib'])).out).toBe(MODEL_BYTES);
    expect((await exec(pod, 'kserve-container', ['touch', '/mnt/models/x'])).err).toBe('touch: /mnt/models/x: Read-only file system\n');
    const fill = await exec(pod, 'kserve-container', ['dd', 'if=/dev/zero', 'of=/scratch/f', 'bs=1024', 'count=2048']);
    expect(fill.code).toBe(1);
    expect(fill.err).toContain('No space left on device');
    expect((await exec(pod, 'kserve-container', ['hostname'])).out).toBe(`${pod.metadata.name}\n`);
  });

  it('follows a running container\'s log until it exits', async () => {
    const pod = await createPod({
      restartPolicy: 'Never',
      containers: [{ name: 'c', image: 'busybox:1.36', command: ['sh', '-c', 'for i in 1 2 3; do echo line $i; sleep 0.3; done'] }],
    });
    await waitFor('running', () => statusOf(pod, 'c')?.state.running);
    const out = new PassThrough();
    let text = '';
    out.on('data', (d: Buffer) => (text += d));
    await kubelet.logSource.logs({ namespace: 'default', pod: current(pod)!, container: 'c', previous: false, follow: true, timestamps: false }, out, new AbortController().signal);
    expect(text).toBe('line 1\nline 2\nline 3\n');
    expect(statusOf(pod, 'c')!.state.terminated).toMatchObject({ exitCode: 0, reason: 'Completed' });
  });

  it('restarts a container whose liveness probe fails, with the kubelet\'s events', async () => {
    const pod = await createPod({
      containers: [{ name: 'c', image: 'busybox:1.36', command: ['sleep', 'infinity'], livenessProbe: { exec: { command: ['cat', '/tmp/healthy'] }, periodSeconds: 1, failureThreshold: 2 } }],
    });
    await waitFor('restarted', () => (statusOf(pod, 'c')?.restartCount ?? 0) >= 1);
    const seen = events(pod).map((e) => [e.type, e.reason, e.message]);
    expect(seen).toContainEqual(['Warning', 'Unhealthy', 'Liveness probe failed: cat: can\'t open \'/tmp/healthy\': No such file or directory']);
    expect(seen).toContainEqual(['Normal', 'Killing', 'Container c failed liveness probe, will be restarted']);
    expect(statusOf(pod, 'c')!.lastState.terminated).toMatchObject({ reason: 'Error', exitCode: 137 });
  });

  it('posts the Node status: Ready, the kubelet version, the node\'s images', async () => {
    const node = await waitFor('node status', () => {
      const n = store.get('nodes', undefined, 'lab-node') as (KObject & { status?: { nodeInfo?: { kubeletVersion: string }; conditions?: Array<{ type: string; status: string }>; images?: unknown[] } }) | undefined;
      return n?.status?.nodeInfo && n;
    });
    expect(node.status!.nodeInfo!.kubeletVersion).toBe('v1.33.1');
    expect(node.status!.conditions!.find((c) => c.type === 'Ready')!.status).toBe('True');
    expect(node.status!.images!.length).toBeGreaterThan(0);
  });

  it('reports a missing executable as StartError (exit code 128) and restarts with back-off', async () => {
    const pod = await createPod({ containers: [{ name: 'c', image: 'busybox:1.36', command: ['/no/such/binary'] }] });
    const looping = await waitFor('CrashLoopBackOff', () => statusOf(pod, 'c')?.state.waiting?.reason === 'CrashLoopBackOff' && statusOf(pod, 'c')!);
    const message = 'failed to create containerd task: failed to create shim task: OCI runtime create failed: runc create failed: unable to start container process: exec: "/no/such/binary": stat /no/such/binary: no such file or directory: unknown';
    expect(looping.lastState.terminated).toMatchObject({ exitCode: 128, reason: 'StartError', message, startedAt: '1970-01-01T00:00:00Z' });
    expect(looping.restartCount).toBeGreaterThanOrEqual(1);
    expect(events(pod).map((e) => [e.type, e.reason, e.message])).toContainEqual(['Warning', 'Failed', `Error: ${message}`]);
  });

  it('runs a 3-container pod and stops leaving no runc container or mount behind', async () => {
    const started = Date.now();
    const pod = await createPod({
      shareProcessNamespace: true,
      containers: ['a', 'b', 'c'].map((name) => ({ name, image: 'busybox:1.36', command: ['sleep', 'infinity'] })),
    });
    const running = await waitFor('3/3 running', () => allRunning(pod));
    console.log(`create -> 3/3 Running (cached image): ${Date.now() - started} ms`);
    const ip = running.status!.podIP!;
    const block = /^10\.213\.(\d+)\.\d+$/.exec(ip)?.[1];
    expect((await runcList()).filter((c) => c.id.startsWith(`${prefix}-`)).length).toBeGreaterThanOrEqual(4);
    const stopping = Date.now();
    await kubelet.stop();
    console.log(`kubelet.stop() with all test pods: ${Date.now() - stopping} ms`);
    expect((await runcList()).filter((c) => c.id.startsWith(`${prefix}-`))).toEqual([]);
    expect(mountsUnder(dir)).toEqual([]);
    // With the pod network: no veth of this kubelet's /24, its lease given back, and the bridge
    // gone unless another lab on this machine still holds a lease.
    if (block !== undefined) {
      expect(linksNamed(vethPrefix(Number(block)))).toEqual([]);
      const leases = existsSync(RUN_DIR) ? readdirSync(RUN_DIR).filter((f) => f !== 'lock') : [];
      expect(leases).not.toContain(`block-${block}`);
      if (!leases.length) expect(linksNamed(POD_BRIDGE)).toEqual([]);
    }
  });
}, 180_000);
