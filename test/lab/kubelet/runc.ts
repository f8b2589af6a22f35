// The runc command line, the lab's container runtime. Containers run in the foreground (`runc run
// --keep`) as children of this process: the child's exit status is the container's (128+signal when
// killed), and `--keep` leaves the cgroup in place until we have read its OOM counter.
import { execa, type ResultPromise } from 'execa';
import { existsSync, readFileSync } from 'node:fs';

const RUNC = 'runc';

export interface RuncState {
  id: string;
  pid: number;
  status: 'created' | 'running' | 'stopped' | 'paused';
  bundle: string;
}

export function runcAvailable(): boolean {
  return ['/usr/sbin/runc', '/usr/bin/runc', '/usr/local/sbin/runc', '/usr/local/bin/runc'].some((p) => existsSync(p));
}

/** Starts a container in the foreground; its stdout/stderr are the child's. Runtime errors go to `logFile` as JSON lines. */
export function runcRun(id: string, bundle: string, files: { logFile: string; pidFile: string }): ResultPromise<{ buffer: false; reject: false; stdin: 'ignore' }> {
  return execa(RUNC, ['--log', files.logFile, '--log-format', 'json', 'run', '--keep', '--pid-file', files.pidFile, '--bundle', bundle, id], {
    buffer: false,
    reject: false,
    stdin: 'ignore',
  });
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

export async function runcState(id: string): Promise<RuncState | undefined> {
  const r = await execa(RUNC, ['state', id], { reject: false });
  if (r.exitCode !== 0) return undefined;
  return JSON.parse(r.stdout) as RuncState;
}

export async function runcKill(id: string, signal: 'TERM' | 'KILL'): Promise<void> {
  await execa(RUNC, ['kill', id, signal], { reject: false });
}

export async function runcDelete(id: string): Promise<void> {
  await execa(RUNC, ['delete', '--force', id], { reject: false });
}

export async function runcList(): Promise<RuncState[]> {
  const r = await execa(RUNC, ['list', '--format', 'json'], { reject: false });
  if (r.exitCode !== 0 || !r.stdout.trim()) return [];
  return (JSON.parse(r.stdout) as RuncState[] | null) ?? [];
}

/** `runc exec` with the container's own process settings (user, env, cwd, capabilities), as CRI exec does. */
export function runcExec(id: string, argv: string[], logFile: string): ResultPromise<{ buffer: false; reject: false; stdin: 'pipe' }> {
  return execa(RUNC, ['--log', logFile, '--log-format', 'json', 'exec', id, ...argv], { buffer: false, reject: false, stdin: 'pipe' });
}
