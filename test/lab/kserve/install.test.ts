import { describe, expect, it } from 'vitest';
import { KSERVE_VERSIONS, kserveInstallObjects } from './install.ts';

function find(objs: ReturnType<typeof kserveInstallObjects>, kind: string, name: string) {
  const found = objs.find((o) => o.kind === kind && o.metadata.name === name);
  if (!found) throw new Error(`${kind} ${name} missing`);
  return found;
}

function storageInitializer(version: string): Record<string, unknown> {
  const cm = find(kserveInstallObjects(version), 'ConfigMap', 'inferenceservice-config') as { data?: Record<string, string> };
  return JSON.parse(cm.data!.storageInitializer!) as Record<string, unknown>;
}

describe('kserveInstallObjects', () => {
  it('ships modelcars disabled and without a uid in v0.13.0 (config/configmap/inferenceservice.yaml)', () => {
    const si = storageInitializer('v0.13.0');
    expect(si.enableModelcar).toBe(false);
    expect(si).not.toHaveProperty('uidModelcar');
    expect(si.cpuModelcar).toBe('10m');
    expect(si.memoryModelcar).toBe('15Mi');
  });

  it.each(['v0.15.2', 'v0.17.0', 'v0.20.0'])('ships modelcars enabled with uid 1010 in %s', (version) => {
    const si = storageInitializer(version);
    expect(si).toMatchObject({ enableModelcar: true, uidModelcar: 1010, cpuModelcar: '10m', memoryModelcar: '15Mi', image: 'kserve/storage-initializer:latest' });
  });

  it('keeps the _example block and the other keys as shipped', () => {
    const cm = find(kserveInstallObjects('v0.20.0'), 'ConfigMap', 'inferenceservice-config') as { data?: Record<string, string> };
    expect(Object.keys(cm.data!)).toEqual(expect.arrayContaining(['_example', 'storageInitializer', 'ingress', 'deploy', 'logger', 'batcher', 'agent', 'credentials']));
    expect(cm.data!._example).toContain('EXAMPLE CONFIGURATION');
    for (const [key, value] of Object.entries(cm.data!)) {
      if (key !== '_example') expect(() => JSON.parse(value), key).not.toThrow();
    }
  });

  it.each(KSERVE_VERSIONS)('%s: sklearn runtime, controller and the isvc CRD', (version) => {
    const objs = kserveInstallObjects(version);
    const runtime = find(objs, 'ClusterServingRuntime', 'kserve-sklearnserver') as { spec?: any };
    expect(runtime.spec.supportedModelFormats[0]).toMatchObject({ name: 'sklearn', autoSelect: true });
    expect(runtime.spec.containers[0]).toMatchObject({
      name: 'kserve-container',
      image: `kserve/sklearnserver:${version}`,
      args: ['--model_name={{.Name}}', '--model_dir=/mnt/models', '--http_port=8080'],
    });
    const controller = find(objs, 'Deployment', 'kserve-controller-manager') as { metadata: any; spec?: any };
    expect(controller.metadata.namespace).toBe('kserve');
    expect(controller.spec.template.metadata.labels).toEqual({ 'control-plane': 'kserve-controller-manager', 'controller-tools.k8s.io': '1.0' });
    const manager = controller.spec.template.spec.containers[0];
    expect(manager.name).toBe('manager');
    expect(manager.image).toBe(`kserve/kserve-controller:${version}`);
    expect(manager.env).toContainEqual({ name: 'POD_NAMESPACE', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } });
    const isvc = find(objs, 'CustomResourceDefinition', 'inferenceservices.serving.kserve.io') as { spec?: any };
    expect(isvc.spec.names.shortNames).toEqual(['isvc']);
    expect(isvc.spec.versions[0].subresources).toEqual({ status: {} });
    expect(isvc.spec.versions[0].additionalPrinterColumns.map((c: { name: string }) => c.name)).toEqual([
      'URL', 'Ready', 'Prev', 'Latest', 'PrevRolledoutRevision', 'LatestReadyRevision', 'Age',
    ]);
  });

  it('rejects a release it has no data for', () => {
    expect(() => kserveInstallObjects('v0.99.0')).toThrow(/no shipped KServe data/);
  });
});
