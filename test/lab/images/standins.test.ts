// The stand-in programs, run as their images' user from the images' unpacked root filesystems
// (chroot, host network): the sklearn server refuses to start without a model as KServe's does and
// serves with one; the storage initializer copies http:// models and rejects oci:// URIs.
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PulledImage } from '../types.ts';
import { LAB_IMAGES, SKLEARN_MODEL_FILE } from './catalog.ts';
import { startModelHttpServer, type ModelHttpServer } from './model-http-server.ts';
import { createImageStore } from './store.ts';
import { imageTestsEnabled, startTestRegistries, type TestRegistries } from './test-registry.ts';

const enabled = imageTestsEnabled('stand-in image tests');
const MISSING_MODEL = `Exception: Cannot recognize storage type for /mnt/models
'gs://', 's3://', 'file://', 'http(s)://' and 'hf://' are the current available storage type.`;

describe.skipIf(!enabled)('stand-in images', () => {
  let reg: TestRegistries;
  let dir: string;
  let server: PulledImage;
  let initializer: PulledImage;
  let model: PulledImage;
  let legacyServer: PulledImage;
  let legacyInitializer: PulledImage;
  let port = 18_180;

  /** A private, writable copy of an image's root filesystem, as a container would get. */
  async function containerRoot(image: PulledImage): Promise<string> {
    const root = mkdtempSync(join(dir, 'root-'));
    await execa('cp', ['-a', `${image.rootfs}/.`, root]);
    mkdirSync(join(root, 'mnt'), { recursive: true });
    return root;
  }

  /** Runs the image's entrypoint as the image's user inside `root`. */
  function run(image: PulledImage, root: string, args: string[]) {
    const user = `${image.config.user}:${image.config.user}`;
    return execa('chroot', [`--userspec=${user}`, root, ...(image.config.entrypoint ?? []), ...args], { reject: false });
  }

  async function waitForHttp(url: string, headers: Record<string, string> = {}): Promise<Response> {
    for (const deadline = Date.now() + 10_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 50))) {
      try {
        return await fetch(url, { headers });
      } catch {
        // not listening yet
      }
    }
    throw new Error(`nothing answered at ${url}`);
  }

  beforeAll(async () => {
    reg = await startTestRegistries();
    dir = mkdtempSync(join(tmpdir(), 'standins-test-'));
    const store = createImageStore({ dir: join(dir, 'node'), registryHost: reg.host });
    [server, initializer, model, legacyServer, legacyInitializer] = await Promise.all(
      [
        LAB_IMAGES.sklearnServer('v0.20.0'),
        LAB_IMAGES.storageInitializer('v0.20.0'),
        LAB_IMAGES.sklearnModel,
        LAB_IMAGES.sklearnServer('v0.13.0'),
        LAB_IMAGES.storageInitializer('v0.15.2'),
      ].map((ref) => store.pull(ref, { policy: 'IfNotPresent' })),
    );
  }, 300_000);

  afterAll(async () => {
    await reg?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  describe('sklearn server', () => {
    const args = () => ['--model_name=sklearn-iris', '--model_dir=/mnt/models', `--http_port=${++port}`];

    it('exits 1 with KServe’s traceback when /mnt/models is absent', async () => {
      const result = await run(server, await containerRoot(server), args());
      expect(result.exitCode).toBe(1);
      expect(result.stderr).toMatch(/^Traceback \(most recent call last\):/m);
      expect(result.stderr.endsWith(MISSING_MODEL)).toBe(true);
    });

    it('exits 1 the same way when /mnt/models is a dangling link (the modelcar is gone)', async () => {
      const root = await containerRoot(server);
      symlinkSync('/proc/999999/root/models', join(root, 'mnt/models'));
      const result = await run(server, root, args());
      expect(result.exitCode).toBe(1);
      expect(result.stderr.endsWith(MISSING_MODEL)).toBe(true);
    });

    it('exits 1 with the kernel’s Permission denied when it cannot list /mnt/models', async () => {
      const root = await containerRoot(server);
      mkdirSync(join(root, 'mnt/models'), { mode: 0o700 }); // root's, and the server runs as 1000
      const result = await run(server, root, args());
      expect(result.exitCode).toBe(1);
      expect(result.stderr.endsWith("PermissionError: [Errno 13] Permission denied: '/mnt/models'")).toBe(true);
    });

    it('serves the model with one, as uid 1000', async () => {
      const root = await containerRoot(server);
      mkdirSync(join(root, 'mnt/models'));
      copyFileSync(join(model.rootfs, SKLEARN_MODEL_FILE.path), join(root, 'mnt/models/model.joblib'));
      const a = args();
      const proc = run(server, root, a);
      try {
        const url = `http://127.0.0.1:${a[2]!.split('=')[1]}`;
        expect(await (await waitForHttp(`${url}/v1/models/sklearn-iris`)).json()).toEqual({ name: 'sklearn-iris', ready: true });
        expect(await (await fetch(`${url}/v2/health/ready`)).json()).toEqual({ ready: true });
        const predict = await fetch(`${url}/v1/models/sklearn-iris:predict`, { method: 'POST', body: JSON.stringify({ instances: [[6.8, 2.8, 4.8, 1.4], [6.0, 3.4, 4.5, 1.6]] }) });
        expect(await predict.json()).toEqual({ predictions: [1, 1] });
        // chroot has exec'd the server after switching to the image's user.
        expect(readFileSync(`/proc/${proc.pid}/status`, 'utf8')).toMatch(/^Uid:\t1000\t/m);
      } finally {
        proc.kill();
        await proc;
      }
    });

    it('keeps running without the model when /mnt/models is empty, as KServe’s ModelMissingError path does', async () => {
      const root = await containerRoot(server);
      mkdirSync(join(root, 'mnt/models'));
      const a = args();
      const proc = run(server, root, a);
      try {
        const res = await waitForHttp(`http://127.0.0.1:${a[2]!.split('=')[1]}/v1/models/sklearn-iris`);
        expect(res.status).toBe(404);
        expect(await res.json()).toEqual({ error: 'Model with name sklearn-iris does not exist.' });
      } finally {
        proc.kill();
        const { stderr } = await proc;
        expect(stderr).toContain('failed to locate model file for model sklearn-iris under dir /mnt/models,trying loading from model repository.');
      }
    });
  });

  describe('storage initializer', () => {
    let http: ModelHttpServer;
    beforeAll(async () => {
      const models = join(dir, 'http-models');
      mkdirSync(join(models, 'sklearn'), { recursive: true });
      copyFileSync(join(model.rootfs, SKLEARN_MODEL_FILE.path), join(models, 'sklearn/model.joblib'));
      http = await startModelHttpServer(models);
    });
    afterAll(() => http?.stop());

    it('copies an http:// model into /mnt/models', async () => {
      const root = await containerRoot(initializer);
      chmodSync(join(root, 'mnt'), 0o777); // the emptyDir the kubelet mounts there
      const result = await run(initializer, root, [`${http.url}/sklearn/model.joblib`, '/mnt/models']);
      expect(result.exitCode, result.stderr).toBe(0);
      expect(readdirSync(join(root, 'mnt/models'))).toEqual(['model.joblib']);
      expect(readFileSync(join(root, 'mnt/models/model.joblib'))).toEqual(readFileSync(join(model.rootfs, SKLEARN_MODEL_FILE.path)));
    });

    it('fails on oci:// with KServe’s message', async () => {
      const result = await run(initializer, await containerRoot(initializer), ['oci://rhuss/kserving-example-sklearn:1.0', '/mnt/models']);
      expect(result.exitCode).toBe(1);
      expect(result.stderr).toContain(
        "Unexpected error during storage initialization: Cannot recognize storage type for oci://rhuss/kserving-example-sklearn:1.0\n'gs://', 's3://', 'file://', 'http(s)://' and 'hf://' are the current available storage type.",
      );
    });

    it('fails on a missing http:// model with KServe’s message', async () => {
      const result = await run(initializer, await containerRoot(initializer), [`${http.url}/nope/model.joblib`, '/mnt/models']);
      expect(result.exitCode).toBe(1);
      expect(result.stderr).toContain(`Storage initialization failed: HTTP resource not found at '${http.url}/nope/model.joblib'.`);
    });
  });

  describe('releases before v0.17 (Storage from kserve.storage)', () => {
    it('the v0.13.0 sklearn server lists four storage types', async () => {
      const result = await run(legacyServer, await containerRoot(legacyServer), ['--model_name=m', '--model_dir=/mnt/models']);
      expect(result.exitCode).toBe(1);
      expect(result.stderr).toContain('/site-packages/kserve/storage/storage.py", line 103, in download');
      expect(result.stderr.endsWith("Exception: Cannot recognize storage type for /mnt/models\n'gs://', 's3://', 'file://', and 'http(s)://' are the current available storage type.")).toBe(true);
    });

    it('the v0.15.2 storage initializer dies with an uncaught traceback on oci://', async () => {
      const result = await run(legacyInitializer, await containerRoot(legacyInitializer), ['oci://rhuss/kserving-example-sklearn:1.0', '/mnt/models']);
      expect(result.exitCode).toBe(1);
      expect(result.stderr).toContain('Initializing, args: src_uri [oci://rhuss/kserving-example-sklearn:1.0] dest_path[ [/mnt/models]');
      expect(result.stderr).toContain('Traceback (most recent call last):\n  File "/storage-initializer/scripts/initializer-entrypoint", line 17, in <module>');
      expect(result.stderr.endsWith("Exception: Cannot recognize storage type for oci://rhuss/kserving-example-sklearn:1.0\n'gs://', 's3://', 'file://', and 'http(s)://' are the current available storage type.")).toBe(true);
    });
  });

  it('runs the queue-proxy stand-in: ready only once the user container listens, proxying everything else', async () => {
    const store = createImageStore({ dir: join(dir, 'node'), registryHost: reg.host });
    const queue = await store.pull(LAB_IMAGES.queueProxy, { policy: 'IfNotPresent' });
    expect(queue.config).toMatchObject({ user: '65532', entrypoint: ['/ko-app/queue'] });
    const [queuePort, userPort] = [++port, ++port];
    const proc = execa('chroot', ['--userspec=65532:65532', await containerRoot(queue), '/ko-app/queue'], {
      reject: false,
      env: {
        QUEUE_SERVING_PORT: String(queuePort),
        QUEUE_ADMIN_PORT: String(++port),
        USER_PORT: String(userPort),
        // Knative moves the user container's readiness probe here.
        SERVING_READINESS_PROBE: JSON.stringify({ httpGet: { path: '/v2/health/ready', port: userPort, host: '127.0.0.1', scheme: 'HTTP' } }),
      },
    });
    const probe = () => waitForHttp(`http://127.0.0.1:${queuePort}/`, { 'K-Network-Probe': 'queue' });
    try {
      expect((await probe()).status).toBe(503);
      const root = await containerRoot(server);
      mkdirSync(join(root, 'mnt/models'));
      copyFileSync(join(model.rootfs, SKLEARN_MODEL_FILE.path), join(root, 'mnt/models/model.joblib'));
      const user = run(server, root, ['--model_name=m', '--model_dir=/mnt/models', `--http_port=${userPort}`]);
      try {
        await waitForHttp(`http://127.0.0.1:${userPort}/`);
        expect((await probe()).status).toBe(200);
        // Requests without the probe header go through to the model server.
        expect(await (await fetch(`http://127.0.0.1:${queuePort}/v1/models/m`)).json()).toEqual({ name: 'm', ready: true });
      } finally {
        user.kill();
        await user;
      }
    } finally {
      proc.kill();
      await proc;
    }
  });

  it('runs the controller stand-in, which answers its health probes', async () => {
    const store = createImageStore({ dir: join(dir, 'node'), registryHost: reg.host });
    const controller = await store.pull(LAB_IMAGES.controller('v0.20.0'), { policy: 'IfNotPresent' });
    const healthPort = ++port;
    const proc = execa('chroot', ['--userspec=65532:65532', await containerRoot(controller), '/manager'], { reject: false, env: { HEALTH_PROBE_ADDR: `:${healthPort}` } });
    try {
      expect(await (await waitForHttp(`http://127.0.0.1:${healthPort}/readyz`)).text()).toBe('ok');
    } finally {
      proc.kill();
      await proc;
    }
  });

  it('has a runtime image without any shell', async () => {
    const store = createImageStore({ dir: join(dir, 'node'), registryHost: reg.host });
    const noShell = await store.pull(LAB_IMAGES.sklearnServerWithoutShell, { policy: 'IfNotPresent' });
    expect(readdirSync(noShell.rootfs).sort()).toEqual(['sklearnserver', 'tmp']);
    expect(noShell.config).toMatchObject({ user: '1000', entrypoint: ['/sklearnserver'] });
  });

  it('has a runtime image with ls, readlink and cat but no sh', async () => {
    const store = createImageStore({ dir: join(dir, 'node'), registryHost: reg.host });
    const lsOnly = await store.pull(LAB_IMAGES.sklearnServerLsOnly, { policy: 'IfNotPresent' });
    expect(readdirSync(join(lsOnly.rootfs, 'bin')).sort()).toEqual(['busybox', 'cat', 'ls', 'readlink']);
    expect(lsOnly.config).toMatchObject({ user: '1000', entrypoint: ['/sklearnserver'], env: ['PATH=/bin'] });
    const root = await containerRoot(lsOnly);
    const ls = await execa('chroot', ['--userspec=1000:1000', root, '/bin/ls', '-ld', '/tmp'], { reject: false });
    expect(ls.stdout).toMatch(/^drwxrwxrwt /);
    const sh = await execa('chroot', ['--userspec=1000:1000', root, 'sh', '-c', 'true'], { reject: false });
    expect(sh.exitCode).toBe(127);
  });
});
