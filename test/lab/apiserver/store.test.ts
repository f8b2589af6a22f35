import { describe, expect, it } from 'vitest';
import type { KObject } from '../types.ts';
import { MemoryStore } from './store.ts';
import type { Change } from './store.ts';

const ns = (name: string): KObject => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
const cm = (name: string, data: Record<string, string> = {}, meta: Record<string, unknown> = {}): KObject =>
  ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'default', ...meta }, data });

async function storeWithDefault(opts: { historyLimit?: number } = {}): Promise<MemoryStore> {
  const store = new MemoryStore(undefined, opts);
  await store.create('namespaces', ns('default'));
  return store;
}

describe('MemoryStore', () => {
  it('assigns uid, creationTimestamp, resourceVersion and generated names', async () => {
    const store = await storeWithDefault();
    const a = await store.create('configmaps', cm('', {}, { generateName: 'gen-' }));
    expect(a.metadata.name).toMatch(/^gen-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
    expect(a.metadata.uid).toMatch(/^[0-9a-f-]{36}$/);
    expect(Number(a.metadata.resourceVersion)).toBeGreaterThan(0);
    await expect(store.create('configmaps', cm(a.metadata.name!))).rejects.toThrow(`configmaps "${a.metadata.name}" already exists`);
    await expect(store.create('configmaps', { ...cm('x'), metadata: { name: 'x', namespace: 'nope' } })).rejects.toThrow('namespaces "nope" not found');
  });

  it('rejects a stale update with 409 Conflict and keeps no-op updates silent', async () => {
    const store = await storeWithDefault();
    const v1 = await store.create('configmaps', cm('c', { a: '1' }));
    const v2 = await store.update('configmaps', { ...v1, data: { a: '2' } });
    expect(v2.metadata.resourceVersion).not.toBe(v1.metadata.resourceVersion);
    await expect(store.update('configmaps', { ...v1, data: { a: '3' } })).rejects.toMatchObject({ reason: 'Conflict', code: 409 });
    const same = await store.update('configmaps', v2);
    expect(same.metadata.resourceVersion).toBe(v2.metadata.resourceVersion);
  });

  it('bumps generation on spec changes only, and keeps status out of main-resource updates', async () => {
    const store = await storeWithDefault();
    const rs = await store.create('replicasets.apps', { apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { name: 'r', namespace: 'default' },
      spec: { replicas: 1, selector: { matchLabels: { a: 'b' } }, template: { metadata: { labels: { a: 'b' } }, spec: { containers: [{ name: 'c', image: 'i' }] } } } });
    expect(rs.metadata.generation).toBe(1);
    const labelled = await store.update('replicasets.apps', { ...rs, metadata: { ...rs.metadata, labels: { x: 'y' } }, status: { replicas: 5 } });
    expect(labelled.metadata.generation).toBe(1);
    expect(labelled.status).toBeUndefined();
    const scaled = await store.update('replicasets.apps', { ...labelled, spec: { ...(labelled.spec as object), replicas: 2 } });
    expect(scaled.metadata.generation).toBe(2);
    const withStatus = await store.updateStatus('replicasets.apps', { ...scaled, status: { replicas: 2 } });
    expect(withStatus.status).toEqual({ replicas: 2 });
    expect(withStatus.metadata.generation).toBe(2);
  });

  it('replays changes after a resourceVersion and answers 410 Expired once they are gone', async () => {
    const store = await storeWithDefault({ historyLimit: 4 });
    const start = store.resourceVersion;
    await store.create('configmaps', cm('a'));
    const seen: Change[] = [];
    const stop = store.watchFrom('configmaps', 'default', start, (c) => seen.push(c));
    await store.delete('configmaps', 'default', 'a');
    stop();
    expect(seen.map((c) => `${c.type} ${c.obj.metadata.name}`)).toEqual(['ADDED a', 'DELETED a']);
    for (let i = 0; i < 6; i++) await store.create('configmaps', cm(`n${i}`));
    expect(() => store.watchFrom('configmaps', 'default', start, () => {})).toThrow(/too old resource version/);
  });

  it('garbage-collects dependents of a deleted owner, and orphans them on request', async () => {
    const store = await storeWithDefault();
    const owner = await store.create('configmaps', cm('owner'));
    const ref = { apiVersion: 'v1', kind: 'ConfigMap', name: 'owner', uid: owner.metadata.uid!, controller: true };
    await store.create('configmaps', cm('dep', {}, { ownerReferences: [ref] }));
    await store.delete('configmaps', 'default', 'owner');
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setImmediate(r));
    expect(store.get('configmaps', 'default', 'dep')).toBeUndefined();

    const owner2 = await store.create('configmaps', cm('owner2'));
    await store.create('configmaps', cm('kept', {}, { ownerReferences: [{ ...ref, name: 'owner2', uid: owner2.metadata.uid! }] }));
    await store.delete('configmaps', 'default', 'owner2', undefined, { propagationPolicy: 'Orphan' });
    await new Promise((r) => setTimeout(r, 10));
    expect(store.get('configmaps', 'default', 'kept')?.metadata.ownerReferences).toBeUndefined();
  });

  it('deletes a namespace after its contents, refusing new content while it terminates', async () => {
    const store = await storeWithDefault();
    await store.create('namespaces', ns('doomed'));
    await store.create('configmaps', { ...cm('inside'), metadata: { name: 'inside', namespace: 'doomed' } });
    const terminating = await store.delete('namespaces', undefined, 'doomed');
    expect(terminating?.status).toEqual({ phase: 'Terminating' });
    await expect(store.create('configmaps', { ...cm('late'), metadata: { name: 'late', namespace: 'doomed' } }))
      .rejects.toThrow('configmaps "late" is forbidden: unable to create new content in namespace doomed because it is being terminated');
    await new Promise((r) => setImmediate(r));
    expect(store.get('configmaps', 'doomed', 'inside')).toBeUndefined();
    expect(store.get('namespaces', undefined, 'doomed')).toBeUndefined();
    await expect(store.delete('namespaces', undefined, 'default')).rejects.toThrow('namespaces "default" is forbidden: this namespace may not be deleted');
  });

  it('aggregates repeated events into count and lastTimestamp', async () => {
    const store = await storeWithDefault();
    const pod = await store.create('configmaps', cm('subject'));
    await store.recordEvent(pod, 'Warning', 'BackOff', 'Back-off restarting failed container', { component: 'kubelet', host: 'lab-node' });
    await store.recordEvent(pod, 'Warning', 'BackOff', 'Back-off restarting failed container', { component: 'kubelet', host: 'lab-node' });
    await store.recordEvent(pod, 'Normal', 'Pulled', 'other', { component: 'kubelet' }, { fieldPath: 'spec.containers{main}' });
    const events = store.list('events', 'default');
    expect(events).toHaveLength(2);
    const backoff = events.find((e) => e.reason === 'BackOff')!;
    expect(backoff).toMatchObject({ count: 2, type: 'Warning', source: { component: 'kubelet', host: 'lab-node' }, reportingComponent: 'kubelet',
      involvedObject: { kind: 'ConfigMap', name: 'subject', uid: pod.metadata.uid, resourceVersion: pod.metadata.resourceVersion } });
    expect(events.find((e) => e.reason === 'Pulled')!.involvedObject).toMatchObject({ fieldPath: 'spec.containers{main}' });
  });
});
