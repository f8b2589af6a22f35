// One pod on the node, from sandbox to deletion, as the kubelet's pod worker runs it: volumes, a pause
// container holding the shared namespaces, init containers one by one (each must exit 0), then the
// containers in spec order, each restarted per restartPolicy with the crash-loop back-off, readiness
// and liveness probes, and the pod status rewritten after every change.
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import type { KObject, PulledImage, RegistryCredentials } from '../types.ts';
import { SYSTEM_USER } from '../types.ts';
import { goDuration } from './backoff.ts';
import { startInstance, StartError, type Instance } from './container-runtime.ts';
import { ContainerConfigError, processEnvironment, specEnvironment } from './env.ts';
import { containerArgv } from './expand.ts';
import { containerFaults } from './faults.ts';
import { imageIDFor, normalizeImageRef } from './image-names.ts';
import { unmountAll } from './mounts.ts';
import { sleep, type NodeContext } from './node-context.ts';
import { podNetworkHook, type PodAddress } from './net.ts';
import { capabilitiesFor, type OciMount, type OciNamespace } from './oci-spec.ts';
import { apiTimeNow, podDescription, type Container, type ContainerStateTerminated, type Pod } from './pod-types.ts';
import { runProbe } from './probes.ts';
import { parseQuantity } from './quantity.ts';
import { buildPodStatus, type ContainerView } from './status.ts';
import { UnknownUserError, resolveUser } from './user.ts';
import { prepareVolumes, MountError, type PreparedVolume } from './volumes.ts';

type Kind = 'init' | 'regular' | 'ephemeral';

const FIELD: Record<Kind, string> = { init: 'initContainers', regular: 'containers', ephemeral: 'ephemeralContainers' };

/** A container name in this pod, with every instance the kubelet has run for it. */
export interface ContainerRecord extends ContainerView {
  kind: Kind;
  instance?: Instance;
  /** Log files of past and current instances, oldest first. */
  logs: string[];
}

/** LabStore methods with the options the lab's MemoryStore accepts beyond the shared interface. */
type RecordEvent = (involved: KObject, type: 'Normal' | 'Warning', reason: string, message: string, source: { component: string; host?: string }, opts?: { fieldPath?: string }) => Promise<void>;
type DeleteWithOptions = (resource: string, ns: string | undefined, name: string, user?: unknown, opts?: { gracePeriodSeconds?: number }) => Promise<KObject | undefined>;

/** How a containerd error reaches the kubelet: through CRI's gRPC status. */
const criError = (message: string) =>
  message.startsWith('rpc error:') ? message : `rpc error: code = ${/: not found$/.test(message) ? 'NotFound' : 'Unknown'} desc = ${message}`;

const defaultPullPolicy = (image: string) => {
  const name = image.split('@')[0]!;
  const tag = name.slice(name.lastIndexOf('/') + 1).split(':')[1];
  return image.includes('@') ? 'IfNotPresent' : !tag || tag === 'latest' ? 'Always' : 'IfNotPresent';
};

/** LAB_KUBELET_TRACE=1: one stderr line (server.log) per event, status write and probe result, with
 *  milliseconds, to see where a pod's start-up goes (bench/seed-startup.ts --trace). */
const TRACE = process.env['LAB_KUBELET_TRACE'] === '1';
const trace = (pod: Pod, what: string): void => {
  if (TRACE) console.error(`kubelet trace ${new Date().toISOString()} ${podDescription(pod)} ${what}`);
};

export class PodWorker {
  pod: Pod;
  readonly uid: string;
  readonly dir: string;
  readonly init: ContainerRecord[];
  readonly containers: ContainerRecord[];
  readonly ephemeral: ContainerRecord[] = [];
  private readonly abort = new AbortController();
  private sandbox?: Instance;
  private sandboxReady = false;
  private sandboxStarted?: Promise<void>;
  /** The pod's place on the lab bridge; undefined while none, or on the host network. */
  private address?: PodAddress;
  private addressFreed = false;
  private readonly startTime = apiTimeNow();
  private volumes = new Map<string, PreparedVolume>();
  private statusChain: Promise<void> = Promise.resolve();
  private eventChain: Promise<void> = Promise.resolve();
  private statusDirty = false;
  private terminating?: Promise<void>;
  private deleting?: Promise<void>;
  readonly done: Promise<void>;
  private readonly ctx: NodeContext;

  constructor(ctx: NodeContext, pod: Pod) {
    this.ctx = ctx;
    this.pod = pod;
    this.uid = pod.metadata.uid!;
    this.dir = join(ctx.stateDir, 'pods', this.uid);
    const waiting = (pod.spec.initContainers ?? []).length ? 'PodInitializing' : 'ContainerCreating';
    const record = (spec: Container, kind: Kind): ContainerRecord => ({
      kind,
      spec,
      state: { waiting: { reason: waiting } },
      lastState: {},
      restartCount: 0,
      ready: false,
      started: false,
      image: normalizeImageRef(spec.image),
      imageID: '',
      logs: [],
    });
    this.init = (pod.spec.initContainers ?? []).map((c) => record(c, 'init'));
    this.containers = pod.spec.containers.map((c) => record(c, 'regular'));
    this.done = this.run().catch((err: unknown) => {
      console.error(`kubelet: pod ${podDescription(pod)}:`, err);
    });
  }

  private get signal(): AbortSignal {
    return this.abort.signal;
  }

  private scaled(ms: number): number {
    return ms / this.ctx.timeScale;
  }

  // ---- events and status ----

  /** Records an event; one at a time per pod, so they are stored in the order they happened. */
  private event(type: 'Normal' | 'Warning', reason: string, message: string, rec?: ContainerRecord): void {
    const record = this.ctx.store.recordEvent.bind(this.ctx.store) as RecordEvent;
    const involved: KObject = { apiVersion: 'v1', kind: 'Pod', metadata: this.pod.metadata };
    const fieldPath = rec ? `spec.${FIELD[rec.kind]}{${rec.spec.name}}` : undefined;
    trace(this.pod, `event ${reason}${rec ? ` ${rec.spec.name}` : ''}`);
    this.eventChain = this.eventChain
      .then(() => record(involved, type, reason, message, { component: 'kubelet', host: this.ctx.nodeName }, fieldPath ? { fieldPath } : {}))
      .catch(() => {
        // the pod or its namespace is gone: nothing left to tell
      });
  }

  /** Rewrites the pod status; calls made while a write is in flight collapse into one more write. */
  publish(): Promise<void> {
    this.statusDirty = true;
    this.statusChain = this.statusChain.then(async () => {
      if (!this.statusDirty) return;
      this.statusDirty = false;
      const { store } = this.ctx;
      const current = store.get('pods', this.pod.metadata.namespace, this.pod.metadata.name!) as Pod | undefined;
      if (!current || current.metadata.uid !== this.uid) return;
      const status = buildPodStatus({
        pod: current,
        init: this.init,
        containers: this.containers,
        ephemeral: this.ephemeral,
        startTime: this.startTime,
        sandboxReady: this.sandboxReady,
        hostIP: this.ctx.hostIP,
        podIP: this.sandboxReady || this.sandbox ? this.podIP : undefined,
      });
      try {
        await store.updateStatus('pods', { ...current, status } as KObject);
        if (TRACE) trace(current as Pod, `status ${(status.conditions ?? []).filter((c) => c.status === 'True').map((c) => c.type).join(',')} ready=${this.containers.map((r) => `${r.spec.name}:${r.ready}`).join(',')}`);
      } catch {
        // deleted meanwhile, or a conflicting write: the next change publishes again
      }
    });
    return this.statusChain;
  }

  // ---- lifecycle ----

  private async run(): Promise<void> {
    trace(this.pod, 'worker started');
    mkdirSync(this.dir, { recursive: true });
    await this.publish();
    if (!(await this.setUpVolumes())) return;
    // The first image pull overlaps the sandbox's start (runc takes ~0.4 s here); no event marks either.
    this.sandboxStarted = this.startSandbox().then(() => this.publish());
    this.sandboxStarted.catch(() => undefined);
    for (const rec of this.init) {
      if (!(await this.runInitContainer(rec))) return;
    }
    let turn: Promise<void> = Promise.resolve();
    const loops = this.containers.map((rec) => {
      let firstAttemptDone!: () => void;
      const next = new Promise<void>((r) => (firstAttemptDone = r));
      const loop = turn.then(() => this.runContainer(rec, firstAttemptDone)).finally(firstAttemptDone);
      turn = next;
      return loop;
    });
    await Promise.all(loops);
    // Every container finished for good (Never/OnFailure): the kubelet tears the sandbox down.
    if (!this.signal.aborted) await this.stopSandbox();
  }

  private async setUpVolumes(): Promise<boolean> {
    while (!this.signal.aborted) {
      try {
        this.volumes = await prepareVolumes({
          store: this.ctx.store,
          pod: this.pod,
          podDir: this.dir,
          imageRootfs: async (ref, v) => {
            const img = await this.pullImage(ref, v.image?.pullPolicy ?? defaultPullPolicy(ref), undefined);
            if (!img) throw new MountError(`MountVolume.SetUp failed for volume "${v.name}" : failed to pull image "${ref}"`);
            return img.rootfs;
          },
        });
        return true;
      } catch (err) {
        if (!(err instanceof MountError)) throw err;
        this.event('Warning', 'FailedMount', err.message);
        await sleep(this.scaled(2000), this.signal);
      }
    }
    return false;
  }

  private hostname(): string {
    return (this.pod.spec.hostname ?? this.pod.metadata.name!).slice(0, 63);
  }

  /** /etc/hosts, /etc/hostname and /etc/resolv.conf, as the kubelet bind-mounts them into each container. */
  private writeEtcFiles(): OciMount[] {
    const etc = join(this.dir, 'etc');
    mkdirSync(etc, { recursive: true });
    writeFileSync(join(etc, 'hosts'), [
      '# Kubernetes-managed hosts file.',
      '127.0.0.1\tlocalhost',
      '::1\tlocalhost ip6-localhost ip6-loopback',
      'fe00::0\tip6-localnet',
      'fe00::0\tip6-mcastprefix',
      'fe00::1\tip6-allnodes',
      'fe00::2\tip6-allrouters',
      `${this.podIP}\t${this.hostname()}`,
      '',
    ].join('\n'));
    writeFileSync(join(etc, 'hostname'), `${this.hostname()}\n`);
    writeFileSync(join(etc, 'resolv.conf'), existsSync('/etc/resolv.conf') ? readFileSync('/etc/resolv.conf') : '');
    return ['hosts', 'hostname', 'resolv.conf'].map((f) => ({ destination: `/etc/${f}`, type: 'bind', source: join(etc, f), options: ['rbind', 'rw'] }));
  }

  private cgroupParent(): string {
    return `/${this.ctx.namePrefix}/pod${this.uid}`;
  }

  /** The pod's IP: its own on the bridge, or the node's on the host network. */
  private get podIP(): string {
    return this.address?.ip ?? this.ctx.hostIP;
  }

  /** The pause container: uid 65535, owns the pod's pid, ipc, uts and (with the pod network)
   *  network namespaces. A createRuntime hook puts the new netns on the bridge before the pause
   *  process runs, as the CRI runs CNI before the sandbox counts as ready. If that fails the pod
   *  runs on the host network, as every pod did before the pod network. */
  private async startSandbox(): Promise<void> {
    const network = this.ctx.network;
    this.address = network?.allocate();
    if (network && !this.address) this.ctx.networkFailed(`no address left in 10.213.${network.block}.0/24`);
    try {
      this.sandbox = await this.startPause();
    } catch (err) {
      if (!this.address || !(err instanceof StartError) || this.signal.aborted) throw err;
      this.ctx.networkFailed(err.message);
      this.releaseAddress();
      this.address = undefined;
      this.sandbox = await this.startPause();
    }
    this.sandboxReady = true;
  }

  private startPause(): Promise<Instance> {
    const addr = this.address;
    return startInstance({
      imageRootfs: this.ctx.pauseRootfs,
      dir: join(this.dir, 'sandbox'),
      logPath: join(this.dir, 'sandbox.log'),
      cgroupParent: this.cgroupParent(),
      runcPrefix: this.ctx.namePrefix,
      fallbackToLogsOnError: false,
      readonlyRootfs: true,
      argv: ['sleep', 'infinity'],
      env: ['PATH=/bin'],
      cwd: '/',
      user: { uid: 65535, gid: 65535, additionalGids: [] },
      hostname: this.hostname(),
      capabilities: [],
      noNewPrivileges: true,
      namespaces: [{ type: 'pid' }, { type: 'ipc' }, { type: 'uts' }, { type: 'mount' }, ...(addr ? [{ type: 'network' as const }] : [])],
      mounts: [],
      ...(addr ? { createRuntimeHooks: [podNetworkHook(addr)] } : {}),
    });
  }

  /** Gives the pod's address back once its sandbox is gone (the veth pair went with the netns);
   *  the status keeps showing it, as the kubelet's does for a finished pod. */
  private releaseAddress(): void {
    if (this.address && !this.addressFreed) this.ctx.network?.free(this.address);
    this.addressFreed = true;
  }

  private async stopSandbox(): Promise<void> {
    this.sandboxReady = false;
    await this.sandbox?.stop(0);
    this.releaseAddress();
    await this.publish();
  }

  private async runInitContainer(rec: ContainerRecord): Promise<boolean> {
    while (!this.signal.aborted) {
      const exit = await this.runOnce(rec);
      if (!exit || this.signal.aborted) return false;
      if (exit.exitCode === 0) return true;
      if ((this.pod.spec.restartPolicy ?? 'Always') === 'Never') {
        await this.stopSandbox();
        return false;
      }
      await this.crashLoopWait(rec, exit);
    }
    return false;
  }

  private async runContainer(rec: ContainerRecord, firstAttemptDone: () => void): Promise<void> {
    const policy = this.pod.spec.restartPolicy ?? 'Always';
    while (!this.signal.aborted) {
      const exit = await this.runOnce(rec, firstAttemptDone);
      if (!exit || this.signal.aborted) return;
      if (policy === 'Never' || (policy === 'OnFailure' && exit.exitCode === 0)) return;
      await this.crashLoopWait(rec, exit);
    }
  }

  /** The kubelet restarts a crashed container at once the first time, then waits 10 s, 20 s, ... 5 min. */
  private async crashLoopWait(rec: ContainerRecord, exit: ContainerStateTerminated): Promise<void> {
    const key = `${this.uid}/${rec.kind}/${rec.spec.name}`;
    const finished = Date.parse(exit.finishedAt);
    const wait = this.ctx.crashBackoff.remainingMs(key, finished);
    if (wait > 0) {
      rec.lastState = { terminated: exit };
      rec.state = {
        waiting: {
          reason: 'CrashLoopBackOff',
          message: `back-off ${this.ctx.crashBackoff.current(key)} restarting failed container=${rec.spec.name} pod=${podDescription(this.pod)}`,
        },
      };
      this.event('Warning', 'BackOff', `Back-off restarting failed container ${rec.spec.name} in pod ${podDescription(this.pod)}`, rec);
      await this.publish();
      await sleep(wait, this.signal);
    }
    this.ctx.crashBackoff.next(key, finished);
  }

  /** Pulls (or finds) the image, creates and starts one instance, and resolves with how it ended;
   *  undefined when the pod is being torn down first. Config and pull errors are retried here. */
  private async runOnce(rec: ContainerRecord, firstAttemptDone?: () => void): Promise<ContainerStateTerminated | undefined> {
    while (!this.signal.aborted) {
      const policy = rec.spec.imagePullPolicy ?? defaultPullPolicy(rec.spec.image);
      const image = await this.pullImage(rec.spec.image, policy, rec, firstAttemptDone);
      if (!image || this.signal.aborted) return undefined;
      rec.imageID = imageIDFor(rec.spec.image, image.digest);
      try {
        const instance = await this.startContainer(rec, image);
        firstAttemptDone?.();
        // Torn down while this one was starting: terminate() could not see it yet.
        if (this.signal.aborted) void instance.stop(0);
        else void this.probe(rec, instance);
        const exit = await instance.exited;
        rec.state = { terminated: exit };
        rec.ready = false;
        rec.started = false;
        await this.publish();
        return exit;
      } catch (err) {
        firstAttemptDone?.();
        if (err instanceof StartError) {
          const now = apiTimeNow();
          const exit: ContainerStateTerminated = { exitCode: 128, reason: 'StartError', message: err.message, startedAt: '1970-01-01T00:00:00Z', finishedAt: now, containerID: err.containerID };
          rec.state = { terminated: exit };
          this.event('Warning', 'Failed', `Error: ${err.message}`, rec);
          await this.publish();
          return exit;
        }
        const reason = err instanceof ContainerConfigError ? 'CreateContainerConfigError' : 'CreateContainerError';
        const message = err instanceof Error ? err.message : String(err);
        rec.state = { waiting: { reason, message } };
        this.event('Warning', 'Failed', `Error: ${message}`, rec);
        await this.publish();
        await sleep(this.scaled(10_000), this.signal);
      }
    }
    return undefined;
  }

  private imagePullCredentials(ref: string): RegistryCredentials | undefined {
    const registry = normalizeImageRef(ref).split('/')[0]!;
    for (const { name } of this.pod.spec.imagePullSecrets ?? []) {
      const secret = this.ctx.store.get('secrets', this.pod.metadata.namespace, name);
      const raw = (secret?.['data'] as Record<string, string> | undefined)?.['.dockerconfigjson'];
      if (!raw) continue;
      const auths = (JSON.parse(Buffer.from(raw, 'base64').toString()) as { auths?: Record<string, { username?: string; password?: string; auth?: string }> }).auths ?? {};
      const entries = Object.entries(auths);
      const match = entries.find(([host]) => host.replace(/^https?:\/\//, '').split('/')[0] === registry || (registry === 'docker.io' && host.includes('index.docker.io'))) ?? entries[0];
      if (!match) continue;
      const a = match[1];
      if (a.username !== undefined) return { username: a.username, password: a.password ?? '' };
      if (a.auth) {
        const [username, ...rest] = Buffer.from(a.auth, 'base64').toString().split(':');
        return { username: username!, password: rest.join(':') };
      }
    }
    return undefined;
  }

  /** The kubelet's image manager: policy check, serial pull, the Pulling/Pulled/Failed/BackOff events
   *  and ErrImagePull/ImagePullBackOff waiting states, retried with back-off until it succeeds. */
  private async pullImage(ref: string, policy: 'Always' | 'IfNotPresent' | 'Never', rec: ContainerRecord | undefined, firstAttemptDone?: () => void): Promise<PulledImage | undefined> {
    const { images } = this.ctx;
    const key = `${this.uid}_${ref}`;
    let lastError = '';
    const wait = async (reason: string, message: string) => {
      if (rec) {
        rec.state = { waiting: { reason, message } };
        await this.publish();
      }
      firstAttemptDone?.();
    };
    while (!this.signal.aborted) {
      if (policy !== 'Always' && images.has(ref)) {
        const img = await images.pull(ref, { policy: 'IfNotPresent' });
        this.event('Normal', 'Pulled', `Container image "${ref}" already present on machine`, rec);
        return img;
      }
      if (policy === 'Never') {
        const message = `Container image "${ref}" is not present with pull policy of Never`;
        this.event('Warning', 'ErrImageNeverPull', message, rec);
        this.event('Warning', 'Failed', 'Error: ErrImageNeverPull', rec);
        await wait('ErrImageNeverPull', message);
        await sleep(this.scaled(10_000), this.signal);
        continue;
      }
      const backoffLeft = this.ctx.pullBackoff.remainingMs(key, Date.now());
      if (backoffLeft > 0) {
        this.event('Normal', 'BackOff', `Back-off pulling image "${ref}"`, rec);
        this.event('Warning', 'Failed', 'Error: ImagePullBackOff', rec);
        await wait('ImagePullBackOff', `Back-off pulling image "${ref}": ErrImagePull: ${lastError}`);
        await sleep(backoffLeft, this.signal);
        continue;
      }
      const requested = Date.now();
      const queued = this.ctx.pullQueue.tail.then(async () => {
        this.event('Normal', 'Pulling', `Pulling image "${ref}"`, rec);
        const started = Date.now();
        const img = await images.pull(ref, { policy, auth: this.imagePullCredentials(ref) });
        return { img, pullMs: Date.now() - started };
      });
      this.ctx.pullQueue.tail = queued.catch(() => undefined);
      try {
        const { img, pullMs } = await queued;
        this.event('Normal', 'Pulled', `Successfully pulled image "${ref}" in ${goDuration(pullMs)} (${goDuration(Date.now() - requested)} including waiting). Image size: ${img.sizeBytes} bytes.`, rec);
        return img;
      } catch (err) {
        const reason = (err as { reason?: string }).reason;
        const detail = err instanceof Error ? err.message : String(err);
        if (reason === 'InvalidImageName') {
          this.event('Warning', 'InspectFailed', detail, rec);
          this.event('Warning', 'Failed', 'Error: InvalidImageName', rec);
          await wait('InvalidImageName', detail);
          await sleep(this.scaled(10_000), this.signal);
          continue;
        }
        lastError = criError(detail);
        this.event('Warning', 'Failed', `Failed to pull image "${ref}": ${lastError}`, rec);
        this.event('Warning', 'Failed', 'Error: ErrImagePull', rec);
        this.ctx.pullBackoff.next(key, Date.now());
        await wait('ErrImagePull', lastError);
        // The pod worker syncs again shortly and then finds the image in back-off.
        await sleep(Math.min(this.scaled(2000), 2000), this.signal);
      }
    }
    return undefined;
  }

  private mountsFor(rec: ContainerRecord): OciMount[] {
    const mounts: OciMount[] = [];
    for (const m of rec.spec.volumeMounts ?? []) {
      const vol = this.volumes.get(m.name);
      if (!vol) throw new ContainerConfigError(`cannot find volume "${m.name}" to mount into container "${rec.spec.name}"`);
      let source = vol.hostPath;
      if (m.subPath) {
        source = join(vol.hostPath, m.subPath);
        if (!existsSync(source)) {
          if (vol.readOnly) throw new ContainerConfigError(`failed to prepare subPath for volumeMount "${m.name}" of container "${rec.spec.name}"`);
          mkdirSync(source, { recursive: true, mode: 0o777 });
        }
      }
      mounts.push({ destination: m.mountPath, type: 'bind', source, options: ['rbind', vol.readOnly || m.readOnly ? 'ro' : 'rw'] });
    }
    return mounts;
  }

  private namespacesFor(rec: ContainerRecord, pausePid: number): OciNamespace[] {
    const shared = (type: 'ipc' | 'uts' | 'pid' | 'network') => ({ type, path: `/proc/${pausePid}/ns/${type === 'network' ? 'net' : type}` });
    let pid: OciNamespace = this.pod.spec.shareProcessNamespace ? shared('pid') : { type: 'pid' };
    if (rec.kind === 'ephemeral' && rec.spec.targetContainerName) {
      const target = this.containers.find((c) => c.spec.name === rec.spec.targetContainerName)?.instance;
      if (target?.running) pid = { type: 'pid', path: `/proc/${target.pid}/ns/pid` };
    }
    return [pid, shared('ipc'), shared('uts'), ...(this.address ? [shared('network')] : []), { type: 'mount' }];
  }

  private async startContainer(rec: ContainerRecord, image: PulledImage): Promise<Instance> {
    const c = rec.spec;
    const podSc = this.pod.spec.securityContext;
    // status.podIP for the downward API: the sandbox's address, known once its start has begun.
    const envPod = this.sandboxStarted ? { ...this.pod, status: { ...this.pod.status, podIP: this.podIP, podIPs: [{ ip: this.podIP }] } } : this.pod;
    const specEnv = specEnvironment(this.ctx.store, envPod, c, this.ctx.allocatable);
    let user;
    try {
      user = resolveUser(c.securityContext, podSc, image.config.user, image.rootfs);
    } catch (err) {
      if (err instanceof UnknownUserError) throw new Error(`failed to create containerd container: ${err.message}`);
      throw err;
    }
    const runAsNonRoot = c.securityContext?.runAsNonRoot ?? podSc?.runAsNonRoot;
    if (runAsNonRoot && user.uid === 0) {
      throw new ContainerConfigError(`container has runAsNonRoot and image will run as root (pod: "${podDescription(this.pod)}", container: ${c.name})`);
    }
    const argv = containerArgv(c, image.config, specEnv);
    if (!argv.length) throw new Error(`failed to generate container "${c.name}" spec: failed to generate spec: no command specified`);
    const memory = c.resources?.limits?.['memory'];
    const cpu = c.resources?.limits?.['cpu'];
    await this.sandboxStarted;
    if (!this.sandbox?.running) throw new Error('failed to get sandbox container task: no running task found: task not found');
    const n = rec.logs.length;
    const logDir = join(this.dir, 'logs', c.name);
    mkdirSync(logDir, { recursive: true });
    const logPath = join(logDir, `${n}.log`);
    const faults = containerFaults(this.pod, c.name);
    const mounts = [...this.writeEtcFiles(), ...this.mountsFor(rec)];
    if (faults.noexecTmp) mounts.push({ destination: '/tmp', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'nodev', 'noexec', 'mode=1777'] });
    this.event('Normal', 'Created', `Created container: ${c.name}`, rec);
    let instance: Instance;
    try {
      instance = await startInstance({
        imageRootfs: image.rootfs,
        dir: join(this.dir, 'containers', c.name, String(n)),
        logPath,
        cgroupParent: this.cgroupParent(),
        runcPrefix: this.ctx.namePrefix,
        terminationMessagePath: c.terminationMessagePath ?? '/dev/termination-log',
        fallbackToLogsOnError: c.terminationMessagePolicy === 'FallbackToLogsOnError',
        readonlyRootfs: c.securityContext?.readOnlyRootFilesystem ?? false,
        argv,
        env: processEnvironment(this.hostname(), image.config.env, specEnv),
        cwd: c.workingDir ?? image.config.workingDir ?? '/',
        user,
        capabilities: capabilitiesFor(c.securityContext),
        noNewPrivileges: c.securityContext?.allowPrivilegeEscalation === false,
        namespaces: this.namespacesFor(rec, this.sandbox.pid),
        mounts,
        ...(memory && this.ctx.memoryLimits ? { memoryLimitBytes: Math.floor(parseQuantity(memory)) } : {}),
        ...(cpu ? { cpuMillis: Math.ceil(parseQuantity(cpu) * 1000) } : {}),
      });
    } catch (err) {
      // A container that was created but could not start still counts as an instance (and a restart).
      if (err instanceof StartError) this.recordInstance(rec, logPath, err.containerID);
      throw err;
    }
    this.recordInstance(rec, logPath, instance.containerID);
    rec.instance = instance;
    rec.user = { uid: user.uid, gid: user.gid, supplementalGroups: [user.gid, ...user.additionalGids] };
    rec.state = { running: { startedAt: instance.startedAt } };
    rec.started = true;
    rec.ready = rec.kind === 'regular' && !c.readinessProbe;
    this.event('Normal', 'Started', `Started container ${c.name}`, rec);
    await this.publish();
    return instance;
  }

  /** A new instance of `rec`: the one before becomes lastState and counts as a restart. */
  private recordInstance(rec: ContainerRecord, logPath: string, containerID: string): void {
    if (rec.logs.length > 0) {
      const before = rec.state.terminated ?? rec.lastState.terminated;
      if (before) rec.lastState = { terminated: before };
      rec.restartCount++;
    }
    rec.logs.push(logPath);
    rec.containerID = containerID;
  }

  // ---- probes ----

  private async probe(rec: ContainerRecord, instance: Instance): Promise<void> {
    const c = rec.spec;
    const run = async (kind: 'Readiness' | 'Liveness', probe: NonNullable<Container['readinessProbe']>) => {
      await sleep(this.scaled((probe.initialDelaySeconds ?? 0) * 1000), this.signal);
      let successes = 0;
      let failures = 0;
      while (instance.running && !this.signal.aborted) {
        const result = await runProbe(probe, c, this.podIP, (argv, timeoutMs) => this.execCapture(instance, argv, timeoutMs));
        if (!instance.running || this.signal.aborted) return;
        trace(this.pod, `probe ${kind} ${c.name} ${result.ok ? 'ok' : 'failed'}`);
        if (result.ok) {
          successes++;
          failures = 0;
          if (kind === 'Readiness' && !rec.ready && successes >= (probe.successThreshold ?? 1)) {
            rec.ready = true;
            await this.publish();
          }
        } else {
          failures++;
          successes = 0;
          this.event('Warning', 'Unhealthy', `${kind} probe failed: ${result.output}`, rec);
          if (failures >= (probe.failureThreshold ?? 3)) {
            if (kind === 'Readiness' && rec.ready) {
              rec.ready = false;
              await this.publish();
            }
            if (kind === 'Liveness') {
              this.event('Normal', 'Killing', `Container ${c.name} failed liveness probe, will be restarted`, rec);
              await instance.stop(this.gracePeriodMs());
              return;
            }
          }
        }
        await sleep(this.scaled((probe.periodSeconds ?? 10) * 1000), this.signal);
      }
    };
    await Promise.all([c.readinessProbe && run('Readiness', c.readinessProbe), c.livenessProbe && run('Liveness', c.livenessProbe)]);
  }

  private async execCapture(instance: Instance, argv: string[], timeoutMs: number): Promise<{ exitCode: number; output: string }> {
    const r = await execa('runc', ['exec', instance.runcId, ...argv], { reject: false, all: true, timeout: Math.max(timeoutMs, 1000) });
    return { exitCode: r.exitCode ?? 1, output: (r.all ?? '').trim() };
  }

  // ---- termination ----

  private gracePeriodMs(): number {
    const seconds = (this.pod.metadata.deletionGracePeriodSeconds as number | undefined) ?? this.pod.spec.terminationGracePeriodSeconds ?? 30;
    return this.scaled(seconds * 1000);
  }

  /** Stops every container (SIGTERM, SIGKILL after the grace period) and the sandbox; keeps logs. */
  terminate(graceMs = this.gracePeriodMs()): Promise<void> {
    // A stop without grace (the kubelet shutting down) cuts short a graceful one already under way
    // (a deleted pod whose process ignores SIGTERM would otherwise hold `lab down` for its whole grace period).
    if (this.terminating && graceMs <= 0) {
      for (const rec of [...this.ephemeral, ...this.containers, ...this.init]) if (rec.instance?.running) rec.instance.signal('KILL');
      this.sandbox?.signal('KILL');
    }
    this.terminating ??= (async () => {
      this.abort.abort();
      // Without a grace period nothing waits for the containers: the sandbox goes down with them.
      if (graceMs <= 0) this.sandbox?.signal('KILL');
      const all = [...this.ephemeral, ...this.containers, ...this.init];
      await Promise.all(
        all.map(async (rec) => {
          if (!rec.instance?.running) return;
          this.event('Normal', 'Killing', `Stopping container ${rec.spec.name}`, rec);
          const exit = await rec.instance.stop(graceMs);
          rec.state = { terminated: exit };
          rec.ready = false;
          rec.started = false;
        }),
      );
      await this.done;
      await this.sandboxStarted?.catch(() => undefined);
      this.sandboxReady = false;
      await this.sandbox?.stop(0);
      this.releaseAddress();
      await this.publish();
      await unmountAll(this.dir);
    })();
    return this.terminating;
  }

  /** After termination on a deletion: confirm it with grace period 0, then drop the pod's files. */
  finishDeletion(): Promise<void> {
    this.deleting ??= this.confirmDeletion();
    return this.deleting;
  }

  private async confirmDeletion(): Promise<void> {
    await this.terminate();
    const { namespace, name } = this.pod.metadata;
    const current = this.ctx.store.get('pods', namespace, name!);
    if (current?.metadata.uid === this.uid) {
      const del = this.ctx.store.delete.bind(this.ctx.store) as DeleteWithOptions;
      await del('pods', namespace, name!, SYSTEM_USER, { gracePeriodSeconds: 0 }).catch(() => undefined);
    }
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** The running instance of a container, for exec. */
  running(container: string): Instance | undefined {
    const rec = [...this.containers, ...this.init, ...this.ephemeral].find((r) => r.spec.name === container);
    return rec?.instance?.running ? rec.instance : undefined;
  }

  record(container: string): ContainerRecord | undefined {
    return [...this.containers, ...this.init, ...this.ephemeral].find((r) => r.spec.name === container);
  }

  /** Starts ephemeral containers added to the spec since the last call (kubectl debug). */
  syncEphemeral(pod: Pod): void {
    this.pod = pod;
    for (const spec of pod.spec.ephemeralContainers ?? []) {
      if (this.ephemeral.some((r) => r.spec.name === spec.name)) continue;
      const rec: ContainerRecord = {
        kind: 'ephemeral', spec, state: { waiting: { reason: 'ContainerCreating' } }, lastState: {}, restartCount: 0,
        ready: false, started: false, image: normalizeImageRef(spec.image), imageID: '', logs: [],
      };
      this.ephemeral.push(rec);
      if (!this.sandbox?.running || this.signal.aborted) continue;
      // Ephemeral containers never restart.
      void this.runOnce(rec).then(() => this.publish());
    }
  }
}
