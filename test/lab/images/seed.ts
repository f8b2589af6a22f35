// Puts the lab's images into its registries. Images are built once into an OCI layout under the
// cache directory, named by a hash of everything that shapes them (this module, the catalog, the
// stand-ins' sources, Debian's busybox); a warm `lab up` only asks the registry whether each
// reference already points at the built digest and pushes what is missing.
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { registryHostFor } from '../registry/lab-registries.ts';
import { resolveImageRef } from '../registry/image-ref.ts';
import type { RegistryCredentials } from '../types.ts';
import { LAB_IMAGES, deterministicBytes, labRecipes } from './catalog.ts';
import { buildLayer, initLayout, layoutDigest } from './oci-layout.ts';
import { manifestDigest, tagImage } from './registry-api.ts';
import { buildStandins, standinsSourceHash } from './standins.ts';

const HERE = dirname(fileURLToPath(import.meta.url));
/** For recipes whose names and references are read, or which do not install the stand-ins. */
const NO_BINARY = '/nonexistent/standins';

export interface SeedTargets {
  host: string;
  /** The private registry; without it the private images are not seeded. */
  privateHost?: string;
  privateCredentials?: RegistryCredentials;
  /** Each registry's storage root (its filesystem driver's rootdirectory), by host: a tag found
   *  there pointing at the built digest is not asked for over HTTP (27 HEADs cost ~0.3 s of `lab up`). */
  storage?: Record<string, string>;
}

export interface SeedReport {
  /** True when the images had to be built (a cold cache). */
  built: boolean;
  /** References pushed now (absent from the registry or pointing elsewhere). */
  pushed: string[];
  durationMs: number;
}

export async function seedImages(registry: string | SeedTargets, cacheDir: string): Promise<SeedReport> {
  const start = performance.now();
  const targets = typeof registry === 'string' ? { host: registry } : registry;
  const { layout, built } = await prepareImages(cacheDir);
  const pushes = labRecipes(NO_BINARY).flatMap((recipe) => {
    if (recipe.registry === 'private' && !targets.privateHost) return [];
    return recipe.refs.map((ref) => ({ ref, layoutTag: recipe.name, digest: layoutDigest(layout, recipe.name), private: recipe.registry === 'private' }));
  });
  const missing = (
    await Promise.all(
      pushes.map(async (p) => {
        const { repository, tag } = resolveImageRef(p.ref, targets.host);
        const host = p.private ? targets.privateHost! : registryHostFor(repository, { host: targets.host, privateHost: targets.privateHost ?? targets.host });
        const auth = p.private ? targets.privateCredentials : undefined;
        const root = targets.storage?.[host];
        if (root && storedTag(root, repository, tag!, p.digest)) return [];
        const current = await manifestDigest(host, repository, tag!, auth);
        return current === p.digest ? [] : [{ ...p, host, repository, tag: tag!, auth }];
      }),
    )
  ).flat();
  // One push at a time: concurrent uploads of one blob to a fresh registry can lose it ("blob unknown").
  // An image pushed once gets its further names by a manifest put, which needs no upload.
  const pushedOnce = new Map<string, { repository: string; digest: string }>();
  for (const m of missing) {
    const first = pushedOnce.get(`${m.host}/${m.digest}`);
    if (first && !m.auth && (await tagImage(m.host, first, m))) continue;
    await pushImage(layout, m.layoutTag, `${m.host}/${m.repository}:${m.tag}`, m.auth);
    pushedOnce.set(`${m.host}/${m.digest}`, { repository: m.repository, digest: m.digest });
  }
  return { built, pushed: missing.map((m) => m.ref), durationMs: Math.round(performance.now() - start) };
}

/** Whether a registry's filesystem storage (distribution 2.x layout) has `repository:tag` pointing at
 *  `digest`, with that manifest's revision link and blob: what makes the registry answer a HEAD of the
 *  tag with that digest. Anything else (a deleted tag, a moved one, another layout) is asked over HTTP. */
function storedTag(root: string, repository: string, tag: string, digest: string): boolean {
  if (!digest.startsWith('sha256:')) return false;
  const v2 = join(root, 'docker', 'registry', 'v2');
  const repo = join(v2, 'repositories', repository, '_manifests');
  const hex = digest.slice('sha256:'.length);
  try {
    return (
      readFileSync(join(repo, 'tags', tag, 'current', 'link'), 'utf8') === digest &&
      existsSync(join(repo, 'revisions', 'sha256', hex, 'link')) &&
      existsSync(join(v2, 'blobs', 'sha256', hex.slice(0, 2), hex, 'data'))
    );
  } catch {
    return false;
  }
}

/** Builds the lab's images into the cache unless this version of the recipes is there already.
 *  The first build on a machine compiles the stand-ins (about a minute); later ones take seconds. */
export async function prepareImages(cacheDir: string): Promise<{ layout: string; built: boolean }> {
  const layout = join(cacheDir, `images-${recipeHash()}`, 'oci');
  if (existsSync(layout)) return { layout, built: false };
  await buildAll(layout, cacheDir);
  pruneOtherBuilds(cacheDir);
  return { layout, built: true };
}

/** A model image of `sizeMB` (one incompressible file under /models), built and pushed on demand. */
export async function buildBigModelImage(registryHost: string, cacheDir: string, sizeMB: number): Promise<string> {
  const ref = LAB_IMAGES.bigModel(sizeMB);
  const layout = join(cacheDir, `big-model-${sizeMB}mb-${recipeHash()}`, 'oci');
  if (!existsSync(layout)) {
    await buildInto(layout, async (tmp) => {
      const [busybox] = labRecipes(NO_BINARY);
      await buildLayer(tmp, busybox!.name, busybox!.step);
      await buildLayer(tmp, 'big-model', {
        from: busybox!.name,
        addFiles: (rootfs) => writeModelFile(join(rootfs, 'models'), sizeMB * 1024 * 1024),
      });
    });
  }
  const { repository, tag } = resolveImageRef(ref, registryHost);
  if ((await manifestDigest(registryHost, repository, tag!)) !== layoutDigest(layout, 'big-model')) {
    await pushImage(layout, 'big-model', `${registryHost}/${repository}:${tag}`);
  }
  return ref;
}

function writeModelFile(dir: string, size: number): void {
  mkdirSync(dir);
  chmodSync(dir, 0o775); // as the seed's Dockerfile does; mkdir's mode would be cut by the umask
  const chunk = 16 * 1024 * 1024;
  const path = join(dir, 'model.joblib');
  writeFileSync(path, '');
  for (let offset = 0; offset < size; offset += chunk) {
    writeFileSync(path, deterministicBytes('big-model', Math.min(chunk, size - offset), offset), { flag: 'a' });
  }
}

/** Layouts built from earlier recipes are never used again. */
function pruneOtherBuilds(cacheDir: string): void {
  const current = recipeHash();
  for (const entry of readdirSync(cacheDir)) {
    const built = /^(?:images|big-model-\d+mb)-([0-9a-f]{16})(?:\.tmp-(\d+))?$/.exec(entry);
    if (!built) continue;
    const [, hash, builderPid] = built;
    const abandoned = builderPid !== undefined && !processAlive(Number(builderPid));
    if (hash !== current || abandoned) rmSync(join(cacheDir, entry), { recursive: true, force: true });
  }
}

async function buildAll(layout: string, cacheDir: string): Promise<void> {
  const binary = await buildStandins(cacheDir);
  await buildInto(layout, async (tmp) => {
    for (const recipe of labRecipes(binary)) await buildLayer(tmp, recipe.name, recipe.step);
  });
}

/** Builds a layout in a directory of its own and renames it into place: a crash leaves no half
 *  image, and of two processes building at once (parallel test files) the first to finish wins. */
async function buildInto(layout: string, build: (tmpLayout: string) => Promise<void>): Promise<void> {
  const final = dirname(layout);
  const tmp = `${final}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  try {
    await initLayout(join(tmp, 'oci'));
    await build(join(tmp, 'oci'));
    renameSync(tmp, final);
  } catch (err) {
    if (!existsSync(layout)) throw err;
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

async function pushImage(layout: string, tag: string, dest: string, auth?: RegistryCredentials): Promise<void> {
  const creds = auth ? ['--dest-creds', `${auth.username}:${auth.password}`] : [];
  await execa('skopeo', ['copy', '-q', '--dest-tls-verify=false', ...creds, `oci:${layout}:${tag}`, `docker://${dest}`]);
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function recipeHash(): string {
  const hash = createHash('sha256').update(standinsSourceHash());
  for (const file of ['catalog.ts', 'oci-layout.ts', 'seed.ts']) hash.update(readFileSync(join(HERE, file)));
  hash.update(readFileSync('/bin/busybox'));
  return hash.digest('hex').slice(0, 16);
}
