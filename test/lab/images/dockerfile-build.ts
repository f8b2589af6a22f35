// `docker build` + `docker push` for the lab: buildah builds a Dockerfile unchanged, offline, with
// every well-known registry mirrored by the lab registry, so `FROM busybox` gets the lab's busybox.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { resolveImageRef } from '../registry/image-ref.ts';
import { PRIVATE_NAMESPACE, registryHostFor, type RegistryInfo } from '../registry/lab-registries.ts';

const MIRRORED = ['docker.io', 'quay.io', 'ghcr.io', 'gcr.io', 'registry.k8s.io'];

export interface BuiltImage {
  /** The name as a pod spec would use it: `docker.io/myuser/mymodel:1.0`. */
  name: string;
  /** Where it lives in the lab: `127.0.0.1:PORT/myuser/mymodel:1.0`. */
  pushedTo: string;
  digest: string;
  durationMs: number;
}

/** Builds `contextDir/Dockerfile` as `ref` and pushes it to the lab registry that holds its repository. */
export async function buildAndPushImage(opts: { ref: string; contextDir: string; registry: RegistryInfo; workDir: string }): Promise<BuiltImage> {
  const start = performance.now();
  const { registry, workDir } = opts;
  const image = resolveImageRef(opts.ref, registry.host);
  const host = registryHostFor(image.repository, registry);
  const pushedTo = `${host}/${image.repository}:${image.tag ?? 'latest'}`;
  mkdirSync(workDir, { recursive: true });
  const env = { CONTAINERS_REGISTRIES_CONF: writeRegistriesConf(workDir, registry) };
  // vfs needs no overlay support from the kernel; chroot isolation needs no user namespaces.
  const buildah = ['--storage-driver', 'vfs', '--root', join(workDir, 'storage'), '--runroot', join(workDir, 'run')];
  await execa('buildah', [...buildah, 'bud', '--isolation', 'chroot', '-q', '-t', image.name, '-f', join(opts.contextDir, 'Dockerfile'), opts.contextDir], { env });
  const creds = image.repository.startsWith(PRIVATE_NAMESPACE) ? ['--creds', `${registry.privateCredentials.username}:${registry.privateCredentials.password}`] : [];
  const digestFile = join(workDir, 'last-push.digest');
  await execa('buildah', [...buildah, 'push', '-q', '--tls-verify=false', ...creds, '--digestfile', digestFile, image.name, `docker://${pushedTo}`], { env });
  return { name: image.name, pushedTo, digest: readFileSync(digestFile, 'utf8').trim(), durationMs: Math.round(performance.now() - start) };
}

/** A registries.conf in which the lab registry mirrors the usual public registries. The system's
 *  short-name aliases (busybox -> docker.io/library/busybox) then resolve through the mirror too. */
function writeRegistriesConf(workDir: string, registry: RegistryInfo): string {
  const lines = ['unqualified-search-registries = ["docker.io"]', 'short-name-mode = "permissive"'];
  for (const prefix of MIRRORED) {
    lines.push('[[registry]]', `prefix = "${prefix}"`, `location = "${prefix}"`, '[[registry.mirror]]', `location = "${registry.host}"`, 'insecure = true');
  }
  for (const host of new Set([registry.host, registry.privateHost])) lines.push('[[registry]]', `location = "${host}"`, 'insecure = true');
  const path = join(workDir, 'registries.conf');
  writeFileSync(path, lines.join('\n') + '\n');
  return path;
}
