// @kubernetes/client-node against the lab: typed and custom-object lists, writes, and a watch
// resumed from a list's resourceVersion with a label selector.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CoreV1Api, CustomObjectsApi, Watch, type V1ConfigMap } from '@kubernetes/client-node';
import { kubectl, labClient } from './testkit.ts';

const ns = `cn-${Date.now().toString(36)}`;
const kc = () => labClient();

beforeAll(async () => {
  expect((await kubectl(['create', 'namespace', ns])).exitCode).toBe(0);
});

afterAll(async () => {
  await kubectl(['delete', 'namespace', ns, '--wait=false']);
});

describe('client-node', () => {
  it('lists pods, namespaces and InferenceServices', async () => {
    const core = kc().makeApiClient(CoreV1Api);
    const pods = await core.listNamespacedPod({ namespace: 'kserve', labelSelector: 'control-plane=kserve-controller-manager' });
    expect(pods.items.length).toBeGreaterThan(0);
    expect(pods.items[0]!.metadata!.ownerReferences![0]!.kind).toBe('ReplicaSet');
    const namespaces = await core.listNamespace();
    expect(namespaces.items.map((n) => n.metadata!.name)).toEqual(expect.arrayContaining(['default', 'kserve', 'kserve-test', ns]));
    const isvcs = await kc().makeApiClient(CustomObjectsApi).listClusterCustomObject({ group: 'serving.kserve.io', version: 'v1beta1', plural: 'inferenceservices' }) as { kind: string; items: unknown[] };
    expect(isvcs.kind).toBe('InferenceServiceList');
  });

  it('watches from a list resourceVersion and sees ADDED, MODIFIED and DELETED in order', async () => {
    const core = kc().makeApiClient(CoreV1Api);
    const list = await core.listNamespacedConfigMap({ namespace: ns });
    const seen: string[] = [];
    const done = new Promise<void>((resolve, reject) => {
      void new Watch(kc()).watch(`/api/v1/namespaces/${ns}/configmaps`, { resourceVersion: list.metadata!.resourceVersion, allowWatchBookmarks: true, labelSelector: 'watched=yes' },
        (type, obj: V1ConfigMap) => {
          seen.push(`${type} ${obj.metadata!.name} ${obj.data?.v ?? ''}`.trim());
          if (type === 'DELETED') resolve();
        },
        (err: unknown) => { if (err) reject(err as Error); })
        .then((ctl) => done.finally(() => ctl.abort()));
    });
    await core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'ignored' }, data: { v: '0' } } });
    await core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'w', labels: { watched: 'yes' } }, data: { v: '1' } } });
    await core.replaceNamespacedConfigMap({ name: 'w', namespace: ns, body: { metadata: { name: 'w', labels: { watched: 'yes' } }, data: { v: '2' } } });
    await core.deleteNamespacedConfigMap({ name: 'w', namespace: ns });
    await done;
    expect(seen.filter((s) => !s.startsWith('BOOKMARK'))).toEqual(['ADDED w 1', 'MODIFIED w 2', 'DELETED w 2']);
  });
});
