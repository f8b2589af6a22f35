import { describe, expect, it } from 'vitest';
import { effectiveIds, modelcarContainers, parseLinkCommand, runtimeContainers, servingRuntimeContainer } from './pod.ts';
import { parseVersion, versionFromImage } from './version.ts';
import type { InferenceService, PodSpec, ServingRuntime } from '../snapshot.ts';

describe('parseLinkCommand', () => {
  it('reads the v0.20 default with $$$$ as stored in the API object', () => {
    expect(parseLinkCommand('ln -sf /proc/$$$$/root/models /mnt/models && sleep infinity')).toEqual({ modelPath: '/mnt/models', lnForce: true });
  });
  it('reads the pre-v0.15 ln -s', () => {
    expect(parseLinkCommand('ln -s /proc/$$/root/models /mnt/models && sleep infinity')).toEqual({ modelPath: '/mnt/models', lnForce: false });
  });
  it('reads a quoted custom path after mkdir -p', () => {
    expect(parseLinkCommand("mkdir -p '/mnt/extra dir' && ln -sf /proc/$$$$/root/models '/mnt/extra dir/models' && sleep infinity")).toEqual({ modelPath: '/mnt/extra dir/models', lnForce: true });
  });
  it('returns null for another command', () => {
    expect(parseLinkCommand('sleep infinity')).toBeNull();
  });
});

describe('containers', () => {
  const spec: PodSpec = {
    containers: [
      { name: 'kserve-container', securityContext: { runAsUser: 1010 } },
      { name: 'modelcar', args: ['sh', '-c', 'ln -sf /proc/$$$$/root/models /mnt/models && sleep infinity'] },
      { name: 'modelcar-1', args: ['sh', '-c', 'mkdir -p /mnt/extra && ln -sf /proc/$$$$/root/models /mnt/extra/models && sleep infinity'] },
    ],
    initContainers: [{ name: 'modelcar-init' }, { name: 'modelcar-init-1' }],
    securityContext: { runAsGroup: 5 },
  };
  it('finds modelcar and modelcar-N with their init containers, paths and volumes', () => {
    const mcs = modelcarContainers(spec);
    expect(mcs.map((m) => [m.index, m.modelPath, m.init?.name, m.volume])).toEqual([
      [0, '/mnt/models', 'modelcar-init', 'kserve-provision-location'],
      [1, '/mnt/extra/models', 'modelcar-init-1', 'kserve-provision-location-1'],
    ]);
  });
  it('takes kserve-container, else worker-container', () => {
    expect(runtimeContainers(spec).map((c) => c.name)).toEqual(['kserve-container']);
    expect(runtimeContainers({ containers: [{ name: 'worker-container' }, { name: 'transformer-container' }] }).map((c) => c.name)).toEqual(['worker-container', 'transformer-container']);
  });
  it('takes ids from the container, else the pod, else says the image decides', () => {
    const ids = effectiveIds(spec, spec.containers[0]!);
    expect(ids.uid).toMatchObject({ value: 1010, source: 'container' });
    expect(ids.gid).toMatchObject({ value: 5, source: 'pod' });
    expect(effectiveIds(spec, spec.containers[1]!).uid).toEqual({ value: null, source: 'image' });
  });
});

describe('versions', () => {
  it('parses tags and leaves digests alone', () => {
    expect(versionFromImage('kserve/kserve-controller:v0.15.2')).toBe('v0.15.2');
    expect(versionFromImage('registry:5000/kserve-controller@sha256:abc')).toBeNull();
    expect(versionFromImage('quay.io/x/kserve-controller:latest')).toBeNull();
    expect(parseVersion('v0.17.1-rc0')).toEqual([0, 17, 1]);
  });
});

describe('servingRuntimeContainer', () => {
  const rt = (name: string, priority: number | undefined, autoSelect = true): ServingRuntime => ({
    apiVersion: 'serving.kserve.io/v1alpha1', kind: 'ClusterServingRuntime', metadata: { name },
    spec: { supportedModelFormats: [{ name: 'sklearn', autoSelect, ...(priority !== undefined ? { priority } : {}) }], containers: [{ name: 'kserve-container', image: name }] },
  });
  const isvc = (runtime?: string): InferenceService => ({
    apiVersion: 'serving.kserve.io/v1beta1', kind: 'InferenceService', metadata: { name: 'x', namespace: 'ns' },
    spec: { predictor: { model: { modelFormat: { name: 'sklearn' }, ...(runtime ? { runtime } : {}) } } },
  });
  it('takes the named runtime', () => {
    expect(servingRuntimeContainer(isvc('b'), [rt('a', 2), rt('b', 1)])?.image).toBe('b');
  });
  it('auto-selects the highest priority and gives up on a tie', () => {
    expect(servingRuntimeContainer(isvc(), [rt('a', 1), rt('b', 2), rt('c', 9, false)])?.image).toBe('b');
    expect(servingRuntimeContainer(isvc(), [rt('a', 1), rt('b', 1)])).toBeUndefined();
  });
});
