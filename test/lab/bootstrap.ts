// What a fresh lab cluster holds before anyone touches it: the system namespaces, RBAC for the
// lab's users, the node, and a fresh KServe install of the chosen release.
import { arch, cpus, release, totalmem } from 'node:os';
import { readFileSync } from 'node:fs';
import type { KObject } from './types.ts';
import type { MemoryStore } from './apiserver/store.ts';
import { rbacBootstrapObjects } from './apiserver/rbac-bootstrap.ts';
import { kserveInstallObjects } from './kserve/install.ts';
import { nowTimestamp } from './apiserver/names.ts';
import { SERVER_VERSION } from './apiserver/version.ts';

export const LAB_NODE = 'lab-node';
export const DEFAULT_KSERVE_VERSION = 'v0.20.0';

const NAMESPACES = ['default', 'kube-system', 'kube-public', 'kube-node-lease', 'kserve-test'];

function osImage(): string {
  try {
    return /^PRETTY_NAME="?([^"\n]*)"?$/m.exec(readFileSync('/etc/os-release', 'utf8'))?.[1] ?? 'Linux';
  } catch {
    return 'Linux';
  }
}

export function goArch(): string {
  return ({ x64: 'amd64', arm64: 'arm64', arm: 'arm', ia32: '386' } as Record<string, string>)[arch()] ?? arch();
}

/** The lab's node as a kubelet registers it; the kubelet (issue 4) keeps its status fresh. */
export function labNode(): KObject {
  const now = nowTimestamp();
  const memKi = `${Math.floor(totalmem() / 1024)}Ki`;
  const capacity = { cpu: String(cpus().length), memory: memKi, pods: '110', 'ephemeral-storage': '102400000Ki', 'hugepages-2Mi': '0' };
  const condition = (type: string, status: string, reason: string, message: string) => ({ type, status, lastHeartbeatTime: now, lastTransitionTime: now, reason, message });
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name: LAB_NODE,
      labels: {
        'beta.kubernetes.io/arch': goArch(), 'beta.kubernetes.io/os': 'linux',
        'kubernetes.io/arch': goArch(), 'kubernetes.io/hostname': LAB_NODE, 'kubernetes.io/os': 'linux',
        'node-role.kubernetes.io/control-plane': '',
      },
      annotations: { 'node.alpha.kubernetes.io/ttl': '0', 'volumes.kubernetes.io/controller-managed-attach-detach': 'true' },
    },
    spec: { podCIDR: '10.244.0.0/24', podCIDRs: ['10.244.0.0/24'] },
    status: {
      capacity,
      allocatable: capacity,
      conditions: [
        condition('MemoryPressure', 'False', 'KubeletHasSufficientMemory', 'kubelet has sufficient memory available'),
        condition('DiskPressure', 'False', 'KubeletHasNoDiskPressure', 'kubelet has no disk pressure'),
        condition('PIDPressure', 'False', 'KubeletHasSufficientPID', 'kubelet has sufficient PID available'),
        condition('Ready', 'True', 'KubeletReady', 'kubelet is posting ready status'),
      ],
      addresses: [{ type: 'InternalIP', address: '127.0.0.1' }, { type: 'Hostname', address: LAB_NODE }],
      daemonEndpoints: { kubeletEndpoint: { Port: 10250 } },
      nodeInfo: {
        machineID: '', systemUUID: '', bootID: '',
        kernelVersion: release(),
        osImage: osImage(),
        containerRuntimeVersion: 'runc://1.1.12',
        kubeletVersion: SERVER_VERSION.gitVersion,
        kubeProxyVersion: '',
        operatingSystem: 'linux',
        architecture: goArch(),
      },
      images: [],
    },
  };
}

/** Creates `obj` through the store (defaulting and admission included); status is kept as given. */
async function apply(store: MemoryStore, obj: KObject): Promise<void> {
  const t = store.registry.byKind(obj.apiVersion, obj.kind);
  if (!t) throw new Error(`bootstrap: no resource serves ${obj.apiVersion} ${obj.kind}`);
  const created = await store.create(t.key, obj);
  if (obj.status && t.subresources.some((s) => s.name === 'status') && t.key !== 'customresourcedefinitions.apiextensions.k8s.io') {
    await store.updateStatus(t.key, { ...created, status: obj.status });
  }
}

export async function bootstrap(store: MemoryStore, opts: { kserveVersion?: string } = {}): Promise<void> {
  for (const name of NAMESPACES) await apply(store, { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
  for (const obj of rbacBootstrapObjects()) await apply(store, obj);
  await apply(store, labNode());
  for (const obj of kserveInstallObjects(opts.kserveVersion ?? DEFAULT_KSERVE_VERSION)) await apply(store, obj);
}
