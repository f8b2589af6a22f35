// What every new namespace gets from the controller manager: the `default` ServiceAccount
// (serviceaccounts-controller) and the `kube-root-ca.crt` ConfigMap (root-ca-cert-publisher).
import type { LabStore } from '../types.ts';
import { ApiError } from '../apiserver/errors.ts';

export function startNamespaceController(store: LabStore, caCertPem: string): () => void {
  const populate = async (ns: string): Promise<void> => {
    const objects = [
      { resource: 'serviceaccounts', obj: { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'default', namespace: ns } } },
      { resource: 'configmaps', obj: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'kube-root-ca.crt', namespace: ns, annotations: { 'kubernetes.io/description': 'Contains a CA bundle that can be used to verify the kube-apiserver when using internal endpoints such as the internal service IP or kubernetes.default.svc. No other usage is guaranteed across distributions of Kubernetes clusters.' } }, data: { 'ca.crt': caCertPem } } },
    ];
    for (const { resource, obj } of objects) {
      if (store.get(resource, ns, obj.metadata.name)) continue;
      await store.create(resource, obj).catch((err: unknown) => {
        // A namespace deleted meanwhile, or an object created by someone else first.
        if (!(err instanceof ApiError)) throw err;
      });
    }
  };
  const stop = store.watch('namespaces', undefined, (ev) => {
    if (ev.type === 'ADDED') void populate(ev.object.metadata.name!);
  });
  for (const ns of store.list('namespaces')) void populate(ns.metadata.name!);
  return stop;
}
