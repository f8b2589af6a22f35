// The Node object's status as the kubelet posts it every 10 s: conditions, addresses, capacity,
// nodeInfo and the node's images.
import { arch, cpus, hostname, release, totalmem } from 'node:os';
import { readFileSync } from 'node:fs';
import { SERVER_VERSION } from '../apiserver/version.ts';
import type { KObject } from '../types.ts';
import type { NodeContext } from './node-context.ts';
import { apiTimeNow } from './pod-types.ts';

// The kubelet runs the API server's release, as in a kubeadm cluster.
const KUBELET_VERSION = SERVER_VERSION.gitVersion;
const CONTAINER_RUNTIME_VERSION = 'containerd://1.7.27';

function osImage(): string {
  try {
    return /^PRETTY_NAME="?([^"\n]*)"?$/m.exec(readFileSync('/etc/os-release', 'utf8'))?.[1] ?? 'Linux';
  } catch {
    return 'Linux';
  }
}

function condition(type: string, status: 'True' | 'False', reason: string, message: string, previous: KObject | undefined, now: string) {
  const before = ((previous?.['status'] as { conditions?: Array<{ type: string; status: string; lastTransitionTime: string }> } | undefined)?.conditions ?? []).find((c) => c.type === type);
  return { type, status, lastHeartbeatTime: now, lastTransitionTime: before?.status === status ? before.lastTransitionTime : now, reason, message };
}

export function nodeStatus(ctx: NodeContext, previous: KObject | undefined): Record<string, unknown> {
  const now = apiTimeNow();
  const memKi = `${Math.floor(totalmem() / 1024)}Ki`;
  const capacity = { cpu: String(cpus().length), memory: memKi, pods: '110', 'ephemeral-storage': '61202244Ki', 'hugepages-1Gi': '0', 'hugepages-2Mi': '0' };
  return {
    conditions: [
      condition('MemoryPressure', 'False', 'KubeletHasSufficientMemory', 'kubelet has sufficient memory available', previous, now),
      condition('DiskPressure', 'False', 'KubeletHasNoDiskPressure', 'kubelet has no disk pressure', previous, now),
      condition('PIDPressure', 'False', 'KubeletHasSufficientPID', 'kubelet has sufficient PID available', previous, now),
      condition('Ready', 'True', 'KubeletReady', 'kubelet is posting ready status', previous, now),
    ],
    addresses: [
      { type: 'InternalIP', address: ctx.hostIP },
      { type: 'Hostname', address: ctx.nodeName },
    ],
    capacity,
    allocatable: capacity,
    daemonEndpoints: { kubeletEndpoint: { Port: 10250 } },
    nodeInfo: {
      machineID: hostname(),
      systemUUID: hostname(),
      bootID: readBootId(),
      kernelVersion: release(),
      osImage: osImage(),
      containerRuntimeVersion: CONTAINER_RUNTIME_VERSION,
      kubeletVersion: KUBELET_VERSION,
      kubeProxyVersion: KUBELET_VERSION,
      operatingSystem: 'linux',
      architecture: arch() === 'x64' ? 'amd64' : arch(),
    },
    images: ctx.images.list(),
  };
}

function readBootId(): string {
  try {
    return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  } catch {
    return '';
  }
}

/** Posts the node status now and then every 10 s (scaled, at least every second); `stop` ends it. */
export function startNodeStatus(ctx: NodeContext): { stop(): void } {
  let stopped = false;
  const post = async () => {
    // The lab registers its node at bootstrap (as `kubeadm join` would); until then there is nothing to post.
    const node = ctx.store.get('nodes', undefined, ctx.nodeName);
    if (!node) return;
    try {
      await ctx.store.updateStatus('nodes', { ...node, status: nodeStatus(ctx, node) });
    } catch {
      // a concurrent write or a shutdown: the next round posts again
    }
  };
  void post();
  const timer = setInterval(() => {
    if (!stopped) void post();
  }, Math.max(1000, 10_000 / ctx.timeScale));
  timer.unref();
  return {
    stop() {
      stopped = true;
      clearInterval(timer);
    },
  };
}
