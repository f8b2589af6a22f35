// The probe script runs for real here, under dash and under busybox sh (the shell of most model and
// runtime images), against a link into /proc/<pid>/root of a live process, as modelcar makes it.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync, chmodSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

// Real processes and a real /proc walk: allow for a busy machine.
vi.setConfig({ testTimeout: 30_000 });
import { errnoOf, idsFromStatus, parseProbeOutput, PROBE_BEGIN, PROBE_END, PROBE_SCRIPT, probeModelPath, sumLsLong, type Runner } from './probe.ts';
import type { ExecResult } from './exec.ts';

const target = { namespace: 'ns', pod: 'p', container: 'kserve-container', modelPath: '/mnt/models' };

function localRunner(shell: string[]): Runner {
  return async (command) => {
    const argv = command[0] === 'sh' ? [...shell, ...command.slice(1)] : command;
    const r = spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8' });
    if (r.error && (r.error as NodeJS.ErrnoException).code === 'ENOENT') {
      return { stdout: '', stderr: '', exitCode: null, failure: `exec: "${argv[0]}": executable file not found in $PATH`, commandNotFound: true, timedOut: false };
    }
    return { stdout: r.stdout, stderr: r.stderr, exitCode: r.status, commandNotFound: false, timedOut: false } satisfies ExecResult;
  };
}

// Outside CI a missing busybox or setpriv skips those cases (saying so); in CI they run and fail.
const inCI = Boolean(process.env.CI);
const shells: Array<[string, string[]]> = [['dash', ['/usr/bin/dash']]];
if (existsSync('/usr/bin/busybox') || inCI) shells.push(['busybox sh', ['/usr/bin/busybox', 'sh']]);
else console.log('busybox not installed (apt-get install busybox): the probe script runs under dash only');

describe.each(shells)('the probe script under %s', (_name, shell) => {
  let dir: string;
  let holder: ChildProcess;
  const run = localRunner(shell);

  beforeAll(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'probe-'));
    mkdirSync(path.join(dir, 'models', 'sub'), { recursive: true });
    writeFileSync(path.join(dir, 'models', 'model.joblib'), 'x'.repeat(1000));
    writeFileSync(path.join(dir, 'models', 'sub', 'config.json'), '{}');
    // A process whose /proc/<pid>/root is "/" (same mount namespace), standing in for modelcar's `sleep infinity`.
    holder = spawn('sleep', ['infinity'], { stdio: 'ignore' });
    symlinkSync(`/proc/${holder.pid}/root${dir}/models`, path.join(dir, 'link'));
    symlinkSync(`/proc/999999999/root/models`, path.join(dir, 'dangling'));
    mkdirSync(path.join(dir, 'empty'));
  });
  afterAll(() => {
    holder.kill();
  });

  it('follows a /proc/<pid>/root link, sees the process, its ids, the files and their size', async () => {
    const r = await probeModelPath({ ...target, modelPath: path.join(dir, 'link') }, run);
    expect(r.outcome).toBe('probed');
    if (r.outcome !== 'probed') return;
    expect(r.tool).toBe('sh');
    expect(r.lstatType).toBe('symlink');
    expect(r.readlink).toBe(`/proc/${holder.pid}/root${dir}/models`);
    expect(r.targetPid).toBe(holder.pid);
    expect(r.targetResolves).toBe(true);
    expect(r.targetProcess?.cmdline).toEqual(['sleep', 'infinity']);
    expect(r.targetProcess?.ids?.uids[1]).toBe(process.geteuid!());
    expect(r.self.ids?.uids[1]).toBe(process.geteuid!());
    expect(r.modelcarPids).toContain(holder.pid);
    expect(r.listing).toEqual({ ok: true, fileCount: 2, totalBytes: 1002, unreadable: [] });
  });

  it('counts bytes of file names with spaces too (the batched stat falls back per file)', async () => {
    const spaced = path.join(dir, 'spaced');
    mkdirSync(spaced);
    writeFileSync(path.join(spaced, 'a b.bin'), 'abc');
    writeFileSync(path.join(spaced, 'c.bin'), 'defg');
    const r = await probeModelPath({ ...target, modelPath: spaced }, run);
    if (r.outcome !== 'probed') throw new Error('not probed');
    expect(r.listing).toEqual({ ok: true, fileCount: 2, totalBytes: 7, unreadable: [] });
  });

  it('reports a dangling link as not resolving, with ENOENT', async () => {
    const r = await probeModelPath({ ...target, modelPath: path.join(dir, 'dangling') }, run);
    if (r.outcome !== 'probed') throw new Error('not probed');
    expect(r.lstatType).toBe('symlink');
    expect(r.targetPid).toBe(999999999);
    expect(r.targetProcess).toBeNull();
    expect(r.targetResolves).toBe(false);
    expect(r.listing).toMatchObject({ ok: false, errno: 'ENOENT' });
  });

  it('reports a missing path and a plain empty directory', async () => {
    const missing = await probeModelPath({ ...target, modelPath: path.join(dir, 'nope') }, run);
    if (missing.outcome !== 'probed') throw new Error('not probed');
    expect(missing.lstatType).toBe('missing');
    expect(missing.readlink).toBeNull();
    const empty = await probeModelPath({ ...target, modelPath: path.join(dir, 'empty') }, run);
    if (empty.outcome !== 'probed') throw new Error('not probed');
    expect(empty.lstatType).toBe('directory');
    expect(empty.listing).toEqual({ ok: true, fileCount: 0, totalBytes: 0, unreadable: [] });
  });

});

// As root, a second user makes the kernel's ptrace check real: nobody (65534) may not enter
// /proc/<pid>/root of a root process (the UID-mismatch fault), but may enter its own process's root
// and there meets a file it cannot read.
describe('the probe as another user', () => {
  const canSwitch = (process.geteuid!() === 0 && existsSync('/usr/bin/setpriv')) || inCI;
  const asNobody = (cmd: string[]) => ['/usr/bin/setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', ...cmd];
  const nobodyRunner: Runner = async (command) => {
    const argv = asNobody(command[0] === 'sh' ? ['/usr/bin/dash', ...command.slice(1)] : command);
    const r = spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8' });
    return { stdout: r.stdout, stderr: r.stderr, exitCode: r.status, commandNotFound: false, timedOut: false };
  };
  let dir: string;
  const holders: ChildProcess[] = [];
  beforeAll(() => {
    if (!canSwitch) {
      console.log('not root or no setpriv (util-linux): the cross-user probe cases are not exercised');
      return;
    }
    dir = mkdtempSync(path.join(os.tmpdir(), 'probe-uid-'));
    chmodSync(dir, 0o755);
    mkdirSync(path.join(dir, 'models'), { mode: 0o755 });
    writeFileSync(path.join(dir, 'models', 'ok.bin'), 'ok', { mode: 0o644 });
    writeFileSync(path.join(dir, 'models', 'secret.bin'), 'no', { mode: 0o600 });
    const rootHolder = spawn('sleep', ['infinity'], { stdio: 'ignore' });
    const nobodyHolder = spawn('/usr/bin/setpriv', asNobody(['sleep', 'infinity']).slice(1), { stdio: 'ignore' });
    holders.push(rootHolder, nobodyHolder);
    symlinkSync(`/proc/${rootHolder.pid}/root${dir}/models`, path.join(dir, 'root-link'));
    symlinkSync(`/proc/${nobodyHolder.pid}/root${dir}/models`, path.join(dir, 'own-link'));
  });
  afterAll(() => holders.forEach((h) => h.kill()));

  it.runIf(canSwitch)('a root modelcar seen by UID 65534: the link resolves but listing is refused (EACCES), with both UIDs', async () => {
    const r = await probeModelPath({ ...target, modelPath: path.join(dir, 'root-link') }, nobodyRunner);
    if (r.outcome !== 'probed') throw new Error('not probed');
    expect(r.listing).toMatchObject({ ok: false, errno: 'EACCES' });
    expect(r.targetResolves).toBe(true);
    expect(r.self.ids?.uids[1]).toBe(65534);
    expect(r.targetProcess?.ids?.uids[1]).toBe(0);
  });

  it.runIf(canSwitch)('same UID: listed, and the file the UID cannot read is named', async () => {
    const link = path.join(dir, 'own-link');
    // setpriv execs sleep in place, so the pid in the link is sleep's.
    await new Promise((r) => setTimeout(r, 100));
    const r = await probeModelPath({ ...target, modelPath: link }, nobodyRunner);
    if (r.outcome !== 'probed' || !r.listing.ok) throw new Error(`not listed: ${JSON.stringify(r)}`);
    expect(r.listing.fileCount).toBe(2);
    expect(r.listing.unreadable).toEqual([`${link}/secret.bin`]);
  });
});

describe('without a shell', () => {
  it('falls back to ls, readlink and cat exec\'d directly', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'probe-nosh-'));
    mkdirSync(path.join(dir, 'models'));
    writeFileSync(path.join(dir, 'models', 'a.bin'), 'abcd');
    const holder = spawn('sleep', ['infinity'], { stdio: 'ignore' });
    try {
      symlinkSync(`/proc/${holder.pid}/root${dir}/models`, path.join(dir, 'link'));
      const base = localRunner(['/usr/bin/dash']);
      const noShell: Runner = (cmd) =>
        cmd[0] === 'sh' ? Promise.resolve({ stdout: '', stderr: '', exitCode: null, failure: 'exec: "sh": executable file not found in $PATH', commandNotFound: true, timedOut: false }) : base(cmd);
      const r = await probeModelPath({ ...target, modelPath: path.join(dir, 'link') }, noShell);
      if (r.outcome !== 'probed') throw new Error(`not probed: ${JSON.stringify(r)}`);
      expect(r.tool).toBe('ls');
      expect(r.lstatType).toBe('symlink');
      expect(r.targetPid).toBe(holder.pid);
      expect(r.targetProcess?.cmdline).toEqual(['sleep', 'infinity']);
      expect(r.listing).toMatchObject({ ok: true, fileCount: 1, totalBytes: 4 });
    } finally {
      holder.kill();
    }
  });

  it('records no-shell when neither sh nor ls exist', async () => {
    const none: Runner = (cmd) => Promise.resolve({ stdout: '', stderr: '', exitCode: null, failure: `exec: "${cmd[0]}": executable file not found in $PATH`, commandNotFound: true, timedOut: false });
    const r = await probeModelPath(target, none);
    expect(r).toMatchObject({ outcome: 'skipped', reason: 'no-shell' });
  });
});

describe('parsing untrusted output', () => {
  it('rejects output without the markers or with malformed values', () => {
    expect(parseProbeOutput(target, 'sh: syntax error')).toBeNull();
    expect(parseProbeOutput(target, `${PROBE_BEGIN}\npath=/mnt/models\nlstat=weird\nlist_exit=0\nresolves=yes\n${PROBE_END}`)).toBeNull();
    expect(parseProbeOutput(target, `${PROBE_BEGIN}\npath=/mnt/models\nlstat=symlink\nlist_exit=x\nresolves=yes\n${PROBE_END}`)).toBeNull();
  });

  it('treats EACCES as resolving but not listable (the UID mismatch case)', () => {
    const out = [
      'noise before',
      PROBE_BEGIN,
      'path=/mnt/models',
      'lstat=symlink',
      'readlink=/proc/12/root/models',
      'self_pid=40',
      'self_uid=1000 1000 1000 1000',
      'self_gid=1000 1000 1000 1000',
      'target_pid=12',
      'target_visible=yes',
      'target_cmdline=sleep\u001finfinity',
      'target_uid=1010 1010 1010 1010',
      'target_gid=0 0 0 0',
      'modelcar_pid=12',
      'list_exit=1',
      'list_err=ls: /mnt/models/: Permission denied',
      'resolves=no',
      PROBE_END,
    ].join('\n');
    const r = parseProbeOutput(target, out)!;
    expect(r.targetResolves).toBe(true);
    expect(r.listing).toEqual({ ok: false, errno: 'EACCES', message: 'ls: /mnt/models/: Permission denied' });
    expect(r.targetProcess).toEqual({ cmdline: ['sleep', 'infinity'], ids: { uids: [1010, 1010, 1010, 1010], gids: [0, 0, 0, 0] } });
    expect(r.self).toEqual({ pid: 40, ids: { uids: [1000, 1000, 1000, 1000], gids: [1000, 1000, 1000, 1000] } });
  });

  it('helpers', () => {
    expect(errnoOf("ls: cannot access '/mnt/models/': No such file or directory")).toBe('ENOENT');
    expect(idsFromStatus('Name:\tcat\nUid:\t1000\t1000\t1000\t1000\nGid:\t5\t5\t5\t5\n')).toEqual({ uids: [1000, 1000, 1000, 1000], gids: [5, 5, 5, 5] });
    expect(sumLsLong('/m:\ntotal 8\n-rw-r--r-- 1 0 0 100 Jan 1 00:00 a\ndrwxr-xr-x 2 0 0 40 Jan 1 00:00 d\n\n/m/d:\n-rw-r--r-- 1 0 0 5 Jan 1 00:00 b\n')).toEqual({ fileCount: 2, totalBytes: 105 });
    expect(PROBE_SCRIPT).not.toMatch(/>\s*\/(?!dev\/null)/); // writes nowhere but /dev/null
  });
});
