// Test support: the lab's registries in a temporary directory, seeded from the shared image cache
// (.lab/cache/images, so only the first run on a machine builds). Needs root and Debian's packages;
// tests skip outside CI only, printing why.
import { commandOnPath } from '../host.ts';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startLabRegistries, type RegistryInfo } from '../registry/lab-registries.ts';
import { seedImages, type SeedReport } from './seed.ts';

export const IMAGE_CACHE_DIR = fileURLToPath(new URL('../../../.lab/cache/images', import.meta.url));

const COMMANDS = { 'docker-registry': 'docker-registry', skopeo: 'skopeo', umoci: 'umoci', buildah: 'buildah', go: 'golang-go', busybox: 'busybox-static', perl: 'perl', chroot: 'coreutils' };

/** Whether this machine can run the image tests, and if not, why. */
export function canRunImageTests(): { ok: true } | { ok: false; reason: string } {
  if (process.getuid?.() !== 0) return { ok: false, reason: 'not root (umoci keeps file ownership, chroot and runc need root)' };
  for (const [command, pkg] of Object.entries(COMMANDS)) {
    if (!commandOnPath(command)) return { ok: false, reason: `${command} missing (Debian package ${pkg})` };
  }
  return { ok: true };
}

/** Skips (outside CI) or fails (in CI) when the machine cannot run these tests. */
export function imageTestsEnabled(suite: string): boolean {
  const can = canRunImageTests();
  if (can.ok) return true;
  if (process.env['CI']) throw new Error(`${suite} cannot be skipped in CI: ${can.reason}`);
  console.log(`skipping ${suite}: ${can.reason}`);
  return false;
}

export interface TestRegistries extends RegistryInfo {
  dir: string;
  seed: SeedReport;
  stop(): Promise<void>;
}

export async function startTestRegistries(): Promise<TestRegistries> {
  const dir = mkdtempSync(join(tmpdir(), 'lab-registry-test-'));
  const registries = await startLabRegistries(dir);
  try {
    const seed = await seedImages(registries, IMAGE_CACHE_DIR);
    return {
      ...registries,
      dir,
      seed,
      async stop() {
        await registries.stop();
        rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
      },
    };
  } catch (err) {
    await registries.stop();
    throw err;
  }
}
