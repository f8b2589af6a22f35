// Building images offline into a local OCI layout with umoci, layer by layer as a Dockerfile would:
// each image is either new (FROM scratch) or derived from another tag in the same layout, and each
// step adds one layer on top.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';

export interface ImageConfigChange {
  user?: string;
  env?: string[];
  entrypoint?: string[];
  /** Setting an entrypoint clears an inherited cmd, as Docker does, unless cmd is given too. */
  cmd?: string[];
  workingDir?: string;
}

export interface LayerStep {
  /** The image to build on; absent means scratch. */
  from?: string;
  /** Writes this layer's files into the root filesystem (as root: ownership is recorded as set). */
  addFiles(rootfs: string): Promise<void> | void;
  config?: ImageConfigChange;
}

export async function initLayout(layout: string): Promise<void> {
  await execa('umoci', ['init', '--layout', layout]);
}

/** Builds `tag` in `layout` as one layer over `step.from` (or scratch), then applies the config. */
export async function buildLayer(layout: string, tag: string, step: LayerStep): Promise<void> {
  if (step.from) await execa('umoci', ['tag', '--image', `${layout}:${step.from}`, tag]);
  else await execa('umoci', ['new', '--image', `${layout}:${tag}`]);
  const work = mkdtempSync(join(layout, '..', 'bundle-'));
  const bundle = join(work, 'b');
  try {
    await execa('umoci', ['unpack', '--image', `${layout}:${tag}`, bundle]);
    await step.addFiles(join(bundle, 'rootfs'));
    await execa('umoci', ['repack', '--image', `${layout}:${tag}`, bundle]);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  if (step.config) await execa('umoci', ['config', '--image', `${layout}:${tag}`, ...configArgs(step.config)]);
}

function configArgs(c: ImageConfigChange): string[] {
  const args: string[] = [];
  if (c.user !== undefined) args.push('--config.user', c.user);
  for (const e of c.env ?? []) args.push('--config.env', e);
  if (c.entrypoint) args.push('--clear=config.entrypoint', ...c.entrypoint.flatMap((a) => ['--config.entrypoint', a]));
  if (c.entrypoint || c.cmd) args.push('--clear=config.cmd');
  for (const a of c.cmd ?? []) args.push('--config.cmd', a);
  if (c.workingDir) args.push('--config.workingdir', c.workingDir);
  return args;
}

/** The manifest digest a tag points to in the layout's index. */
export function layoutDigest(layout: string, tag: string): string {
  const index = JSON.parse(readFileSync(join(layout, 'index.json'), 'utf8')) as {
    manifests: Array<{ digest: string; annotations?: Record<string, string> }>;
  };
  const entry = index.manifests.find((m) => m.annotations?.['org.opencontainers.image.ref.name'] === tag);
  if (!entry) throw new Error(`no tag ${tag} in OCI layout ${layout}`);
  return entry.digest;
}
