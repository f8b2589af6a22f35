// API server defaulting (the SetDefaults_* functions and the always-on admission plugins
// ServiceAccount and DefaultTolerationSeconds) for the kinds whose defaults consumers read.
import type { KObject } from '../types.ts';
import { randomSuffix } from './names.ts';

type Obj = Record<string, unknown>;

function setDefault(o: Obj, key: string, value: unknown): void {
  if (o[key] === undefined) o[key] = value;
}

/** `Always` for `:latest` or an untagged image, else `IfNotPresent` (digests count as tagged). */
export function defaultPullPolicy(image: string | undefined): string {
  if (!image) return 'IfNotPresent';
  if (image.includes('@')) return 'IfNotPresent';
  const lastSlash = image.lastIndexOf('/');
  const tagAt = image.indexOf(':', lastSlash + 1);
  if (tagAt < 0) return 'Always';
  return image.slice(tagAt + 1) === 'latest' ? 'Always' : 'IfNotPresent';
}

function defaultContainer(c: Obj): void {
  setDefault(c, 'imagePullPolicy', defaultPullPolicy(c.image as string | undefined));
  setDefault(c, 'terminationMessagePath', '/dev/termination-log');
  setDefault(c, 'terminationMessagePolicy', 'File');
  setDefault(c, 'resources', {});
  for (const p of (c.ports as Obj[] | undefined) ?? []) setDefault(p, 'protocol', 'TCP');
  for (const e of (c.env as Obj[] | undefined) ?? []) {
    const fieldRef = (e.valueFrom as Obj | undefined)?.fieldRef as Obj | undefined;
    if (fieldRef) setDefault(fieldRef, 'apiVersion', 'v1');
  }
  for (const probe of ['livenessProbe', 'readinessProbe', 'startupProbe']) {
    const p = c[probe] as Obj | undefined;
    if (!p) continue;
    setDefault(p, 'timeoutSeconds', 1);
    setDefault(p, 'periodSeconds', 10);
    setDefault(p, 'successThreshold', 1);
    setDefault(p, 'failureThreshold', 3);
    const http = p.httpGet as Obj | undefined;
    if (http) { setDefault(http, 'path', '/'); setDefault(http, 'scheme', 'HTTP'); }
  }
}

/** Defaults of a PodSpec, in a Pod or in a template. */
export function defaultPodSpec(spec: Obj): void {
  setDefault(spec, 'restartPolicy', 'Always');
  setDefault(spec, 'terminationGracePeriodSeconds', 30);
  setDefault(spec, 'dnsPolicy', 'ClusterFirst');
  setDefault(spec, 'securityContext', {});
  setDefault(spec, 'schedulerName', 'default-scheduler');
  for (const list of ['initContainers', 'containers']) {
    for (const c of (spec[list] as Obj[] | undefined) ?? []) defaultContainer(c);
  }
  for (const v of (spec.volumes as Obj[] | undefined) ?? []) {
    const cm = v.configMap as Obj | undefined;
    if (cm) setDefault(cm, 'defaultMode', 0o644);
    const secret = v.secret as Obj | undefined;
    if (secret) setDefault(secret, 'defaultMode', 0o644);
    const known = Object.keys(v).some((k) => k !== 'name');
    if (!known) v.emptyDir = {};
  }
}

/** What a Pod gets at creation beyond its spec defaults: the service account, its token volume,
 *  the default tolerations, priority and the Pending status. */
export function defaultPodOnCreate(pod: KObject): void {
  const spec = pod.spec as Obj;
  defaultPodSpec(spec);
  setDefault(spec, 'serviceAccountName', (spec.serviceAccount as string | undefined) ?? 'default');
  setDefault(spec, 'serviceAccount', spec.serviceAccountName);
  setDefault(spec, 'enableServiceLinks', true);
  setDefault(spec, 'priority', 0);
  setDefault(spec, 'preemptionPolicy', 'PreemptLowerPriority');
  const tolerations = ((spec.tolerations as Obj[] | undefined) ?? []).slice();
  for (const key of ['node.kubernetes.io/not-ready', 'node.kubernetes.io/unreachable']) {
    if (!tolerations.some((t) => t.key === key)) tolerations.push({ key, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 });
  }
  spec.tolerations = tolerations;
  if (spec.automountServiceAccountToken !== false) injectServiceAccountToken(spec);
  pod.status = { phase: 'Pending', qosClass: qosClass(spec) };
}

/** The ServiceAccount admission plugin's projected token volume, mounted in every container. */
function injectServiceAccountToken(spec: Obj): void {
  const volumes = ((spec.volumes as Obj[] | undefined) ?? []);
  if (volumes.some((v) => String(v.name).startsWith('kube-api-access-'))) return;
  const name = `kube-api-access-${randomSuffix(5)}`;
  volumes.push({
    name,
    projected: {
      defaultMode: 0o644,
      sources: [
        { serviceAccountToken: { expirationSeconds: 3607, path: 'token' } },
        { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
        { downwardAPI: { items: [{ path: 'namespace', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } }] } },
      ],
    },
  });
  spec.volumes = volumes;
  for (const list of ['initContainers', 'containers']) {
    for (const c of (spec[list] as Obj[] | undefined) ?? []) {
      const mounts = (c.volumeMounts as Obj[] | undefined) ?? [];
      if (mounts.some((m) => m.mountPath === '/var/run/secrets/kubernetes.io/serviceaccount')) continue;
      mounts.push({ name, readOnly: true, mountPath: '/var/run/secrets/kubernetes.io/serviceaccount' });
      c.volumeMounts = mounts;
    }
  }
}

/** v1qos.GetPodQOS, simplified to cpu and memory. */
export function qosClass(spec: Obj): string {
  const containers = [...((spec.initContainers as Obj[] | undefined) ?? []), ...((spec.containers as Obj[] | undefined) ?? [])];
  let any = false;
  let guaranteed = true;
  for (const c of containers) {
    const res = (c.resources as { requests?: Obj; limits?: Obj } | undefined) ?? {};
    const requests = res.requests ?? {};
    const limits = res.limits ?? {};
    if (Object.keys(requests).length || Object.keys(limits).length) any = true;
    for (const r of ['cpu', 'memory']) {
      const req = requests[r] ?? limits[r];
      if (limits[r] === undefined || req !== limits[r]) guaranteed = false;
    }
  }
  if (!any) return 'BestEffort';
  return guaranteed ? 'Guaranteed' : 'Burstable';
}

function defaultTemplate(spec: Obj): void {
  const template = spec.template as { metadata?: Obj; spec?: Obj } | undefined;
  if (template?.spec) defaultPodSpec(template.spec);
  if (template && !template.metadata) template.metadata = {};
}

export function defaultDeployment(d: KObject): void {
  const spec = d.spec as Obj;
  setDefault(spec, 'replicas', 1);
  setDefault(spec, 'revisionHistoryLimit', 10);
  setDefault(spec, 'progressDeadlineSeconds', 600);
  const strategy = (spec.strategy as Obj | undefined) ?? {};
  setDefault(strategy, 'type', 'RollingUpdate');
  if (strategy.type === 'RollingUpdate') setDefault(strategy, 'rollingUpdate', { maxUnavailable: '25%', maxSurge: '25%' });
  spec.strategy = strategy;
  defaultTemplate(spec);
}

export function defaultReplicaSet(rs: KObject): void {
  const spec = rs.spec as Obj;
  setDefault(spec, 'replicas', 1);
  defaultTemplate(spec);
}

export function defaultNamespace(ns: KObject): void {
  ns.metadata.labels = { ...ns.metadata.labels, 'kubernetes.io/metadata.name': ns.metadata.name! };
  ns.spec = { finalizers: ['kubernetes'], ...(ns.spec as Obj | undefined) };
  if (!ns.status) ns.status = { phase: 'Active' };
}

let nextClusterIp = 10;

export function defaultService(svc: KObject): void {
  const spec = (svc.spec as Obj | undefined) ?? {};
  svc.spec = spec;
  setDefault(spec, 'type', 'ClusterIP');
  setDefault(spec, 'sessionAffinity', 'None');
  setDefault(spec, 'internalTrafficPolicy', 'Cluster');
  setDefault(spec, 'ipFamilies', ['IPv4']);
  setDefault(spec, 'ipFamilyPolicy', 'SingleStack');
  if (spec.clusterIP === undefined) {
    const n = nextClusterIp++;
    spec.clusterIP = `10.96.${Math.floor(n / 250)}.${n % 250}`;
  }
  if (spec.clusterIPs === undefined && spec.clusterIP !== 'None') spec.clusterIPs = [spec.clusterIP];
  for (const p of (spec.ports as Obj[] | undefined) ?? []) {
    setDefault(p, 'protocol', 'TCP');
    setDefault(p, 'targetPort', p.port);
  }
  if (!svc.status) svc.status = { loadBalancer: {} };
}

export function defaultSecret(s: KObject): void {
  setDefault(s as Obj, 'type', 'Opaque');
}

export function defaultCrd(crd: KObject): void {
  const spec = crd.spec as { names: Obj; versions?: Obj[] };
  const names = { ...spec.names };
  setDefault(names, 'singular', String(names.kind).toLowerCase());
  setDefault(names, 'listKind', `${String(names.kind)}List`);
  crd.status = {
    acceptedNames: names,
    conditions: [
      { type: 'NamesAccepted', status: 'True', reason: 'NoConflicts', message: 'no conflicts found', lastTransitionTime: crd.metadata.creationTimestamp },
      { type: 'Established', status: 'True', reason: 'InitialNamesAccepted', message: 'the initial names have been accepted', lastTransitionTime: crd.metadata.creationTimestamp },
    ],
    storedVersions: (spec.versions ?? []).filter((v) => v.storage).map((v) => v.name),
  };
}

/** Defaulting run on create and update, per store key. */
export const DEFAULTERS: Record<string, (o: KObject) => void> = {
  'deployments.apps': defaultDeployment,
  'replicasets.apps': defaultReplicaSet,
  services: defaultService,
  secrets: defaultSecret,
};
