import { describe, expect, it } from 'vitest';
import type { Pod } from '../../shared/snapshot.ts';
import { controllerImage, controllerNamespace, logContainers, relevantEvents } from './gather.ts';

const pod = (ns: string, env?: Array<{ name: string; value?: string }>): Pod => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'kserve-controller-manager-x', namespace: ns },
  spec: { containers: [{ name: 'kube-rbac-proxy', image: 'proxy:v1' }, { name: 'manager', image: 'kserve/kserve-controller:v0.15.2', env }] },
});

describe('gather helpers', () => {
  it('finds the controller namespace from POD_NAMESPACE, else the pod namespace', () => {
    expect(controllerNamespace([pod('kserve', [{ name: 'POD_NAMESPACE', value: 'opendatahub' }])])).toBe('opendatahub');
    expect(controllerNamespace([pod('kserve-system')])).toBe('kserve-system');
    expect(controllerNamespace([])).toBeUndefined();
    expect(controllerImage([pod('kserve')])).toBe('kserve/kserve-controller:v0.15.2');
  });

  it('keeps the events of the InferenceService and everything named after it or known by uid', () => {
    const ev = (name: string, uid?: string) => ({ involvedObject: { name, uid } });
    const kept = relevantEvents([ev('sklearn-iris-oci'), ev('sklearn-iris-oci-predictor-abc'), ev('other-predictor'), ev('renamed', 'u1'), ev('sklearn-iris-ocix')], 'sklearn-iris-oci', new Set(['u1']));
    expect(kept.map((e) => e.involvedObject.name)).toEqual(['sklearn-iris-oci', 'sklearn-iris-oci-predictor-abc', 'renamed']);
  });

  it('reads logs of modelcars, their init containers and the runtime containers only', () => {
    const p: Pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'p' },
      spec: {
        initContainers: [{ name: 'modelcar-init' }, { name: 'other-init' }],
        containers: [{ name: 'kserve-container' }, { name: 'queue-proxy' }, { name: 'modelcar', args: ['sh', '-c', 'ln -sf /proc/$$$$/root/models /mnt/models && sleep infinity'] }, { name: 'transformer-container' }],
      },
    };
    expect(logContainers(p).sort()).toEqual(['kserve-container', 'modelcar', 'modelcar-init', 'transformer-container']);
  });
});
