// Snapshot builders for unit tests: a KServe-shaped modelcar pod written from what KServe's
// webhook does (pkg/utils/storage.go ConfigureModelcarToContainer, CreateModelcarContainer,
// CreateModelcarInitContainer; older versions from pkg/webhook/admission/pod/
// storage_initializer_injector.go at their tags), NOT from the lab's emulation.
import type {
  ConfigMap, Container, Deployment, Event, ExecProbe, InferenceService, Namespace, Pod, ReplicaSet, ServingRuntime, Snapshot,
} from '../snapshot.ts';
import { emptySnapshot } from '../snapshot.ts';

export const NOW = '2026-11-25T12:00:00Z';
export const NS = 'kserve-test';
export const ISVC = 'sklearn-iris-oci';
export const IMAGE = 'registry.local:5000/rhuss/kserving-example-sklearn:1.0';
export const IMAGE_ID = 'registry.local:5000/rhuss/kserving-example-sklearn@sha256:1111111111111111111111111111111111111111111111111111111111111111';

export function ago(seconds: number): string {
  return new Date(Date.parse(NOW) - seconds * 1000).toISOString();
}

/** The storageInitializer KServe v0.20 ships (config/configmap/inferenceservice.yaml). */
export const V20_STORAGE_INITIALIZER = {
  image: 'kserve/storage-initializer:latest',
  memoryRequest: '100Mi',
  memoryLimit: '1Gi',
  cpuRequest: '100m',
  cpuLimit: '1',
  caBundleConfigMapName: '',
  caBundleVolumeMountPath: '/etc/ssl/custom-certs',
  enableModelcar: true,
  cpuModelcar: '10m',
  memoryModelcar: '15Mi',
  uidModelcar: 1010,
};

/** The storageInitializer part of the shipped `_example` block (its modelcar keys are documentation). */
export const SHIPPED_EXAMPLE = `storageInitializer: |-
  {
      "image" : "kserve/storage-initializer:latest",
      "enableModelcar": false,
      "enableOciModelSupport": false,
      "ociModelMode": "modelcar",
      "cpuModelcar": "10m",
      "memoryModelcar": "15Mi",
      "uidModelcar": 10
  }`;

export function configMap(storageInitializer: Record<string, unknown> | string = V20_STORAGE_INITIALIZER, example = SHIPPED_EXAMPLE, changedAt = ago(86400)): ConfigMap {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: {
      name: 'inferenceservice-config',
      namespace: 'kserve',
      creationTimestamp: ago(86400 * 2),
      managedFields: [{ manager: 'kubectl', operation: 'Update', time: changedAt, fieldsV1: { 'f:data': { 'f:storageInitializer': {} } } }],
    },
    data: { _example: example, storageInitializer: typeof storageInitializer === 'string' ? storageInitializer : JSON.stringify(storageInitializer) },
  };
}

export function inferenceService(storageUri: string | string[] = `oci://${IMAGE}`, opts: { mode?: 'Standard' | 'Knative'; minReplicas?: number } = {}): InferenceService {
  const model: NonNullable<InferenceService['spec']['predictor']['model']> = { modelFormat: { name: 'sklearn' } };
  if (Array.isArray(storageUri)) model.storageUris = storageUri.map((uri, i) => ({ uri, mountPath: i === 0 ? '/mnt/models' : `/mnt/extra${i}/models` }));
  else model.storageUri = storageUri;
  return {
    apiVersion: 'serving.kserve.io/v1beta1',
    kind: 'InferenceService',
    metadata: { name: ISVC, namespace: NS, creationTimestamp: ago(700) },
    spec: { predictor: { model, ...(opts.minReplicas !== undefined ? { minReplicas: opts.minReplicas } : {}) } },
    status: { deploymentMode: opts.mode === 'Knative' ? 'Knative' : 'Standard' }, // v0.20's names
  };
}

/** The sklearn ClusterServingRuntime; hardened from v0.15 (config/runtimes/kserve-sklearnserver.yaml). */
export function sklearnRuntime(hardened = true): ServingRuntime {
  return {
    apiVersion: 'serving.kserve.io/v1alpha1',
    kind: 'ClusterServingRuntime',
    metadata: { name: 'kserve-sklearnserver' },
    spec: {
      supportedModelFormats: [{ name: 'sklearn', version: '1', autoSelect: true }],
      containers: [{
        name: 'kserve-container',
        image: 'kserve/sklearnserver:latest',
        args: ['--model_name={{.Name}}', '--model_dir=/mnt/models', '--http_port=8080'],
        ...(hardened ? { securityContext: { allowPrivilegeEscalation: false, privileged: false, runAsNonRoot: true, capabilities: { drop: ['ALL'] } } } : {}),
      }],
    },
  };
}

export type KServeVersion = 'v0.13.0' | 'v0.15.2' | 'v0.17.0' | 'v0.20.0';

export interface PodOptions {
  version?: KServeVersion;
  mode?: 'Standard' | 'Knative';
  /** One per oci source; the second and later get `modelcar-N` at `/mnt/extra<N>/models`. */
  images?: string[];
  uidModelcar?: number | null;
  memoryModelcar?: string;
  name?: string;
  /** The runtime's securityContext before admission (from the ServingRuntime). */
  runtimeSecurityContext?: Container['securityContext'];
}

function modelcarScript(modelPath: string, force: boolean): string {
  const ln = `ln ${force ? '-sf' : '-s'} /proc/$$$$/root/models ${modelPath} && sleep infinity`;
  return modelPath === '/mnt/models' ? ln : `mkdir -p ${modelPath.replace(/\/[^/]*$/, '')} && ${ln}`;
}

const INIT_SCRIPT = (image: string) =>
  `echo 'Pre-fetching modelcar ${image}: ' && [ -d /models ] && [ "$$(ls -A /models)" ] && echo 'OK ... Prefetched and valid (/models exists)' || (echo 'NOK ... Prefetched but modelcar is invalid (/models does not exist or is empty)' && exit 1)`;

/** A running predictor pod after KServe's webhook injected the modelcar(s), as `version` does it. */
export function modelcarPod(o: PodOptions = {}): Pod {
  const version = o.version ?? 'v0.20.0';
  const images = o.images ?? [IMAGE];
  const uid = o.uidModelcar === undefined ? 1010 : o.uidModelcar;
  const memory = o.memoryModelcar ?? '15Mi';
  const knative = o.mode === 'Knative';
  const minor = Number(version.split('.')[1]);
  const name = o.name ?? (knative ? `${ISVC}-predictor-00001-deployment-58fc6564d7-x7k2p` : `${ISVC}-predictor-6d9f7c8b5-abcde`);
  const resources = { limits: { cpu: '10m', memory }, requests: { cpu: '10m', memory } };

  const runtime: Container = {
    name: 'kserve-container',
    image: 'kserve/sklearnserver:latest',
    args: ['--model_name=sklearn-iris-oci', '--model_dir=/mnt/models', '--http_port=8080'],
    env: [{ name: 'MODEL_INIT_MODE', value: 'async' }],
    volumeMounts: [],
    ...(o.runtimeSecurityContext ? { securityContext: { ...o.runtimeSecurityContext } } : minor >= 15 ? { securityContext: { allowPrivilegeEscalation: false, privileged: false, runAsNonRoot: true, capabilities: { drop: ['ALL'] } } } : {}),
  };
  if (uid !== null) {
    // v0.12..v0.17.1 replace the whole securityContext (#5166); v0.18 merges runAsUser in.
    runtime.securityContext = minor >= 18 ? { ...(runtime.securityContext ?? {}), runAsUser: uid } : { runAsUser: uid };
  }
  const containers: Container[] = [runtime];
  if (knative) containers.push({ name: 'queue-proxy', image: 'knative/queue:1.15' });
  const initContainers: Container[] = [];
  const volumes: Pod['spec']['volumes'] = [];
  images.forEach((image, i) => {
    const suffix = i === 0 ? '' : `-${i}`;
    const modelPath = i === 0 ? '/mnt/models' : `/mnt/extra${i}/models`;
    const volume = `kserve-provision-location${suffix}`;
    const parent = modelPath.replace(/\/[^/]*$/, '');
    volumes.push({ name: volume, emptyDir: {} });
    runtime.volumeMounts!.push({ name: volume, mountPath: parent });
    containers.push({
      name: `modelcar${suffix}`,
      image,
      args: ['sh', '-c', modelcarScript(modelPath, minor >= 15)],
      resources,
      volumeMounts: [{ name: volume, mountPath: parent }],
      terminationMessagePolicy: 'FallbackToLogsOnError',
      imagePullPolicy: /:latest$|^[^:]+$/.test(image.split('/').pop()!) ? 'Always' : 'IfNotPresent',
      ...(uid !== null ? { securityContext: { runAsUser: uid } } : {}),
    });
    if (minor >= 14) {
      initContainers.push({ name: `modelcar-init${suffix}`, image, args: ['sh', '-c', INIT_SCRIPT(image)], resources, terminationMessagePolicy: 'FallbackToLogsOnError' });
    }
  });
  const started = ago(500);
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: NS,
      creationTimestamp: ago(600),
      labels: { 'serving.kserve.io/inferenceservice': ISVC, component: 'predictor', ...(knative ? { 'serving.knative.dev/revision': `${ISVC}-predictor-00001` } : {}) },
      annotations: { 'internal.serving.kserve.io/storage-initializer-sourceuri': `oci://${images[0]}` },
      ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: name.replace(/-[a-z0-9]+$/, ''), uid: 'rs-uid', controller: true }],
    },
    spec: { containers, initContainers, volumes, shareProcessNamespace: true, nodeName: 'node-1', serviceAccountName: 'default' },
    status: {
      phase: 'Running',
      startTime: ago(600),
      conditions: [
        { type: 'PodScheduled', status: 'True', lastTransitionTime: ago(599) },
        { type: 'Initialized', status: 'True', lastTransitionTime: ago(520) },
        { type: 'Ready', status: 'True', lastTransitionTime: ago(480) },
      ],
      initContainerStatuses: initContainers.map((c) => ({
        name: c.name, ready: true, restartCount: 0, image: c.image, imageID: IMAGE_ID,
        state: { terminated: { exitCode: 0, reason: 'Completed', startedAt: ago(530), finishedAt: ago(525) } },
      })),
      containerStatuses: containers.map((c) => ({
        name: c.name, ready: true, restartCount: 0, started: true, image: c.image, imageID: c.name.startsWith('modelcar') ? IMAGE_ID : `${c.image}@sha256:2222`,
        state: { running: { startedAt: started } },
      })),
    },
  };
}

export function replicaSetFor(pod: Pod): ReplicaSet {
  const name = pod.metadata.ownerReferences![0]!.name;
  return {
    apiVersion: 'apps/v1', kind: 'ReplicaSet',
    metadata: { name, namespace: NS, labels: { 'serving.kserve.io/inferenceservice': ISVC }, ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: `${ISVC}-predictor`, uid: 'd-uid', controller: true }] },
    spec: { replicas: 1 },
  };
}

export function deployment(): Deployment {
  return {
    apiVersion: 'apps/v1', kind: 'Deployment',
    metadata: { name: `${ISVC}-predictor`, namespace: NS, labels: { 'serving.kserve.io/inferenceservice': ISVC } },
    spec: { replicas: 1, progressDeadlineSeconds: 600 },
  };
}

export function event(involved: { kind: string; name: string; fieldPath?: string }, reason: string, message: string, ageSeconds: number, type = 'Normal'): Event {
  return {
    apiVersion: 'v1', kind: 'Event',
    metadata: { name: `${involved.name}.${reason}.${ageSeconds}`, namespace: NS },
    involvedObject: { kind: involved.kind, name: involved.name, namespace: NS, ...(involved.fieldPath ? { fieldPath: involved.fieldPath } : {}) },
    reason, message, type, count: 1, lastTimestamp: ago(ageSeconds), firstTimestamp: ago(ageSeconds),
  };
}

/** The kubelet's events for a healthy start of `pod` (pkg/kubelet/images and container runtime manager formats). */
export function podStartEvents(pod: Pod): Event[] {
  const name = pod.metadata.name;
  const out: Event[] = [event({ kind: 'Pod', name }, 'Scheduled', `Successfully assigned ${NS}/${name} to node-1`, 599)];
  for (const c of pod.spec.initContainers ?? []) {
    const ref = { kind: 'Pod', name, fieldPath: `spec.initContainers{${c.name}}` };
    out.push(event(ref, 'Pulling', `Pulling image "${c.image}"`, 590), event(ref, 'Pulled', `Successfully pulled image "${c.image}" in 1.234s (1.234s including waiting). Image size: 5408000 bytes.`, 589));
  }
  for (const c of pod.spec.containers) {
    const ref = { kind: 'Pod', name, fieldPath: `spec.containers{${c.name}}` };
    out.push(event(ref, 'Pulled', `Container image "${c.image}" already present on machine`, 520), event(ref, 'Started', `Started container ${c.name}`, 500));
  }
  return out;
}

/** What the in-pod probe reads from kserve-container of a healthy pod. */
export function healthyProbe(pod: Pod, opts: { modelPath?: string; uid?: number; pid?: number } = {}): ExecProbe {
  const uid = opts.uid ?? 1010;
  const pid = opts.pid ?? 38;
  return {
    namespace: NS, pod: pod.metadata.name, container: 'kserve-container', outcome: 'probed', tool: 'sh',
    modelPath: opts.modelPath ?? '/mnt/models', lstatType: 'symlink', readlink: `/proc/${pid}/root/models`, targetResolves: true, targetPid: pid,
    targetProcess: { cmdline: ['sleep', 'infinity'], ids: { uids: [uid, uid, uid, uid], gids: [0, 0, 0, 0] } },
    self: { pid: 120, ids: { uids: [uid, uid, uid, uid], gids: [0, 0, 0, 0] } },
    modelcarPids: [pid],
    listing: { ok: true, fileCount: 1, totalBytes: 5408, unreadable: [] },
  };
}

export function namespace(labels: Record<string, string> = {}, annotations: Record<string, string> = {}): Namespace {
  return { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS, labels: { 'kubernetes.io/metadata.name': NS, ...labels }, annotations } };
}

export function controllerPod(version: KServeVersion): Pod {
  return {
    apiVersion: 'v1', kind: 'Pod',
    metadata: { name: 'kserve-controller-manager-7b9f-abcde', namespace: 'kserve', labels: { 'control-plane': 'kserve-controller-manager' } },
    spec: { containers: [{ name: 'manager', image: `kserve/kserve-controller:${version}` }] },
  };
}

export interface HealthyOptions extends PodOptions {
  storageInitializer?: Record<string, unknown> | string;
  example?: string;
  isvc?: InferenceService;
  source?: Snapshot['source'];
}

/** The seed example running healthy: the snapshot gather would build for it. */
export function healthySnapshot(o: HealthyOptions = {}): Snapshot {
  const version = o.version ?? 'v0.20.0';
  const pod = modelcarPod(o);
  const s = emptySnapshot(NOW, o.source ?? 'cluster');
  s.cluster = { serverVersion: 'v1.33.1', featureGates: null };
  s.kserve = {
    namespace: 'kserve', namespaceSource: 'controller-pods',
    configMap: configMap(o.storageInitializer ?? V20_STORAGE_INITIALIZER, o.example),
    controllerPods: [controllerPod(version)],
    controllerVersion: { version, source: 'image-tag', image: `kserve/kserve-controller:${version}` },
  };
  s.targets = [{ kind: 'InferenceService', namespace: NS, name: ISVC }];
  s.inferenceServices = [o.isvc ?? inferenceService(o.images && o.images.length > 1 ? o.images.map((i) => `oci://${i}`) : `oci://${(o.images ?? [IMAGE])[0]}`, { mode: o.mode })];
  s.pods = [pod];
  s.replicaSets = [replicaSetFor(pod)];
  s.deployments = [deployment()];
  s.namespaces = [namespace()];
  s.events = [{ namespace: NS, gatheredAt: NOW, items: podStartEvents(pod) }];
  s.nodes = [{ apiVersion: 'v1', kind: 'Node', metadata: { name: 'node-1' }, status: { nodeInfo: { kubeletVersion: 'v1.33.1' }, conditions: [{ type: 'DiskPressure', status: 'False' }, { type: 'Ready', status: 'True' }] } }];
  s.servingRuntimes = [sklearnRuntime(Number(version.split('.')[1]) >= 15)];
  s.logs = [
    ...(pod.spec.initContainers ?? []).map((c) => ({ namespace: NS, pod: pod.metadata.name, container: c.name, previous: false, text: `Pre-fetching modelcar ${c.image}: \nOK ... Prefetched and valid (/models exists)\n` })),
  ];
  const mcPaths = (o.images ?? [IMAGE]).map((_, i) => (i === 0 ? '/mnt/models' : `/mnt/extra${i}/models`));
  const uid = o.uidModelcar === undefined ? 1010 : o.uidModelcar ?? 1000;
  s.execs = s.source === 'file' ? [] : mcPaths.map((modelPath, i) => healthyProbe(pod, { modelPath, uid, pid: 38 + i }));
  return s;
}
