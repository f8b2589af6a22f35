// The controller against the lab's in-memory store. Pods are written here the way the ReplicaSet
// controller and the kubelet would, so each status KServe derives from them can be checked.
// Expected statuses follow pkg/apis/serving/v1beta1/inference_service_status.go at each tag.
import { afterEach, describe, expect, it } from 'vitest';
import { MemoryStore } from '../apiserver/store.ts';
import type { KObject } from '../types.ts';
import { startKServeController, type KServeControllerOptions } from './controller.ts';
import { kserveInstallObjects } from './install.ts';

const ISVC = 'inferenceservices.serving.kserve.io';
const NS = 'kserve-test';

function resourceOf(o: KObject): string {
  const group = o.apiVersion.includes('/') ? o.apiVersion.split('/')[0] : '';
  const plural = `${o.kind.toLowerCase()}${o.kind.endsWith('s') ? 'es' : 's'}`;
  return group ? `${plural}.${group}` : plural;
}

const stops: Array<() => void> = [];
afterEach(() => {
  while (stops.length) stops.pop()!();
});

async function lab(opts: KServeControllerOptions): Promise<MemoryStore> {
  const store = new MemoryStore();
  for (const o of kserveInstallObjects(opts.version)) await store.create(resourceOf(o), o);
  await store.create('namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } });
  stops.push(startKServeController(store, opts));
  return store;
}

function seedIsvc(predictor: Record<string, unknown> = {}, annotations?: Record<string, string>): KObject {
  return {
    apiVersion: 'serving.kserve.io/v1beta1',
    kind: 'InferenceService',
    metadata: { name: 'sklearn-iris-oci', namespace: NS, ...(annotations ? { annotations } : {}) },
    spec: { predictor: { model: { modelFormat: { name: 'sklearn' }, storageUri: 'oci://rhuss/kserving-example-sklearn:1.0' }, ...predictor } },
  };
}

async function until<T>(what: string, get: () => T | undefined, ms = 3000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = get();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const status = (store: MemoryStore) => store.get(ISVC, NS, 'sklearn-iris-oci')?.status as any;
const condition = (store: MemoryStore, type: string) => status(store)?.conditions?.find((c: { type: string }) => c.type === type);

/** A pod of the Deployment's template, as the ReplicaSet controller makes it, with a kubelet-like status. */
async function podOf(store: MemoryStore, deploymentName: string, podStatus: Record<string, unknown>): Promise<KObject> {
  const deployment = await until('deployment', () => store.get('deployments.apps', NS, deploymentName));
  const template = (deployment.spec as { template: { metadata: KObject['metadata']; spec: unknown } }).template;
  const pod = await store.create('pods', { apiVersion: 'v1', kind: 'Pod', metadata: { ...template.metadata, name: `${deploymentName}-5d8f-x${Math.random().toString(36).slice(2, 6)}`, namespace: NS }, spec: template.spec });
  return store.updateStatus('pods', { ...pod, status: podStatus });
}

const readyPod = {
  phase: 'Running',
  conditions: [{ type: 'Ready', status: 'True' }],
  containerStatuses: [{ name: 'kserve-container', ready: true, state: { running: {} } }, { name: 'modelcar', ready: true, state: { running: {} } }],
};

describe('Knative mode (v0.20.0)', () => {
  it('makes the revision Deployment, then reports Ready with the real url once a pod is ready', async () => {
    const store = await lab({ version: 'v0.20.0' });
    await store.create(ISVC, seedIsvc());
    const deployment = await until('deployment', () => store.get('deployments.apps', NS, 'sklearn-iris-oci-predictor-00001-deployment'));
    const template = (deployment.spec as any).template;
    expect(template.metadata.labels).toMatchObject({
      'serving.kserve.io/inferenceservice': 'sklearn-iris-oci',
      component: 'predictor',
      app: 'sklearn-iris-oci-predictor-00001',
      'serving.knative.dev/revision': 'sklearn-iris-oci-predictor-00001',
    });
    expect(template.metadata.annotations['internal.serving.kserve.io/storage-initializer-sourceuri']).toBe('oci://rhuss/kserving-example-sklearn:1.0');
    expect(template.spec.containers.map((c: { name: string }) => c.name)).toEqual(['kserve-container', 'queue-proxy']);
    expect(template.spec.containers[0].args).toEqual(['--model_name=sklearn-iris-oci', '--model_dir=/mnt/models', '--http_port=8080']);

    await until('Unknown status', () => condition(store, 'Ready'));
    expect(condition(store, 'Ready')).toMatchObject({ status: 'Unknown', reason: 'Predictor ingress not created' });
    expect(condition(store, 'PredictorReady')).toMatchObject({ status: 'Unknown', reason: 'RevisionMissing' });

    await podOf(store, 'sklearn-iris-oci-predictor-00001-deployment', readyPod);
    // PropagateModelStatus runs before the ingress marks Ready, so Loaded comes one reconcile later.
    await until('Loaded', () => condition(store, 'Ready')?.status === 'True' && status(store).modelStatus.transitionStatus === 'UpToDate');
    const s = status(store);
    expect(s.url).toBe('http://sklearn-iris-oci-kserve-test.example.com');
    expect(s.address).toEqual({ url: 'http://sklearn-iris-oci.kserve-test.svc.cluster.local' });
    expect(s.deploymentMode).toBe('Knative');
    expect(s.components.predictor).toMatchObject({
      latestCreatedRevision: 'sklearn-iris-oci-predictor-00001',
      latestReadyRevision: 'sklearn-iris-oci-predictor-00001',
      latestRolledoutRevision: 'sklearn-iris-oci-predictor-00001',
      traffic: [{ revisionName: 'sklearn-iris-oci-predictor-00001', latestRevision: true, percent: 100 }],
      url: 'http://sklearn-iris-oci-predictor.kserve-test.example.com',
    });
    expect(s.modelStatus).toEqual({ transitionStatus: 'UpToDate', states: { activeModelState: 'Loaded', targetModelState: 'Loaded' }, copies: { failedCopies: 0, totalCopies: 1 } });
    expect(s.conditions.map((c: { type: string; status: string }) => `${c.type}=${c.status}`)).toEqual([
      'IngressReady=True', 'LatestDeploymentReady=True', 'PredictorConfigurationReady=True', 'PredictorReady=True',
      'PredictorRouteReady=True', 'Ready=True', 'RoutesReady=True', 'Stopped=False',
    ]);
  });

  it('a failing modelcar-init never reaches modelStatus: the InferenceService just stays Pending', async () => {
    const store = await lab({ version: 'v0.20.0' });
    await store.create(ISVC, seedIsvc());
    await podOf(store, 'sklearn-iris-oci-predictor-00001-deployment', {
      phase: 'Pending',
      conditions: [{ type: 'Initialized', status: 'False' }, { type: 'Ready', status: 'False' }],
      initContainerStatuses: [{ name: 'modelcar-init', ready: false, restartCount: 3, state: { waiting: { reason: 'CrashLoopBackOff' } }, lastState: { terminated: { exitCode: 1, reason: 'Error', message: 'NOK ... Prefetched but modelcar is invalid' } } }],
      containerStatuses: [{ name: 'kserve-container', ready: false, state: { waiting: { reason: 'PodInitializing' } } }],
    });
    await until('Pending', () => status(store)?.modelStatus?.copies && status(store));
    await new Promise((r) => setTimeout(r, 100));
    expect(status(store).modelStatus).toEqual({ transitionStatus: 'InProgress', states: { activeModelState: '', targetModelState: 'Pending' }, copies: { failedCopies: 0 } });
    expect(condition(store, 'Ready').status).toBe('Unknown');
  });

  it('a failing storage-initializer does reach lastFailureInfo', async () => {
    const store = await lab({ version: 'v0.20.0' });
    await store.create(ISVC, seedIsvc({ model: { modelFormat: { name: 'sklearn' }, storageUri: 'http://models.lab/missing' } }));
    await podOf(store, 'sklearn-iris-oci-predictor-00001-deployment', {
      phase: 'Pending',
      initContainerStatuses: [{ name: 'storage-initializer', state: { terminated: { exitCode: 1, reason: 'Error', message: 'RuntimeError: Failed to download' } } }],
    });
    await until('FailedToLoad', () => status(store)?.modelStatus?.transitionStatus === 'BlockedByFailedLoad');
    expect(status(store).modelStatus.lastFailureInfo).toEqual({ reason: 'ModelLoadFailed', message: 'RuntimeError: Failed to download', exitCode: 1 });
    expect(status(store).modelStatus.states.targetModelState).toBe('FailedToLoad');
  });

  it('minReplicas 0: Knative scales to zero; KServe stays Ready with no copies', async () => {
    const store = await lab({ version: 'v0.20.0', timeScale: 600 }); // 90 s -> 150 ms
    await store.create(ISVC, seedIsvc({ minReplicas: 0 }));
    const pod = await podOf(store, 'sklearn-iris-oci-predictor-00001-deployment', readyPod);
    await until('Ready', () => condition(store, 'Ready')?.status === 'True');
    await until('scaled to zero', () => (store.get('deployments.apps', NS, 'sklearn-iris-oci-predictor-00001-deployment')!.spec as { replicas: number }).replicas === 0);
    await store.delete('pods', NS, pod.metadata.name!); // what the ReplicaSet controller does at replicas 0
    await until('no copies', () => status(store)?.modelStatus?.states?.targetModelState === 'Pending');
    const s = status(store);
    expect(condition(store, 'Ready').status).toBe('True');
    expect(s.modelStatus).toEqual({ transitionStatus: 'InProgress', states: { activeModelState: 'Loaded', targetModelState: 'Pending' }, copies: { failedCopies: 0 } });
    expect((store.get('deployments.apps', NS, 'sklearn-iris-oci-predictor-00001-deployment')!.spec as any).template.metadata.annotations['autoscaling.knative.dev/min-scale']).toBe('0');
  });

  it('a model format no runtime supports is InvalidSpec with NoSupportingRuntime', async () => {
    const store = await lab({ version: 'v0.20.0' });
    await store.create(ISVC, seedIsvc({ model: { modelFormat: { name: 'onnx' }, storageUri: 'oci://x/y:1' } }));
    await until('InvalidSpec', () => status(store)?.modelStatus?.transitionStatus === 'InvalidSpec');
    expect(status(store).modelStatus).toMatchObject({
      states: { targetModelState: 'FailedToLoad' },
      lastFailureInfo: { reason: 'NoSupportingRuntime', message: 'No runtime found to support specified framework/version' },
    });
    expect(store.list('deployments.apps', NS)).toEqual([]);
  });
});

describe('what the controller adds to the template itself', () => {
  it('v0.20.0 storageUris with two OCI sources: modelcar and modelcar-1 in the revision template', async () => {
    const store = await lab({ version: 'v0.20.0' });
    await store.create(ISVC, seedIsvc({
      model: { modelFormat: { name: 'sklearn' } },
      storageUris: [{ uri: 'oci://rhuss/kserving-example-sklearn:1.0', mountPath: '/mnt/base/model' }, { uri: 'oci://lab/adapter:1', mountPath: '/mnt/adapter/model' }],
    }));
    const deployment = await until('deployment', () => store.get('deployments.apps', NS, 'sklearn-iris-oci-predictor-00001-deployment'));
    const spec = (deployment.spec as any).template.spec;
    expect(spec.containers.map((c: { name: string }) => c.name)).toEqual(['kserve-container', 'modelcar', 'modelcar-1', 'queue-proxy']);
    expect(spec.initContainers.map((c: { name: string }) => c.name)).toEqual(['modelcar-init', 'modelcar-init-1']);
    expect(spec.shareProcessNamespace).toBe(true);
    expect((deployment.spec as any).template.metadata.annotations).not.toHaveProperty(['internal.serving.kserve.io/storage-initializer-sourceuri']);
  });

  it('a transformer is its own component with model name, predictor host and port args', async () => {
    const store = await lab({ version: 'v0.20.0' });
    const isvc = seedIsvc();
    (isvc.spec as any).transformer = { containers: [{ name: 'kserve-container', image: 'lab/transformer:1' }] };
    await store.create(ISVC, isvc);
    const deployment = await until('transformer deployment', () => store.get('deployments.apps', NS, 'sklearn-iris-oci-transformer-00001-deployment'));
    const template = (deployment.spec as any).template;
    expect(template.metadata.labels.component).toBe('transformer');
    expect(template.spec.containers[0].args).toEqual(['--model_name', 'sklearn-iris-oci', '--predictor_host', 'sklearn-iris-oci-predictor.kserve-test', '--http_port', '8080']);
    // createIngress checks the predictor first, then the transformer.
    await podOf(store, 'sklearn-iris-oci-predictor-00001-deployment', readyPod);
    await until('predictor ready', () => condition(store, 'PredictorReady')?.status === 'True');
    expect(condition(store, 'IngressReady')).toMatchObject({ status: 'Unknown', reason: 'Transformer ingress not created' });
    expect(condition(store, 'Ready').status).toBe('Unknown');
  });
});

describe('Standard mode and older releases', () => {
  it('Standard: Deployment and Service <isvc>-predictor, no queue-proxy', async () => {
    const store = await lab({ version: 'v0.20.0' });
    await store.create(ISVC, seedIsvc({}, { 'serving.kserve.io/deploymentMode': 'RawDeployment' }));
    const deployment = await until('deployment', () => store.get('deployments.apps', NS, 'sklearn-iris-oci-predictor'));
    expect((deployment.spec as any).template.spec.containers.map((c: { name: string }) => c.name)).toEqual(['kserve-container']);
    expect((deployment.spec as any).selector).toEqual({ matchLabels: { app: 'isvc.sklearn-iris-oci-predictor' } });
    expect(store.get('services', NS, 'sklearn-iris-oci-predictor')).toBeDefined();
    await until('status', () => status(store)?.deploymentMode);
    expect(status(store).deploymentMode).toBe('Standard');
  });

  it('v0.15.2: copies only once Loaded, counting pods', async () => {
    const store = await lab({ version: 'v0.15.2' });
    await store.create(ISVC, seedIsvc());
    await podOf(store, 'sklearn-iris-oci-predictor-00001-deployment', { phase: 'Pending', containerStatuses: [{ name: 'kserve-container', state: { waiting: { reason: 'ContainerCreating' } } }] });
    await until('Pending', () => status(store)?.modelStatus?.states?.targetModelState === 'Pending');
    expect(status(store).modelStatus).not.toHaveProperty('copies');
    expect(status(store).deploymentMode).toBe('Serverless');
  });

  it('v0.13.0 names the mode Serverless, has no Stopped condition and no copies before Loaded', async () => {
    const store = await lab({ version: 'v0.13.0' });
    await store.create(ISVC, seedIsvc());
    await until('status', () => status(store)?.deploymentMode);
    expect(status(store).deploymentMode).toBe('Serverless');
    expect(condition(store, 'Stopped')).toBeUndefined();
    expect(status(store).modelStatus).toEqual({ transitionStatus: 'InProgress', states: { activeModelState: '', targetModelState: 'Pending' } });
    expect(status(store)).not.toHaveProperty('clusterServingRuntimeName');
  });
});
