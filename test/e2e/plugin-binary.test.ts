// The built plugin as kubectl runs it: from PATH, outside npm, with the machine's older Node first on PATH.
import { describe, it, expect, beforeAll } from 'vitest';
import { execa } from 'execa';
import { access, copyFile, mkdtemp, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { buildPlugin } from '../../scripts/build.ts';

const repo = path.resolve(import.meta.dirname, '../..');
const dist = path.join(repo, 'dist');
const kubectl = '/usr/bin/kubectl';
// PATH as a plugin sees it on this machine: /usr/bin first, whose `node` is Node 20.
const pathWithOldNodeFirst = `/usr/bin:/bin:${dist}`;

async function exists(p: string): Promise<boolean> {
  return access(p).then(() => true, () => false);
}

beforeAll(async () => {
  // scripts/test.sh builds first; a lone `vitest run` builds here.
  if (!(await exists(path.join(dist, 'kubectl-modelcar')))) await buildPlugin();
}, 60_000);

describe('dist/kubectl-modelcar through the real kubectl', () => {
  it('is one executable file', async () => {
    const s = await stat(path.join(dist, 'kubectl-modelcar'));
    expect(s.isFile()).toBe(true);
    expect(s.mode & 0o111).not.toBe(0);
  });

  it('runs `kubectl modelcar version` with Node 20 first on PATH', async () => {
    const node = await execa('node', ['--version'], { env: { PATH: pathWithOldNodeFirst } });
    expect(node.stdout).toMatch(/^v20\./); // the premise of this test: kubectl's PATH has an old Node
    const r = await execa(kubectl, ['modelcar', 'version', '-o', 'json'], { env: { PATH: pathWithOldNodeFirst, HOME: tmpdir() } });
    const info = JSON.parse(r.stdout) as { kind: string; version: string; node: string };
    expect(info.kind).toBe('Version');
    expect(info.node).toBe('24.21.0'); // found the pinned Node, not the one on PATH
  });

  it('prints help through kubectl', async () => {
    const r = await execa(kubectl, ['modelcar', '--help'], { env: { PATH: pathWithOldNodeFirst, HOME: tmpdir() } });
    expect(r.stdout).toContain('kubectl modelcar <command>');
    expect(r.stdout).toMatch(/version\s+Print the plugin version/);
  });

  it('is listed by `kubectl plugin list`', async () => {
    const r = await execa(kubectl, ['plugin', 'list'], { env: { PATH: pathWithOldNodeFirst, HOME: tmpdir() }, reject: false });
    expect(r.stdout).toContain(path.join(dist, 'kubectl-modelcar'));
  });

  it('says in one line what to install when no suitable Node exists', async () => {
    const lonely = path.join(await mkdtemp(path.join(tmpdir(), 'modelcar-')), 'kubectl-modelcar');
    await copyFile(path.join(dist, 'kubectl-modelcar'), lonely);
    const r = await execa(lonely, ['version'], { env: { PATH: '/usr/bin:/bin' }, reject: false });
    expect(r.exitCode).toBe(127);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/needs Node\.js >= 22\.19 \(found: v20\.\d+\.\d+\); install Node 24/);
  });
});
