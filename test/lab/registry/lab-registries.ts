// The lab's two registries: a public one that serves every repository (the mirror of docker.io,
// quay.io, ...) and a private one that requires credentials, for repositories under `private/`.
// `lab up` starts them and writes DIR/registry.json; other lab commands read it with registryInfo().
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RegistryCredentials } from '../types.ts';
import { startRegistry } from './registry.ts';

export interface RegistryInfo {
  host: string;
  privateHost: string;
  privateCredentials: RegistryCredentials;
}

/** Repositories whose path starts with this live in the private registry: `quay.io/private/model:1.0`. */
export const PRIVATE_NAMESPACE = 'private/';

export const PRIVATE_CREDENTIALS: RegistryCredentials = { username: 'lab-puller', password: 'lab-pull-secret' };

export function registryHostFor(repository: string, info: Pick<RegistryInfo, 'host' | 'privateHost'>): string {
  return repository.startsWith(PRIVATE_NAMESPACE) ? info.privateHost : info.host;
}

export async function startLabRegistries(stateDir: string): Promise<RegistryInfo & { stop(): Promise<void> }> {
  const [pub, priv] = await Promise.all([
    startRegistry({ stateDir: join(stateDir, 'registry') }),
    startRegistry({ stateDir: join(stateDir, 'registry-private'), auth: PRIVATE_CREDENTIALS }),
  ]);
  const info: RegistryInfo = { host: pub.host, privateHost: priv.host, privateCredentials: PRIVATE_CREDENTIALS };
  writeFileSync(join(stateDir, 'registry.json'), JSON.stringify(info, null, 2) + '\n');
  return {
    ...info,
    async stop() {
      await Promise.all([pub.stop(), priv.stop()]);
    },
  };
}

export function registryInfo(stateDir: string): RegistryInfo {
  const path = join(stateDir, 'registry.json');
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as RegistryInfo;
  } catch {
    throw new Error(`no lab registry recorded in ${path}: is the lab up (npm run lab -- up)?`);
  }
}
