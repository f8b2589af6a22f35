// The big model image is built on demand with the size asked for, and pulls with that size.
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildBigModelImage } from './seed.ts';
import { createImageStore } from './store.ts';
import { IMAGE_CACHE_DIR, imageTestsEnabled, startTestRegistries, type TestRegistries } from './test-registry.ts';

const enabled = imageTestsEnabled('big model image tests');
const SIZE_MB = 16; // the benchmark asks for 200; the mechanism is the same

describe.skipIf(!enabled)('big model image', () => {
  let reg: TestRegistries;
  let dir: string;

  beforeAll(async () => {
    reg = await startTestRegistries();
    dir = mkdtempSync(join(tmpdir(), 'big-model-test-'));
  }, 300_000);

  afterAll(async () => {
    await reg?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it(`builds a ${SIZE_MB} MB model image on demand and pulls it with its real size`, async () => {
    let started = performance.now();
    const ref = await buildBigModelImage(reg.host, IMAGE_CACHE_DIR, SIZE_MB);
    const buildMs = performance.now() - started;
    started = performance.now();
    const image = await createImageStore({ dir, registryHost: reg.host }).pull(ref, { policy: 'IfNotPresent' });
    console.log(`big model ${SIZE_MB} MB: build+push ${Math.round(buildMs)} ms, pull ${Math.round(performance.now() - started)} ms`);
    expect(ref).toBe(`lab/big-model:${SIZE_MB}mb`);
    expect(statSync(join(image.rootfs, 'models/model.joblib')).size).toBe(SIZE_MB * 1024 * 1024);
    expect(statSync(join(image.rootfs, 'models')).mode & 0o777).toBe(0o775);
    // Incompressible content: the layer on the wire is as big as the model.
    expect(image.sizeBytes).toBeGreaterThan(SIZE_MB * 1024 * 1024);
  }, 120_000);
});
