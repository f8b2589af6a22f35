// Container-level faults of the lab (issue 5), asked for per pod with annotations so that the fault
// switchboard, tests and `kubectl annotate` can all set them. Each names the containers it applies
// to, comma-separated; they take effect when a container (re)starts.
import type { Pod } from './pod-types.ts';

export const FAULT_ANNOTATIONS = {
  /** The container's root filesystem is read-only although its securityContext does not say so. */
  readonlyRootfs: 'lab.kubectl-modelcar.dev/fault-readonly-rootfs',
  /** /tmp is an empty tmpfs mounted noexec (binaries copied there cannot run). */
  noexecTmp: 'lab.kubectl-modelcar.dev/fault-noexec-tmp',
} as const;

export function containerFaults(pod: Pod, container: string): { readonlyRootfs: boolean; noexecTmp: boolean } {
  const applies = (key: string) => (pod.metadata.annotations?.[key] ?? '').split(',').map((s) => s.trim()).includes(container);
  return { readonlyRootfs: applies(FAULT_ANNOTATIONS.readonlyRootfs), noexecTmp: applies(FAULT_ANNOTATIONS.noexecTmp) };
}
