// Pod faults that happen now: a pod deleted without grace, a container's process killed. The kill
// goes to the runc container behind the containerID the kubelet reported, so the kubelet sees the
// exit (137) and restarts it as a real one does.
import { execa } from 'execa';
import { ApiError, badRequest } from '../apiserver/errors.ts';
import type { MemoryStore } from '../apiserver/store.ts';
import { runcList } from '../kubelet/runc.ts';
import { isSimulatedNode } from '../simnode/node.ts';
import { SYSTEM_USER } from '../types.ts';

type Status = { containerStatuses?: Array<{ name: string; containerID?: string; state?: { running?: unknown } }>; initContainerStatuses?: Array<{ name: string; containerID?: string; state?: { running?: unknown } }> };

function podOf(store: MemoryStore, namespace: string, name: string) {
  const pod = store.get('pods', namespace, name);
  if (!pod) throw new ApiError('NotFound', `pods "${name}" not found`, { name, group: '', kind: 'pods' });
  return pod;
}

/** `kubectl delete pod --grace-period=0 --force`: gone at once, the controllers make a new one. */
export async function deletePodNow(store: MemoryStore, namespace: string, name: string): Promise<Record<string, unknown>> {
  const pod = podOf(store, namespace, name);
  await store.delete('pods', namespace, name, SYSTEM_USER, { gracePeriodSeconds: 0 });
  return { deleted: `${namespace}/${name}`, uid: pod.metadata.uid };
}

export async function killContainerNow(store: MemoryStore, namespace: string, name: string, container: string): Promise<Record<string, unknown>> {
  const pod = podOf(store, namespace, name);
  const nodeName = (pod.spec as { nodeName?: string }).nodeName;
  if (isSimulatedNode(nodeName ? store.get('nodes', undefined, nodeName) : undefined)) {
    throw badRequest(`pod ${namespace}/${name} runs on simulated node ${nodeName}: there is no process to kill`);
  }
  const status = (pod.status ?? {}) as Status;
  const cs = [...(status.containerStatuses ?? []), ...(status.initContainerStatuses ?? [])].find((c) => c.name === container);
  if (!cs?.state?.running || !cs.containerID) throw badRequest(`container ${container} of pod ${namespace}/${name} is not running`);
  // The kubelet names a runc container <prefix>-<first 24 hex digits of its containerID>.
  const hex = cs.containerID.replace(/^containerd:\/\//, '').slice(0, 24);
  const runc = (await runcList()).find((c) => c.id.endsWith(`-${hex}`) && c.status === 'running');
  if (!runc) throw badRequest(`no running runc container for ${cs.containerID}`);
  await execa('runc', ['kill', runc.id, 'KILL']);
  return { killed: `${namespace}/${name}/${container}`, containerID: cs.containerID };
}
