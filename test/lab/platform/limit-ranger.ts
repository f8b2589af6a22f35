// The LimitRanger admission plugin for `type: Container` limits: containers without requests or
// limits get the LimitRange's defaultRequest/default, then each request must reach `min` and each
// limit stay within `max`, with kube-apiserver's messages (duplicates folded as its error aggregate does).
import { parseQuantity } from '../kubelet/quantity.ts';
import type { AdmissionPlugin } from '../types.ts';
import { podForbidden, podSpec, type AdmittedContainer } from './pod-view.ts';

interface LimitItem {
  type: string;
  min?: Record<string, string>;
  max?: Record<string, string>;
  default?: Record<string, string>;
  defaultRequest?: Record<string, string>;
}

const sorted = (m: Record<string, string> = {}) => Object.entries(m).sort(([a], [b]) => a.localeCompare(b));

function applyDefaults(c: AdmittedContainer, item: LimitItem): void {
  const requests = { ...c.resources?.requests };
  const limits = { ...c.resources?.limits };
  for (const [r, q] of sorted(item.default)) limits[r] ??= q;
  for (const [r, q] of sorted(item.defaultRequest)) requests[r] ??= q;
  if (Object.keys(requests).length || Object.keys(limits).length) c.resources = { ...(Object.keys(requests).length ? { requests } : {}), ...(Object.keys(limits).length ? { limits } : {}) };
}

function violations(c: AdmittedContainer, item: LimitItem): string[] {
  const out: string[] = [];
  for (const [r, min] of sorted(item.min)) {
    const req = c.resources?.requests?.[r];
    if (req === undefined) out.push(`minimum ${r} usage per Container is ${min}.  No request is specified`);
    else if (parseQuantity(req) < parseQuantity(min)) out.push(`minimum ${r} usage per Container is ${min}, but request is ${req}`);
  }
  for (const [r, max] of sorted(item.max)) {
    const lim = c.resources?.limits?.[r];
    if (lim === undefined) out.push(`maximum ${r} usage per Container is ${max}.  No limit is specified`);
    else if (parseQuantity(lim) > parseQuantity(max)) out.push(`maximum ${r} usage per Container is ${max}, but limit is ${lim}`);
  }
  return out;
}

/** utilerrors.NewAggregate(...).Error(): one message alone, several deduplicated in brackets. */
function aggregate(messages: string[]): string {
  const unique = [...new Set(messages)];
  return unique.length === 1 ? unique[0]! : `[${unique.join(', ')}]`;
}

export function limitRangerAdmission(): AdmissionPlugin {
  return {
    name: 'LimitRanger',
    admit(req) {
      if (req.operation !== 'CREATE' || req.resource !== 'pods') return req.object;
      const items = req.store.list('limitranges', req.namespace).flatMap((lr) => ((lr.spec as { limits?: LimitItem[] }).limits ?? []).filter((l) => l.type === 'Container'));
      if (!items.length) return req.object;
      const spec = podSpec(req.object);
      // The plugin checks the containers first, then the init containers.
      const containers = [...spec.containers, ...(spec.initContainers ?? [])];
      for (const item of items) for (const c of containers) applyDefaults(c, item);
      const errors = items.flatMap((item) => containers.flatMap((c) => violations(c, item)));
      if (errors.length) throw podForbidden(req.object, aggregate(errors));
      return req.object;
    },
  };
}
