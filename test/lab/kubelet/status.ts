// The pod status a kubelet (1.33) reports, computed from its view of the containers: phase as
// getPhase does it, the five pod conditions, and container statuses in spec order.
import { apiTimeNow, type Container, type ContainerState, type ContainerStatus, type Pod, type PodCondition, type PodStatus } from './pod-types.ts';
import { parseQuantity } from './quantity.ts';

/** The kubelet's knowledge of one container (one name; instances come and go with restarts). */
export interface ContainerView {
  spec: Container;
  state: ContainerState;
  lastState: ContainerState;
  restartCount: number;
  ready: boolean;
  started: boolean;
  containerID?: string;
  /** containerd's names: `docker.io/library/busybox:latest` and `docker.io/library/busybox@sha256:...`. */
  image: string;
  imageID: string;
  user?: { uid: number; gid: number; supplementalGroups: number[] };
}

export interface PodView {
  pod: Pod;
  init: ContainerView[];
  containers: ContainerView[];
  ephemeral: ContainerView[];
  startTime: string;
  sandboxReady: boolean;
  hostIP: string;
  podIP?: string;
}

const terminatedOrLast = (c: ContainerView) => c.state.terminated ?? (c.state.waiting ? c.lastState.terminated : undefined);
const succeeded = (c: ContainerView) => c.state.terminated?.exitCode === 0;

/** Mirrors pkg/kubelet's getPhase for a pod whose sandbox exists. */
export function podPhase(v: PodView): NonNullable<PodStatus['phase']> {
  const policy = v.pod.spec.restartPolicy ?? 'Always';
  let pendingInit = 0;
  let failedInit = 0;
  for (const c of v.init) {
    if (succeeded(c)) continue;
    const t = terminatedOrLast(c);
    if (t && t.exitCode !== 0) failedInit++;
    else pendingInit++;
  }
  if (failedInit > 0 && policy === 'Never') return 'Failed';
  if (pendingInit > 0 || failedInit > 0) return 'Pending';
  let running = 0;
  let waiting = 0;
  let stopped = 0;
  let succeededCount = 0;
  for (const c of v.containers) {
    if (c.state.running) running++;
    else if (c.state.terminated) {
      stopped++;
      if (c.state.terminated.exitCode === 0) succeededCount++;
    } else if (c.state.waiting) {
      if (c.lastState.terminated) stopped++;
      else waiting++;
    }
  }
  if (waiting > 0) return 'Pending';
  if (running > 0) return 'Running';
  if (stopped > 0) {
    if (policy === 'Always') return 'Running';
    if (stopped === succeededCount) return 'Succeeded';
    if (policy === 'Never') return 'Failed';
    return 'Running';
  }
  return 'Pending';
}

function condition(type: string, ok: boolean, now: string, previous: PodCondition[] | undefined, reason?: string, message?: string): PodCondition {
  const status = ok ? 'True' : 'False';
  const before = previous?.find((c) => c.type === type);
  const lastTransitionTime = before && before.status === status ? before.lastTransitionTime : now;
  return { type, status, lastProbeTime: null, lastTransitionTime, ...(reason ? { reason } : {}), ...(message ? { message } : {}) };
}

function containerStatus(c: ContainerView, volumeMounts = true): ContainerStatus {
  return {
    name: c.spec.name,
    state: c.state,
    lastState: c.lastState,
    ready: c.ready,
    restartCount: c.restartCount,
    image: c.image,
    imageID: c.imageID,
    ...(c.containerID ? { containerID: c.containerID } : {}),
    started: c.started,
    ...(c.spec.resources && (c.spec.resources.limits || c.spec.resources.requests) ? { resources: c.spec.resources } : {}),
    ...(c.user ? { user: { linux: c.user } } : {}),
    ...(volumeMounts && c.spec.volumeMounts?.length
      ? { volumeMounts: c.spec.volumeMounts.map((m) => ({ name: m.name, mountPath: m.mountPath, ...(m.readOnly ? { readOnly: true, recursiveReadOnly: 'Disabled' } : {}) })) }
      : {}),
  };
}

/** Guaranteed when every container sets equal cpu and memory requests and limits, BestEffort when none sets any. */
export function qosClass(pod: Pod): 'Guaranteed' | 'Burstable' | 'BestEffort' {
  const all = [...(pod.spec.initContainers ?? []), ...pod.spec.containers];
  const anySet = all.some((c) => Object.keys(c.resources?.requests ?? {}).length || Object.keys(c.resources?.limits ?? {}).length);
  if (!anySet) return 'BestEffort';
  const guaranteed = all.every((c) =>
    ['cpu', 'memory'].every((r) => {
      const limit = c.resources?.limits?.[r];
      const request = c.resources?.requests?.[r] ?? limit;
      return limit !== undefined && request !== undefined && parseQuantity(limit) === parseQuantity(request);
    }),
  );
  return guaranteed ? 'Guaranteed' : 'Burstable';
}

export function buildPodStatus(v: PodView, now = apiTimeNow()): PodStatus {
  const prev = v.pod.status?.conditions;
  const phase = v.sandboxReady || v.containers.some((c) => c.state.terminated) ? podPhase(v) : 'Pending';
  const completed = phase === 'Succeeded';
  const incompleteInit = v.init.filter((c) => !succeeded(c)).map((c) => c.spec.name);
  const unready = v.containers.filter((c) => !c.ready).map((c) => c.spec.name);
  const initialized = incompleteInit.length === 0
    ? condition('Initialized', true, now, prev, completed && v.init.length ? 'PodCompleted' : undefined)
    : condition('Initialized', false, now, prev, 'ContainersNotInitialized', `containers with incomplete status: [${incompleteInit.join(' ')}]`);
  const readiness = (type: string) =>
    completed
      ? condition(type, false, now, prev, 'PodCompleted')
      : unready.length === 0
        ? condition(type, true, now, prev)
        : condition(type, false, now, prev, 'ContainersNotReady', `containers with unready status: [${unready.join(' ')}]`);
  const scheduled = prev?.find((c) => c.type === 'PodScheduled') ?? condition('PodScheduled', true, now, prev);
  const ips = v.podIP ? { podIP: v.podIP, podIPs: [{ ip: v.podIP }] } : {};
  return {
    phase,
    conditions: [
      condition('PodReadyToStartContainers', v.sandboxReady, now, prev),
      initialized,
      readiness('Ready'),
      readiness('ContainersReady'),
      scheduled,
    ],
    hostIP: v.hostIP,
    hostIPs: [{ ip: v.hostIP }],
    ...ips,
    startTime: v.startTime,
    ...(v.init.length ? { initContainerStatuses: v.init.map((c) => containerStatus(c)) } : {}),
    containerStatuses: v.containers.map((c) => containerStatus(c)),
    ...(v.ephemeral.length ? { ephemeralContainerStatuses: v.ephemeral.map((c) => containerStatus(c, false)) } : {}),
    qosClass: v.pod.status?.qosClass ?? qosClass(v.pod),
  };
}
