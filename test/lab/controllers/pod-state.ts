// Pod predicates the workload controllers share (k8s.io/kubernetes/pkg/controller and podutil).
import type { KObject } from '../types.ts';

type PodStatus = { phase?: string; conditions?: Array<{ type: string; status: string; lastTransitionTime?: string }> };

export function isPodActive(pod: KObject): boolean {
  const phase = (pod.status as PodStatus | undefined)?.phase;
  return phase !== 'Succeeded' && phase !== 'Failed' && !pod.metadata.deletionTimestamp;
}

export function isPodReady(pod: KObject): boolean {
  return ((pod.status as PodStatus | undefined)?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
}

/** Ready for at least minReadySeconds. */
export function isPodAvailable(pod: KObject, minReadySeconds: number, now = Date.now()): boolean {
  const ready = ((pod.status as PodStatus | undefined)?.conditions ?? []).find((c) => c.type === 'Ready' && c.status === 'True');
  if (!ready) return false;
  if (minReadySeconds <= 0) return true;
  return Date.parse(ready.lastTransitionTime ?? '') + minReadySeconds * 1000 <= now;
}

export function controllerOf(obj: KObject): { kind: string; name: string; uid: string } | undefined {
  return obj.metadata.ownerReferences?.find((r) => r.controller);
}

export function controllerRef(owner: KObject): { apiVersion: string; kind: string; name: string; uid: string; controller: boolean; blockOwnerDeletion: boolean } {
  return { apiVersion: owner.apiVersion, kind: owner.kind, name: owner.metadata.name!, uid: owner.metadata.uid!, controller: true, blockOwnerDeletion: true };
}
