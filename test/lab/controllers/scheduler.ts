// The scheduler: binds each new pod to a Ready node its nodeSelector matches (the lab's node,
// or issue 5's simulated ones), or reports FailedScheduling as default-scheduler does.
import type { KObject } from '../types.ts';
import type { MemoryStore } from '../apiserver/store.ts';
import { nowTimestamp } from '../apiserver/names.ts';
import { nsKey, splitKey, WorkQueue } from './queue.ts';

const SOURCE = { component: 'default-scheduler' };

type PodSpec = { nodeName?: string; nodeSelector?: Record<string, string>; schedulerName?: string };

function isReady(node: KObject): boolean {
  const conds = (node.status as { conditions?: Array<{ type: string; status: string }> } | undefined)?.conditions ?? [];
  return conds.some((c) => c.type === 'Ready' && c.status === 'True') && !(node.spec as { unschedulable?: boolean } | undefined)?.unschedulable;
}

export function startScheduler(store: MemoryStore): () => void {
  const queue: WorkQueue = new WorkQueue((key) => schedule(store, key));
  const stop = store.watch('pods', undefined, (ev) => {
    const spec = ev.object.spec as PodSpec;
    if (ev.type !== 'DELETED' && !spec.nodeName && !ev.object.metadata.deletionTimestamp) queue.add(nsKey(ev.object.metadata.namespace, ev.object.metadata.name!));
  });
  const stopNodes = store.watch('nodes', undefined, () => {
    for (const p of store.listEntries('pods')) if (!(p.obj.spec as PodSpec).nodeName) queue.add(nsKey(p.obj.metadata.namespace, p.obj.metadata.name!));
  });
  for (const p of store.listEntries('pods')) if (!(p.obj.spec as PodSpec).nodeName) queue.add(nsKey(p.obj.metadata.namespace, p.obj.metadata.name!));
  return () => { queue.stop(); stop(); stopNodes(); };
}

async function schedule(store: MemoryStore, key: string): Promise<void> {
  const [ns, name] = splitKey(key);
  const pod = store.get('pods', ns, name);
  if (!pod || pod.metadata.deletionTimestamp) return;
  const spec = pod.spec as PodSpec;
  if (spec.nodeName || (spec.schedulerName ?? 'default-scheduler') !== 'default-scheduler') return;
  const nodes = store.list('nodes');
  const selector = spec.nodeSelector ?? {};
  const fits = nodes.filter((n) => isReady(n) && Object.entries(selector).every(([k, v]) => n.metadata.labels?.[k] === v));
  if (fits.length) {
    await store.update('pods', { ...pod, spec: { ...spec, nodeName: fits[0]!.metadata.name } }, undefined, { subresource: 'binding' });
    await store.recordEvent(pod, 'Normal', 'Scheduled', `Successfully assigned ${ns}/${name} to ${fits[0]!.metadata.name}`, SOURCE);
    return;
  }
  const message = unschedulableMessage(nodes, selector);
  const status = (pod.status ?? {}) as { conditions?: Array<Record<string, unknown>> };
  const prev = status.conditions?.find((c) => c.type === 'PodScheduled');
  if (prev?.message === message) return;
  status.conditions = [...(status.conditions ?? []).filter((c) => c.type !== 'PodScheduled'),
    { type: 'PodScheduled', status: 'False', lastProbeTime: null, lastTransitionTime: nowTimestamp(), reason: 'Unschedulable', message }];
  await store.updateStatus('pods', { ...pod, status });
  await store.recordEvent(pod, 'Warning', 'FailedScheduling', message, SOURCE);
}

/** default-scheduler's FitError text: per-reason node counts, then the preemption summary. */
function unschedulableMessage(nodes: KObject[], selector: Record<string, string>): string {
  const total = nodes.length;
  if (total === 0) return 'no nodes available to schedule pods';
  const notReady = nodes.filter((n) => !isReady(n)).length;
  const mismatched = nodes.filter((n) => isReady(n) && !Object.entries(selector).every(([k, v]) => n.metadata.labels?.[k] === v)).length;
  const parts = [
    ...(mismatched ? [`${mismatched} node(s) didn't match Pod's node affinity/selector`] : []),
    ...(notReady ? [`${notReady} node(s) were unschedulable`] : []),
  ];
  return `0/${total} nodes are available: ${parts.join(', ')}. preemption: 0/${total} nodes are available: ${total} Preemption is not helpful for scheduling.`;
}
