// The lab's kubelet: runs the pods bound to its node as real runc containers (as root), answers exec
// and logs for them, and keeps its Node's status fresh.
//
// Networking: each pod gets its own network namespace from its pause container, on the lab bridge
// with an address of this kubelet's /24 (net.ts), so two pods may listen on one port, and probes
// connect to the pod's IP. hostIP stays the node's 127.0.0.1; pods reach lab servers on the host at
// the bridge address (POD_GATEWAY; the model HTTP server listens there). Where the bridge cannot be
// made (no `ip`, not permitted) the reason is logged once and pods share the host's network
// namespace as `hostNetwork: true` pods would (podIP = hostIP = 127.0.0.1; two pods listening on one
// port clash). Each pod also gets its own pid (per shareProcessNamespace), ipc and uts namespaces.
import { chmodSync, copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, rmSync, symlinkSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { execInternalError, ociExecFailed } from '../apiserver/exec.ts';
import { ApiError } from '../apiserver/errors.ts';
import type { ExecRequest, ExecRunner, ImageStore, KObject, LabStore, LogRequest, LogSource, WatchEvent } from '../types.ts';
import { Backoff } from './backoff.ts';
import { writeLog } from './logs.ts';
import { unmountAll } from './mounts.ts';
import type { NodeContext } from './node-context.ts';
import { startNodeStatus } from './node-status.ts';
import { asPod, type Pod } from './pod-types.ts';
import { leaseBridge, PodNetwork } from './net.ts';
import { PodWorker } from './pod-worker.ts';
import { runcDelete, runcExec, runcList, runcLoggedError } from './runc.ts';

export interface KubeletOptions {
  nodeName: string;
  stateDir: string;
  images: ImageStore;
  /** Divides back-offs, probe periods and grace periods (default 1). */
  timeScale?: number;
  /** Prefix of runc container ids and the cgroup parent (default `lab`); unique per lab or test. */
  namePrefix?: string;
  /** A network namespace per pod on the lab bridge (the default; LAB_POD_NETWORK=0 turns it off); false: the host network. */
  podNetwork?: boolean;
  /** removeLeftovers(namePrefix, stateDir) already under way, started by the caller alongside other start-up work. */
  leftoversRemoved?: Promise<void>;
}

export interface Kubelet {
  execRunner: ExecRunner;
  logSource: LogSource;
  stop(): Promise<void>;
}

/** Whether this process can run pods with runc: root, and a runc binary. */
export function canRunPods(): { ok: true } | { ok: false; reason: string } {
  if (process.getuid?.() !== 0) return { ok: false, reason: 'the lab kubelet needs root to run runc containers' };
  if (!['/usr/sbin/runc', '/usr/bin/runc', '/usr/local/sbin/runc', '/usr/local/bin/runc'].some(existsSync)) {
    return { ok: false, reason: 'runc is not installed (Debian package runc)' };
  }
  return { ok: true };
}

/** Whether runc can put memory limits on containers here (cgroup v1 memory hierarchy or v2 memory controller). */
export function memoryLimitsSupported(): boolean {
  if (existsSync('/sys/fs/cgroup/memory/memory.limit_in_bytes')) return true;
  try {
    return /\bmemory\b/.test(readFileSync('/sys/fs/cgroup/cgroup.controllers', 'utf8'));
  } catch {
    return false;
  }
}

const BUSYBOX = ['/bin/busybox', '/usr/bin/busybox'];

/** A minimal read-only root for pause containers: busybox-static as `sleep`. */
function makePauseRootfs(dir: string): string {
  const busybox = BUSYBOX.find(existsSync);
  if (!busybox) throw new Error('busybox-static is required for pause containers (Debian package busybox-static)');
  for (const d of ['bin', 'proc', 'dev', 'sys', 'etc', 'tmp']) mkdirSync(join(dir, d), { recursive: true });
  if (!existsSync(join(dir, 'bin/busybox'))) copyFileSync(busybox, join(dir, 'bin/busybox'));
  chmodSync(join(dir, 'bin/busybox'), 0o755);
  if (!existsSync(join(dir, 'bin/sleep'))) symlinkSync('busybox', join(dir, 'bin/sleep'));
  return dir;
}

export async function startKubelet(store: LabStore, opts: KubeletOptions): Promise<Kubelet> {
  const timeScale = opts.timeScale ?? 1;
  const namePrefix = opts.namePrefix ?? 'lab';
  // A kubelet that died leaves its containers running: the next one with the same prefix starts clean.
  await (opts.leftoversRemoved ?? removeLeftovers(namePrefix, opts.stateDir));
  mkdirSync(join(opts.stateDir, 'pods'), { recursive: true });
  let fallbackLogged = false;
  const networkFailed = (reason: string) => {
    if (!fallbackLogged) console.error(`lab kubelet: pods use the host network: ${reason}`);
    fallbackLogged = true;
  };
  let network: PodNetwork | undefined;
  if (opts.podNetwork ?? process.env['LAB_POD_NETWORK'] !== '0') {
    try {
      const lease = await leaseBridge(namePrefix, { block: true });
      network = new PodNetwork(lease as typeof lease & { block: number });
      await network.removeLeftovers();
    } catch (err) {
      networkFailed((err as Error).message);
    }
  }
  const ctx: NodeContext = {
    store,
    nodeName: opts.nodeName,
    stateDir: opts.stateDir,
    images: opts.images,
    timeScale,
    namePrefix,
    hostIP: '127.0.0.1',
    ...(network ? { network } : {}),
    networkFailed,
    pauseRootfs: makePauseRootfs(join(opts.stateDir, 'pause-rootfs')),
    crashBackoff: new Backoff(timeScale),
    pullBackoff: new Backoff(timeScale),
    memoryLimits: memoryLimitsSupported(),
    allocatable: { cpu: cpus().length, memory: totalmem() },
    pullQueue: { tail: Promise.resolve() },
  };
  const workers = new Map<string, PodWorker>();
  /** Deletions in flight (a pod's containers stopping, its mounts and files going). */
  const deletions = new Set<Promise<unknown>>();
  const track = (p: Promise<unknown>): void => { deletions.add(p); void p.finally(() => deletions.delete(p)); };
  const ours = (obj: KObject) => (obj.spec as { nodeName?: string } | undefined)?.nodeName === opts.nodeName;

  const onPod = (type: WatchEvent['type'], obj: KObject) => {
    if (!ours(obj)) return;
    const pod = asPod(obj);
    const uid = pod.metadata.uid!;
    let worker = workers.get(uid);
    if (type === 'DELETED') {
      if (worker) track(worker.finishDeletion().finally(() => workers.delete(uid)));
      return;
    }
    if (!worker) {
      if (pod.metadata.deletionTimestamp) return;
      if (pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed') return;
      worker = new PodWorker(ctx, pod);
      workers.set(uid, worker);
    } else {
      worker.syncEphemeral(pod);
    }
    if (pod.metadata.deletionTimestamp) {
      const w = worker;
      track(w.finishDeletion().finally(() => workers.delete(uid)));
    }
  };

  const unwatch = store.watch('pods', undefined, (ev) => onPod(ev.type, ev.object));
  for (const pod of store.list('pods')) onPod('ADDED', pod);
  const nodeStatus = startNodeStatus(ctx);

  const findWorker = (pod: KObject) => workers.get(pod.metadata.uid!);

  const execRunner: ExecRunner = {
    async exec(req: ExecRequest): Promise<number> {
      const instance = findWorker(req.pod)?.running(req.container);
      if (!instance) throw execInternalError(`error executing command in container: container not found ("${req.container}")`);
      const logFile = join(opts.stateDir, `exec-${process.pid}-${Date.now()}-${Math.random().toString(16).slice(2)}.log`);
      const child = runcExec(instance.runcId, req.command, logFile);
      if (req.stdin) req.stdin.pipe(child.stdin!);
      else child.stdin!.end();
      child.stdin!.on('error', () => undefined);
      const pipeOut = (from: NodeJS.ReadableStream | null, to: Writable | null) => {
        if (!from) return Promise.resolve();
        return new Promise<void>((resolve) => {
          from.on('data', (chunk: Buffer) => {
            if (to && !to.write(chunk)) {
              from.pause();
              to.once('drain', () => from.resume());
            }
          });
          from.on('end', resolve);
          from.on('error', () => resolve());
        });
      };
      // No PTY (runc exec -t needs a console socket): with tty the streams merge, as on a terminal.
      const stdout = req.stdout;
      const stderr = req.tty ? req.stdout : req.stderr;
      const [result] = await Promise.all([child, pipeOut(child.stdout, stdout), pipeOut(child.stderr, stderr)]);
      req.stdin?.unpipe(child.stdin!);
      const runtimeError = runcLoggedError(logFile);
      rmSync(logFile, { force: true });
      if (runtimeError && /unable to start container process/.test(runtimeError)) {
        throw ociExecFailed(runtimeError.replace(/^(exec failed: )?unable to start container process: /, ''));
      }
      return result.exitCode ?? 1;
    },
  };

  const logSource: LogSource = {
    async logs(req: LogRequest, out: Writable, signal: AbortSignal): Promise<void> {
      const podName = req.pod.metadata.name;
      const worker = findWorker(req.pod);
      const rec = worker?.record(req.container);
      if (!rec) throw new ApiError('BadRequest', `container "${req.container}" in pod "${podName}" is waiting to start: ContainerCreating`);
      const path = req.previous ? rec.logs.at(-2) : rec.logs.at(-1);
      if (!path) {
        if (req.previous) throw new ApiError('BadRequest', `previous terminated container "${req.container}" in pod "${podName}" not found`);
        const reason = rec.state.waiting?.reason ?? 'ContainerCreating';
        throw new ApiError('BadRequest', `container "${req.container}" in pod "${podName}" is waiting to start: ${reason}`);
      }
      const live = !req.previous && path === rec.logs.at(-1) && rec.instance?.running ? rec.instance.exited.then(() => undefined) : Promise.resolve();
      await writeLog(path, req, out, { follow: req.follow, until: live, signal });
    },
  };

  let stopping: Promise<void> | undefined;
  const stop = async () => {
    unwatch();
    nodeStatus.stop();
    await Promise.all([...workers.values()].map((w) => w.terminate(0)));
    // Pods being deleted unmount and remove their own files: let them finish before sweeping the rest.
    await Promise.allSettled(deletions);
    workers.clear();
    await removeLeftovers(namePrefix, opts.stateDir);
    await network?.removeLeftovers();
    await network?.release();
  };
  return { execRunner, logSource, stop: () => (stopping ??= stop()) };
}

/** Deletes every runc container with this prefix, unmounts everything under the state dir and drops the pods' files. */
export async function removeLeftovers(namePrefix: string, stateDir: string): Promise<void> {
  for (const c of await runcList()) if (c.id.startsWith(`${namePrefix}-`)) await runcDelete(c.id);
  await unmountAll(stateDir);
  removeCgroups(namePrefix);
  rmSync(join(stateDir, 'pods'), { recursive: true, force: true });
}

/** Removes this kubelet's (now empty) cgroup directories in every hierarchy. */
function removeCgroups(namePrefix: string): void {
  const roots = existsSync('/sys/fs/cgroup/memory') ? readdirSync('/sys/fs/cgroup').map((h) => join('/sys/fs/cgroup', h)) : ['/sys/fs/cgroup'];
  for (const root of roots) {
    const top = join(root, namePrefix);
    if (!existsSync(top)) continue;
    const dirs: string[] = [];
    const walk = (d: string) => {
      for (const e of readdirSync(d, { withFileTypes: true })) if (e.isDirectory()) walk(join(d, e.name));
      dirs.push(d);
    };
    try {
      walk(top);
      for (const d of dirs) rmdirSync(d);
    } catch {
      // a process still in it: left for the next stop
    }
  }
}
