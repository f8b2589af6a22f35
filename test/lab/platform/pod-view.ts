// The parts of a pod that admission plugins read, and the name their messages give it.
import { ApiError } from '../apiserver/errors.ts';
import type { KObject } from '../types.ts';

export interface SecurityContext {
  runAsUser?: number;
  runAsNonRoot?: boolean;
  privileged?: boolean;
  allowPrivilegeEscalation?: boolean;
  capabilities?: { add?: string[]; drop?: string[] };
  seccompProfile?: { type?: string };
}

export interface AdmittedContainer {
  name: string;
  securityContext?: SecurityContext;
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
}

export interface AdmittedPodSpec {
  hostNetwork?: boolean;
  hostPID?: boolean;
  hostIPC?: boolean;
  securityContext?: SecurityContext;
  initContainers?: AdmittedContainer[];
  containers: AdmittedContainer[];
  ephemeralContainers?: AdmittedContainer[];
  volumes?: Array<{ name: string; hostPath?: unknown }>;
}

export const podSpec = (pod: KObject): AdmittedPodSpec => pod.spec as AdmittedPodSpec;

/** Every container in the order podutil.VisitContainers visits them: init, regular, ephemeral. */
export function allContainers(spec: AdmittedPodSpec): AdmittedContainer[] {
  return [...(spec.initContainers ?? []), ...spec.containers, ...(spec.ephemeralContainers ?? [])];
}

/** `"a", "b"`, as the Kubernetes messages quote lists of names. */
export const joinQuote = (names: string[]) => names.map((n) => `"${n}"`).join(', ');

/** How a forbidden pod is named: the generated name, or the generateName prefix when the plugin runs
 *  before names are generated (mutating admission, as OpenShift's SCC does). */
export const podName = (pod: KObject, beforeNameGeneration = false) =>
  (beforeNameGeneration && pod.metadata.generateName) || pod.metadata.name || pod.metadata.generateName || '';

/** `pods "<name>" is forbidden: <message>`, as admission.NewForbidden words a refused pod. */
export function podForbidden(pod: KObject, message: string, beforeNameGeneration = false): ApiError {
  const name = podName(pod, beforeNameGeneration);
  return new ApiError('Forbidden', `pods "${name}" is forbidden: ${message}`, { name, group: '', kind: 'pods' });
}
