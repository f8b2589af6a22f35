// The images the lab's registry holds from `lab up` on: what they are called, and how each is built
// (one layer per step, as its Dockerfile would). Other parts of the lab refer to images through
// LAB_IMAGES, never by spelling the references again.
import { createCipheriv, createHash } from 'node:crypto';
import { chmodSync, chownSync, copyFileSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execaSync } from 'execa';
import type { LayerStep } from './oci-layout.ts';

/** KServe releases the lab emulates; each gets its own tags of the runtime and initializer images. */
export const KSERVE_VERSIONS = ['v0.13.0', 'v0.15.2', 'v0.17.0', 'v0.20.0'] as const;

export const LAB_IMAGES = {
  busybox: 'busybox:latest',
  /** The seed's model image: busybox plus /models/model.joblib. */
  sklearnModel: 'rhuss/kserving-example-sklearn:1.0',
  sklearnModelLatest: 'rhuss/kserving-example-sklearn:latest',
  /** Busybox only: modelcar-init's check fails with NOK. */
  modelWithoutModelsDir: 'lab/model-without-models-dir:1.0',
  modelWithEmptyModelsDir: 'lab/model-with-empty-models-dir:1.0',
  /** In the private registry: pulls need the credentials of registry.json. */
  privateSklearnModel: 'quay.io/private/sklearn-model:1.0',
  sklearnServer: (version: string) => `kserve/sklearnserver:${version}`,
  /** The sklearn stand-in with nothing else in the image: no shell, no ls (distroless-like). */
  sklearnServerWithoutShell: 'lab/sklearnserver-without-shell:1.0',
  /** The sklearn stand-in plus busybox's ls, readlink and cat, but no sh (a slim image without a shell). */
  sklearnServerLsOnly: 'lab/sklearnserver-ls-only:1.0',
  storageInitializer: (version: string) => `kserve/storage-initializer:${version}`,
  controller: (version: string) => `kserve/kserve-controller:${version}`,
  queueProxy: 'gcr.io/knative-releases/knative.dev/serving/cmd/queue:v1.15.2',
  /** Built on demand by buildBigModelImage(), not at `lab up`. */
  bigModel: (sizeMB: number) => `lab/big-model:${sizeMB}mb`,
} as const;

export const SKLEARN_MODEL_FILE = { path: '/models/model.joblib', size: 5408 };

export interface ImageRecipe {
  /** The image's tag inside the build layout. */
  name: string;
  step: LayerStep;
  /** References pushed for it (all point to the same digest). */
  refs: string[];
  registry: 'public' | 'private';
}

const PATH_ENV = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
const BUSYBOX_TAGS = ['latest', '1.36', '1.36.1', '1.35', 'stable'];
// KServe moved Storage into its own package (kserve_storage) in v0.17: the runtime and initializer
// images of older releases log and fail differently (see standins/storage.go).
const legacyStorage = (version: string) => /^v0\.(1[0-6]|[0-9])\./.test(version);
const LEGACY_VERSIONS = KSERVE_VERSIONS.filter(legacyStorage);
const CURRENT_VERSIONS = [...KSERVE_VERSIONS.filter((v) => !legacyStorage(v)), 'latest'];
const markLegacyStorage = (rootfs: string) => {
  mkdirSync(join(rootfs, 'etc/standins'));
  writeFileSync(join(rootfs, 'etc/standins/storage-module'), 'kserve.storage\n');
};

/** Every image seeded at `lab up`, in build order (a step's `from` is built before it). */
export function labRecipes(standinsBinary: string): ImageRecipe[] {
  const models = (size: number) => (rootfs: string) => {
    mkdirSync(join(rootfs, 'models'));
    chmodSync(join(rootfs, 'models'), 0o775); // RUN mkdir /models && chmod 775 /models
    if (size > 0) writeFileSync(join(rootfs, SKLEARN_MODEL_FILE.path), deterministicBytes('sklearn-iris', size), { mode: 0o644 });
  };
  return [
    {
      name: 'busybox',
      step: { addFiles: addBusybox, config: { env: [PATH_ENV], cmd: ['sh'] } },
      refs: BUSYBOX_TAGS.map((t) => `busybox:${t}`).concat(LAB_IMAGES.modelWithoutModelsDir),
      registry: 'public',
    },
    {
      name: 'sklearn-model',
      step: { from: 'busybox', addFiles: models(SKLEARN_MODEL_FILE.size) },
      refs: [LAB_IMAGES.sklearnModel, LAB_IMAGES.sklearnModelLatest],
      registry: 'public',
    },
    { name: 'private-sklearn-model', step: { from: 'sklearn-model', addFiles: () => {} }, refs: [LAB_IMAGES.privateSklearnModel], registry: 'private' },
    { name: 'empty-models', step: { from: 'busybox', addFiles: models(0) }, refs: [LAB_IMAGES.modelWithEmptyModelsDir], registry: 'public' },
    {
      // kserve/sklearnserver: python-slim based (a shell, ls), user kserve = 1000, ENTRYPOINT the server.
      name: 'sklearnserver',
      step: {
        from: 'busybox',
        addFiles: (rootfs) => {
          addUser(rootfs, 'kserve', 1000);
          installStandin(rootfs, standinsBinary, '/usr/local/bin/sklearnserver');
          // `kubectl exec ... -- bash` as the seed does: busybox has no bash applet.
          writeFileSync(join(rootfs, 'bin/bash'), '#!/bin/sh\nexec /bin/sh "$@"\n', { mode: 0o755 });
        },
        config: { user: '1000', entrypoint: ['/usr/local/bin/sklearnserver'], workingDir: '/' },
      },
      refs: CURRENT_VERSIONS.map(LAB_IMAGES.sklearnServer),
      registry: 'public',
    },
    {
      name: 'sklearnserver-legacy-storage',
      step: { from: 'sklearnserver', addFiles: markLegacyStorage },
      refs: LEGACY_VERSIONS.map(LAB_IMAGES.sklearnServer),
      registry: 'public',
    },
    {
      name: 'sklearnserver-without-shell',
      step: {
        addFiles: (rootfs) => {
          mkdirSync(join(rootfs, 'tmp'), { mode: 0o1777 });
          copyFileSync(standinsBinary, join(rootfs, 'sklearnserver'));
          chmodSync(join(rootfs, 'sklearnserver'), 0o755);
        },
        config: { user: '1000', entrypoint: ['/sklearnserver'] },
      },
      refs: [LAB_IMAGES.sklearnServerWithoutShell],
      registry: 'public',
    },
    {
      name: 'sklearnserver-ls-only',
      step: {
        addFiles: (rootfs) => {
          mkdirSync(join(rootfs, 'tmp'), { mode: 0o1777 });
          chmodSync(join(rootfs, 'tmp'), 0o1777);
          mkdirSync(join(rootfs, 'bin'));
          copyFileSync('/bin/busybox', join(rootfs, 'bin/busybox'));
          chmodSync(join(rootfs, 'bin/busybox'), 0o755);
          for (const applet of ['ls', 'readlink', 'cat']) symlinkSync('busybox', join(rootfs, 'bin', applet));
          copyFileSync(standinsBinary, join(rootfs, 'sklearnserver'));
          chmodSync(join(rootfs, 'sklearnserver'), 0o755);
        },
        config: { env: ['PATH=/bin'], user: '1000', entrypoint: ['/sklearnserver'] },
      },
      refs: [LAB_IMAGES.sklearnServerLsOnly],
      registry: 'public',
    },
    {
      // kserve/storage-initializer: user 1000, WORKDIR /work, /mnt owned by kserve.
      name: 'storage-initializer',
      step: {
        from: 'busybox',
        addFiles: (rootfs) => {
          addUser(rootfs, 'kserve', 1000);
          installStandin(rootfs, standinsBinary, '/storage-initializer/scripts/initializer-entrypoint');
          mkdirSync(join(rootfs, 'work'));
          mkdirSync(join(rootfs, 'mnt'));
          chownSync(join(rootfs, 'mnt'), 1000, 1000);
        },
        config: { user: '1000', entrypoint: ['/storage-initializer/scripts/initializer-entrypoint'], workingDir: '/work' },
      },
      refs: CURRENT_VERSIONS.map(LAB_IMAGES.storageInitializer),
      registry: 'public',
    },
    {
      name: 'storage-initializer-legacy-storage',
      step: { from: 'storage-initializer', addFiles: markLegacyStorage },
      refs: LEGACY_VERSIONS.map(LAB_IMAGES.storageInitializer),
      registry: 'public',
    },
    {
      // kserve-controller: distroless static:nonroot with /manager.
      name: 'kserve-controller',
      step: { addFiles: (rootfs) => installStandin(rootfs, standinsBinary, '/manager'), config: { user: '65532', entrypoint: ['/manager'] } },
      refs: [...KSERVE_VERSIONS, 'latest'].map(LAB_IMAGES.controller),
      registry: 'public',
    },
    {
      // Knative's queue-proxy, built by ko: /ko-app/queue on distroless static, user 65532.
      name: 'queue-proxy',
      step: { addFiles: (rootfs) => installStandin(rootfs, standinsBinary, '/ko-app/queue'), config: { user: '65532', entrypoint: ['/ko-app/queue'] } },
      refs: [LAB_IMAGES.queueProxy],
      registry: 'public',
    },
  ];
}

/** busybox's image as Docker Hub ships it: every applet linked in /bin, passwd and group, /tmp. */
function addBusybox(rootfs: string): void {
  for (const dir of ['bin', 'etc', 'home', 'usr/bin', 'usr/sbin', 'var/spool/mail', 'var/www']) mkdirSync(join(rootfs, dir), { recursive: true });
  mkdirSync(join(rootfs, 'root'), { mode: 0o700 });
  mkdirSync(join(rootfs, 'tmp'));
  chmodSync(join(rootfs, 'tmp'), 0o1777);
  copyFileSync('/bin/busybox', join(rootfs, 'bin/busybox'));
  chmodSync(join(rootfs, 'bin/busybox'), 0o755);
  for (const applet of busyboxApplets()) if (applet !== 'busybox') symlinkSync('busybox', join(rootfs, 'bin', applet));
  writeFileSync(
    join(rootfs, 'etc/passwd'),
    'root:x:0:0:root:/root:/bin/sh\ndaemon:x:1:1:daemon:/usr/sbin:/bin/false\nbin:x:2:2:bin:/bin:/bin/false\nsys:x:3:3:sys:/dev:/bin/false\n' +
      'sync:x:4:100:sync:/bin:/bin/sync\nmail:x:8:8:mail:/var/spool/mail:/bin/false\nwww-data:x:33:33:www-data:/var/www:/bin/false\n' +
      'operator:x:37:37:Operator:/var:/bin/false\nnobody:x:65534:65534:nobody:/home:/bin/false\n',
  );
  writeFileSync(
    join(rootfs, 'etc/group'),
    'root:x:0:\ndaemon:x:1:\nbin:x:2:\nsys:x:3:\nadm:x:4:\ntty:x:5:\ndisk:x:6:\nwheel:x:10:root\nmail:x:12:\nwww-data:x:33:\nusers:x:100:\nnogroup:x:65534:\n',
  );
}

let applets: string[] | undefined;
function busyboxApplets(): string[] {
  applets ??= execaSync('/bin/busybox', ['--list']).stdout.split('\n').filter(Boolean);
  return applets;
}

function addUser(rootfs: string, name: string, uid: number): void {
  writeFileSync(join(rootfs, 'etc/passwd'), `${name}:x:${uid}:${uid}::/home/${name}:/bin/sh\n`, { flag: 'a' });
  writeFileSync(join(rootfs, 'etc/group'), `${name}:x:${uid}:\n`, { flag: 'a' });
  mkdirSync(join(rootfs, 'home', name), { recursive: true });
  chownSync(join(rootfs, 'home', name), uid, uid);
}

/** The multi-call binary under its program's name (the name selects the program). */
function installStandin(rootfs: string, binary: string, path: string): void {
  const target = join(rootfs, path);
  mkdirSync(join(target, '..'), { recursive: true });
  copyFileSync(binary, target);
  chmodSync(target, 0o755);
}

/** Incompressible bytes that are the same on every machine (AES-CTR over zeros, keyed by `seed`):
 *  model files with real sizes on the wire and stable image digests. */
export function deterministicBytes(seed: string, size: number, offset = 0): Buffer {
  const key = createHash('sha256').update(seed).digest();
  const iv = Buffer.alloc(16);
  iv.writeBigUInt64BE(BigInt(Math.floor(offset / 16)), 8);
  const skip = offset % 16;
  const out = createCipheriv('aes-256-ctr', key, iv).update(Buffer.alloc(size + skip));
  return out.subarray(skip);
}
