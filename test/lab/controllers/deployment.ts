// The Deployment controller: one ReplicaSet per pod template (`<deploy>-<pod-template-hash>`),
// rolling updates bounded by maxSurge/maxUnavailable (or Recreate), revision annotations, history
// cleanup, and the status `kubectl rollout status` reads: observedGeneration, replica counts and the
// Available/Progressing/ReplicaFailure conditions with the real reasons and messages.
import type { KObject, LabStore } from '../types.ts';
import { nowTimestamp, safeEncodeString } from '../apiserver/names.ts';
import { controllerOf, controllerRef } from './pod-state.ts';
import { nsKey, splitKey, WorkQueue } from './queue.ts';

const DEPLOY = 'deployments.apps';
const RS = 'replicasets.apps';
const SOURCE = { component: 'deployment-controller' };
const HASH_LABEL = 'pod-template-hash';
const REVISION = 'deployment.kubernetes.io/revision';

type Template = { metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> }; spec?: unknown };
type Condition = { type: string; status: string; lastUpdateTime?: string; lastTransitionTime?: string; reason?: string; message?: string };
interface DeploySpec {
  replicas?: number;
  selector?: { matchLabels?: Record<string, string> };
  template: Template;
  strategy?: { type?: string; rollingUpdate?: { maxSurge?: number | string; maxUnavailable?: number | string } };
  minReadySeconds?: number;
  revisionHistoryLimit?: number;
  progressDeadlineSeconds?: number;
  paused?: boolean;
}
type RsStatus = { replicas?: number; readyReplicas?: number; availableReplicas?: number; conditions?: Condition[] };

export interface DeploymentControllerOptions {
  /** Divides waits such as the progress deadline, for tests (the lab's --time-scale). */
  timeScale?: number;
}

export function startDeploymentController(store: LabStore, opts: DeploymentControllerOptions = {}): () => void {
  const queue: WorkQueue = new WorkQueue((key) => sync(store, key, queue, opts.timeScale ?? 1));
  const enqueueOwner = (obj: KObject): void => {
    const owner = controllerOf(obj);
    if (owner?.kind === 'Deployment') queue.add(nsKey(obj.metadata.namespace, owner.name));
  };
  const stops = [
    store.watch(DEPLOY, undefined, (ev) => queue.add(nsKey(ev.object.metadata.namespace, ev.object.metadata.name!))),
    store.watch(RS, undefined, (ev) => enqueueOwner(ev.object)),
  ];
  for (const d of store.list(DEPLOY)) queue.add(nsKey(d.metadata.namespace, d.metadata.name!));
  return () => { queue.stop(); for (const s of stops) s(); };
}

// ---- pod-template-hash ----

/** Sorted keys, and null as absent (Go writes `creationTimestamp: null` into templates that
 *  `kubectl rollout undo` copies back): equal templates hash equally, as with the Go structs. */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o).sort().filter((k) => o[k] !== undefined && o[k] !== null).map((k) => `${JSON.stringify(k)}:${canonical(o[k])}`).join(',')}}`;
  }
  return JSON.stringify(v);
}

/** controller.ComputeHash: FNV-32a over the template (and collisionCount), encoded safely. */
export function podTemplateHash(template: Template, collisionCount = 0): string {
  const text = canonical(template) + (collisionCount ? String(collisionCount) : '');
  let h = 0x811c9dc5;
  for (const byte of Buffer.from(text)) {
    h ^= byte;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return safeEncodeString(String(h));
}

function withoutHash(template: Template): Template {
  const t = structuredClone(template);
  if (t.metadata?.labels) {
    delete t.metadata.labels[HASH_LABEL];
  }
  return t;
}

// ---- rolling-update arithmetic (deployment/util) ----

function resolve(value: number | string | undefined, total: number, roundUp: boolean): number {
  if (value === undefined) return 0;
  if (typeof value === 'number') return value;
  const pct = Number(value.replace('%', ''));
  const raw = (pct * total) / 100;
  return roundUp ? Math.ceil(raw) : Math.floor(raw);
}

function surgeAndUnavailable(spec: DeploySpec): [number, number] {
  const replicas = spec.replicas ?? 1;
  const ru = spec.strategy?.rollingUpdate;
  const surge = resolve(ru?.maxSurge ?? '25%', replicas, true);
  let unavailable = resolve(ru?.maxUnavailable ?? '25%', replicas, false);
  if (surge === 0 && unavailable === 0) unavailable = 1;
  return [surge, Math.min(unavailable, replicas)];
}

const specReplicas = (rs: KObject): number => (rs.spec as { replicas?: number }).replicas ?? 0;
const status = (rs: KObject): RsStatus => (rs.status ?? {}) as RsStatus;

// ---- sync ----

async function scaleReplicaSet(store: LabStore, d: KObject, rs: KObject, replicas: number): Promise<KObject> {
  const from = specReplicas(rs);
  if (from === replicas) return rs;
  const next = structuredClone(rs);
  (next.spec as { replicas: number }).replicas = replicas;
  const spec = d.spec as DeploySpec;
  const [surge] = surgeAndUnavailable(spec);
  next.metadata.annotations = {
    ...next.metadata.annotations,
    'deployment.kubernetes.io/desired-replicas': String(spec.replicas ?? 1),
    'deployment.kubernetes.io/max-replicas': String((spec.replicas ?? 1) + (spec.strategy?.type === 'Recreate' ? 0 : surge)),
  };
  const updated = await store.update(RS, next);
  const direction = replicas > from ? 'up' : 'down';
  await store.recordEvent(d, 'Normal', 'ScalingReplicaSet', `Scaled ${direction} replica set ${rs.metadata.name} from ${from} to ${replicas}`, SOURCE);
  return updated;
}

async function sync(store: LabStore, key: string, queue: WorkQueue, timeScale: number): Promise<void> {
  const [ns, name] = splitKey(key);
  const d = store.get(DEPLOY, ns, name);
  if (!d || d.metadata.deletionTimestamp) return;
  const spec = d.spec as DeploySpec;
  const replicas = spec.replicas ?? 1;
  const owned = store.list(RS, ns).filter((rs) => controllerOf(rs)?.uid === d.metadata.uid);
  const hash = podTemplateHash(withoutHash(spec.template), (d.status as { collisionCount?: number } | undefined)?.collisionCount);
  let newRs = owned.find((rs) => rs.metadata.labels?.[HASH_LABEL] === hash);
  const olds = owned.filter((rs) => rs !== newRs).sort((a, b) => Date.parse(a.metadata.creationTimestamp!) - Date.parse(b.metadata.creationTimestamp!));
  const maxRevision = Math.max(0, ...owned.map((rs) => Number(rs.metadata.annotations?.[REVISION] ?? 0)));
  let createdNew = false;

  if (!spec.paused) {
    if (!newRs) {
      const [surge] = surgeAndUnavailable(spec);
      const oldTotal = olds.reduce((n, rs) => n + specReplicas(rs), 0);
      const initial = spec.strategy?.type === 'Recreate'
        ? (oldTotal > 0 ? 0 : replicas)
        : Math.max(0, Math.min(replicas, replicas + surge - oldTotal));
      const template = structuredClone(spec.template);
      template.metadata = { ...template.metadata, labels: { ...template.metadata?.labels, [HASH_LABEL]: hash } };
      newRs = await store.create(RS, {
        apiVersion: 'apps/v1',
        kind: 'ReplicaSet',
        metadata: {
          name: `${name}-${hash}`,
          namespace: ns,
          labels: { ...spec.template.metadata?.labels, [HASH_LABEL]: hash },
          annotations: {
            'deployment.kubernetes.io/desired-replicas': String(replicas),
            'deployment.kubernetes.io/max-replicas': String(replicas + (spec.strategy?.type === 'Recreate' ? 0 : surge)),
            [REVISION]: String(maxRevision + 1),
          },
          ownerReferences: [controllerRef(d)],
        },
        spec: {
          replicas: initial,
          minReadySeconds: spec.minReadySeconds ?? 0,
          selector: { matchLabels: { ...spec.selector?.matchLabels, [HASH_LABEL]: hash } },
          template,
        },
      });
      createdNew = true;
      if (initial > 0) await store.recordEvent(d, 'Normal', 'ScalingReplicaSet', `Scaled up replica set ${newRs.metadata.name} from 0 to ${initial}`, SOURCE);
    } else if (Number(newRs.metadata.annotations?.[REVISION] ?? 0) < maxRevision) {
      // A rollback to an older template makes that ReplicaSet the newest revision again.
      const bumped = structuredClone(newRs);
      bumped.metadata.annotations = { ...bumped.metadata.annotations, [REVISION]: String(maxRevision + 1) };
      newRs = await store.update(RS, bumped);
    }

    if (spec.strategy?.type === 'Recreate') {
      for (const rs of olds) await scaleReplicaSet(store, d, rs, 0);
      const oldPods = olds.reduce((n, rs) => n + (status(rs).replicas ?? 0), 0);
      if (oldPods === 0) newRs = await scaleReplicaSet(store, d, newRs, replicas);
    } else {
      newRs = await rollingUpdate(store, d, newRs, olds);
    }
    await cleanupHistory(store, spec, olds);
  }

  if (!newRs) return; // paused before its first rollout
  await updateStatus(store, d, newRs, olds, createdNew, timeScale, queue, key);
}

async function rollingUpdate(store: LabStore, d: KObject, newRs: KObject, olds: KObject[]): Promise<KObject> {
  const spec = d.spec as DeploySpec;
  const replicas = spec.replicas ?? 1;
  const [surge, maxUnavailable] = surgeAndUnavailable(spec);
  const total = (): number => specReplicas(newRs) + olds.reduce((n, rs) => n + specReplicas(rs), 0);

  // reconcileNewReplicaSet
  if (specReplicas(newRs) > replicas) newRs = await scaleReplicaSet(store, d, newRs, replicas);
  else if (specReplicas(newRs) < replicas) {
    const room = replicas + surge - total();
    if (room > 0) newRs = await scaleReplicaSet(store, d, newRs, specReplicas(newRs) + Math.min(room, replicas - specReplicas(newRs)));
  }

  // reconcileOldReplicaSets
  const oldTotal = olds.reduce((n, rs) => n + specReplicas(rs), 0);
  if (oldTotal === 0) return newRs;
  const minAvailable = replicas - maxUnavailable;
  const newUnavailable = specReplicas(newRs) - (status(newRs).availableReplicas ?? 0);
  let budget = total() - minAvailable - newUnavailable;
  if (budget <= 0) return newRs;
  // First old replicas that are not available anyway, then available ones down to minAvailable.
  for (let i = 0; i < olds.length && budget > 0; i++) {
    const rs = olds[i]!;
    const unhealthy = specReplicas(rs) - (status(rs).availableReplicas ?? 0);
    const cut = Math.min(unhealthy, budget);
    if (cut > 0) { olds[i] = await scaleReplicaSet(store, d, rs, specReplicas(rs) - cut); budget -= cut; }
  }
  const available = (status(newRs).availableReplicas ?? 0) + olds.reduce((n, rs) => n + Math.min(status(rs).availableReplicas ?? 0, specReplicas(rs)), 0);
  let down = available - minAvailable;
  for (let i = 0; i < olds.length && down > 0; i++) {
    const rs = olds[i]!;
    const cut = Math.min(specReplicas(rs), down);
    if (cut > 0) { olds[i] = await scaleReplicaSet(store, d, rs, specReplicas(rs) - cut); down -= cut; }
  }
  return newRs;
}

async function cleanupHistory(store: LabStore, spec: DeploySpec, olds: KObject[]): Promise<void> {
  const limit = spec.revisionHistoryLimit ?? 10;
  const idle = olds.filter((rs) => specReplicas(rs) === 0 && (status(rs).replicas ?? 0) === 0);
  for (const rs of idle.slice(0, Math.max(0, idle.length - limit))) {
    await store.delete(RS, rs.metadata.namespace, rs.metadata.name!).catch(() => undefined);
  }
}

/** Sets a condition; lastUpdateTime moves when it changes or when `touch` says progress was made. */
function setCondition(conditions: Condition[], next: Condition, now: string, touch = false): Condition[] {
  const prev = conditions.find((c) => c.type === next.type);
  const same = prev && prev.status === next.status && prev.reason === next.reason;
  const merged: Condition = {
    type: next.type,
    status: next.status,
    lastUpdateTime: same && prev.message === next.message && !touch ? prev.lastUpdateTime ?? now : now,
    lastTransitionTime: prev && prev.status === next.status ? prev.lastTransitionTime ?? now : now,
    reason: next.reason,
    message: next.message,
  };
  return [...conditions.filter((c) => c.type !== next.type), merged];
}

async function updateStatus(store: LabStore, d: KObject, newRs: KObject, olds: KObject[], createdNew: boolean, timeScale: number, queue: WorkQueue, key: string): Promise<void> {
  const fresh = store.get(DEPLOY, d.metadata.namespace, d.metadata.name!);
  if (!fresh) return;
  const spec = fresh.spec as DeploySpec;
  const replicas = spec.replicas ?? 1;
  const [, maxUnavailable] = surgeAndUnavailable(spec);
  const current = [newRs, ...olds].map((rs) => store.get(RS, rs.metadata.namespace, rs.metadata.name!) ?? rs);
  const newNow = current[0]!;
  const sum = (f: (s: RsStatus) => number | undefined): number => current.reduce((n, rs) => n + (f(status(rs)) ?? 0), 0);
  const total = sum((s) => s.replicas);
  const updated = status(newNow).replicas ?? 0;
  const ready = sum((s) => s.readyReplicas);
  const available = sum((s) => s.availableReplicas);
  const now = nowTimestamp();
  const prevStatus = (fresh.status ?? {}) as { conditions?: Condition[]; collisionCount?: number };
  let conditions = prevStatus.conditions ?? [];

  conditions = setCondition(conditions, available >= replicas - maxUnavailable
    ? { type: 'Available', status: 'True', reason: 'MinimumReplicasAvailable', message: 'Deployment has minimum availability.' }
    : { type: 'Available', status: 'False', reason: 'MinimumReplicasUnavailable', message: 'Deployment does not have minimum availability.' }, now);

  const rsName = newNow.metadata.name;
  const oldPods = current.slice(1).reduce((n, rs) => n + (status(rs).replicas ?? 0), 0);
  const complete = updated === replicas && available === replicas && total === replicas && oldPods === 0 && specReplicas(newNow) === replicas;
  const progressing = conditions.find((c) => c.type === 'Progressing');
  const deadline = (spec.progressDeadlineSeconds ?? 600) * 1000 / timeScale;
  if (complete) {
    conditions = setCondition(conditions, { type: 'Progressing', status: 'True', reason: 'NewReplicaSetAvailable', message: `ReplicaSet "${rsName}" has successfully progressed.` }, now);
  } else if (createdNew) {
    conditions = setCondition(conditions, { type: 'Progressing', status: 'True', reason: 'NewReplicaSetCreated', message: `Created new replica set "${rsName}"` }, now);
  } else {
    const counts = JSON.stringify([total, updated, ready, available]);
    const lastCounts = JSON.stringify([(fresh.status as RsStatus & { updatedReplicas?: number } | undefined)?.replicas ?? 0, (fresh.status as { updatedReplicas?: number } | undefined)?.updatedReplicas ?? 0,
      (fresh.status as RsStatus | undefined)?.readyReplicas ?? 0, (fresh.status as RsStatus | undefined)?.availableReplicas ?? 0]);
    const madeProgress = counts !== lastCounts;
    const since = Date.parse(progressing?.lastUpdateTime ?? fresh.metadata.creationTimestamp ?? now);
    if (progressing?.reason === 'ProgressDeadlineExceeded' && !madeProgress) {
      // Stays timed out until something changes.
    } else if (!madeProgress && progressing && Date.now() - since > deadline) {
      conditions = setCondition(conditions, { type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded', message: `ReplicaSet "${rsName}" has timed out progressing.` }, now);
    } else if (madeProgress || !progressing || progressing.reason === 'NewReplicaSetAvailable') {
      conditions = setCondition(conditions, { type: 'Progressing', status: 'True', reason: 'ReplicaSetUpdated', message: `ReplicaSet "${rsName}" is progressing.` }, now, madeProgress);
    }
    queue.addAfter(key, Math.max(50, Math.min(deadline + 10, 5000)));
  }

  const failure = status(newNow).conditions?.find((c) => c.type === 'ReplicaFailure' && c.status === 'True');
  conditions = failure
    ? setCondition(conditions, { type: 'ReplicaFailure', status: 'True', reason: failure.reason, message: failure.message }, now)
    : conditions.filter((c) => c.type !== 'ReplicaFailure');

  const order = ['Available', 'Progressing', 'ReplicaFailure'];
  conditions.sort((a, b) => order.indexOf(a.type) - order.indexOf(b.type));
  fresh.status = {
    observedGeneration: fresh.metadata.generation,
    replicas: total,
    updatedReplicas: updated,
    readyReplicas: ready,
    availableReplicas: available,
    unavailableReplicas: Math.max(replicas - available, 0),
    conditions,
    ...(prevStatus.collisionCount ? { collisionCount: prevStatus.collisionCount } : {}),
  };
  // Go's omitempty: zero counts are not serialised.
  for (const k of ['replicas', 'updatedReplicas', 'readyReplicas', 'availableReplicas', 'unavailableReplicas'] as const) {
    if ((fresh.status as Record<string, number>)[k] === 0) delete (fresh.status as Record<string, number>)[k];
  }
  if (newNow.metadata.annotations?.[REVISION] && fresh.metadata.annotations?.[REVISION] !== newNow.metadata.annotations[REVISION]) {
    const annotated = structuredClone(fresh);
    annotated.metadata.annotations = { ...annotated.metadata.annotations, [REVISION]: newNow.metadata.annotations[REVISION] };
    delete annotated.status;
    const saved = await store.update(DEPLOY, annotated);
    fresh.metadata.resourceVersion = saved.metadata.resourceVersion;
  }
  await store.updateStatus(DEPLOY, fresh);
}
