// The registries' one-line registration in the lab's composition root (server.ts main), before the
// kubelet's: starts both registries, records them in DIR/registry.json, seeds the lab's images and
// stops the registries when the lab shuts down.
import { cpSync, existsSync } from 'node:fs';
import { cp, rename, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { commandOnPath } from '../host.ts';
import { prepareImages, seedImages } from '../images/seed.ts';
import { startLabRegistries, type RegistryInfo } from './lab-registries.ts';

export interface RegistryHost {
  onShutdown(hook: () => Promise<void> | void): void;
}

const NEEDED = { 'docker-registry': 'docker-registry', skopeo: 'skopeo', umoci: 'umoci', go: 'golang-go', perl: 'perl' };

/** `cacheDir` keeps the built images across labs (`lab image prepare` fills it ahead of time). */
export async function registerRegistries(lab: RegistryHost, opts: { stateDir: string; cacheDir?: string }): Promise<RegistryInfo | undefined> {
  const missing = Object.entries(NEEDED).find(([command]) => !commandOnPath(command));
  if (missing) {
    console.error(`lab: no image registry (${missing[0]} missing: install the Debian package ${missing[1]})`);
    return undefined;
  }
  const cacheDir = opts.cacheDir ?? join(opts.stateDir, 'cache', 'images');
  // A new state dir starts from a copy of the registries' storage as seeded before from this build
  // of the images (blobs are content-addressed, so a copy is as good as a push), instead of pushing
  // every image again: that push dominated a cold `lab up`.
  const seeded = join(dirname((await prepareImages(cacheDir)).layout), 'registry-storage');
  const fresh = REGISTRY_DIRS.every((d) => !existsSync(join(opts.stateDir, d, 'data')));
  if (fresh && existsSync(seeded)) {
    // cpSync (native, in this process), not fs.promises.cp: for these ~140 files (16 MB) it takes
    // about 0.1 s where the promise-based cp took 0.6 to 1.2 s, and no process is forked.
    for (const d of REGISTRY_DIRS) cpSync(join(seeded, d), join(opts.stateDir, d, 'data'), { recursive: true });
  }
  const registries = await startLabRegistries(opts.stateDir);
  lab.onShutdown(() => registries.stop());
  const storage = { [registries.host]: join(opts.stateDir, 'registry', 'data'), [registries.privateHost]: join(opts.stateDir, 'registry-private', 'data') };
  const seed = await seedImages({ ...registries, storage }, cacheDir);
  if (seed.pushed.length > 0 && !existsSync(seeded)) await keepSeededStorage(opts.stateDir, seeded);
  console.error(`lab: registries ${registries.host} and ${registries.privateHost} (private); images seeded in ${seed.durationMs} ms${seed.built ? ' (built)' : ''}, ${seed.pushed.length} pushed`);
  return { host: registries.host, privateHost: registries.privateHost, privateCredentials: registries.privateCredentials };
}

/** The storage directories of the two registries under a lab's state dir (see lab-registries.ts). */
const REGISTRY_DIRS = ['registry', 'registry-private'];

/** Copies the just-seeded storage next to the image build; concurrent labs may race, the first wins. */
async function keepSeededStorage(stateDir: string, seeded: string): Promise<void> {
  const tmp = `${seeded}.tmp-${process.pid}`;
  try {
    await Promise.all(REGISTRY_DIRS.map((d) => cp(join(stateDir, d, 'data'), join(tmp, d), { recursive: true })));
    await rename(tmp, seeded);
  } catch {
    // another lab kept its copy first, or the copy failed: the next lab pushes again
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}
