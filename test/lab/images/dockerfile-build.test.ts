// `lab image build` builds the seed document's Dockerfile unchanged, offline: `FROM busybox` comes
// from the lab registry, and the pushed image has the model under /models with the modes it set.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deterministicBytes } from './catalog.ts';
import { createImageStore } from './store.ts';
import { imageTestsEnabled, startTestRegistries, type TestRegistries } from './test-registry.ts';

const enabled = imageTestsEnabled('image build tests');
const NODE = fileURLToPath(new URL('../../../node_modules/.bin/node', import.meta.url));
const LAB_CLI = fileURLToPath(new URL('../cli.ts', import.meta.url));

// Verbatim from the seed document (serving-models-with-oci-images.md, "Create a Dockerfile").
const SEED_DOCKERFILE = `FROM busybox
RUN mkdir /models && chmod 775 /models
COPY data/ /models/
`;

describe.skipIf(!enabled)('lab image build', () => {
  let reg: TestRegistries;
  let context: string;
  const model = deterministicBytes('dockerfile-build-test', 5408);

  beforeAll(async () => {
    reg = await startTestRegistries();
    context = mkdtempSync(join(tmpdir(), 'image-build-test-'));
    mkdirSync(join(context, 'data'));
    writeFileSync(join(context, 'Dockerfile'), SEED_DOCKERFILE);
    writeFileSync(join(context, 'data', 'model.joblib'), model);
  }, 300_000);

  afterAll(async () => {
    await reg?.stop();
    if (context) rmSync(context, { recursive: true, force: true });
  });

  it('builds the seed Dockerfile and pushes it under the name the InferenceService uses', async () => {
    const started = performance.now();
    const result = await execa(NODE, [LAB_CLI, 'image', 'build', '--state', reg.dir, '-t', 'myuser/mymodel:1.0', context], { reject: false });
    console.log(`image build: ${Math.round(performance.now() - started)} ms (${result.stderr.trim()})`);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^docker\.io\/myuser\/mymodel:1\.0@sha256:[0-9a-f]{64}$/);

    const store = createImageStore({ dir: join(context, 'node'), registryHost: reg.host });
    const image = await store.pull('myuser/mymodel:1.0', { policy: 'IfNotPresent' });
    expect(image.digest).toBe(result.stdout.split('@')[1]);
    expect(statSync(join(image.rootfs, 'models')).mode & 0o7777).toBe(0o775);
    expect(readFileSync(join(image.rootfs, 'models', 'model.joblib'))).toEqual(model);
    // The base came from the lab's busybox: Debian's busybox-static, and its config (Cmd sh).
    expect(readFileSync(join(image.rootfs, 'bin', 'busybox'))).toEqual(readFileSync('/bin/busybox'));
    expect(image.config.cmd).toEqual(['sh']);
  }, 60_000);

  it('fails with buildah’s message for a base image the lab does not have', async () => {
    mkdirSync(join(context, 'missing'));
    writeFileSync(join(context, 'missing', 'Dockerfile'), 'FROM rhuss/no-such-base:1.0\n');
    const result = await execa(NODE, [LAB_CLI, 'image', 'build', '--state', reg.dir, '-t', 'myuser/broken:1.0', join(context, 'missing')], { reject: false });
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toMatch(/rhuss\/no-such-base:1\.0/);
  }, 60_000);
});
