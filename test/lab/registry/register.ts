// The registries' one-line registration in the lab's composition root (server.ts main), before the
// kubelet's: starts both registries, records them in DIR/registry.json, seeds the lab's images and
// stops the registries when the lab shuts down.
import { join } from 'node:path';
import { execaSync } from 'execa';
import { seedImages } from '../images/seed.ts';
import { startLabRegistries, type RegistryInfo } from './lab-registries.ts';

export interface RegistryHost {
  onShutdown(hook: () => Promise<void> | void): void;
}

const NEEDED = { 'docker-registry': 'docker-registry', skopeo: 'skopeo', umoci: 'umoci', go: 'golang-go', perl: 'perl' };

/** `cacheDir` keeps the built images across labs (`lab image prepare` fills it ahead of time). */
export async function registerRegistries(lab: RegistryHost, opts: { stateDir: string; cacheDir?: string }): Promise<RegistryInfo | undefined> {
  const missing = Object.entries(NEEDED).find(([command]) => execaSync('sh', ['-c', `command -v ${command}`], { reject: false }).exitCode !== 0);
  if (missing) {
    console.error(`lab: no image registry (${missing[0]} missing: install the Debian package ${missing[1]})`);
    return undefined;
  }
  const registries = await startLabRegistries(opts.stateDir);
  lab.onShutdown(() => registries.stop());
  const seed = await seedImages(registries, opts.cacheDir ?? join(opts.stateDir, 'cache', 'images'));
  console.error(`lab: registries ${registries.host} and ${registries.privateHost} (private); images seeded in ${seed.durationMs} ms${seed.built ? ' (built)' : ''}, ${seed.pushed.length} pushed`);
  return { host: registries.host, privateHost: registries.privateHost, privateCredentials: registries.privateCredentials };
}
