// An Open Data Hub / OpenShift AI style operator owning KServe's inferenceservice-config: once the
// lab is switched to operator-managed (/lab/actions `manage-config`), the ConfigMap carries the
// operator's owner reference and labels, and any edit of its data is put back a few seconds later,
// as the operator's reconcile loop does.
import type { MemoryStore } from '../apiserver/store.ts';
import { CONFIG_MAP_NAME, KSERVE_NAMESPACE } from '../kserve/install.ts';
import type { KObject } from '../types.ts';

const MANAGED_LABELS = {
  'app.opendatahub.io/kserve': 'true',
  'app.kubernetes.io/part-of': 'kserve',
  'app.kubernetes.io/managed-by': 'opendatahub-operator',
  'platform.opendatahub.io/part-of': 'kserve',
};
const OWNER = { apiVersion: 'datasciencecluster.opendatahub.io/v1', kind: 'DataScienceCluster', name: 'default-dsc', uid: '5d1f3a2e-0b7c-4c1e-9a44-0d5e6f7a8b9c', controller: true, blockOwnerDeletion: true };

/** The desired data once managed; the watch reverts edits after `revertAfterMs`. */
const managed = new WeakMap<object, { data: Record<string, string> }>();

/** Hands the ConfigMap to the operator (its data as it is now becomes the desired state), or back
 *  (`enabled: false`: labels and owner reference removed, edits stay). */
export async function manageInferenceServiceConfig(store: MemoryStore, enabled = true): Promise<KObject> {
  const cm = store.get('configmaps', KSERVE_NAMESPACE, CONFIG_MAP_NAME);
  if (!cm) throw new Error(`no ConfigMap ${KSERVE_NAMESPACE}/${CONFIG_MAP_NAME} to manage`);
  const labels = { ...cm.metadata.labels };
  for (const k of Object.keys(MANAGED_LABELS)) delete labels[k];
  if (enabled) managed.set(store, { data: structuredClone((cm['data'] ?? {}) as Record<string, string>) });
  else managed.delete(store);
  cm.metadata.labels = enabled ? { ...labels, ...MANAGED_LABELS } : labels;
  cm.metadata.ownerReferences = enabled ? [OWNER] : (cm.metadata.ownerReferences ?? []).filter((r) => r.uid !== OWNER.uid);
  if (!cm.metadata.ownerReferences.length) delete cm.metadata.ownerReferences;
  return store.update('configmaps', cm);
}

export function startOperator(store: MemoryStore, opts: { revertAfterMs: number }): () => void {
  const pending = new Set<ReturnType<typeof setTimeout>>();
  const stop = store.watch('configmaps', KSERVE_NAMESPACE, (ev) => {
    const desired = managed.get(store);
    if (!desired || ev.type === 'DELETED' || ev.object.metadata.name !== CONFIG_MAP_NAME) return;
    if (JSON.stringify(ev.object['data'] ?? {}) === JSON.stringify(desired.data)) return;
    const timer = setTimeout(() => {
      pending.delete(timer);
      const now = store.get('configmaps', KSERVE_NAMESPACE, CONFIG_MAP_NAME);
      if (!now || JSON.stringify(now['data'] ?? {}) === JSON.stringify(desired.data)) return;
      void store.update('configmaps', { ...now, data: desired.data }).catch(() => undefined);
    }, opts.revertAfterMs);
    pending.add(timer);
  });
  return () => { stop(); for (const t of pending) clearTimeout(t); };
}
