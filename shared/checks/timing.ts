// MC501: the startup timeline from pod status and events only (the agent's measurements come
// with `kubectl modelcar timing`).
import type { CheckResult } from '../report.ts';
import type { Pod } from '../snapshot.ts';
import { mainRuntimeContainer, modelcarContainers, modelcarInitContainers } from '../kserve/pod.ts';
import { containerStatus, eventsOf, noEventsReason, podRef, result, skip, type Context, type TargetView } from './context.ts';

export interface TimelineEntry {
  at: string;
  what: string;
  /** Where it was read: a status field or an event. */
  from: string;
}

function timeline(ctx: Context, pod: Pod): TimelineEntry[] {
  const out: TimelineEntry[] = [];
  const add = (at: string | null | undefined, what: string, from: string) => {
    if (at) out.push({ at, what, from });
  };
  add(pod.metadata.creationTimestamp, 'pod created', 'metadata.creationTimestamp');
  const cond = (type: string) => pod.status?.conditions?.find((c) => c.type === type && c.status === 'True');
  add(cond('PodScheduled')?.lastTransitionTime, `scheduled on ${pod.spec.nodeName ?? '?'}`, 'status.conditions[PodScheduled]');
  const images = new Set([...modelcarContainers(pod.spec).map((m) => m.container.image), ...modelcarInitContainers(pod.spec).map((c) => c.image)]);
  for (const e of eventsOf(ctx, 'Pod', pod.metadata.namespace, pod.metadata.name).items) {
    if ((e.reason === 'Pulling' || e.reason === 'Pulled') && [...images].some((i) => e.message.includes(`"${i}"`))) add(e.at, e.message, `event ${e.reason}`);
  }
  for (const c of modelcarInitContainers(pod.spec)) add(containerStatus(pod, c.name, true)?.state?.terminated?.finishedAt, `${c.name} finished`, `status.initContainerStatuses[${c.name}].state.terminated.finishedAt`);
  for (const m of modelcarContainers(pod.spec)) add(containerStatus(pod, m.container.name)?.state?.running?.startedAt, `${m.container.name} started (links the model)`, `status.containerStatuses[${m.container.name}].state.running.startedAt`);
  const runtime = mainRuntimeContainer(pod.spec);
  if (runtime) add(containerStatus(pod, runtime.name)?.state?.running?.startedAt, `${runtime.name} started`, `status.containerStatuses[${runtime.name}].state.running.startedAt`);
  add(cond('Ready')?.lastTransitionTime, 'pod ready', 'status.conditions[Ready]');
  return out.sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
}

function mc501(ctx: Context, t: TargetView, pod: Pod): CheckResult {
  const entries = timeline(ctx, pod);
  const hasEvents = entries.some((e) => e.from.startsWith('event'));
  const first = entries[0];
  const ready = entries.find((e) => e.what === 'pod ready');
  const total = first && ready ? Math.round((Date.parse(ready.at) - Date.parse(first.at)) / 1000) : null;
  return result('MC501', 'info', podRef(pod), `${total !== null ? `ready ${total}s after creation` : 'not ready yet'}; ${entries.length} steps${hasEvents ? '' : ` (pulls unknown: ${noEventsReason(ctx, pod)})`}`, {
    namespace: pod.metadata.namespace, pod: pod.metadata.name, isvc: t.ref.name, timeline: entries, readySeconds: total,
  });
}

export function checkTiming(ctx: Context): CheckResult[] {
  return ctx.targets.flatMap((t) => (t.pods.length === 0 ? [skip('MC501', t.object, t.noPodsReason ?? 'no pods')] : t.pods.map((p) => mc501(ctx, t, p))));
}
