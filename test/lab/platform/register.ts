// The platform features' registration in the lab's composition root (server.ts main), after KServe's
// webhook so that they see the pods it mutated: OpenShift-like SCC, Pod Security, LimitRanger,
// ResourceQuota; the event TTL sweeper and the ODH-like operator (idle until /lab/actions switches it on).
import type { MemoryStore } from '../apiserver/store.ts';
import type { AdmissionPlugin } from '../types.ts';
import { startEventTtl } from './event-ttl.ts';
import { imageVolumeGate } from './feature-gates.ts';
import { limitRangerAdmission } from './limit-ranger.ts';
import { startOperator } from './operator.ts';
import { podSecurityAdmission } from './pod-security.ts';
import { resourceQuotaAdmission } from './resource-quota.ts';
import { sccAdmission } from './scc.ts';

/** Operators reconcile within seconds; the lab's waits scale with --time-scale like the others. */
const REVERT_AFTER_MS = 3000;

export interface PlatformHost {
  store: MemoryStore;
  addAdmission(plugin: AdmissionPlugin): void;
  onShutdown(hook: () => void): void;
}

export function registerPlatform(lab: PlatformHost, opts: { timeScale: number }): void {
  // Mutating before validating, as kube-apiserver orders them: LimitRanger's defaults, SCC's uid, then
  // Pod Security, and ResourceQuota last (it counts what the pod finally asks for).
  // The API server's own strategy drops fields of disabled feature gates after the mutating webhooks.
  lab.addAdmission(imageVolumeGate());
  lab.addAdmission(limitRangerAdmission());
  lab.addAdmission(sccAdmission());
  lab.addAdmission(podSecurityAdmission());
  lab.addAdmission(resourceQuotaAdmission());
  lab.onShutdown(startEventTtl(lab.store));
  lab.onShutdown(startOperator(lab.store, { revertAfterMs: REVERT_AFTER_MS / opts.timeScale }));
}
