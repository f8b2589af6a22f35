// The few calls of the registry HTTP API (distribution spec) that the lab makes itself: resolving a
// tag to its manifest digest, with the answers a runtime needs to word its errors.
import type { RegistryCredentials } from '../types.ts';

const MANIFEST_TYPES = [
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.docker.distribution.manifest.v2+json',
].join(', ');

export type ManifestLookup =
  | { status: 'found'; digest: string }
  | { status: 'not-found'; repositoryExists: boolean }
  | { status: 'unauthorized' };

/** HEAD /v2/<repository>/manifests/<reference>. Throws when the registry cannot be reached. */
export async function lookupManifest(host: string, repository: string, reference: string, auth?: RegistryCredentials): Promise<ManifestLookup> {
  const headers: Record<string, string> = { accept: MANIFEST_TYPES };
  if (auth) headers.authorization = `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString('base64')}`;
  const res = await fetch(`http://${host}/v2/${repository}/manifests/${reference}`, { method: 'HEAD', headers });
  if (res.status === 401) return { status: 'unauthorized' };
  if (res.status === 404) {
    const tags = await fetch(`http://${host}/v2/${repository}/tags/list`, { headers });
    await tags.body?.cancel();
    return { status: 'not-found', repositoryExists: tags.ok };
  }
  const digest = res.headers.get('docker-content-digest');
  if (!res.ok || !digest) throw new Error(`registry ${host} answered ${res.status} ${res.statusText} for ${repository}:${reference}`);
  return { status: 'found', digest };
}

/** The digest a tag points to, or undefined when the registry does not have it. */
export async function manifestDigest(host: string, repository: string, reference: string, auth?: RegistryCredentials): Promise<string | undefined> {
  const found = await lookupManifest(host, repository, reference, auth);
  return found.status === 'found' ? found.digest : undefined;
}

/** Gives an image already in the registry (`from`, by digest) another name, without uploading
 *  anything: blobs are mounted across repositories and the manifest is put under the new tag, as
 *  `crane tag`/`crane copy` do within one registry. Returns false when the registry refuses a mount. */
export async function tagImage(host: string, from: { repository: string; digest: string }, to: { repository: string; tag: string }): Promise<boolean> {
  const base = `http://${host}/v2`;
  const res = await fetch(`${base}/${from.repository}/manifests/${from.digest}`, { headers: { accept: MANIFEST_TYPES } });
  if (!res.ok) return false;
  const contentType = res.headers.get('content-type') ?? 'application/vnd.oci.image.manifest.v1+json';
  const body = Buffer.from(await res.arrayBuffer());
  if (to.repository !== from.repository) {
    const manifest = JSON.parse(body.toString()) as { config: { digest: string }; layers: Array<{ digest: string }> };
    for (const blob of [manifest.config, ...manifest.layers]) {
      const mount = await fetch(`${base}/${to.repository}/blobs/uploads/?mount=${blob.digest}&from=${from.repository}`, { method: 'POST' });
      await mount.body?.cancel();
      if (mount.status !== 201) return false; // 202: the registry opened an upload instead
    }
  }
  const put = await fetch(`${base}/${to.repository}/manifests/${to.tag}`, { method: 'PUT', headers: { 'content-type': contentType }, body });
  await put.body?.cancel();
  return put.status === 201;
}
