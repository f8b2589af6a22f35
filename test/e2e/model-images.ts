// Model images for the e2e tests, built as a user would: the seed's Dockerfile (plus, for some
// scenarios, one more RUN line) with `npm run lab -- image build -t REF DIR` into a running lab.
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { deterministicBytes } from '../lab/images/catalog.ts';
import { REPO_ROOT } from '../lab/cli/state.ts';
import { SEED_DOCKERFILE } from './seed.ts';

export interface BuiltImage { exitCode: number; stdout: string; stderr: string }

/** Builds the seed Dockerfile (`data/model.joblib` of `modelSize` bytes, then `extraRun` lines) and
 *  pushes it as `ref` to the lab whose state is `stateDir`. */
export async function buildModelImage(stateDir: string, ref: string, opts: { modelSize?: number; extraRun?: string[] } = {}): Promise<BuiltImage> {
  const context = await mkdtemp(join(tmpdir(), 'model-image-'));
  await mkdir(join(context, 'data'));
  await writeFile(join(context, 'Dockerfile'), SEED_DOCKERFILE + (opts.extraRun ?? []).map((l) => `RUN ${l}\n`).join(''));
  await writeFile(join(context, 'data', 'model.joblib'), deterministicBytes(ref, opts.modelSize ?? 4096));
  const r = await execa('npm', ['run', '-s', 'lab', '--', 'image', 'build', '--state', stateDir, '-t', ref, context], {
    cwd: REPO_ROOT,
    env: { PATH: `${join(REPO_ROOT, 'node_modules/.bin')}:${process.env['PATH']}` },
    reject: false,
    timeout: 180_000,
  });
  return { exitCode: r.exitCode ?? -1, stdout: String(r.stdout), stderr: String(r.stderr) };
}

// The webhook's modelcar runs `sh -c 'ln -sf ... && sleep infinity'`, and busybox's shell runs its
// applets (ln, sleep) without looking at /bin: the one file a model image can change is /bin/sh. These
// RUN lines put a wrapper there that acts when its command is the modelcar's, then hands over to
// busybox's shell (modelcar-init's command passes straight through).
const wrapShell = (caseBranch: string) =>
  `rm /bin/sh && printf '#!/bin/busybox sh\\ncase "$2" in ${caseBranch} ;; esac\\nexec busybox sh "$@"\\n' > /bin/sh && chmod 755 /bin/sh`;

/** A modelcar that links 3 s after it starts (a slow start, as a large image unpacking would be). */
export const SLOW_LINK_RUN = wrapShell('*"ln -s"*) busybox sleep 3');

/** A modelcar process that needs 64 MiB, far above memoryModelcar's 15Mi: it fills a 64 MiB buffer before it links. */
export const HUNGRY_MODELCAR_RUN = wrapShell('*"sleep infinity"*) exec busybox dd if=/dev/zero of=/dev/null bs=64M count=1');
