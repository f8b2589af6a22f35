// The ResourceQuota admission plugin for pods: a new pod's requests and limits added to what the
// namespace's pods already use must stay within each quota's `hard`, else kube-apiserver's message
// `exceeded quota: <name>, requested: ..., used: ..., limited: ...` names the resources over it.
// Usage is summed from the namespace's active pods, what the quota controller keeps in status.used.
import { parseQuantity } from '../kubelet/quantity.ts';
import type { AdmissionPlugin, KObject } from '../types.ts';
import { allContainers, podForbidden, podSpec } from './pod-view.ts';

type Usage = Record<string, number>;

/** What a pod counts against each quota resource. */
function podUsage(pod: KObject): Usage {
  const spec = podSpec(pod);
  const sum = (kind: 'requests' | 'limits', r: string) =>
    allContainers({ ...spec, ephemeralContainers: [] }).reduce((n, c) => n + parseQuantity(c.resources?.[kind]?.[r] ?? '0'), 0);
  const requestsCpu = sum('requests', 'cpu');
  const requestsMemory = sum('requests', 'memory');
  return {
    pods: 1,
    cpu: requestsCpu,
    memory: requestsMemory,
    'requests.cpu': requestsCpu,
    'requests.memory': requestsMemory,
    'limits.cpu': sum('limits', 'cpu'),
    'limits.memory': sum('limits', 'memory'),
  };
}

/** A quantity as resource.Quantity prints it: cores in whole units or milli, bytes in the largest exact binary unit. */
function format(resource: string, value: number): string {
  if (resource === 'pods') return String(value);
  if (resource.endsWith('cpu')) {
    const milli = Math.round(value * 1000);
    return milli % 1000 === 0 ? String(milli / 1000) : `${milli}m`;
  }
  for (const [suffix, unit] of [['Ei', 2 ** 60], ['Pi', 2 ** 50], ['Ti', 2 ** 40], ['Gi', 2 ** 30], ['Mi', 2 ** 20], ['Ki', 2 ** 10]] as const) {
    if (value >= unit && value % unit === 0) return `${value / unit}${suffix}`;
  }
  return String(value);
}

const prettyPrint = (resources: string[], usage: (r: string) => number) => resources.map((r) => `${r}=${format(r, usage(r))}`).join(',');

export function resourceQuotaAdmission(): AdmissionPlugin {
  return {
    name: 'ResourceQuota',
    admit(req) {
      if (req.operation !== 'CREATE' || req.resource !== 'pods') return req.object;
      const quotas = req.store.list('resourcequotas', req.namespace);
      if (!quotas.length) return req.object;
      const active = req.store.list('pods', req.namespace).filter((p) => !['Succeeded', 'Failed'].includes((p.status as { phase?: string } | undefined)?.phase ?? ''));
      const requested = podUsage(req.object);
      const used: Usage = {};
      for (const p of active) for (const [r, v] of Object.entries(podUsage(p))) used[r] = (used[r] ?? 0) + v;
      for (const q of [...quotas].sort((a, b) => a.metadata.name!.localeCompare(b.metadata.name!))) {
        const hard = (q.spec as { hard?: Record<string, string> }).hard ?? {};
        const exceeded = Object.keys(hard).filter((r) => r in requested && (used[r] ?? 0) + requested[r]! > parseQuantity(hard[r]!)).sort();
        if (exceeded.length) {
          throw podForbidden(req.object, `exceeded quota: ${q.metadata.name}, requested: ${prettyPrint(exceeded, (r) => requested[r]!)}, used: ${prettyPrint(exceeded, (r) => used[r] ?? 0)}, limited: ${exceeded.map((r) => `${r}=${hard[r]}`).join(',')}`);
        }
      }
      return req.object;
    },
  };
}
