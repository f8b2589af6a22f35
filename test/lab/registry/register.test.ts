// The registries as `lab up` starts them: recorded in registry.json, seeded, the private one asking
// for credentials, stopped by the shutdown hook, and a registry left by a crashed lab replaced.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { IMAGE_CACHE_DIR, imageTestsEnabled } from '../images/test-registry.ts';
import { PRIVATE_CREDENTIALS, registryInfo } from './lab-registries.ts';
import { registerRegistries } from './register.ts';
import { startRegistry } from './registry.ts';

const enabled = imageTestsEnabled('registry registration tests');

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe.skipIf(!enabled)('lab registries', () => {
  const dir = mkdtempSync(join(tmpdir(), 'register-test-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('starts, records and seeds both registries, and stops them on shutdown', async () => {
    const hooks: Array<() => Promise<void> | void> = [];
    const info = await registerRegistries({ onShutdown: (h) => hooks.push(h) }, { stateDir: dir, cacheDir: IMAGE_CACHE_DIR });
    expect(info).toBeDefined();
    expect(registryInfo(dir)).toEqual(info);
    expect((await fetch(`http://${info!.host}/v2/`)).status).toBe(200);
    expect((await fetch(`http://${info!.privateHost}/v2/`)).status).toBe(401);
    const basic = `Basic ${Buffer.from(`${PRIVATE_CREDENTIALS.username}:${PRIVATE_CREDENTIALS.password}`).toString('base64')}`;
    const tags = await fetch(`http://${info!.privateHost}/v2/private/sklearn-model/tags/list`, { headers: { authorization: basic } });
    expect(await tags.json()).toEqual({ name: 'private/sklearn-model', tags: ['1.0'] });

    const pids = ['registry', 'registry-private'].map((d) => Number(readFileSync(join(dir, d, 'registry.pid'), 'utf8')));
    for (const hook of hooks) await hook();
    expect(pids.map(alive)).toEqual([false, false]);
    await expect(fetch(`http://${info!.host}/v2/`)).rejects.toThrow();
  }, 300_000);

  it('replaces a registry that a crashed lab left running on the same state directory', async () => {
    const stateDir = join(dir, 'crashed');
    await startRegistry({ stateDir }); // never stopped: as if the lab process had been killed
    const orphan = Number(readFileSync(join(stateDir, 'registry.pid'), 'utf8'));
    expect(alive(orphan)).toBe(true);
    const again = await startRegistry({ stateDir });
    try {
      await expect.poll(() => alive(orphan)).toBe(false);
      expect((await fetch(`http://${again.host}/v2/`)).status).toBe(200);
    } finally {
      await again.stop();
    }
  }, 60_000);
});
