// One container instance: overlay rootfs, OCI bundle, `runc run` in the foreground, log capture, and
// what is known when it ends (exit code, OOM kill, termination message). containerd's words are used
// for failures because that is what a 1.24+ kubelet reports.
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ResultPromise } from 'execa';
import { ContainerLogWriter } from './logs.ts';
import { mountOverlay, unmountAll } from './mounts.ts';
import { containerConfig, type ContainerConfigInput } from './oci-spec.ts';
import { runcDelete, runcLoggedError, runcRun } from './runc.ts';
import type { ContainerStateTerminated } from './pod-types.ts';
import { sleep } from './node-context.ts';

/** The runtime could not start the process (missing executable, bad mount): reason StartError, exit code 128. */
export class StartError extends Error {}

export interface InstanceSpec extends Omit<ContainerConfigInput, 'rootfs' | 'cgroupsPath'> {
  /** The image store's unpacked rootfs; never written: an overlay goes on top. */
  imageRootfs: string;
  /** Directory for this instance's bundle, overlay and runtime files. */
  dir: string;
  logPath: string;
  /** `/<prefix>/pod<uid>`: instances get a cgroup below it. */
  cgroupParent: string;
  runcPrefix: string;
  terminationMessagePath?: string;
  fallbackToLogsOnError: boolean;
}

export interface Instance {
  runcId: string;
  /** `containerd://<64 hex>`. */
  containerID: string;
  pid: number;
  startedAt: string;
  log: ContainerLogWriter;
  exited: Promise<ContainerStateTerminated>;
  running: boolean;
  /** Sends a signal to the container's init process. */
  signal(signal: 'TERM' | 'KILL'): void;
  /** SIGTERM, then SIGKILL once `graceMs` has passed; resolves when the process is gone. */
  stop(graceMs: number): Promise<ContainerStateTerminated>;
}

/** The OOM kills the kernel counted in a container's memory cgroup (v1 memory.oom_control or v2 memory.events). */
function oomKills(cgroupPath: string): number {
  for (const file of [`/sys/fs/cgroup/memory${cgroupPath}/memory.oom_control`, `/sys/fs/cgroup${cgroupPath}/memory.events`]) {
    try {
      const m = /^oom_kill (\d+)$/m.exec(readFileSync(file, 'utf8'));
      if (m) return Number(m[1]);
    } catch {
      // not this cgroup version
    }
  }
  return 0;
}

/** Waits for runc's pid file (the process has been exec'd) or for runc to exit first. */
async function waitStarted(pidFile: string, child: ResultPromise): Promise<number | undefined> {
  let exited = false;
  void child.then(() => (exited = true));
  for (;;) {
    if (existsSync(pidFile)) {
      const pid = Number(readFileSync(pidFile, 'utf8').trim());
      if (pid > 0) return pid;
    }
    if (exited) return undefined;
    await sleep(5);
  }
}

export async function startInstance(spec: InstanceSpec): Promise<Instance> {
  const hex = randomBytes(32).toString('hex');
  const runcId = `${spec.runcPrefix}-${hex.slice(0, 24)}`;
  const cgroupsPath = `${spec.cgroupParent}/${hex.slice(0, 24)}`;
  mkdirSync(spec.dir, { recursive: true });
  const rootfs = await mountOverlay(spec.imageRootfs, join(spec.dir, 'rootfs'));
  const mounts = [...spec.mounts];
  if (spec.terminationMessagePath) {
    const file = join(spec.dir, 'termination-log');
    writeFileSync(file, '');
    chmodSync(file, 0o666);
    mounts.push({ destination: spec.terminationMessagePath, type: 'bind', source: file, options: ['rbind', 'rw'] });
  }
  const bundle = join(spec.dir, 'bundle');
  mkdirSync(bundle, { recursive: true });
  writeFileSync(join(bundle, 'config.json'), JSON.stringify(containerConfig({ ...spec, mounts, rootfs, cgroupsPath })));
  const runtimeLog = join(spec.dir, 'runc.log');
  const pidFile = join(spec.dir, 'pid');
  const child = runcRun(runcId, bundle, { logFile: runtimeLog, pidFile });
  const log = new ContainerLogWriter(spec.logPath, child.stdout, child.stderr);
  const pid = await waitStarted(pidFile, child);
  const startedAt = new Date().toISOString().replace(/\.\d+Z$/, 'Z');

  const cleanup = async () => {
    await runcDelete(runcId);
    await unmountAll(spec.dir);
  };
  if (pid === undefined) {
    await child;
    await log.done;
    const why = runcLoggedError(runtimeLog) ?? 'unknown runtime error';
    await cleanup();
    throw new StartError(`failed to create containerd task: failed to create shim task: OCI runtime create failed: runc create failed: ${why}: unknown`);
  }

  const exited = child.then(async (r): Promise<ContainerStateTerminated> => {
    instance.running = false;
    const oom = oomKills(cgroupsPath) > 0;
    await cleanup();
    await log.done;
    const finishedAt = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    // runc reports a signalled process as 128+signal, as the kubelet shows it.
    const exitCode = r.exitCode ?? (r.signal ? 128 + 9 : 255);
    const reason = exitCode === 0 ? 'Completed' : oom ? 'OOMKilled' : 'Error';
    let message = spec.terminationMessagePath ? safeRead(join(spec.dir, 'termination-log')) : '';
    if (!message && spec.fallbackToLogsOnError && exitCode !== 0) message = log.lastLines();
    return { exitCode, reason, ...(message ? { message } : {}), startedAt, finishedAt, containerID: `containerd://${hex}` };
  });

  const instance: Instance = {
    runcId,
    containerID: `containerd://${hex}`,
    pid,
    startedAt,
    log,
    exited,
    running: true,
    signal(signal: 'TERM' | 'KILL') {
      // The container's init is a host process too: signalling it directly spares a runc start (~0.15 s).
      if (!instance.running) return;
      try {
        process.kill(pid, `SIG${signal}`);
      } catch {
        // already gone
      }
    },
    async stop(graceMs: number) {
      if (instance.running && graceMs <= 0) instance.signal('KILL');
      else if (instance.running) {
        instance.signal('TERM');
        const timedOut = await Promise.race([exited.then(() => false), sleep(graceMs).then(() => true)]);
        if (timedOut) instance.signal('KILL');
      }
      return exited;
    },
  };
  return instance;
}

function safeRead(file: string): string {
  try {
    return readFileSync(file, 'utf8').slice(0, 4096);
  } catch {
    return '';
  }
}
