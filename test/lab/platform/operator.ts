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

export async function manageInferenceServiceConfig(store: MemoryStore): Promise<KObject> {
  const cm = store.get('configmaps', KSERVE_NAMESPACE, CONFIG_MAP_NAME);
  if (!cm) throw new Error(`no ConfigMap ${KSERVE_NAMESPACE}/${CONFIG_MAP_NAME} to manage`);
  managed.set(store, { data: structuredClone((cm['data'] ?? {}) as Record<string, string>) });
  cm.metadata.labels = { ...cm.metadata.labels, ...MANAGED_LABELS };
  cm.metadata.ownerReferences = [OWNER];
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
