// The stand-in programs (standins/, Go standard library only) built once per source version with
// Debian's golang-go: static (CGO_ENABLED=0), stripped. Cached by the hash of the sources, with
// Go's build cache beside it, so only the first build on a machine takes long (about a minute).
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';

const SOURCE_DIR = join(dirname(fileURLToPath(import.meta.url)), 'standins');

export function standinsSourceHash(): string {
  const hash = createHash('sha256');
  for (const file of readdirSync(SOURCE_DIR).sort()) {
    if (file.endsWith('.go') || file === 'go.mod') hash.update(file).update(readFileSync(join(SOURCE_DIR, file)));
  }
  return hash.digest('hex').slice(0, 16);
}

/** Path of the built multi-call binary; see standins/main.go for the program names it answers to. */
export async function buildStandins(cacheDir: string): Promise<string> {
  const out = join(cacheDir, 'standins', standinsSourceHash(), 'standins');
  if (existsSync(out)) return out;
  mkdirSync(dirname(out), { recursive: true });
  const gopath = join(cacheDir, 'go');
  const tmp = `${out}.tmp-${process.pid}`; // another process may be building the same version
  await execa('go', ['build', '-trimpath', '-ldflags', '-s -w', '-o', tmp, '.'], {
    cwd: SOURCE_DIR,
    env: { CGO_ENABLED: '0', GOCACHE: join(cacheDir, 'go-build'), GOPATH: gopath, GOFLAGS: '-mod=mod', GOTOOLCHAIN: 'local', GOPROXY: 'off' },
  });
  renameSync(tmp, out);
  return out;
}
