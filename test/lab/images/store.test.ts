// The node's image store against real registries: pull policies, the cache, coalescing, containerd's
// error messages, and the private registry with and without credentials.
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ImageStore } from '../types.ts';
import { LAB_IMAGES, SKLEARN_MODEL_FILE } from './catalog.ts';
import { manifestDigest, tagImage } from './registry-api.ts';
import { seedImages } from './seed.ts';
import { createImageStore, ImagePullError } from './store.ts';
import { IMAGE_CACHE_DIR, imageTestsEnabled, startTestRegistries, type TestRegistries } from './test-registry.ts';

const enabled = imageTestsEnabled('image store tests');

describe.skipIf(!enabled)('image store', () => {
  let reg: TestRegistries;
  let dir: string;
  let store: ImageStore;
  const newStore = () => createImageStore({ dir: mkdtempSync(join(dir, 'node-')), registryHost: reg.host, privateRegistryHost: reg.privateHost });

  beforeAll(async () => {
    reg = await startTestRegistries(); // the first run on a machine builds the images (about 90 s)
    dir = mkdtempSync(join(tmpdir(), 'image-store-test-'));
    store = newStore();
  }, 300_000);

  afterAll(async () => {
    await reg?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('seeds a warm registry in well under a second, pushing nothing', async () => {
    const again = await seedImages(reg, IMAGE_CACHE_DIR);
    console.log(`seed: first ${reg.seed.durationMs} ms (built: ${reg.seed.built}, pushed ${reg.seed.pushed.length}), warm ${again.durationMs} ms`);
    expect(again).toMatchObject({ built: false, pushed: [] });
    expect(again.durationMs).toBeLessThan(1000);
  });

  it('pulls the seed model image once with IfNotPresent, then uses the cache', async () => {
    const first = await store.pull(LAB_IMAGES.sklearnModel, { policy: 'IfNotPresent' });
    expect(first.pulled).toBe(true);
    expect(first.imageID).toBe(`docker-pullable://rhuss/kserving-example-sklearn@${first.digest}`);
    expect(first.sizeBytes).toBeGreaterThan(SKLEARN_MODEL_FILE.size);
    expect(statSync(join(first.rootfs, SKLEARN_MODEL_FILE.path)).size).toBe(SKLEARN_MODEL_FILE.size);
    expect(statSync(join(first.rootfs, 'models')).mode & 0o777).toBe(0o775);
    expect(first.config.cmd).toEqual(['sh']);

    const second = await store.pull(LAB_IMAGES.sklearnModel, { policy: 'IfNotPresent' });
    expect(second).toMatchObject({ pulled: false, digest: first.digest, rootfs: first.rootfs });
    expect(store.has(LAB_IMAGES.sklearnModel)).toBe(true);
    expect(store.has('docker.io/rhuss/kserving-example-sklearn:1.0')).toBe(true);
    expect(store.list()).toContainEqual({
      names: [`docker.io/rhuss/kserving-example-sklearn@${first.digest}`, 'docker.io/rhuss/kserving-example-sklearn:1.0'],
      sizeBytes: first.sizeBytes,
    });
  });

  it('contacts the registry on every Always pull and downloads again only for a new digest', async () => {
    const registryLog = () => readFileSync(join(reg.dir, 'registry', 'registry.log'), 'utf8').split('\n').filter((l) => l.includes('/manifests/latest')).length;
    const before = registryLog();
    const a = await store.pull(LAB_IMAGES.sklearnModelLatest, { policy: 'Always' });
    const b = await store.pull(LAB_IMAGES.sklearnModelLatest, { policy: 'Always' });
    expect([a.pulled, b.pulled]).toEqual([true, true]);
    expect(b.digest).toBe(a.digest);
    // The registry logs a request after answering it: give the log a moment to catch up.
    await expect.poll(registryLog, { timeout: 2000 }).toBeGreaterThanOrEqual(before + 2);
  });

  it('follows a moved :latest on Always while IfNotPresent keeps the node’s copy', async () => {
    const nodeA = newStore();
    const nodeB = newStore();
    const old = await nodeA.pull(LAB_IMAGES.sklearnModelLatest, { policy: 'IfNotPresent' });
    await nodeB.pull(LAB_IMAGES.sklearnModelLatest, { policy: 'IfNotPresent' });
    // Someone pushes a new :latest (here: the busybox image, which has no /models).
    const busybox = await manifestDigest(reg.host, 'library/busybox', 'latest');
    expect(await tagImage(reg.host, { repository: 'library/busybox', digest: busybox! }, { repository: 'rhuss/kserving-example-sklearn', tag: 'latest' })).toBe(true);

    const moved = await nodeA.pull(LAB_IMAGES.sklearnModelLatest, { policy: 'Always' });
    expect(moved).toMatchObject({ pulled: true, digest: busybox });
    expect(moved.digest).not.toBe(old.digest);
    expect(() => statSync(join(moved.rootfs, 'models'))).toThrow(/ENOENT/);
    const kept = await nodeB.pull(LAB_IMAGES.sklearnModelLatest, { policy: 'IfNotPresent' });
    expect(kept).toMatchObject({ pulled: false, digest: old.digest });
  });

  it('coalesces concurrent pulls of one image into one download', async () => {
    const fresh = newStore();
    const pulls = await Promise.all([1, 2, 3].map(() => fresh.pull(LAB_IMAGES.sklearnServer('v0.20.0'), { policy: 'IfNotPresent' })));
    expect(new Set(pulls.map((p) => p.rootfs)).size).toBe(1);
    // The real kserve/sklearnserver runs as uid 1000 from its image config.
    expect(pulls[0]!.config).toMatchObject({ user: '1000', entrypoint: ['/usr/local/bin/sklearnserver'] });
  });

  it.each([
    [
      'a missing tag',
      'rhuss/kserving-example-sklearn:9.9',
      'failed to pull and unpack image "docker.io/rhuss/kserving-example-sklearn:9.9": failed to resolve reference "docker.io/rhuss/kserving-example-sklearn:9.9": docker.io/rhuss/kserving-example-sklearn:9.9: not found',
    ],
    [
      'a repository Docker Hub does not know',
      'rhuss/no-such-model:1.0',
      'failed to pull and unpack image "docker.io/rhuss/no-such-model:1.0": failed to resolve reference "docker.io/rhuss/no-such-model:1.0": pull access denied, repository does not exist or may require authorization: server message: insufficient_scope: authorization failed',
    ],
    [
      'a missing repository on another registry',
      'quay.io/acme/no-such-model:1.0',
      'failed to pull and unpack image "quay.io/acme/no-such-model:1.0": failed to resolve reference "quay.io/acme/no-such-model:1.0": quay.io/acme/no-such-model:1.0: not found',
    ],
  ])('fails for %s with containerd’s message', async (_what, ref, message) => {
    const err = await store.pull(ref, { policy: 'IfNotPresent' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ImagePullError);
    expect(err).toMatchObject({ reason: 'ErrImagePull', message });
  });

  it('refuses Never for an image that is not on the node, and InvalidImageName for a bad reference', async () => {
    await expect(store.pull('busybox:1.36', { policy: 'Never' })).rejects.toMatchObject({
      reason: 'ErrImageNeverPull',
      message: 'Container image "busybox:1.36" is not present with pull policy of Never',
    });
    await expect(store.pull('RHUSS/model:1.0', { policy: 'IfNotPresent' })).rejects.toMatchObject({ reason: 'InvalidImageName' });
  });

  it('answers 401 Unauthorized for the private image without credentials and pulls it with them', async () => {
    const unauthorized =
      'failed to pull and unpack image "quay.io/private/sklearn-model:1.0": failed to resolve reference "quay.io/private/sklearn-model:1.0": unexpected status from HEAD request to https://quay.io/v2/private/sklearn-model/manifests/1.0: 401 Unauthorized';
    await expect(store.pull(LAB_IMAGES.privateSklearnModel, { policy: 'IfNotPresent' })).rejects.toMatchObject({ reason: 'ErrImagePull', message: unauthorized });
    const wrong = { username: reg.privateCredentials.username, password: 'not-the-password' };
    await expect(store.pull(LAB_IMAGES.privateSklearnModel, { policy: 'IfNotPresent', auth: wrong })).rejects.toMatchObject({ message: unauthorized });
    const pulled = await store.pull(LAB_IMAGES.privateSklearnModel, { policy: 'IfNotPresent', auth: reg.privateCredentials });
    expect(pulled.pulled).toBe(true);
    expect(statSync(join(pulled.rootfs, SKLEARN_MODEL_FILE.path)).size).toBe(SKLEARN_MODEL_FILE.size);
  });

  it('has the model images for the modelcar-init scenarios', async () => {
    const without = await store.pull(LAB_IMAGES.modelWithoutModelsDir, { policy: 'IfNotPresent' });
    expect(() => statSync(join(without.rootfs, 'models'))).toThrow(/ENOENT/);
    expect(statSync(join(without.rootfs, 'bin/sh')).isFile()).toBe(true);
    const empty = await store.pull(LAB_IMAGES.modelWithEmptyModelsDir, { policy: 'IfNotPresent' });
    expect(statSync(join(empty.rootfs, 'models')).isDirectory()).toBe(true);
    expect(readdirSync(join(empty.rootfs, 'models'))).toEqual([]);
  });
});
