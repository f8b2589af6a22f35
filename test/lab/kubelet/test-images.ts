// Test support: an ImageStore over root filesystems made on the spot from Debian's busybox-static,
// for kubelet tests that must not depend on the registry. Missing references fail as containerd
// reports a tag the registry does not have.
import { createHash } from 'node:crypto';
import { chmodSync, copyFileSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execaSync } from 'execa';
import type { ImageConfig, ImageStore, PulledImage, PullPolicy } from '../types.ts';
import { normalizeImageRef } from './image-names.ts';

export interface TestImage {
  config: ImageConfig;
  /** Adds files to the busybox root. */
  files?: (rootfs: string) => void;
}

/** A pull failure with the kubelet's waiting reason, as the real image store throws it. */
export class TestImagePullError extends Error {
  readonly reason = 'ErrImagePull';
}

function busyboxRootfs(dir: string): void {
  for (const d of ['bin', 'etc', 'tmp', 'proc', 'dev', 'sys', 'root']) mkdirSync(join(dir, d), { recursive: true });
  chmodSync(join(dir, 'tmp'), 0o1777);
  copyFileSync('/bin/busybox', join(dir, 'bin/busybox'));
  chmodSync(join(dir, 'bin/busybox'), 0o755);
  const applets = execaSync('/bin/busybox', ['--list']).stdout.split('\n').filter((a) => a && a !== 'busybox');
  for (const a of applets) symlinkSync('busybox', join(dir, 'bin', a));
  writeFileSync(join(dir, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000::/home/app:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n');
  writeFileSync(join(dir, 'etc/group'), 'root:x:0:\napp:x:1000:\nnogroup:x:65534:\n');
}

export function testImageStore(dir: string, images: Record<string, TestImage>): ImageStore & { pulls: string[] } {
  const built = new Map<string, PulledImage>();
  const cached = new Set<string>();
  const pulls: string[] = [];
  const build = (ref: string): PulledImage => {
    const key = normalizeImageRef(ref);
    const existing = built.get(key);
    if (existing) return existing;
    const image = Object.entries(images).find(([r]) => normalizeImageRef(r) === key)?.[1];
    if (!image) {
      throw new TestImagePullError(
        `failed to pull and unpack image "${key}": failed to resolve reference "${key}": ${key}: not found`,
      );
    }
    const digest = `sha256:${createHash('sha256').update(key).digest('hex')}`;
    const rootfs = join(dir, digest.slice(7, 19), 'rootfs');
    busyboxRootfs(rootfs);
    image.files?.(rootfs);
    const pulled: PulledImage = { ref, imageID: `docker-pullable://${key.split(':')[0]}@${digest}`, digest, sizeBytes: 2_200_000, rootfs, config: image.config, pulled: true, durationMs: 0 };
    built.set(key, pulled);
    return pulled;
  };
  return {
    pulls,
    async pull(ref: string, opts: { policy: PullPolicy }): Promise<PulledImage> {
      const key = normalizeImageRef(ref);
      if (opts.policy !== 'Always' && cached.has(key)) return { ...build(ref), pulled: false };
      pulls.push(ref);
      const img = build(ref);
      cached.add(key);
      return img;
    },
    has: (ref) => cached.has(normalizeImageRef(ref)),
    list: () => [...cached].map((k) => ({ names: [k], sizeBytes: 2_200_000 })),
  };
}
