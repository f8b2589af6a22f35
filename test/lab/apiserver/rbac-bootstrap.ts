// The RBAC objects a fresh lab starts with: the parts of kube-apiserver's bootstrap policy that
// kubectl relies on, plus the lab's three users (see auth.ts): `admin` is a superuser through
// system:masters, `support` reads everything but cannot exec or change anything, and the SSO group
// `sso:engineers` is bound to cluster-admin, so the exec-credential path is tested on a working user.
import type { KObject } from '../types.ts';
import type { PolicyRule } from './rbac.ts';

const RBAC_V1 = 'rbac.authorization.k8s.io/v1';

/** Labels and annotation the real bootstrap policy carries, so `kubectl get clusterrole -o yaml` looks familiar. */
function systemMetadata(name: string): KObject['metadata'] {
  return {
    name,
    labels: { 'kubernetes.io/bootstrapping': 'rbac-defaults' },
    annotations: { 'rbac.authorization.kubernetes.io/autoupdate': 'true' },
  };
}

function clusterRole(name: string, rules: PolicyRule[], system = true): KObject {
  return { apiVersion: RBAC_V1, kind: 'ClusterRole', metadata: system ? systemMetadata(name) : { name }, rules };
}

function clusterRoleBinding(name: string, role: string, groups: string[], system = true): KObject {
  return {
    apiVersion: RBAC_V1,
    kind: 'ClusterRoleBinding',
    metadata: system ? systemMetadata(name) : { name },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: role },
    subjects: groups.map((g) => ({ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: g })),
  };
}

const READ = ['get', 'list', 'watch'];
const PUBLIC_INFO_URLS = ['/healthz', '/livez', '/readyz', '/version', '/version/'];

export const SUPPORT_ROLE = 'lab:support-read-only';

export function rbacBootstrapObjects(): KObject[] {
  return [
    clusterRole('cluster-admin', [
      { apiGroups: ['*'], resources: ['*'], verbs: ['*'] },
      { nonResourceURLs: ['*'], verbs: ['*'] },
    ]),
    clusterRoleBinding('cluster-admin', 'cluster-admin', ['system:masters']),
    // Every authenticated user may ask what it may do (`kubectl auth can-i`).
    clusterRole('system:basic-user', [
      { apiGroups: ['authorization.k8s.io'], resources: ['selfsubjectaccessreviews', 'selfsubjectrulesreviews'], verbs: ['create'] },
      { apiGroups: ['authentication.k8s.io'], resources: ['selfsubjectreviews'], verbs: ['create'] },
    ]),
    clusterRoleBinding('system:basic-user', 'system:basic-user', ['system:authenticated']),
    clusterRole('system:discovery', [
      { nonResourceURLs: ['/api', '/api/*', '/apis', '/apis/*', '/healthz', '/livez', '/openapi', '/openapi/*', '/readyz', '/version', '/version/'], verbs: ['get'] },
    ]),
    clusterRoleBinding('system:discovery', 'system:discovery', ['system:authenticated']),
    clusterRole('system:public-info-viewer', [{ nonResourceURLs: PUBLIC_INFO_URLS, verbs: ['get'] }]),
    clusterRoleBinding('system:public-info-viewer', 'system:public-info-viewer', ['system:authenticated', 'system:unauthenticated']),

    // `support`: reads every resource and subresource. Exec, attach and port-forward need `create`
    // (WebSocket upgrades included, as on 1.30+), so reading does not let it into containers.
    clusterRole(SUPPORT_ROLE, [{ apiGroups: ['*'], resources: ['*'], verbs: READ }], false),
    {
      apiVersion: RBAC_V1,
      kind: 'ClusterRoleBinding',
      metadata: { name: SUPPORT_ROLE },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: SUPPORT_ROLE },
      subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: 'support' }],
    },
    clusterRoleBinding('lab:sso-engineers', 'cluster-admin', ['sso:engineers'], false),
  ];
}
