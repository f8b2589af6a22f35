// The ImageVolume gate as kube-apiserver applies it: off, a new pod (or template) loses its image
// volumes and their mounts and is admitted; on, or with image volumes already in use, nothing changes.
import { describe, expect, it } from 'vitest';
import type { AdmissionRequest, KObject } from '../types.ts';
import { featureGateEnabled, imageVolumeGate, setFeatureGate } from './feature-gates.ts';

const nativePod = (): KObject => ({
  apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'ns' },
  spec: {
    volumes: [{ name: 'kserve-provision-location', image: { reference: 'lab/model:1', pullPolicy: 'IfNotPresent' } }, { name: 'cache', emptyDir: {} }],
    containers: [{ name: 'kserve-container', volumeMounts: [{ name: 'kserve-provision-location', mountPath: '/mnt/models', subPath: 'models', readOnly: true }, { name: 'cache', mountPath: '/cache' }] }],
    initContainers: [{ name: 'init', volumeMounts: [{ name: 'kserve-provision-location', mountPath: '/m' }] }],
  },
});

function admit(store: object, object: KObject, operation: 'CREATE' | 'UPDATE' = 'CREATE', oldObject?: KObject, resource = 'pods'): KObject {
  return imageVolumeGate().admit({ operation, resource, object, oldObject, store, user: { username: 'u', groups: [] }, namespace: 'ns' } as unknown as AdmissionRequest) as KObject;
}

describe('ImageVolume feature gate', () => {
  it('is on unless turned off, per lab', () => {
    const a = {}; const b = {};
    setFeatureGate(a, 'ImageVolume', false);
    expect([featureGateEnabled(a, 'ImageVolume'), featureGateEnabled(b, 'ImageVolume')]).toEqual([false, true]);
  });

  it('on: the pod keeps its image volume', () => {
    expect(admit({}, nativePod())).toEqual(nativePod());
  });

  it('off: drops the image volume and every mount of it, keeps the rest (dropImageVolumes)', () => {
    const store = {};
    setFeatureGate(store, 'ImageVolume', false);
    const spec = admit(store, nativePod()).spec as any;
    expect(spec.volumes).toEqual([{ name: 'cache', emptyDir: {} }]);
    expect(spec.containers[0].volumeMounts).toEqual([{ name: 'cache', mountPath: '/cache' }]);
    expect(spec.initContainers[0]).not.toHaveProperty('volumeMounts');
  });

  it('off: a Deployment template loses it too; an update of an object already using image volumes keeps it', () => {
    const store = {};
    setFeatureGate(store, 'ImageVolume', false);
    const deployment = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd', namespace: 'ns' }, spec: { template: { spec: nativePod().spec } } } as KObject;
    expect((admit(store, deployment, 'CREATE', undefined, 'deployments.apps').spec as any).template.spec.volumes).toEqual([{ name: 'cache', emptyDir: {} }]);
    expect(admit(store, nativePod(), 'UPDATE', nativePod())).toEqual(nativePod());
  });
});
