// The lab server as one esbuild bundle, for `lab up`: Node loads one file instead of ~100 TypeScript
// modules and the packages they import (yaml, execa, ws), which halves the server's module loading
// (about 1.0 s -> 0.5 s on this machine under load). The bundle is rebuilt whenever one of its
// inputs (every source file and package file esbuild read) changed size or mtime; any failure falls
// back to running test/lab/server.ts itself.
import { mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { REPO_ROOT } from './state.ts';

const BUNDLE_DIR = join(REPO_ROOT, '.lab', 'cache', 'server-bundle');
const BUNDLE = join(BUNDLE_DIR, 'server.mjs');
const INPUTS = join(BUNDLE_DIR, 'inputs.json');

type Inputs = Record<string, [mtimeMs: number, size: number]>;

function fingerprint(path: string): [number, number] | undefined {
  try {
    const s = statSync(path);
    return [s.mtimeMs, s.size];
  } catch {
    return undefined;
  }
}

function upToDate(): boolean {
  let inputs: Inputs;
  try {
    inputs = JSON.parse(readFileSync(INPUTS, 'utf8')) as Inputs;
    statSync(BUNDLE);
  } catch {
    return false;
  }
  return Object.entries(inputs).every(([path, [mtimeMs, size]]) => {
    const now = fingerprint(path);
    return now !== undefined && now[0] === mtimeMs && now[1] === size;
  });
}

/** The script `lab up` runs: the bundle of `serverMain` (built or rebuilt now if needed), else `serverMain`. */
export async function serverScript(serverMain: string): Promise<string> {
  if (process.env['LAB_SERVER_BUNDLE'] === '0') return serverMain;
  if (upToDate()) return BUNDLE;
  try {
    await build(serverMain);
    return BUNDLE;
  } catch (err) {
    console.error(`lab: running the server unbundled (${(err as Error).message.split('\n')[0]})`);
    return serverMain;
  }
}

async function build(serverMain: string): Promise<void> {
  const esbuild = await import('esbuild');
  mkdirSync(BUNDLE_DIR, { recursive: true });
  const tmp = `${BUNDLE}.tmp-${process.pid}`;
  const started = Date.now();
  const result = await esbuild.build({
    entryPoints: [serverMain],
    absWorkingDir: REPO_ROOT,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node22',
    outfile: tmp,
    metafile: true,
    logLevel: 'silent',
    // Packages written for CommonJS (ws) call require(): give the bundle one.
    banner: { js: "import { createRequire as __labCreateRequire } from 'node:module'; const require = __labCreateRequire(import.meta.url);" },
    plugins: [
      {
        // Each module's import.meta.url/dirname/filename keep naming its own source file, as when
        // Node loads it (the lab finds its cache, images and KServe files relative to them).
        name: 'source-import-meta',
        setup(b) {
          b.onLoad({ filter: /\.ts$/ }, (args) => {
            if (args.path.includes('/node_modules/')) return undefined;
            const contents = readFileSync(args.path, 'utf8')
              .replaceAll('import.meta.url', JSON.stringify(pathToFileURL(args.path).href))
              .replaceAll('import.meta.dirname', JSON.stringify(dirname(args.path)))
              .replaceAll('import.meta.filename', JSON.stringify(args.path));
            return { contents, loader: 'ts' };
          });
        },
      },
    ],
  });
  const inputs: Inputs = {};
  let editedMeanwhile = false;
  for (const rel of Object.keys(result.metafile.inputs)) {
    const path = resolve(REPO_ROOT, rel);
    const fp = fingerprint(path);
    if (fp) inputs[path] = fp;
    if (!fp || fp[0] >= started - 1000) editedMeanwhile = true;
  }
  // The bundle first, then its inputs: a reader that sees the new inputs also sees the new bundle.
  renameSync(tmp, BUNDLE);
  // A file changed while esbuild read it: this bundle may hold either version, so the next `up` builds again.
  if (editedMeanwhile) return;
  writeFileSync(`${INPUTS}.tmp-${process.pid}`, JSON.stringify(inputs));
  renameSync(`${INPUTS}.tmp-${process.pid}`, INPUTS);
}
