// What every pod worker shares with the kubelet that runs it.
import type { ImageStore, LabStore } from '../types.ts';
import type { Backoff } from './backoff.ts';
import type { PodNetwork } from './net.ts';

export interface NodeContext {
  store: LabStore;
  nodeName: string;
  stateDir: string;
  images: ImageStore;
  /** Divides every kubelet wait (back-offs, probe periods, grace periods); messages keep real durations. */
  timeScale: number;
  /** Prefix of every runc container id and the cgroup parent this kubelet creates. */
  namePrefix: string;
  /** The node's address; the pod IP too of pods on the host network. */
  hostIP: string;
  /** The pod network (a netns per pod on the lab bridge); undefined: pods share the host network. */
  network?: PodNetwork;
  /** Called when a pod's network cannot be set up: it runs on the host network (the reason is logged once). */
  networkFailed(reason: string): void;
  /** A read-only busybox root for pause containers. */
  pauseRootfs: string;
  crashBackoff: Backoff;
  pullBackoff: Backoff;
  /** Whether runc can enforce memory limits here (a memory cgroup controller is available). */
  memoryLimits: boolean;
  allocatable: { cpu: number; memory: number };
  /** Serialises image pulls node-wide, as the kubelet's default serial puller does. */
  pullQueue: { tail: Promise<unknown> };
}

/** Sleeps `ms` milliseconds, or less if `signal` aborts first. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
