import { afterEach, describe, expect, it } from 'vitest';
import type { AdmissionPlugin, KObject } from '../types.ts';
import { ApiError } from '../apiserver/errors.ts';
import { MemoryStore } from '../apiserver/store.ts';
import { startDeploymentController } from './deployment.ts';
import { startReplicaSetController } from './replicaset.ts';
import { until } from '../until.ts';

const stops: Array<() => void> = [];
afterEach(() => { while (stops.length) stops.pop()!(); });

const deployment = (replicas: number): KObject => ({
  apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: 'default' },
  spec: { replicas, selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'busybox:1.36' }] } } },
});

async function lab(admission?: AdmissionPlugin): Promise<MemoryStore> {
  const store = new MemoryStore();
  await store.create('namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'default' } });
  if (admission) store.addAdmission(admission);
  stops.push(startReplicaSetController(store), startDeploymentController(store));
  return store;
}

describe('deployment and replicaset controllers', () => {
  it('create <deploy>-<hash> and its pods with the events the real controllers record', async () => {
    const store = await lab();
    await store.create('deployments.apps', deployment(2));
    const pods = await until('two pods', () => { const p = store.list('pods', 'default'); return p.length === 2 ? p : undefined; });
    const rs = store.list('replicasets.apps', 'default')[0]!;
    const hash = rs.metadata.labels!['pod-template-hash']!;
    expect(rs.metadata.name).toBe(`web-${hash}`);
    for (const p of pods) {
      expect(p.metadata.name).toMatch(new RegExp(`^web-${hash}-[a-z0-9]{5}$`));
      expect(p.metadata.ownerReferences).toEqual([expect.objectContaining({ kind: 'ReplicaSet', name: rs.metadata.name, controller: true })]);
    }
    const messages = await until('three events', () => { const m = store.list('events', 'default').map((e) => `${e.reason}: ${e.message}`); return m.length >= 3 ? m : undefined; });
    expect(messages).toEqual(expect.arrayContaining([`ScalingReplicaSet: Scaled up replica set web-${hash} from 0 to 2`, ...pods.map((p) => `SuccessfulCreate: Created pod: ${p.metadata.name}`)]));
  });

  it('report an admission rejection as FailedCreate on the ReplicaSet and ReplicaFailure on both', async () => {
    const reject: AdmissionPlugin = {
      name: 'deny-pods',
      admit: (req) => {
        if (req.resource === 'pods') throw new ApiError('Forbidden', `pods "${req.object.metadata.generateName}" is forbidden: maximum memory usage per Container is 10Mi, but limit is 15Mi`);
        return req.object;
      },
    };
    const store = await lab(reject);
    await store.create('deployments.apps', deployment(1));
    const failed = await until('FailedCreate', () => store.list('events', 'default').find((e) => e.reason === 'FailedCreate'));
    const rs = store.list('replicasets.apps', 'default')[0]!;
    expect(failed).toMatchObject({ type: 'Warning', involvedObject: { kind: 'ReplicaSet', name: rs.metadata.name }, source: { component: 'replicaset-controller' } });
    expect(failed.message).toBe(`Error creating: pods "${rs.metadata.name}-" is forbidden: maximum memory usage per Container is 10Mi, but limit is 15Mi`);
    const condition = await until('ReplicaFailure', () => (store.get('deployments.apps', 'default', 'web')!.status as { conditions?: Array<{ type: string; reason: string; message: string }> } | undefined)?.conditions?.find((c) => c.type === 'ReplicaFailure'));
    expect(condition).toMatchObject({ reason: 'FailedCreate', message: `pods "${rs.metadata.name}-" is forbidden: maximum memory usage per Container is 10Mi, but limit is 15Mi` });
    expect(store.list('pods', 'default')).toEqual([]);
  });
});
