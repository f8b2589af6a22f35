// One container instance: overlay rootfs, OCI bundle, `runc run` in the foreground (through the shim
// in runc.ts), log capture, and what is known when it ends (exit code, OOM kill, termination message). containerd's words are used
// for failures because that is what a 1.24+ kubelet reports.
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ResultPromise } from 'execa';
import { ContainerLogWriter } from './logs.ts';
import { containerConfig, type ContainerConfigInput } from './oci-spec.ts';
import { runcLoggedError, startShim } from './runc.ts';
import { apiTimeNow, type ContainerStateTerminated } from './pod-types.ts';
import { sleep } from './node-context.ts';

/** The runtime created the container but could not start its process (missing executable, bad
 *  mount): the kubelet reports it as terminated with reason StartError and exit code 128. */
export class StartError extends Error {
  readonly containerID: string;
  constructor(message: string, containerID: string) {
    super(message);
    this.containerID = containerID;
  }
}

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

/** The OOM kills the kernel counted in the container's memory cgroup, as the shim copied them (v1 memory.oom_control or v2 memory.events). */
function oomKills(oomFile: string): number {
  try {
    return Number(/^oom_kill (\d+)$/m.exec(readFileSync(oomFile, 'utf8'))?.[1] ?? 0);
  } catch {
    return 0;
  }
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
  const layer = (name: string) => {
    const d = join(spec.dir, 'rootfs', name);
    mkdirSync(d, { recursive: true });
    return d;
  };
  const files = {
    lower: spec.imageRootfs,
    upper: layer('upper'),
    work: layer('work'),
    merged: layer('merged'),
    bundle: join(spec.dir, 'bundle'),
    logFile: join(spec.dir, 'runc.log'),
    pidFile: join(spec.dir, 'pid'),
    oomFile: join(spec.dir, 'oom'),
    cgroupPath: cgroupsPath,
  };
  const mounts = [...spec.mounts];
  if (spec.terminationMessagePath) {
    const file = join(spec.dir, 'termination-log');
    writeFileSync(file, '');
    chmodSync(file, 0o666);
    mounts.push({ destination: spec.terminationMessagePath, type: 'bind', source: file, options: ['rbind', 'rw'] });
  }
  mkdirSync(files.bundle, { recursive: true });
  writeFileSync(join(files.bundle, 'config.json'), JSON.stringify(containerConfig({ ...spec, mounts, rootfs: files.merged, cgroupsPath })));
  const shim = startShim(runcId, files);
  const log = new ContainerLogWriter(spec.logPath, shim.stdout, shim.stderr);
  const pid = await waitStarted(files.pidFile, shim);
  const startedAt = apiTimeNow();

  if (pid === undefined) {
    await shim;
    await log.done;
    const why = runcLoggedError(files.logFile) || safeRead(join(files.bundle, 'mount.err')).trim() || 'unknown runtime error';
    throw new StartError(`failed to create containerd task: failed to create shim task: OCI runtime create failed: runc create failed: ${why}: unknown`, `containerd://${hex}`);
  }

  const exited = shim.then(async (r): Promise<ContainerStateTerminated> => {
    instance.running = false;
    await log.done;
    const finishedAt = apiTimeNow();
    // runc reports a signalled process as 128+signal, as the kubelet shows it.
    const exitCode = r.exitCode ?? 255;
    const reason = exitCode === 0 ? 'Completed' : oomKills(files.oomFile) > 0 ? 'OOMKilled' : 'Error';
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
