// The ReplicaSet controller: keeps `spec.replicas` pods from the template, owned by the ReplicaSet,
// with the real events (SuccessfulCreate, SuccessfulDelete, FailedCreate) and the ReplicaFailure
// condition when admission rejects a pod.
import type { KObject, LabStore } from '../types.ts';
import { ApiError } from '../apiserver/errors.ts';
import { nowTimestamp } from '../apiserver/names.ts';
import { controllerOf, controllerRef, isPodActive, isPodAvailable, isPodReady } from './pod-state.ts';
import { nsKey, splitKey, WorkQueue } from './queue.ts';

const RS = 'replicasets.apps';
const SOURCE = { component: 'replicaset-controller' };
/** The real controller creates in batches of 1, 2, 4, ... and stops at the first failure. */
const SLOW_START_INITIAL_BATCH = 1;

type RsSpec = { replicas?: number; minReadySeconds?: number; template?: { metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> }; spec?: unknown } };
type Condition = { type: string; status: string; reason?: string; message?: string; lastTransitionTime?: string };

export function startReplicaSetController(store: LabStore): () => void {
  const queue: WorkQueue = new WorkQueue((key) => sync(store, key, queue));
  const stops = [
    store.watch(RS, undefined, (ev) => queue.add(nsKey(ev.object.metadata.namespace, ev.object.metadata.name!))),
    store.watch('pods', undefined, (ev) => {
      const owner = controllerOf(ev.object);
      if (owner?.kind === 'ReplicaSet') queue.add(nsKey(ev.object.metadata.namespace, owner.name));
    }),
  ];
  for (const rs of store.list(RS)) queue.add(nsKey(rs.metadata.namespace, rs.metadata.name!));
  return () => { queue.stop(); for (const s of stops) s(); };
}

function ownedPods(store: LabStore, rs: KObject): KObject[] {
  return store.list('pods', rs.metadata.namespace).filter((p) => controllerOf(p)?.uid === rs.metadata.uid);
}

/** The pods to remove first when scaling down: unscheduled, then pending, then not ready, then newest. */
function deletionOrder(a: KObject, b: KObject): number {
  const rank = (p: KObject): number[] => [
    (p.spec as { nodeName?: string }).nodeName ? 1 : 0,
    (p.status as { phase?: string } | undefined)?.phase === 'Running' ? 1 : 0,
    isPodReady(p) ? 1 : 0,
  ];
  const [ra, rb] = [rank(a), rank(b)];
  for (let i = 0; i < ra.length; i++) if (ra[i] !== rb[i]) return ra[i]! - rb[i]!;
  return Date.parse(b.metadata.creationTimestamp ?? '') - Date.parse(a.metadata.creationTimestamp ?? '');
}

function podFromTemplate(rs: KObject): KObject {
  const template = ((rs.spec as RsSpec).template ?? {}) as NonNullable<RsSpec['template']>;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      generateName: `${rs.metadata.name}-`,
      namespace: rs.metadata.namespace,
      labels: { ...template.metadata?.labels },
      ...(template.metadata?.annotations ? { annotations: { ...template.metadata.annotations } } : {}),
      ownerReferences: [controllerRef(rs)],
    },
    spec: structuredClone(template.spec) as Record<string, unknown>,
  };
}

async function sync(store: LabStore, key: string, queue: WorkQueue): Promise<void> {
  const [ns, name] = splitKey(key);
  const rs = store.get(RS, ns, name);
  if (!rs || rs.metadata.deletionTimestamp) return;
  const spec = rs.spec as RsSpec;
  const want = spec.replicas ?? 1;
  let active = ownedPods(store, rs).filter(isPodActive);
  let failure: string | undefined;

  if (active.length < want) {
    let toCreate = want - active.length;
    let batch = SLOW_START_INITIAL_BATCH;
    while (toCreate > 0 && !failure) {
      const n = Math.min(batch, toCreate);
      for (let i = 0; i < n; i++) {
        try {
          const pod = await store.create('pods', podFromTemplate(rs));
          await store.recordEvent(rs, 'Normal', 'SuccessfulCreate', `Created pod: ${pod.metadata.name}`, SOURCE);
        } catch (err) {
          failure = err instanceof ApiError || err instanceof Error ? err.message : String(err);
          await store.recordEvent(rs, 'Warning', 'FailedCreate', `Error creating: ${failure}`, SOURCE);
          break;
        }
      }
      toCreate -= n;
      batch *= 2;
    }
  } else if (active.length > want) {
    const victims = [...active].sort(deletionOrder).slice(0, active.length - want);
    for (const pod of victims) {
      try {
        await store.delete('pods', ns, pod.metadata.name!);
        await store.recordEvent(rs, 'Normal', 'SuccessfulDelete', `Deleted pod: ${pod.metadata.name}`, SOURCE);
      } catch (err) {
        if (!(err instanceof ApiError && err.reason === 'NotFound')) throw err;
      }
    }
  }

  const fresh = store.get(RS, ns, name);
  if (!fresh) return;
  active = ownedPods(store, fresh).filter(isPodActive);
  const minReady = spec.minReadySeconds ?? 0;
  const labels = spec.template?.metadata?.labels ?? {};
  const status = (fresh.status ?? {}) as { conditions?: Condition[] };
  let conditions = (status.conditions ?? []).filter((c) => c.type !== 'ReplicaFailure');
  if (failure) {
    const prev = (status.conditions ?? []).find((c) => c.type === 'ReplicaFailure');
    conditions = [...conditions, { type: 'ReplicaFailure', status: 'True', reason: 'FailedCreate', message: failure, lastTransitionTime: prev?.lastTransitionTime ?? nowTimestamp() }];
  }
  fresh.status = {
    replicas: active.length,
    fullyLabeledReplicas: active.filter((p) => Object.entries(labels).every(([k, v]) => p.metadata.labels?.[k] === v)).length,
    readyReplicas: active.filter(isPodReady).length,
    availableReplicas: active.filter((p) => isPodAvailable(p, minReady)).length,
    observedGeneration: fresh.metadata.generation,
    ...(conditions.length ? { conditions } : {}),
  };
  // Go's omitempty: zero counts other than `replicas` are not serialised.
  const counts = fresh.status as Record<string, number>;
  for (const k of ['fullyLabeledReplicas', 'readyReplicas', 'availableReplicas']) if (counts[k] === 0) delete counts[k];
  await store.updateStatus(RS, fresh);
  // Retry failed creations with back-off, as the rate-limited queue does; recheck pods that become
  // available after minReadySeconds.
  if (failure) queue.addAfter(key, 1000);
  else if (minReady > 0 && active.some((p) => isPodReady(p) && !isPodAvailable(p, minReady))) queue.addAfter(key, 1000);
}
