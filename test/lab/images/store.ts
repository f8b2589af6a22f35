// The node's image store, what containerd is to a kubelet: resolves references against the lab's
// registries, pulls with skopeo into an OCI layout, unpacks the root filesystem with umoci and keeps
// it for later containers. Pull errors carry the kubelet's reason and containerd's wording.
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { InvalidImageRefError, resolveImageRef, type ImageRef } from '../registry/image-ref.ts';
import { registryHostFor } from '../registry/lab-registries.ts';
import type { ImageConfig, ImagePullFailure, ImageStore, PulledImage, RegistryCredentials } from '../types.ts';
import { lookupManifest, type ManifestLookup } from './registry-api.ts';

export class ImagePullError extends Error {
  readonly reason: ImagePullFailure['reason'];
  /** `message` is containerd's text; the kubelet's event reads `Failed to pull image "<ref>": <message>`. */
  constructor(reason: ImagePullFailure['reason'], message: string) {
    super(message);
    this.name = 'ImagePullError';
    this.reason = reason;
  }
}

export interface ImageStoreOptions {
  /** The node's image directory: refs.json and images/<digest>/{rootfs,image.json}. */
  dir: string;
  registryHost: string;
  /** Where repositories under `private/` live (see lab-registries.ts); defaults to registryHost. */
  privateRegistryHost?: string;
  /** The node's own registry credentials, used when a pull brings none (no imagePullSecret). */
  credentialsFor?: (image: ImageRef) => RegistryCredentials | undefined;
}

/** What the store keeps per image digest, in images/<hex>/image.json. */
interface StoredImage {
  digest: string;
  sizeBytes: number;
  config: ImageConfig;
}

export function createImageStore(options: ImageStoreOptions): ImageStore {
  const { dir, registryHost } = options;
  const hosts = { host: registryHost, privateHost: options.privateRegistryHost ?? registryHost };
  const refsFile = join(dir, 'refs.json');
  mkdirSync(join(dir, 'images'), { recursive: true });
  // Which digest each fully qualified name (docker.io/library/busybox:latest) points to on this node.
  const refs: Record<string, string> = existsSync(refsFile) ? JSON.parse(readFileSync(refsFile, 'utf8')) : {};
  const resolving = new Map<string, Promise<string>>();
  const downloading = new Map<string, Promise<StoredImage>>();

  const imageDir = (digest: string) => join(dir, 'images', digest.replace('sha256:', ''));
  const stored = (digest: string | undefined): StoredImage | undefined => {
    if (!digest) return undefined;
    const file = join(imageDir(digest), 'image.json');
    return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as StoredImage) : undefined;
  };
  const cachedDigest = (image: ImageRef) => image.digest ?? refs[image.name];

  function remember(image: ImageRef, digest: string): void {
    if (refs[image.name] === digest) return;
    refs[image.name] = digest;
    writeFileSync(`${refsFile}.tmp`, JSON.stringify(refs, null, 1));
    renameSync(`${refsFile}.tmp`, refsFile);
  }

  /** Asks the registry what the reference points to now: the contact every Always pull makes. */
  async function resolve(image: ImageRef, auth: RegistryCredentials | undefined): Promise<string> {
    const host = registryHostFor(image.repository, hosts);
    const reference = image.digest ?? image.tag!;
    let found: ManifestLookup;
    try {
      found = await lookupManifest(host, image.repository, reference, auth);
    } catch (err) {
      const cause = (err as { cause?: { code?: string } }).cause?.code === 'ECONNREFUSED' ? `dial tcp ${host}: connect: connection refused` : String(err);
      throw pullFailed(image, `failed to resolve reference "${image.name}": failed to do request: Head "${manifestUrl(image)}": ${cause}`);
    }
    if (found.status === 'found') return found.digest;
    if (found.status === 'unauthorized') {
      // A registry with basic auth: containerd has no credentials to retry with and reports the status.
      throw pullFailed(image, `failed to resolve reference "${image.name}": unexpected status from HEAD request to ${manifestUrl(image)}: 401 Unauthorized`);
    }
    if (image.domain === 'docker.io' && !found.repositoryExists) {
      // Docker Hub answers anonymous requests for unknown repositories as if they were private.
      throw pullFailed(
        image,
        `failed to resolve reference "${image.name}": pull access denied, repository does not exist or may require authorization: server message: insufficient_scope: authorization failed`,
      );
    }
    throw pullFailed(image, `failed to resolve reference "${image.name}": ${image.name}: not found`);
  }

  async function download(image: ImageRef, digest: string, auth: RegistryCredentials | undefined): Promise<StoredImage> {
    const tmp = join(dir, 'tmp', randomUUID());
    const layout = join(tmp, 'oci');
    const source = `docker://${registryHostFor(image.repository, hosts)}/${image.repository}@${digest}`;
    const creds = auth ? ['--src-creds', `${auth.username}:${auth.password}`] : [];
    try {
      mkdirSync(tmp, { recursive: true });
      const copy = await execa('skopeo', ['copy', '-q', '--src-tls-verify=false', '--preserve-digests', ...creds, source, `oci:${layout}:image`], { reject: false });
      if (copy.exitCode !== 0) throw pullFailed(image, `failed to copy: ${copy.stderr.trim().split('\n').pop()}`);
      const manifest = readBlob(layout, digest) as { config: { digest: string; size: number }; layers: Array<{ size: number }> };
      const oci = readBlob(layout, manifest.config.digest) as { config?: Record<string, unknown> };
      const c = oci.config ?? {};
      const record: StoredImage = {
        digest,
        sizeBytes: manifest.config.size + manifest.layers.reduce((sum, l) => sum + l.size, 0),
        config: {
          user: (c.User as string) || undefined,
          env: c.Env as string[] | undefined,
          entrypoint: c.Entrypoint as string[] | undefined,
          cmd: c.Cmd as string[] | undefined,
          workingDir: (c.WorkingDir as string) || undefined,
        },
      };
      const unpack = await execa('umoci', ['raw', 'unpack', '--image', `${layout}:image`, join(tmp, 'rootfs')], { reject: false });
      if (unpack.exitCode !== 0) throw pullFailed(image, `failed to extract layer: ${unpack.stderr.trim().split('\n').pop()}`);
      writeFileSync(join(tmp, 'image.json'), JSON.stringify(record, null, 1));
      rmSync(layout, { recursive: true });
      rmSync(imageDir(digest), { recursive: true, force: true });
      renameSync(tmp, imageDir(digest));
      return record;
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  }

  /** One registry contact per reference at a time, one download per digest: concurrent pulls share them. */
  function shared<T>(map: Map<string, Promise<T>>, key: string, run: () => Promise<T>): Promise<T> {
    let p = map.get(key);
    if (!p) {
      p = run().finally(() => map.delete(key));
      map.set(key, p);
    }
    return p;
  }

  return {
    async pull(ref, { policy, auth }) {
      const start = performance.now();
      const image = parse(ref, registryHost);
      const finish = (img: StoredImage, pulled: boolean): PulledImage => ({
        ref,
        imageID: `docker-pullable://${familiarName(image)}@${img.digest}`,
        digest: img.digest,
        sizeBytes: img.sizeBytes,
        rootfs: join(imageDir(img.digest), 'rootfs'),
        config: img.config,
        pulled,
        durationMs: Math.round(performance.now() - start),
      });
      const present = stored(cachedDigest(image));
      if (present && policy !== 'Always') return finish(present, false);
      if (policy === 'Never') throw new ImagePullError('ErrImageNeverPull', `Container image "${ref}" is not present with pull policy of Never`);
      const credentials = auth ?? options.credentialsFor?.(image);
      const digest = await shared(resolving, image.name, () => resolve(image, credentials));
      const img = stored(digest) ?? (await shared(downloading, digest, () => download(image, digest, credentials)));
      remember(image, digest);
      return finish(img, true);
    },

    has(ref) {
      return stored(cachedDigest(parse(ref, registryHost))) !== undefined;
    },

    list() {
      const names = new Map<string, string[]>();
      for (const [name, digest] of Object.entries(refs)) names.set(digest, [...(names.get(digest) ?? []), name]);
      return [...names].flatMap(([digest, tags]) => {
        const img = stored(digest);
        // containerd lists repo digests (name@sha256:...) and repo tags (name:tag).
        const repos = new Set(tags.map((t) => t.split('@')[0]!.replace(/:[^:/]+$/, '')));
        const repoTags = tags.filter((t) => !t.includes('@'));
        return img ? [{ names: [...[...repos].map((r) => `${r}@${digest}`), ...repoTags], sizeBytes: img.sizeBytes }] : [];
      });
    },
  };
}

function parse(ref: string, registryHost: string): ImageRef {
  try {
    return resolveImageRef(ref, registryHost);
  } catch (err) {
    if (err instanceof InvalidImageRefError) throw new ImagePullError('InvalidImageName', `Failed to apply default image tag "${ref}": ${err.message}`);
    throw err;
  }
}

function pullFailed(image: ImageRef, detail: string): ImagePullError {
  return new ImagePullError('ErrImagePull', `failed to pull and unpack image "${image.name}": ${detail}`);
}

/** The URL containerd would have asked: Docker Hub's API lives on registry-1.docker.io. */
function manifestUrl(image: ImageRef): string {
  const endpoint = image.domain === 'docker.io' ? 'registry-1.docker.io' : image.domain;
  return `https://${endpoint}/v2/${image.repository}/manifests/${image.digest ?? image.tag}`;
}

/** Docker's short form: `busybox`, `rhuss/kserving-example-sklearn`, `quay.io/x/y`. */
function familiarName(image: ImageRef): string {
  if (image.domain !== 'docker.io') return `${image.domain}/${image.repository}`;
  return image.repository.replace(/^library\//, '');
}

function readBlob(layout: string, digest: string): unknown {
  return JSON.parse(readFileSync(join(layout, 'blobs', 'sha256', digest.replace('sha256:', '')), 'utf8'));
}
