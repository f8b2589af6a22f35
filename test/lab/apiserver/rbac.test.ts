import { describe, expect, it } from 'vitest';
import type { KObject, LabStore, UserInfo } from '../types.ts';
import { ApiError } from './errors.ts';
import { authorize, forbiddenError, forbiddenMessage, RBAC_RESOURCES, selfSubjectAccessReview, selfSubjectRulesReview } from './rbac.ts';
import { rbacBootstrapObjects } from './rbac-bootstrap.ts';

/** Just enough of a store for reading RBAC objects. */
function storeWith(objects: KObject[]): LabStore {
  const resourceOf = (o: KObject) => `${o.kind.toLowerCase()}s.rbac.authorization.k8s.io`;
  const store: Pick<LabStore, 'get' | 'list'> = {
    get: (resource, namespace, name) =>
      objects.find((o) => resourceOf(o) === resource && o.metadata.namespace === namespace && o.metadata.name === name),
    list: (resource, namespace) =>
      objects.filter((o) => resourceOf(o) === resource && (namespace === undefined || o.metadata.namespace === namespace)),
  };
  return store as LabStore;
}

const admin: UserInfo = { username: 'admin', groups: ['system:masters', 'system:authenticated'] };
const support: UserInfo = { username: 'support', groups: ['system:authenticated'] };
const sso: UserInfo = { username: 'sso-user', groups: ['sso:engineers', 'system:authenticated'] };
const stranger: UserInfo = { username: 'stranger', groups: ['system:authenticated'] };

const lab = storeWith(rbacBootstrapObjects());
const execIn = (namespace: string) => ({ verb: 'create', apiGroup: '', resource: 'pods', subresource: 'exec', namespace, name: 'x' });

describe('the bootstrap policy', () => {
  it('lets admin and the SSO group exec, but not support', () => {
    expect(authorize(lab, admin, execIn('kserve-test')).allowed).toBe(true);
    expect(authorize(lab, sso, execIn('kserve-test'))).toEqual({
      allowed: true,
      reason: 'RBAC: allowed by ClusterRoleBinding "lab:sso-engineers" of ClusterRole "cluster-admin" to Group "sso:engineers"',
    });
    expect(authorize(lab, support, execIn('kserve-test'))).toEqual({ allowed: false, reason: '' });
  });

  it('lets support read everything, logs included, and change nothing', () => {
    const read = (verb: string, apiGroup: string, resource: string, subresource?: string) =>
      authorize(lab, support, { verb, apiGroup, resource, subresource, namespace: 'kserve' }).allowed;
    expect(read('get', '', 'pods', 'log')).toBe(true);
    expect(read('list', '', 'events')).toBe(true);
    expect(read('watch', 'serving.kserve.io', 'inferenceservices')).toBe(true);
    expect(authorize(lab, support, { verb: 'list', apiGroup: '', resource: 'nodes' }).allowed).toBe(true);
    for (const verb of ['update', 'patch', 'create', 'delete']) expect(read(verb, '', 'configmaps')).toBe(false);
    for (const sub of ['exec', 'attach', 'portforward', 'ephemeralcontainers']) {
      expect(authorize(lab, support, { verb: 'create', apiGroup: '', resource: 'pods', subresource: sub, namespace: 'kserve' }).allowed).toBe(false);
    }
  });

  it('lets every authenticated user review its own access and read /version, nothing else', () => {
    expect(authorize(lab, stranger, { verb: 'create', apiGroup: 'authorization.k8s.io', resource: 'selfsubjectaccessreviews' }).allowed).toBe(true);
    expect(authorize(lab, stranger, { verb: 'get', nonResourceURL: '/apis/apps/v1' }).allowed).toBe(true);
    expect(authorize(lab, stranger, { verb: 'get', nonResourceURL: '/metrics' }).allowed).toBe(false);
    expect(authorize(lab, stranger, { verb: 'get', apiGroup: '', resource: 'pods', namespace: 'default' }).allowed).toBe(false);
  });
});

describe('rule matching', () => {
  const rb = (namespace: string, roleKind: string, role: string, subjects: unknown[]): KObject => ({
    apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: { name: `rb-${role}`, namespace },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: roleKind, name: role }, subjects,
  });
  const role = (name: string, namespace: string | undefined, rules: unknown[]): KObject => ({
    apiVersion: 'rbac.authorization.k8s.io/v1', kind: namespace ? 'Role' : 'ClusterRole', metadata: { name, namespace }, rules,
  });
  const store = storeWith([
    role('status-writer', 'team', [{ apiGroups: ['*'], resources: ['*/status'], verbs: ['update'] }]),
    role('one-cm', 'team', [{ apiGroups: [''], resources: ['configmaps'], resourceNames: ['cfg'], verbs: ['get', 'update'] }]),
    role('pods-star', 'team', [{ apiGroups: [''], resources: ['pods/*'], verbs: ['create'] }]),
    role('pod-reader', undefined, [{ apiGroups: [''], resources: ['pods'], verbs: ['get'] }]),
    rb('team', 'Role', 'status-writer', [{ kind: 'User', name: 'dev' }]),
    rb('team', 'Role', 'one-cm', [{ kind: 'Group', name: 'devs' }]),
    rb('team', 'Role', 'pods-star', [{ kind: 'User', name: 'dev' }]),
    rb('team', 'ClusterRole', 'pod-reader', [{ kind: 'ServiceAccount', name: 'bot' }]),
    rb('team', 'ClusterRole', 'missing-role', [{ kind: 'User', name: 'dev' }]),
  ]);
  const dev: UserInfo = { username: 'dev', groups: ['devs', 'system:authenticated'] };

  it('matches */status against any resource\'s status subresource only', () => {
    expect(authorize(store, dev, { verb: 'update', apiGroup: 'apps', resource: 'deployments', subresource: 'status', namespace: 'team' }).allowed).toBe(true);
    expect(authorize(store, dev, { verb: 'update', apiGroup: 'apps', resource: 'deployments', namespace: 'team' }).allowed).toBe(false);
  });

  it('has no pods/* wildcard, as real RBAC has none', () => {
    expect(authorize(store, dev, { verb: 'create', apiGroup: '', resource: 'pods', subresource: 'exec', namespace: 'team' }).allowed).toBe(false);
  });

  it('limits resourceNames to the named objects, so list is not allowed', () => {
    const cm = (verb: string, name?: string) => authorize(store, dev, { verb, apiGroup: '', resource: 'configmaps', namespace: 'team', name }).allowed;
    expect(cm('get', 'cfg')).toBe(true);
    expect(cm('get', 'other')).toBe(false);
    expect(cm('list')).toBe(false);
  });

  it('applies a RoleBinding only in its namespace and names the binding in the reason', () => {
    const bot: UserInfo = { username: 'system:serviceaccount:team:bot', groups: ['system:serviceaccounts', 'system:authenticated'] };
    expect(authorize(store, bot, { verb: 'get', apiGroup: '', resource: 'pods', namespace: 'team', name: 'p' })).toEqual({
      allowed: true,
      reason: 'RBAC: allowed by RoleBinding "rb-pod-reader/team" of ClusterRole "pod-reader" to ServiceAccount "bot/team"',
    });
    expect(authorize(store, bot, { verb: 'get', apiGroup: '', resource: 'pods', namespace: 'other', name: 'p' }).allowed).toBe(false);
  });

  it('reports a binding to a missing role as the reason of a denial', () => {
    expect(authorize(store, dev, { verb: 'delete', apiGroup: '', resource: 'pods', namespace: 'team' })).toEqual({
      allowed: false,
      reason: 'RBAC: clusterrole.rbac.authorization.k8s.io "missing-role" not found',
    });
  });
});

describe('forbidden messages', () => {
  it('reads as kube-apiserver writes it', () => {
    expect(forbiddenMessage(support, execIn('kserve-test'))).toBe(
      'pods "x" is forbidden: User "support" cannot create resource "pods/exec" in API group "" in the namespace "kserve-test"',
    );
    expect(forbiddenMessage(support, { verb: 'list', apiGroup: '', resource: 'pods' })).toBe(
      'pods is forbidden: User "support" cannot list resource "pods" in API group "" at the cluster scope',
    );
    expect(forbiddenMessage(support, { verb: 'patch', apiGroup: 'serving.kserve.io', resource: 'inferenceservices', namespace: 'ns', name: 'm' })).toBe(
      'inferenceservices.serving.kserve.io "m" is forbidden: User "support" cannot patch resource "inferenceservices" in API group "serving.kserve.io" in the namespace "ns"',
    );
    expect(forbiddenMessage(support, { verb: 'get', nonResourceURL: '/metrics' })).toBe('forbidden: User "support" cannot get path "/metrics"');
  });

  it('becomes a 403 Status with the resource in its details', () => {
    const err = forbiddenError(support, execIn('ns'));
    expect(err).toBeInstanceOf(ApiError);
    expect(err.toStatus()).toMatchObject({ code: 403, reason: 'Forbidden', details: { name: 'x', group: '', kind: 'pods' } });
  });
});

describe('self-subject reviews', () => {
  const review = (user: UserInfo, resourceAttributes: Record<string, string>) =>
    selfSubjectAccessReview(lab, user, { apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectAccessReview', metadata: {}, spec: { resourceAttributes } });

  it('answers can-i create pods/exec per user', () => {
    const attrs = { namespace: 'default', verb: 'create', resource: 'pods', subresource: 'exec' };
    expect(review(admin, attrs).status).toEqual({ allowed: true });
    expect(review(support, attrs).status).toEqual({ allowed: false });
    expect(review(sso, attrs).status).toMatchObject({ allowed: true });
    expect(review(support, { namespace: 'kserve', verb: 'update', resource: 'configmaps' }).status).toEqual({ allowed: false });
  });

  it('rejects a review without attributes as Invalid', () => {
    expect(() => selfSubjectAccessReview(lab, admin, { apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectAccessReview', metadata: {}, spec: {} }))
      .toThrow(expect.objectContaining({ reason: 'Invalid' }));
  });

  it('lists the rules of cluster and namespace bindings', () => {
    const rules = selfSubjectRulesReview(lab, support, { apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectRulesReview', metadata: {}, spec: { namespace: 'default' } });
    const status = rules.status as { resourceRules: unknown[]; nonResourceRules: unknown[]; incomplete: boolean };
    expect(status.incomplete).toBe(false);
    expect(status.resourceRules).toContainEqual({ verbs: ['get', 'list', 'watch'], apiGroups: ['*'], resources: ['*'] });
    expect(status.resourceRules).not.toContainEqual(expect.objectContaining({ verbs: ['*'] }));
    expect(status.nonResourceRules).toContainEqual(expect.objectContaining({ nonResourceURLs: expect.arrayContaining(['/version']) }));
  });
});

it('every bootstrap object is a well-formed RBAC object', () => {
  for (const o of rbacBootstrapObjects()) {
    expect(Object.values(RBAC_RESOURCES)).toContain(`${o.kind.toLowerCase()}s.rbac.authorization.k8s.io`);
    expect(o.metadata.name).toBeTruthy();
  }
});
