// The resource types the lab serves: built-in kinds plus whatever CustomResourceDefinitions add.
// One ResourceType per stored resource; `served` lists the group/versions it answers under
// (events live once and are served as core/v1 and events.k8s.io/v1, like the real server).
import type { KObject, ResourceName } from '../types.ts';

export interface PrinterColumn {
  name: string;
  type: string;
  jsonPath: string;
  format?: string;
  description?: string;
  priority?: number;
}

export interface Subresource {
  name: string;
  kind: string;
  group?: string;
  version?: string;
  verbs: string[];
}

export interface ResourceType {
  /** Store key: `pods`, `deployments.apps`. */
  key: ResourceName;
  group: string;
  /** The version objects are stored in; CRDs may serve several. */
  version: string;
  served: Array<{ group: string; version: string }>;
  plural: string;
  singular: string;
  kind: string;
  namespaced: boolean;
  shortNames: string[];
  categories: string[];
  verbs: string[];
  subresources: Subresource[];
  /** Objects carry metadata.generation, bumped on spec changes. */
  generation: boolean;
  /** Served from a CustomResourceDefinition (JSON and merge patch only, printer columns from the CRD). */
  custom: boolean;
  printerColumns?: PrinterColumn[];
}

const ALL_VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];
const CLUSTER_VERBS = ALL_VERBS;
const STATUS = (kind: string, group = '', version = 'v1'): Subresource => ({ name: 'status', kind, group, version, verbs: ['get', 'patch', 'update'] });
const SCALE: Subresource = { name: 'scale', kind: 'Scale', group: 'autoscaling', version: 'v1', verbs: ['get', 'patch', 'update'] };

function builtin(p: Partial<ResourceType> & Pick<ResourceType, 'plural' | 'kind'>): ResourceType {
  const group = p.group ?? '';
  const version = p.version ?? 'v1';
  return {
    key: group ? `${p.plural}.${group}` : p.plural,
    group,
    version,
    served: p.served ?? [{ group, version }],
    plural: p.plural,
    singular: p.singular ?? p.kind.toLowerCase(),
    kind: p.kind,
    namespaced: p.namespaced ?? true,
    shortNames: p.shortNames ?? [],
    categories: p.categories ?? [],
    verbs: p.verbs ?? ALL_VERBS,
    subresources: p.subresources ?? [],
    generation: p.generation ?? false,
    custom: false,
  };
}

export const BUILTIN_TYPES: ResourceType[] = [
  builtin({ plural: 'namespaces', kind: 'Namespace', namespaced: false, shortNames: ['ns'], verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'], subresources: [STATUS('Namespace'), { name: 'finalize', kind: 'Namespace', verbs: ['update'] }] }),
  builtin({ plural: 'configmaps', kind: 'ConfigMap', shortNames: ['cm'] }),
  builtin({ plural: 'secrets', kind: 'Secret' }),
  builtin({
    plural: 'pods', kind: 'Pod', shortNames: ['po'], categories: ['all'], generation: true,
    subresources: [
      STATUS('Pod'),
      { name: 'log', kind: 'Pod', verbs: ['get'] },
      { name: 'exec', kind: 'PodExecOptions', verbs: ['create', 'get'] },
      { name: 'attach', kind: 'PodAttachOptions', verbs: ['create', 'get'] },
      { name: 'ephemeralcontainers', kind: 'Pod', verbs: ['get', 'patch', 'update'] },
      { name: 'binding', kind: 'Binding', verbs: ['create'] },
    ],
  }),
  builtin({ plural: 'events', kind: 'Event', shortNames: ['ev'], served: [{ group: '', version: 'v1' }, { group: 'events.k8s.io', version: 'v1' }] }),
  builtin({ plural: 'nodes', kind: 'Node', namespaced: false, shortNames: ['no'], subresources: [STATUS('Node')] }),
  builtin({ plural: 'services', kind: 'Service', shortNames: ['svc'], categories: ['all'], subresources: [STATUS('Service')] }),
  // Nothing in the lab makes these; kubectl cluster-info dump lists both in every namespace it dumps.
  builtin({ plural: 'replicationcontrollers', kind: 'ReplicationController', shortNames: ['rc'], categories: ['all'], generation: true, subresources: [STATUS('ReplicationController'), SCALE] }),
  builtin({ group: 'apps', plural: 'daemonsets', kind: 'DaemonSet', shortNames: ['ds'], categories: ['all'], generation: true, subresources: [STATUS('DaemonSet', 'apps')] }),
  builtin({ plural: 'endpoints', kind: 'Endpoints', singular: 'endpoints', shortNames: ['ep'] }),
  builtin({ plural: 'serviceaccounts', kind: 'ServiceAccount', shortNames: ['sa'] }),
  builtin({ plural: 'limitranges', kind: 'LimitRange', shortNames: ['limits'] }),
  builtin({ plural: 'resourcequotas', kind: 'ResourceQuota', shortNames: ['quota'], subresources: [STATUS('ResourceQuota')] }),
  builtin({ plural: 'persistentvolumeclaims', kind: 'PersistentVolumeClaim', shortNames: ['pvc'], subresources: [STATUS('PersistentVolumeClaim')] }),
  builtin({ group: 'apps', plural: 'deployments', kind: 'Deployment', shortNames: ['deploy'], categories: ['all'], generation: true, subresources: [STATUS('Deployment', 'apps'), SCALE] }),
  builtin({ group: 'apps', plural: 'replicasets', kind: 'ReplicaSet', shortNames: ['rs'], categories: ['all'], generation: true, subresources: [STATUS('ReplicaSet', 'apps'), SCALE] }),
  builtin({ group: 'rbac.authorization.k8s.io', plural: 'roles', kind: 'Role' }),
  builtin({ group: 'rbac.authorization.k8s.io', plural: 'rolebindings', kind: 'RoleBinding' }),
  builtin({ group: 'rbac.authorization.k8s.io', plural: 'clusterroles', kind: 'ClusterRole', namespaced: false, verbs: CLUSTER_VERBS }),
  builtin({ group: 'rbac.authorization.k8s.io', plural: 'clusterrolebindings', kind: 'ClusterRoleBinding', namespaced: false, verbs: CLUSTER_VERBS }),
  builtin({ group: 'authorization.k8s.io', plural: 'selfsubjectaccessreviews', kind: 'SelfSubjectAccessReview', namespaced: false, verbs: ['create'] }),
  builtin({ group: 'authorization.k8s.io', plural: 'selfsubjectrulesreviews', kind: 'SelfSubjectRulesReview', namespaced: false, verbs: ['create'] }),
  builtin({ group: 'authentication.k8s.io', plural: 'selfsubjectreviews', kind: 'SelfSubjectReview', namespaced: false, verbs: ['create'] }),
  builtin({ group: 'apiextensions.k8s.io', plural: 'customresourcedefinitions', kind: 'CustomResourceDefinition', namespaced: false, shortNames: ['crd', 'crds'], generation: true, subresources: [STATUS('CustomResourceDefinition', 'apiextensions.k8s.io')] }),
];

interface CrdSpec {
  group: string;
  scope: 'Namespaced' | 'Cluster';
  names: { plural: string; singular?: string; kind: string; shortNames?: string[]; categories?: string[] };
  versions: Array<{ name: string; served: boolean; storage: boolean; subresources?: { status?: object; scale?: object }; additionalPrinterColumns?: PrinterColumn[] }>;
}

export function typeFromCrd(crd: KObject): ResourceType {
  const spec = crd.spec as CrdSpec;
  const storage = spec.versions.find((v) => v.storage) ?? spec.versions[0]!;
  const served = spec.versions.filter((v) => v.served);
  const subresources: Subresource[] = [];
  if (storage.subresources?.status) subresources.push(STATUS(spec.names.kind, spec.group, storage.name));
  if (storage.subresources?.scale) subresources.push(SCALE);
  return {
    key: `${spec.names.plural}.${spec.group}`,
    group: spec.group,
    version: storage.name,
    served: served.map((v) => ({ group: spec.group, version: v.name })),
    plural: spec.names.plural,
    singular: spec.names.singular ?? spec.names.kind.toLowerCase(),
    kind: spec.names.kind,
    namespaced: spec.scope === 'Namespaced',
    shortNames: spec.names.shortNames ?? [],
    categories: spec.names.categories ?? [],
    verbs: ALL_VERBS,
    subresources,
    generation: true,
    custom: true,
    printerColumns: storage.additionalPrinterColumns ?? [],
  };
}

/** All resource types, indexed for the URL router and the store. */
export class ResourceRegistry {
  private readonly byKey = new Map<ResourceName, ResourceType>();

  constructor(types: ResourceType[] = BUILTIN_TYPES) {
    for (const t of types) this.byKey.set(t.key, t);
  }

  get(key: ResourceName): ResourceType | undefined {
    return this.byKey.get(key);
  }

  /** The type served at /apis/<group>/<version>/<plural>. */
  lookup(group: string, version: string, plural: string): ResourceType | undefined {
    const t = this.byKey.get(group ? `${plural}.${group}` : plural) ?? (plural === 'events' ? this.byKey.get('events') : undefined);
    return t && t.served.some((s) => s.group === group && s.version === version) ? t : undefined;
  }

  byKind(apiVersion: string, kind: string): ResourceType | undefined {
    const [group, version] = apiVersion.includes('/') ? apiVersion.split('/') as [string, string] : ['', apiVersion];
    for (const t of this.byKey.values()) {
      if (t.kind === kind && t.served.some((s) => s.group === group && s.version === version)) return t;
    }
    return undefined;
  }

  all(): ResourceType[] {
    return [...this.byKey.values()];
  }

  add(t: ResourceType): void {
    this.byKey.set(t.key, t);
  }

  remove(key: ResourceName): void {
    this.byKey.delete(key);
  }

  /** Group/versions in discovery order: core first, then groups by name. */
  groupVersions(): Array<{ group: string; versions: string[] }> {
    const groups = new Map<string, string[]>();
    for (const t of this.byKey.values()) {
      for (const s of t.served) {
        const vs = groups.get(s.group) ?? [];
        if (!vs.includes(s.version)) vs.push(s.version);
        groups.set(s.group, vs);
      }
    }
    return [...groups.entries()].sort(([a], [b]) => (a === '' ? -1 : b === '' ? 1 : a.localeCompare(b))).map(([group, versions]) => ({ group, versions: versions.sort(compareVersions) }));
  }
}

/** Kubernetes version priority: v1 > v1beta2 > v1beta1 > v1alpha1. */
export function compareVersions(a: string, b: string): number {
  const rank = (v: string): [number, number, number] => {
    const m = /^v(\d+)(?:(alpha|beta)(\d+))?$/.exec(v);
    if (!m) return [0, 0, 0];
    return [m[2] === undefined ? 3 : m[2] === 'beta' ? 2 : 1, Number(m[1]), Number(m[3] ?? 0)];
  };
  const [ra, rb] = [rank(a), rank(b)];
  for (let i = 0; i < 3; i++) if (ra[i] !== rb[i]) return rb[i]! - ra[i]!;
  return 0;
}

export function apiVersionOf(group: string, version: string): string {
  return group ? `${group}/${version}` : version;
}
