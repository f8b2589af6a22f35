// The validation errors consumers can meet (422 Invalid with the real field paths and wording).
import type { KObject } from '../types.ts';
import { invalid, type ResourceRef } from './errors.ts';

const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const SUBDOMAIN_MSG = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
const LABEL_MSG = "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";

/** Kinds whose names must be DNS labels rather than subdomains. */
const LABEL_NAMED = new Set(['namespaces', 'services']);
/** RBAC names are path segments, not DNS names ("system:controller:..." is valid). */
const PATH_NAMED = new Set(['roles.rbac.authorization.k8s.io', 'rolebindings.rbac.authorization.k8s.io', 'clusterroles.rbac.authorization.k8s.io', 'clusterrolebindings.rbac.authorization.k8s.io']);

type Cause = { field: string; message: string; reason?: string };

export function validateName(ref: ResourceRef & { key: string }, obj: KObject): void {
  const name = obj.metadata.name ?? '';
  const causes: Cause[] = [];
  if (!name) causes.push({ field: 'metadata.name', message: 'Required value: name or generateName is required', reason: 'FieldValueRequired' });
  else if (PATH_NAMED.has(ref.key)) {
    if (name.includes('/') || name.includes('%') || name === '.' || name === '..') causes.push({ field: 'metadata.name', message: `Invalid value: "${name}": may not contain '/'` });
  } else if (LABEL_NAMED.has(ref.key)) {
    if (!DNS1123_LABEL.test(name) || name.length > 63) causes.push({ field: 'metadata.name', message: `Invalid value: "${name}": ${LABEL_MSG}` });
  } else if (!DNS1123_SUBDOMAIN.test(name) || name.length > 253) {
    causes.push({ field: 'metadata.name', message: `Invalid value: "${name}": ${SUBDOMAIN_MSG}` });
  }
  if (causes.length) throw invalid(ref, name, causes);
}

type Container = { name?: string; image?: string };

export function validatePod(ref: ResourceRef, pod: KObject): void {
  const spec = (pod.spec ?? {}) as { containers?: Container[]; initContainers?: Container[] };
  const causes: Cause[] = [];
  if (!spec.containers?.length) causes.push({ field: 'spec.containers', message: 'Required value', reason: 'FieldValueRequired' });
  const seen = new Set<string>();
  for (const [list, items] of [['initContainers', spec.initContainers ?? []], ['containers', spec.containers ?? []]] as const) {
    items.forEach((c, i) => {
      if (!c.name) causes.push({ field: `spec.${list}[${i}].name`, message: 'Required value', reason: 'FieldValueRequired' });
      else if (seen.has(c.name)) causes.push({ field: `spec.${list}[${i}].name`, message: `Duplicate value: "${c.name}"`, reason: 'FieldValueDuplicate' });
      else seen.add(c.name);
      if (!c.image) causes.push({ field: `spec.${list}[${i}].image`, message: 'Required value', reason: 'FieldValueRequired' });
    });
  }
  if (causes.length) throw invalid(ref, pod.metadata.name ?? '', causes);
}

/** A pod's spec is immutable but for images, activeDeadlineSeconds, tolerations and
 *  terminationGracePeriodSeconds (ValidatePodUpdate). */
export function validatePodUpdate(ref: ResourceRef, next: KObject, prev: KObject): void {
  const strip = (spec: Record<string, unknown>): string => {
    const s = structuredClone(spec);
    for (const list of ['containers', 'initContainers', 'ephemeralContainers']) {
      for (const c of (s[list] as Container[] | undefined) ?? []) delete c.image;
    }
    delete s.activeDeadlineSeconds;
    delete s.tolerations;
    delete s.terminationGracePeriodSeconds;
    delete s.ephemeralContainers;
    return JSON.stringify(s);
  };
  if (strip(next.spec as Record<string, unknown>) !== strip(prev.spec as Record<string, unknown>)) {
    throw invalid(ref, next.metadata.name ?? '', [{
      field: 'spec',
      reason: 'FieldValueForbidden',
      message: 'Forbidden: pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)',
    }]);
  }
}
