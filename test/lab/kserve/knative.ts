// A stand-in for Knative Serving, enough for what KServe's Knative mode shows: the Service's
// revisions become Deployments `<revision>-deployment` whose pod template is what Knative's revision
// reconciler makes (queue-proxy appended, K_* env, user-port, labels and annotations), and the
// Service status (Ready / ConfigurationsReady / RoutesReady, traffic, url) follows their pods.
// Knative's own objects (Service, Configuration, Revision, Route) are not stored: the lab has no CRDs
// for them, so the Deployment is owned by the InferenceService.
import { randomUUID } from 'node:crypto';
import { controllerRef, isPodReady } from '../controllers/pod-state.ts';
import { LAB_IMAGES } from '../images/catalog.ts';
import type { KObject, LabStore } from '../types.ts';
import type { ConditionStatus } from './conditions.ts';
import { KSERVE_CONTAINER, type Container, type PodSpec } from './pod-spec.ts';

const DEPLOYMENTS = 'deployments.apps';
const USER_PORT = 8080;

export interface KnativeCondition {
  status: ConditionStatus;
  reason?: string;
  message?: string;
}

export interface TrafficTarget {
  revisionName: string;
  latestRevision: boolean;
  percent: number;
  tag?: string;
}

/** The parts of a Knative Service's status KServe's PropagateStatus reads. */
export interface KnativeServiceStatus {
  ready: KnativeCondition;
  configurationsReady: KnativeCondition;
  routesReady: KnativeCondition;
  latestCreatedRevisionName: string;
  latestReadyRevisionName?: string;
  traffic: TrafficTarget[];
  url: string;
  address: string;
}

export interface KnativeComponent {
  /** `<isvc>-predictor`: the Knative Service and Configuration name. */
  name: string;
  owner: KObject;
  template: { labels: Record<string, string>; annotations: Record<string, string>; spec: PodSpec };
  minScale: number;
}

export interface KnativeTimings {
  /** Knative scales a min-scale 0 revision to zero after the stable window (60 s) plus the grace period (30 s) without traffic. */
  scaleToZeroAfterMs: number;
  /** A revision that has no ready pod within the progress deadline fails (Knative default 600 s). */
  progressDeadlineMs: number;
}

interface RevisionState {
  name: string;
  uid: string;
  generation: number;
  /** The template it was made from, to notice spec changes. */
  fingerprint: string;
  createdAt: number;
  readyAt?: number;
  failure?: { reason: string; message: string };
}

interface ServiceState {
  serviceUid: string;
  configurationUid: string;
  revisions: RevisionState[];
}

/** Knative Serving for one lab: revision bookkeeping lives here, as Knative keeps it in its CRDs. */
export class KnativeServing {
  private readonly services = new Map<string, ServiceState>();
  private readonly store: LabStore;
  private readonly timings: KnativeTimings;

  constructor(store: LabStore, timings: KnativeTimings) {
    this.store = store;
    this.timings = timings;
  }

  /** Reconciles the Service and returns its status plus when it wants to be looked at again. */
  async reconcile(component: KnativeComponent, now = Date.now()): Promise<{ status: KnativeServiceStatus; recheckInMs?: number }> {
    const ns = component.owner.metadata.namespace!;
    const key = `${ns}/${component.name}`;
    const service = this.services.get(key) ?? { serviceUid: randomUUID(), configurationUid: randomUUID(), revisions: [] };
    this.services.set(key, service);

    const fingerprint = JSON.stringify(component.template);
    let latest = service.revisions.at(-1);
    if (!latest || latest.fingerprint !== fingerprint) {
      const generation = service.revisions.length + 1;
      latest = { name: `${component.name}-${String(generation).padStart(5, '0')}`, uid: randomUUID(), generation, fingerprint, createdAt: now };
      service.revisions.push(latest);
    }
    await this.ensureDeployment(component, service, latest, 1);

    const pods = this.store.list('pods', ns, { labelSelector: `serving.knative.dev/revision=${latest.name}` });
    if (!latest.readyAt && pods.some(isPodReady)) {
      latest.readyAt = now;
      delete latest.failure;
    }
    // Knative's revision reconciler propagates the Deployment's ReplicaFailure whether or not the
    // revision was ever ready (PropagateDeploymentStatus), so a ready revision can fail later.
    latest.failure = latest.readyAt ? this.replicaFailure(latest, ns) : this.revisionFailure(latest, pods, ns, now);

    let recheckInMs: number | undefined;
    const ready = [...service.revisions].reverse().find((r) => r.readyAt !== undefined);
    // Traffic goes to the newest ready revision; every other one but the latest goes to zero.
    for (const r of service.revisions) if (r !== ready && r !== latest) await this.scale(ns, r, 0);
    if (latest.readyAt && component.minScale === 0) {
      const idleFor = now - latest.readyAt;
      if (idleFor >= this.timings.scaleToZeroAfterMs) await this.scale(ns, latest, 0);
      else recheckInMs = this.timings.scaleToZeroAfterMs - idleFor;
    }
    if (!latest.readyAt && !latest.failure) recheckInMs = Math.max(0, latest.createdAt + this.timings.progressDeadlineMs - now);

    return { status: this.serviceStatus(component, ns, latest, ready), ...(recheckInMs !== undefined ? { recheckInMs } : {}) };
  }

  /** Forgets a Service whose owner is gone (its Deployments go with the owner). */
  forget(namespace: string, name: string): void {
    this.services.delete(`${namespace}/${name}`);
  }

  private serviceStatus(component: KnativeComponent, ns: string, latest: RevisionState, ready: RevisionState | undefined): KnativeServiceStatus {
    const base = {
      latestCreatedRevisionName: latest.name,
      ...(ready ? { latestReadyRevisionName: ready.name } : {}),
      traffic: ready ? [{ revisionName: ready.name, latestRevision: true, percent: 100 }] : [],
      url: `http://${component.name}.${ns}.example.com`,
      address: `http://${component.name}.${ns}.svc.cluster.local`,
    };
    const waiting: KnativeCondition = { status: 'Unknown', reason: 'RevisionMissing', message: `Configuration "${component.name}" is waiting for a Revision to become ready.` };
    const noReady: KnativeCondition = { status: 'False', reason: 'RevisionMissing', message: `Configuration "${component.name}" does not have any ready Revision.` };
    if (latest.readyAt && !latest.failure) {
      const ok: KnativeCondition = { status: 'True' };
      return { ...base, ready: ok, configurationsReady: ok, routesReady: ok };
    }
    const routesReady: KnativeCondition = ready ? { status: 'True' } : latest.failure ? noReady : waiting;
    if (latest.failure) {
      const failed: KnativeCondition = { status: 'False', reason: 'RevisionFailed', message: `Revision "${latest.name}" failed with message: ${latest.failure.message}.` };
      // The Service's Ready follows the last dependent marked: the route.
      return { ...base, configurationsReady: failed, routesReady, ready: routesReady.status === 'True' ? failed : routesReady };
    }
    return { ...base, configurationsReady: waiting, routesReady, ready: waiting };
  }

  /** What Knative's revision reconciler (reconcile_resources.go) reads: the Deployment's
   *  ReplicaFailure, then the first pod's scheduling and the user container's last termination, and
   *  after the progress deadline its waiting reason. Sidecars such as modelcar are never looked at. */
  private revisionFailure(rev: RevisionState, pods: KObject[], ns: string, now: number): { reason: string; message: string } | undefined {
    const replicaFailure = this.replicaFailure(rev, ns);
    if (replicaFailure) return replicaFailure;
    const timedOut = now - rev.createdAt >= this.timings.progressDeadlineMs;
    const pod = pods[0];
    if (pod) {
      const status = pod.status as { conditions?: Array<{ type: string; status: string; reason?: string; message?: string }>; containerStatuses?: ContainerStatus[] } | undefined;
      const unscheduled = status?.conditions?.find((c) => c.type === 'PodScheduled' && c.status === 'False');
      if (unscheduled) return { reason: unscheduled.reason ?? '', message: unscheduled.message ?? '' };
      const user = status?.containerStatuses?.find((s) => s.name === KSERVE_CONTAINER);
      const terminated = user?.lastState?.terminated;
      if (terminated) {
        const message = terminated.exitCode === 0 && !terminated.message ? 'container exited with no error' : terminated.message ?? '';
        return { reason: `ExitCode${terminated.exitCode}`, message: `Container failed with: ${message}` };
      }
      const waiting = user?.state?.waiting;
      if (waiting && timedOut) return { reason: waiting.reason ?? '', message: waiting.message ?? '' };
    }
    if (timedOut) return { reason: 'ProgressDeadlineExceeded', message: 'Initial scale was never achieved' };
    return undefined;
  }

  /** The revision Deployment's ReplicaFailure condition, when it is True. */
  private replicaFailure(rev: RevisionState, ns: string): { reason: string; message: string } | undefined {
    const deployment = this.store.get(DEPLOYMENTS, ns, `${rev.name}-deployment`);
    const conditions = ((deployment?.status as { conditions?: Array<{ type: string; status: string; reason?: string; message?: string }> } | undefined)?.conditions) ?? [];
    const failure = conditions.find((c) => c.type === 'ReplicaFailure' && c.status === 'True');
    return failure ? { reason: failure.reason ?? 'FailedCreate', message: failure.message ?? '' } : undefined;
  }

  private async scale(ns: string, rev: RevisionState, replicas: number): Promise<void> {
    const deployment = this.store.get(DEPLOYMENTS, ns, `${rev.name}-deployment`);
    if (!deployment || (deployment.spec as { replicas?: number }).replicas === replicas) return;
    (deployment.spec as { replicas?: number }).replicas = replicas;
    await this.store.update(DEPLOYMENTS, deployment);
  }

  private async ensureDeployment(component: KnativeComponent, service: ServiceState, rev: RevisionState, initialScale: number): Promise<void> {
    const ns = component.owner.metadata.namespace!;
    const name = `${rev.name}-deployment`;
    if (this.store.get(DEPLOYMENTS, ns, name)) return;
    const labels = {
      ...component.template.labels,
      app: rev.name,
      'serving.knative.dev/configuration': component.name,
      'serving.knative.dev/configurationGeneration': String(rev.generation),
      'serving.knative.dev/configurationUID': service.configurationUid,
      'serving.knative.dev/revision': rev.name,
      'serving.knative.dev/revisionUID': rev.uid,
      'serving.knative.dev/service': component.name,
      'serving.knative.dev/serviceUID': service.serviceUid,
    };
    const annotations = { ...component.template.annotations, 'serving.knative.dev/creator': 'system:serviceaccount:kserve:kserve-controller-manager' };
    await this.store.create(DEPLOYMENTS, {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name, namespace: ns, labels, annotations, ownerReferences: [controllerRef(component.owner)] },
      spec: {
        replicas: initialScale,
        selector: { matchLabels: { 'serving.knative.dev/revisionUID': rev.uid } },
        progressDeadlineSeconds: 600,
        strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: '100%' } },
        template: { metadata: { labels, annotations }, spec: revisionPodSpec(component, rev.name) },
      },
    });
  }
}

interface ContainerStatus {
  name: string;
  state?: { waiting?: { reason?: string; message?: string } };
  lastState?: { terminated?: { exitCode: number; message?: string } };
}

/** knative.dev/serving pkg/reconciler/revision/resources/deploy.go makePodSpec: the user container
 *  gets PORT and K_* env, one `user-port`, a drain preStop hook, and its probes move to queue-proxy. */
function revisionPodSpec(component: KnativeComponent, revision: string): PodSpec {
  const spec = structuredClone(component.template.spec);
  const [user, ...sidecars] = spec.containers;
  if (!user) throw new Error(`${component.name}: no containers`);
  const port = (user.ports as Array<{ containerPort: number }> | undefined)?.[0]?.containerPort ?? USER_PORT;
  const readiness = user.readinessProbe ?? { tcpSocket: { port, host: '127.0.0.1' }, successThreshold: 1 };
  delete user.readinessProbe;
  const userContainer: Container = {
    ...user,
    ports: [{ name: 'user-port', containerPort: port, protocol: 'TCP' }],
    env: [
      ...(user.env ?? []),
      { name: 'PORT', value: String(port) },
      { name: 'K_REVISION', value: revision },
      { name: 'K_CONFIGURATION', value: component.name },
      { name: 'K_SERVICE', value: component.name },
    ],
    lifecycle: { preStop: { httpGet: { path: '/wait-for-drain', port: 8022 } } },
    terminationMessagePolicy: user.terminationMessagePolicy ?? 'FallbackToLogsOnError',
  };
  const ns = component.owner.metadata.namespace!;
  const queueProxy: Container = {
    name: 'queue-proxy',
    image: LAB_IMAGES.queueProxy,
    ports: [
      { name: 'http-queueadm', containerPort: 8022, protocol: 'TCP' },
      { name: 'http-autometric', containerPort: 9090, protocol: 'TCP' },
      { name: 'http-usermetric', containerPort: 9091, protocol: 'TCP' },
      { name: 'queue-port', containerPort: 8012, protocol: 'TCP' },
      { name: 'https-port', containerPort: 8112, protocol: 'TCP' },
    ],
    env: [
      { name: 'SERVING_NAMESPACE', value: ns },
      { name: 'SERVING_SERVICE', value: component.name },
      { name: 'SERVING_CONFIGURATION', value: component.name },
      { name: 'SERVING_REVISION', value: revision },
      { name: 'QUEUE_SERVING_PORT', value: '8012' },
      { name: 'QUEUE_SERVING_TLS_PORT', value: '8112' },
      { name: 'CONTAINER_CONCURRENCY', value: '0' },
      { name: 'REVISION_TIMEOUT_SECONDS', value: '300' },
      { name: 'SERVING_POD', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.name' } } },
      { name: 'SERVING_POD_IP', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'status.podIP' } } },
      { name: 'USER_PORT', value: String(port) },
      { name: 'SYSTEM_NAMESPACE', value: 'knative-serving' },
      { name: 'SERVING_READINESS_PROBE', value: JSON.stringify(readiness) },
    ],
    readinessProbe: { httpGet: { path: '/', port: 8012, scheme: 'HTTP', httpHeaders: [{ name: 'K-Network-Probe', value: 'queue' }] }, periodSeconds: 1, successThreshold: 1, failureThreshold: 3, timeoutSeconds: 1 },
    resources: { requests: { cpu: '25m' } },
    securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] }, readOnlyRootFilesystem: true, runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } },
    terminationMessagePolicy: 'File',
  };
  return { ...spec, containers: [userContainer, ...sidecars, queueProxy], enableServiceLinks: false, terminationGracePeriodSeconds: 300 };
}
