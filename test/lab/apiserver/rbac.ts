// Authorisation by the RBAC objects in the store, evaluated as kube-apiserver's RBAC authorizer does
// (k8s.io/kubernetes/plugin/pkg/auth/authorizer/rbac): bindings grant the union of their roles' rules,
// nothing denies, system:masters is a superuser. Aggregated ClusterRoles are not expanded.
import type { KObject, LabStore, UserInfo } from '../types.ts';
import { ApiError, invalid } from './errors.ts';

export interface ResourceAttributes {
  verb: string;
  apiGroup: string;
  resource: string;
  subresource?: string;
  namespace?: string;
  name?: string;
}

export interface NonResourceAttributes {
  verb: string;
  nonResourceURL: string;
}

export type AuthzAttributes = ResourceAttributes | NonResourceAttributes;

export interface AuthzDecision {
  allowed: boolean;
  /** Why, in the authorizer's words ("RBAC: allowed by ..."); empty when RBAC has no opinion. */
  reason: string;
}

export interface PolicyRule {
  verbs: string[];
  apiGroups?: string[];
  resources?: string[];
  resourceNames?: string[];
  nonResourceURLs?: string[];
}

interface Subject {
  kind: 'User' | 'Group' | 'ServiceAccount';
  name: string;
  namespace?: string;
}

interface Binding extends KObject {
  roleRef: { apiGroup: string; kind: 'Role' | 'ClusterRole'; name: string };
  subjects?: Subject[];
}

interface Role extends KObject {
  rules?: PolicyRule[];
}

const RBAC_GROUP = 'rbac.authorization.k8s.io';
export const RBAC_RESOURCES = {
  roles: `roles.${RBAC_GROUP}`,
  clusterRoles: `clusterroles.${RBAC_GROUP}`,
  roleBindings: `rolebindings.${RBAC_GROUP}`,
  clusterRoleBindings: `clusterrolebindings.${RBAC_GROUP}`,
} as const;

const SUPERUSER_GROUP = 'system:masters';

export function isResourceRequest(attrs: AuthzAttributes): attrs is ResourceAttributes {
  return 'resource' in attrs;
}

export function authorize(store: LabStore, user: UserInfo, attrs: AuthzAttributes): AuthzDecision {
  // kube-apiserver puts a privileged-group authorizer before RBAC; it allows without a reason.
  if (user.groups.includes(SUPERUSER_GROUP)) return { allowed: true, reason: '' };
  const errors: string[] = [];
  for (const grant of grantsFor(store, user, isResourceRequest(attrs) ? attrs.namespace : undefined, errors)) {
    if (grant.rules.some((rule) => ruleAllows(rule, attrs))) {
      return { allowed: true, reason: `RBAC: allowed by ${grant.description}` };
    }
  }
  // As Go's error aggregate prints itself: one error alone, several in brackets.
  const aggregate = errors.length === 1 ? errors[0] : `[${errors.join(', ')}]`;
  return { allowed: false, reason: errors.length > 0 ? `RBAC: ${aggregate}` : '' };
}

interface Grant {
  rules: PolicyRule[];
  /** `ClusterRoleBinding "x" of ClusterRole "y" to Group "z"`, as the RBAC authorizer describes it. */
  description: string;
}

/** The rules every binding that names `user` grants: cluster-wide ones, then those of `namespace`. */
function grantsFor(store: LabStore, user: UserInfo, namespace: string | undefined, errors: string[]): Grant[] {
  const grants: Grant[] = [];
  for (const binding of store.list(RBAC_RESOURCES.clusterRoleBindings) as Binding[]) {
    const subject = matchingSubject(binding, user, '');
    if (!subject) continue;
    const rules = roleRules(store, binding, undefined, errors);
    if (rules) {
      grants.push({ rules, description: `ClusterRoleBinding "${binding.metadata.name}" of ${binding.roleRef.kind} "${binding.roleRef.name}" to ${describeSubject(subject, '')}` });
    }
  }
  if (!namespace) return grants;
  for (const binding of store.list(RBAC_RESOURCES.roleBindings, namespace) as Binding[]) {
    const subject = matchingSubject(binding, user, namespace);
    if (!subject) continue;
    const rules = roleRules(store, binding, namespace, errors);
    if (rules) {
      grants.push({ rules, description: `RoleBinding "${binding.metadata.name}/${namespace}" of ${binding.roleRef.kind} "${binding.roleRef.name}" to ${describeSubject(subject, namespace)}` });
    }
  }
  return grants;
}

function roleRules(store: LabStore, binding: Binding, namespace: string | undefined, errors: string[]): PolicyRule[] | undefined {
  const { kind, name } = binding.roleRef;
  const role = (kind === 'ClusterRole'
    ? store.get(RBAC_RESOURCES.clusterRoles, undefined, name)
    : namespace ? store.get(RBAC_RESOURCES.roles, namespace, name) : undefined) as Role | undefined;
  if (!role) {
    errors.push(`${kind.toLowerCase()}.${RBAC_GROUP} "${name}" not found`);
    return undefined;
  }
  return role.rules ?? [];
}

function matchingSubject(binding: Binding, user: UserInfo, bindingNamespace: string): Subject | undefined {
  return (binding.subjects ?? []).find((s) => {
    switch (s.kind) {
      case 'User':
        return s.name === user.username;
      case 'Group':
        return user.groups.includes(s.name);
      case 'ServiceAccount':
        return user.username === `system:serviceaccount:${s.namespace || bindingNamespace}:${s.name}`;
      default:
        return false;
    }
  });
}

function describeSubject(s: Subject, bindingNamespace: string): string {
  return s.kind === 'ServiceAccount' ? `ServiceAccount "${s.name}/${s.namespace || bindingNamespace}"` : `${s.kind} "${s.name}"`;
}

export function ruleAllows(rule: PolicyRule, attrs: AuthzAttributes): boolean {
  if (!matchesAny(rule.verbs, attrs.verb)) return false;
  if (!isResourceRequest(attrs)) return nonResourceURLMatches(rule.nonResourceURLs ?? [], attrs.nonResourceURL);
  return (
    matchesAny(rule.apiGroups ?? [], attrs.apiGroup) &&
    resourceMatches(rule.resources ?? [], attrs.resource, attrs.subresource) &&
    resourceNameMatches(rule.resourceNames ?? [], attrs.name)
  );
}

function matchesAny(ruleValues: string[], requested: string): boolean {
  return ruleValues.some((v) => v === '*' || v === requested);
}

// `pods/exec` matches exactly; `*/status` matches the status subresource of any resource. There is
// no `pods/*` wildcard in RBAC.
function resourceMatches(ruleResources: string[], resource: string, subresource: string | undefined): boolean {
  const combined = subresource ? `${resource}/${subresource}` : resource;
  return ruleResources.some((r) => r === '*' || r === combined || (subresource !== undefined && subresource !== '' && r === `*/${subresource}`));
}

function resourceNameMatches(ruleNames: string[], name: string | undefined): boolean {
  return ruleNames.length === 0 || (name !== undefined && ruleNames.includes(name));
}

function nonResourceURLMatches(ruleURLs: string[], path: string): boolean {
  return ruleURLs.some((u) => u === '*' || u === path || (u.endsWith('*') && path.startsWith(u.slice(0, -1))));
}

/** kube-apiserver's message for a denied request, e.g. `pods "x" is forbidden: User "support" cannot
 *  create resource "pods/exec" in API group "" in the namespace "kserve-test"`. */
export function forbiddenMessage(user: UserInfo, attrs: AuthzAttributes): string {
  if (!isResourceRequest(attrs)) {
    return `forbidden: User "${user.username}" cannot ${attrs.verb} path "${attrs.nonResourceURL}"`;
  }
  const resource = attrs.subresource ? `${attrs.resource}/${attrs.subresource}` : attrs.resource;
  const scope = attrs.namespace ? `in the namespace "${attrs.namespace}"` : 'at the cluster scope';
  const qualified = attrs.apiGroup ? `${attrs.resource}.${attrs.apiGroup}` : attrs.resource;
  const target = attrs.name ? `${qualified} "${attrs.name}"` : qualified;
  return `${target} is forbidden: User "${user.username}" cannot ${attrs.verb} resource "${resource}" in API group "${attrs.apiGroup}" ${scope}`;
}

/** The 403 Status the API server sends for a denied request; `reason` is the authorizer's, if any. */
export function forbiddenError(user: UserInfo, attrs: AuthzAttributes, reason = ''): ApiError {
  const message = `${forbiddenMessage(user, attrs)}${reason ? `: ${reason}` : ''}`;
  if (!isResourceRequest(attrs)) return new ApiError('Forbidden', message);
  return new ApiError('Forbidden', message, { name: attrs.name || undefined, group: attrs.apiGroup, kind: attrs.resource });
}

// --- SelfSubjectAccessReview and SelfSubjectRulesReview (what `kubectl auth can-i` asks) ---

interface AccessReviewSpec {
  resourceAttributes?: { namespace?: string; verb?: string; group?: string; version?: string; resource?: string; subresource?: string; name?: string };
  nonResourceAttributes?: { path?: string; verb?: string };
}

const AUTHORIZATION_V1 = 'authorization.k8s.io/v1';
const SSAR = { plural: 'selfsubjectaccessreviews', group: 'authorization.k8s.io', kind: 'SelfSubjectAccessReview' };

/** Answers a SelfSubjectAccessReview for `user`; throws 422 Invalid unless exactly one kind of attributes is given. */
export function selfSubjectAccessReview(store: LabStore, user: UserInfo, body: KObject): KObject {
  const spec = (body.spec ?? {}) as AccessReviewSpec;
  const { resourceAttributes: ra, nonResourceAttributes: nra } = spec;
  if ((ra === undefined) === (nra === undefined)) {
    throw invalid(SSAR, '', [{ field: 'spec.resourceAttributes', reason: 'FieldValueInvalid', message: 'Invalid value: "null": exactly one of nonResourceAttributes or resourceAttributes must be specified' }]);
  }
  const attrs: AuthzAttributes = ra
    ? { verb: ra.verb ?? '', apiGroup: ra.group ?? '', resource: ra.resource ?? '', subresource: ra.subresource || undefined, namespace: ra.namespace || undefined, name: ra.name || undefined }
    : { verb: nra!.verb ?? '', nonResourceURL: nra!.path ?? '' };
  const decision = authorize(store, user, attrs);
  return {
    apiVersion: AUTHORIZATION_V1,
    kind: 'SelfSubjectAccessReview',
    metadata: {},
    spec,
    status: { allowed: decision.allowed, ...(decision.reason ? { reason: decision.reason } : {}) },
  };
}

/** Lists what `user` may do in `spec.namespace` (what `kubectl auth can-i --list` prints). */
export function selfSubjectRulesReview(store: LabStore, user: UserInfo, body: KObject): KObject {
  const spec = (body.spec ?? {}) as { namespace?: string };
  const errors: string[] = [];
  const rules = grantsFor(store, user, spec.namespace || undefined, errors).flatMap((g) => g.rules);
  const resourceRules = rules
    .filter((r) => (r.resources ?? []).length > 0)
    .map((r) => withoutEmpty({ verbs: r.verbs, apiGroups: r.apiGroups, resources: r.resources, resourceNames: r.resourceNames }));
  const nonResourceRules = rules
    .filter((r) => (r.nonResourceURLs ?? []).length > 0)
    .map((r) => ({ verbs: r.verbs, nonResourceURLs: r.nonResourceURLs }));
  return {
    apiVersion: AUTHORIZATION_V1,
    kind: 'SelfSubjectRulesReview',
    metadata: {},
    spec,
    status: {
      resourceRules,
      nonResourceRules,
      incomplete: errors.length > 0,
      ...(errors.length > 0 ? { evaluationError: errors.join(', ') } : {}),
    },
  };
}

/** Drops empty lists, as Go's `omitempty` does when the review is serialised. */
function withoutEmpty<T extends Record<string, string[] | undefined>>(rule: T): T {
  return Object.fromEntries(Object.entries(rule).filter(([, v]) => v !== undefined && v.length > 0)) as T;
}
