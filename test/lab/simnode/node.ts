// Simulated nodes: Node objects that look like the lab's node to the scheduler and to kubectl, but
// whose pods get their statuses and events from the simulated kubelet (kubelet.ts) instead of runc.
import { labNode } from '../bootstrap.ts';
import type { KObject } from '../types.ts';

/** Marks a Node as simulated; its value is always "true". Pods reach it with this nodeSelector. */
export const SIMULATED_NODE_LABEL = 'lab.kubectl-modelcar.dev/simulated';
export const DEFAULT_SIM_NODE = 'sim-node-1';
/** Real clusters cap a node at 110 pods; a simulated node holds a whole populated lab. */
const SIM_MAX_PODS = '5000';

export function isSimulatedNode(node: KObject | undefined): boolean {
  return node?.metadata.labels?.[SIMULATED_NODE_LABEL] === 'true';
}

/** The Node object of a simulated node: the lab node's shape under another name, without the control-plane role. */
export function simulatedNode(name: string): KObject {
  const node = labNode();
  const labels: Record<string, string> = { ...node.metadata.labels, 'kubernetes.io/hostname': name, [SIMULATED_NODE_LABEL]: 'true' };
  delete labels['node-role.kubernetes.io/control-plane'];
  const status = node.status as { capacity: Record<string, string>; allocatable: Record<string, string>; addresses: unknown[] };
  status.capacity = { ...status.capacity, pods: SIM_MAX_PODS };
  status.allocatable = status.capacity;
  status.addresses = [{ type: 'InternalIP', address: '127.0.0.2' }, { type: 'Hostname', address: name }];
  return { ...node, metadata: { ...node.metadata, name, labels } };
}
