// The simulated kubelet: gives every pod bound to a simulated node the status and events the lab's
// real kubelet would report for it (the same status builder, the same event texts), at once and
// without starting anything. What each container does comes from outcomes.ts. Exec on such a pod
// fails with a clear error; logs are the scripted output of containers that exited.
import { createHash } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Writable } from 'node:stream';
import { execInternalError } from '../apiserver/exec.ts';
import { ApiError } from '../apiserver/errors.ts';
import type { MemoryStore } from '../apiserver/store.ts';
import { imageIDFor, normalizeImageRef } from '../kubelet/image-names.ts';
import { nanoTimestamp, writeLog } from '../kubelet/logs.ts';
import { podDescription, type Container, type ContainerState, type Pod } from '../kubelet/pod-types.ts';
import { buildPodStatus, type ContainerView } from '../kubelet/status.ts';
import type { ExecRunner, KObject, LogSource } from '../types.ts';
import { SYSTEM_USER } from '../types.ts';
import { isSimulatedNode } from './node.ts';
import { fateOf, SIM_SCENARIO_ANNOTATION, type ContainerFate } from './outcomes.ts';

type Field = 'initContainers' | 'containers';
type Event = { type: 'Normal' | 'Warning'; reason: string; message: string; fieldPath?: string };

/** A crash-looping container has restarted this often when the simulation shows it (back-off 20s). */
const CRASH_RESTARTS = 2;

const now = () => new Date().toISOString().replace(/\.\d+Z$/, 'Z');
const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');
/** How CRI wraps a containerd error (as the real kubelet's pod worker shows it). */
const criError = (message: string) => `rpc error: code = ${/: not found$/.test(message) ? 'NotFound' : 'Unknown'} desc = ${message}`;

export interface SimKubelet {
  /** Wraps the lab's exec runner: pods on simulated nodes refuse exec, others go to `inner`. */
  execRunner(inner: ExecRunner | undefined): ExecRunner;
  logSource(inner: LogSource | undefined): LogSource;
  stop(): void;
}

export function startSimKubelet(store: MemoryStore, opts: { logDir: string }): SimKubelet {
  mkdirSync(opts.logDir, { recursive: true });
  const simulated = new Set(store.list('nodes').filter(isSimulatedNode).map((n) => n.metadata.name!));
  const seen = new Set<string>();
  /** uid/container -> log files of its instances, oldest first ('' for an instance that wrote nothing). */
  const logs = new Map<string, string[]>();
  let podIPs = 0;

  const onSimNode = (pod: KObject) => simulated.has((pod.spec as { nodeName?: string }).nodeName ?? '');

  const stopNodes = store.watch('nodes', undefined, (ev) => {
    if (ev.type !== 'DELETED' && isSimulatedNode(ev.object)) simulated.add(ev.object.metadata.name!);
    else simulated.delete(ev.object.metadata.name!);
  });

  const onPod = (pod: Pod, type: string) => {
    const uid = pod.metadata.uid!;
    if (type === 'DELETED') {
      seen.delete(uid);
      for (const c of [...(pod.spec.initContainers ?? []), ...pod.spec.containers]) logs.delete(`${uid}/${c.name}`);
      rmSync(join(opts.logDir, uid), { recursive: true, force: true });
      return;
    }
    if (!onSimNode(pod)) return;
    if (pod.metadata.deletionTimestamp) { void terminate(pod); return; }
    if (seen.has(uid) || pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed') return;
    seen.add(uid);
    void simulate(pod, `10.244.1.${(podIPs++ % 250) + 2}`).catch((err: unknown) => console.error(`simnode: pod ${podDescription(pod)}:`, err));
  };
  const stopPods = store.watch('pods', undefined, (ev) => onPod(ev.object as Pod, ev.type));
  for (const pod of store.list('pods')) onPod(pod as Pod, 'ADDED');

  async function simulate(pod: Pod, podIP: string): Promise<void> {
    const scenario = pod.metadata.annotations?.[SIM_SCENARIO_ANNOTATION];
    const events: Event[] = [];
    const started = now();
    const view = (c: Container, state: ContainerState, extra: Partial<ContainerView> = {}): ContainerView => ({
      spec: c, state, lastState: {}, restartCount: 0, ready: false, started: false,
      image: normalizeImageRef(c.image), imageID: '', ...extra,
    });
    const ran = (c: Container, field: Field, fate: ContainerFate): ContainerView => {
      const fieldPath = `spec.${field}{${c.name}}`;
      const ev = (type: Event['type'], reason: string, message: string) => events.push({ type, reason, message, fieldPath });
      if (fate.kind === 'pullFails') {
        const error = criError(fate.error(c));
        ev('Normal', 'Pulling', `Pulling image "${c.image}"`);
        ev('Warning', 'Failed', `Failed to pull image "${c.image}": ${error}`);
        ev('Warning', 'Failed', 'Error: ErrImagePull');
        ev('Normal', 'BackOff', `Back-off pulling image "${c.image}"`);
        ev('Warning', 'Failed', 'Error: ImagePullBackOff');
        return view(c, { waiting: { reason: 'ImagePullBackOff', message: `Back-off pulling image "${c.image}": ErrImagePull: ${error}` } });
      }
      ev('Normal', 'Pulled', `Container image "${c.image}" already present on machine`);
      ev('Normal', 'Created', `Created container: ${c.name}`);
      ev('Normal', 'Started', `Started container ${c.name}`);
      const base = {
        imageID: imageIDFor(c.image, `sha256:${sha256(normalizeImageRef(c.image))}`),
        started: true,
      };
      const containerID = (n: number) => `containerd://${sha256(`${pod.metadata.uid}/${c.name}/${n}`)}`;
      if (fate.kind === 'runs') {
        if (field === 'initContainers') {
          return view(c, { terminated: { exitCode: 0, reason: 'Completed', startedAt: started, finishedAt: started, containerID: containerID(0) } }, { ...base, started: false, containerID: containerID(0) });
        }
        writeLogs(pod, c, ['']);
        return view(c, { running: { startedAt: started } }, { ...base, ready: true, containerID: containerID(0) });
      }
      const restarts = fate.kind === 'crashLoop' ? CRASH_RESTARTS : 1;
      const terminated = { exitCode: fate.exitCode, reason: fate.reason, startedAt: started, finishedAt: started, containerID: containerID(restarts - (fate.kind === 'crashLoop' ? 0 : 1)) };
      const output = fate.log(c);
      if (fate.kind === 'restartedOnce') {
        writeLogs(pod, c, [output, '']);
        return view(c, { running: { startedAt: started } }, { ...base, ready: true, restartCount: 1, lastState: { terminated }, containerID: containerID(1) });
      }
      ev('Warning', 'BackOff', `Back-off restarting failed container ${c.name} in pod ${podDescription(pod)}`);
      writeLogs(pod, c, Array.from({ length: restarts + 1 }, () => output));
      return view(c, { waiting: { reason: 'CrashLoopBackOff', message: `back-off 20s restarting failed container=${c.name} pod=${podDescription(pod)}` } },
        { ...base, started: false, restartCount: restarts, lastState: { terminated }, containerID: terminated.containerID });
    };

    // Init containers one by one: the first that does not complete holds back all the rest.
    const init: ContainerView[] = [];
    let blocked = false;
    for (const c of pod.spec.initContainers ?? []) {
      if (blocked) { init.push(view(c, { waiting: { reason: 'PodInitializing' } })); continue; }
      const v = ran(c, 'initContainers', fateOf(scenario, c.name));
      blocked = v.state.terminated?.exitCode !== 0;
      init.push(v);
    }
    const containers = pod.spec.containers.map((c) =>
      blocked ? view(c, { waiting: { reason: 'PodInitializing' } }) : ran(c, 'containers', fateOf(scenario, c.name)));

    const current = store.get('pods', pod.metadata.namespace, pod.metadata.name!) as Pod | undefined;
    if (!current || current.metadata.uid !== pod.metadata.uid) return;
    const nodeIP = '127.0.0.2';
    const status = buildPodStatus({ pod: current, init, containers, ephemeral: [], startTime: started, sandboxReady: true, hostIP: nodeIP, podIP });
    await store.updateStatus('pods', { ...current, status } as KObject);
    const involved: KObject = { apiVersion: 'v1', kind: 'Pod', metadata: current.metadata };
    const source = { component: 'kubelet', host: (current.spec as { nodeName?: string }).nodeName };
    for (const e of events) await store.recordEvent(involved, e.type, e.reason, e.message, source, e.fieldPath ? { fieldPath: e.fieldPath } : {});
  }

  function writeLogs(pod: Pod, c: Container, outputs: string[]): void {
    const dir = join(opts.logDir, pod.metadata.uid!, c.name);
    const files = outputs.map((out, n) => {
      if (!out) return '';
      mkdirSync(dir, { recursive: true });
      const file = join(dir, `${n}.log`);
      writeFileSync(file, out.split('\n').filter(Boolean).map((line) => `${nanoTimestamp()} stderr F ${line}\n`).join(''));
      return file;
    });
    logs.set(`${pod.metadata.uid}/${c.name}`, files);
  }

  /** Graceful deletion: the containers "stop" at once and the kubelet confirms the delete. */
  async function terminate(pod: Pod): Promise<void> {
    const involved: KObject = { apiVersion: 'v1', kind: 'Pod', metadata: pod.metadata };
    const source = { component: 'kubelet', host: pod.spec.nodeName };
    for (const c of pod.spec.containers) {
      await store.recordEvent(involved, 'Normal', 'Killing', `Stopping container ${c.name}`, source, { fieldPath: `spec.containers{${c.name}}` }).catch(() => undefined);
    }
    await store.delete('pods', pod.metadata.namespace, pod.metadata.name!, SYSTEM_USER, { gracePeriodSeconds: 0, preconditions: { uid: pod.metadata.uid } }).catch(() => undefined);
  }

  return {
    execRunner: (inner) => ({
      exec(req) {
        if (!onSimNode(req.pod)) {
          if (!inner) throw execInternalError(`error executing command in container: no container runtime on this lab`);
          return inner.exec(req);
        }
        const node = (req.pod.spec as { nodeName?: string }).nodeName;
        return Promise.reject(execInternalError(`error executing command in container: pod "${req.pod.metadata.name}" runs on simulated node "${node}", which runs no processes`));
      },
    }),
    logSource: (inner) => ({
      async logs(req, out: Writable, signal) {
        if (!onSimNode(req.pod)) {
          if (!inner) throw new ApiError('BadRequest', `container "${req.container}" in pod "${req.pod.metadata.name}" is waiting to start: ContainerCreating`);
          return inner.logs(req, out, signal);
        }
        const files = logs.get(`${req.pod.metadata.uid}/${req.container}`);
        const podName = req.pod.metadata.name;
        if (!files) {
          const statuses = [...((req.pod.status as Pod['status'])?.initContainerStatuses ?? []), ...((req.pod.status as Pod['status'])?.containerStatuses ?? [])];
          const reason = statuses.find((s) => s.name === req.container)?.state?.waiting?.reason ?? 'ContainerCreating';
          throw new ApiError('BadRequest', `container "${req.container}" in pod "${podName}" is waiting to start: ${reason}`);
        }
        const file = req.previous ? files.at(-2) : files.at(-1);
        if (file === undefined) throw new ApiError('BadRequest', `previous terminated container "${req.container}" in pod "${podName}" not found`);
        if (file) await writeLog(file, req, out, { follow: false, until: Promise.resolve(), signal });
      },
    }),
    stop: () => { stopPods(); stopNodes(); },
  };
}
