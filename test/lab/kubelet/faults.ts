// Container-level faults only the kubelet can make (issue 5), asked for per pod with an annotation so
// that the fault switchboard, tests and `kubectl annotate` can set them. The value names the
// containers, comma-separated; it takes effect when a container (re)starts. Faults a pod spec can
// express (read-only rootfs, a full volume, no shell) are the switchboard's admission changes instead.
import type { Pod } from './pod-types.ts';

export const FAULT_ANNOTATIONS = {
  /** /tmp is an empty tmpfs mounted noexec: binaries copied there cannot run. */
  noexecTmp: 'lab.kubectl-modelcar.dev/fault-noexec-tmp',
} as const;

export function containerFaults(pod: Pod, container: string): { noexecTmp: boolean } {
  const applies = (key: string) => (pod.metadata.annotations?.[key] ?? '').split(',').map((s) => s.trim()).includes(container);
  return { noexecTmp: applies(FAULT_ANNOTATIONS.noexecTmp) };
}
