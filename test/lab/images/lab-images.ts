// Everything image-related that `lab up` starts, in one call: the registries, the seeded images
// and the node's image store the kubelet pulls through.
import { join } from 'node:path';
import { startLabRegistries, type RegistryInfo } from '../registry/lab-registries.ts';
import type { ImageStore } from '../types.ts';
import { seedImages, type SeedReport } from './seed.ts';
import { createImageStore } from './store.ts';

export interface LabImages {
  registry: RegistryInfo;
  images: ImageStore;
  seed: SeedReport;
  stop(): Promise<void>;
}

/** `cacheDir` holds the built images (kept across labs); `stateDir` the registries' storage,
 *  registry.json and the node's pulled images (kept across `lab down`/`up`). */
export async function startLabImages({ stateDir, cacheDir = join(stateDir, 'cache', 'images') }: { stateDir: string; cacheDir?: string }): Promise<LabImages> {
  const registries = await startLabRegistries(stateDir);
  try {
    const seed = await seedImages(registries, cacheDir);
    const images = createImageStore({ dir: join(stateDir, 'images'), registryHost: registries.host, privateRegistryHost: registries.privateHost });
    const { stop, ...registry } = registries;
    return { registry, images, seed, stop };
  } catch (err) {
    await registries.stop();
    throw err;
  }
}
