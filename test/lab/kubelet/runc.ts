// The runc command line, the lab's container runtime. Containers run in the foreground (`runc run
// --keep`) under a shim that is a child of this process: its exit status is the container's
// (128+signal when killed), and `--keep` leaves the cgroup in place until its OOM counter is read.
import { execa, type ResultPromise } from 'execa';
import { readFileSync } from 'node:fs';

const RUNC = 'runc';

export interface RuncState {
  id: string;
  pid: number;
  status: 'created' | 'running' | 'stopped' | 'paused';
  bundle: string;
}

const quote = (s: string) => `'${s.replaceAll("'", `'\\''`)}'`;

export interface ShimFiles {
  /** The image's rootfs (read-only lower layer) and this instance's upper, work and merged directories. */
  lower: string;
  upper: string;
  work: string;
  merged: string;
  bundle: string;
  /** runc's own errors, as JSON lines. */
  logFile: string;
  pidFile: string;
  /** Where the container's memory cgroup OOM counters are copied before the cgroup goes. */
  oomFile: string;
  /** The container's cgroup path (cgroupsPath of its config). */
  cgroupPath: string;
}

/** Runs one container instance from a small shell, the lab's containerd-shim: it mounts the overlay
 *  rootfs, runs `runc run --keep` in the foreground (so its exit status is the container's: 128+signal
 *  when killed), copies the cgroup's OOM counters, deletes the container and unmounts. One process
 *  per instance instead of four: each fork of this (large) Node process costs ~0.1 s on a busy machine.
 *  The shim's stdout/stderr are the container's; it exits 255 with `mount.err` written if the overlay fails. */
export function startShim(id: string, f: ShimFiles): ResultPromise<{ buffer: false; reject: false; stdin: 'ignore' }> {
  const q = quote;
  const script = [
    `mount -t overlay overlay -o ${q(`lowerdir=${f.lower},upperdir=${f.upper},workdir=${f.work}`)} ${q(f.merged)} 2>${q(`${f.bundle}/mount.err`)} || exit 255`,
    `${RUNC} --log ${q(f.logFile)} --log-format json run --keep --pid-file ${q(f.pidFile)} --bundle ${q(f.bundle)} ${q(id)}`,
    'rc=$?',
    `cat ${q(`/sys/fs/cgroup/memory${f.cgroupPath}/memory.oom_control`)} ${q(`/sys/fs/cgroup${f.cgroupPath}/memory.events`)} >${q(f.oomFile)} 2>/dev/null`,
    `${RUNC} delete --force ${q(id)} >/dev/null 2>&1`,
    `umount ${q(f.merged)} 2>/dev/null || umount -l ${q(f.merged)} 2>/dev/null`,
    'exit $rc',
  ].join('\n');
  return execa('/bin/sh', ['-c', script], { buffer: false, reject: false, stdin: 'ignore' });
}

/** The last error runc logged (`runc run failed: unable to start container process: ...`), without runc's prefix. */
export function runcLoggedError(logFile: string): string | undefined {
  let text: string;
  try {
    text = readFileSync(logFile, 'utf8');
  } catch {
    return undefined;
  }
  const errors = text
    .split('\n')
    .filter(Boolean)
    .map((l) => {
      try {
        return JSON.parse(l) as { level?: string; msg?: string };
      } catch {
        return { level: 'error', msg: l };
      }
    })
    .filter((e) => e.level === 'error' && e.msg);
  const msg = errors.at(-1)?.msg;
  return msg?.replace(/^runc (run|exec|create) failed: /, '');
}

export async function runcDelete(id: string): Promise<void> {
  await execa(RUNC, ['delete', '--force', id], { reject: false });
}

/** Every runc container on this host. `runc list` fails now and then while another container is
 *  being deleted (its state directory goes mid-read; several labs may run here): tried again. */
export async function runcList(): Promise<RuncState[]> {
  for (let attempt = 1; ; attempt++) {
    const r = await execa(RUNC, ['list', '--format', 'json'], { reject: false });
    if (r.exitCode === 0) return r.stdout.trim() ? ((JSON.parse(r.stdout) as RuncState[] | null) ?? []) : [];
    if (attempt === 3) return [];
  }
}

/** `runc exec` with the container's own process settings (user, env, cwd, capabilities), as CRI exec does. */
export function runcExec(id: string, argv: string[], logFile: string): ResultPromise<{ buffer: false; reject: false; stdin: 'pipe' }> {
  return execa(RUNC, ['--log', logFile, '--log-format', 'json', 'exec', id, ...argv], { buffer: false, reject: false, stdin: 'pipe' });
}
