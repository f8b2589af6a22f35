// For API-level lab tests: plays the kubelet of a node no real kubelet serves, marking its pods
// Running and Ready through the status subresource, and confirming graceful deletions, as a
// kubelet does.
import { CoreV1Api, type V1Pod } from '@kubernetes/client-node';
import type { KubeConfig } from '@kubernetes/client-node';

export const STANDIN_NODE = 'api-test-node';

/** Runs every pod bound to STANDIN_NODE in `namespace` (Running, Ready; deleted once Terminating) until stopped. */
export function startKubeletStandIn(kc: KubeConfig, namespace: string): () => void {
  const api = kc.makeApiClient(CoreV1Api);
  let stopped = false;
  const tick = async (): Promise<void> => {
    const pods = await api.listNamespacedPod({ namespace, fieldSelector: `spec.nodeName=${STANDIN_NODE}` });
    for (const pod of pods.items) {
      if (pod.metadata?.deletionTimestamp) {
        await api.deleteNamespacedPod({ name: pod.metadata.name!, namespace, gracePeriodSeconds: 0 }).catch(() => undefined);
        continue;
      }
      if (pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')) continue;
      await api.replaceNamespacedPodStatus({ name: pod.metadata!.name!, namespace, body: runningStatus(pod) }).catch(() => undefined);
    }
  };
  const loop = async (): Promise<void> => {
    while (!stopped) {
      await tick().catch(() => undefined);
      await new Promise((r) => setTimeout(r, 150));
    }
  };
  void loop();
  return () => { stopped = true; };
}

function runningStatus(pod: V1Pod): V1Pod {
  const now = new Date();
  const condition = (type: string) => ({ type, status: 'True', lastTransitionTime: now });
  return {
    ...pod,
    status: {
      ...pod.status,
      phase: 'Running',
      podIP: '10.244.0.99',
      podIPs: [{ ip: '10.244.0.99' }],
      startTime: now,
      conditions: ['PodReadyToStartContainers', 'Initialized', 'Ready', 'ContainersReady', 'PodScheduled'].map(condition),
      containerStatuses: (pod.spec?.containers ?? []).map((c) => ({
        name: c.name, image: c.image!, imageID: '', ready: true, started: true, restartCount: 0, state: { running: { startedAt: now } },
      })),
    },
  };
}
