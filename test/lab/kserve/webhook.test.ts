// Expected values are written from KServe's Go source at each tag (cited per test), not from runs of
// mutatePod: pkg/webhook/admission/pod/storage_initializer_injector.go and pkg/utils/storage.go.
import { describe, expect, it } from 'vitest';
import type { AdmissionRequest, KObject, LabStore } from '../types.ts';
import { kserveConfigMap } from './install.ts';
import { mutatePod, kservePodWebhook } from './webhook.ts';
import { WebhookError, WebhookPanic } from './config.ts';
import { commonStorageInitialization } from './storage.ts';
import { parseStorageInitializerConfig } from './config.ts';
import type { Container, PodSpec } from './pod-spec.ts';

const SEED_URI = 'oci://rhuss/kserving-example-sklearn:1.0';
const SEED_IMAGE = 'rhuss/kserving-example-sklearn:1.0';
const HARDENED = { allowPrivilegeEscalation: false, privileged: false, runAsNonRoot: true, capabilities: { drop: ['ALL'] } };

/** The shipped ConfigMap data of a release, with storageInitializer keys merged in the way the seed's
 *  `jq '. + {...}'` does. */
function configData(version: string, storageInitializer: Record<string, unknown> = {}): Record<string, string> {
  const data = { ...(kserveConfigMap(version).data as Record<string, string>) };
  data.storageInitializer = JSON.stringify({ ...JSON.parse(data.storageInitializer!), ...storageInitializer });
  return data;
}

/** A predictor pod as Knative's revision makes it for the seed's InferenceService, before admission. */
function seedPod(opts: { uri?: string; runtime?: Partial<Container>; runtimeName?: string } = {}): KObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: 'sklearn-iris-oci-predictor-00001-deployment-58fc6564d7-abcde',
      namespace: 'kserve-test',
      labels: { 'serving.kserve.io/inferenceservice': 'sklearn-iris-oci', component: 'predictor' },
      annotations: { 'internal.serving.kserve.io/storage-initializer-sourceuri': opts.uri ?? SEED_URI },
    },
    spec: {
      containers: [
        {
          name: opts.runtimeName ?? 'kserve-container',
          image: 'kserve/sklearnserver:v0.20.0',
          args: ['--model_name=sklearn-iris-oci', '--model_dir=/mnt/models', '--http_port=8080'],
          env: [{ name: 'PORT', value: '8080' }],
          ...opts.runtime,
        },
        { name: 'queue-proxy', image: 'knative/queue:lab' },
      ],
    },
  };
}

const spec = (pod: KObject) => pod.spec as PodSpec;
const container = (pod: KObject, name: string) => spec(pod).containers.find((c) => c.name === name);
const initContainer = (pod: KObject, name: string) => spec(pod).initContainers?.find((c) => c.name === name);

const MODELCAR_RESOURCES = { limits: { cpu: '10m', memory: '15Mi' }, requests: { cpu: '10m', memory: '15Mi' } };
const MODELCAR_INIT_SCRIPT =
  `echo 'Pre-fetching modelcar ${SEED_IMAGE}: ' && [ -d /models ] && [ "$$(ls -A /models)" ] && echo 'OK ... Prefetched and valid (/models exists)' || (echo 'NOK ... Prefetched but modelcar is invalid (/models does not exist or is empty)' && exit 1)`;

describe('the seed InferenceService after the seed enable script, whole pod spec per release', () => {
  // Input: the runtime container as each release's kserve-sklearnserver ships it (hardened from v0.15).
  const runtime = (version: string): Container => ({
    name: 'kserve-container',
    image: `kserve/sklearnserver:${version}`,
    args: ['--model_name=sklearn-iris-oci', '--model_dir=/mnt/models', '--http_port=8080'],
    env: [{ name: 'PORT', value: '8080' }],
    ...(version === 'v0.13.0' ? {} : { securityContext: HARDENED }),
  });
  const queueProxy = { name: 'queue-proxy', image: 'knative/queue:lab' };
  const modelcar = (ln: string) => ({
    name: 'modelcar',
    image: SEED_IMAGE,
    volumeMounts: [{ name: 'kserve-provision-location', mountPath: '/mnt' }],
    args: ['sh', '-c', `${ln} /proc/$$$$/root/models /mnt/models && sleep infinity`],
    resources: MODELCAR_RESOURCES,
    terminationMessagePolicy: 'FallbackToLogsOnError',
    securityContext: { runAsUser: 1010 },
  });
  const modelcarInit = { name: 'modelcar-init', image: SEED_IMAGE, args: ['sh', '-c', MODELCAR_INIT_SCRIPT], resources: MODELCAR_RESOURCES, terminationMessagePolicy: 'FallbackToLogsOnError' };
  const wired = (version: string, securityContext: Record<string, unknown>) => ({
    ...runtime(version),
    env: [{ name: 'PORT', value: '8080' }, { name: 'MODEL_INIT_MODE', value: 'async' }],
    volumeMounts: [{ name: 'kserve-provision-location', mountPath: '/mnt' }],
    securityContext,
  });
  const expected: Record<string, PodSpec> = {
    // v0.13.0: InjectModelcar, createModelContainer (ln -s), no init container; securityContext = {runAsUser}.
    'v0.13.0': { containers: [wired('v0.13.0', { runAsUser: 1010 }), queueProxy, modelcar('ln -s')], volumes: [{ name: 'kserve-provision-location', emptyDir: {} }], shareProcessNamespace: true },
    // v0.15.2: ln -sf, createModelInitContainer; the hardened securityContext is still replaced (#5166).
    'v0.15.2': { containers: [wired('v0.15.2', { runAsUser: 1010 }), queueProxy, modelcar('ln -sf')], volumes: [{ name: 'kserve-provision-location', emptyDir: {} }], shareProcessNamespace: true, initContainers: [modelcarInit] },
    // v0.17.0: utils.ConfigureModelcarToContainer, same output, still replaced.
    'v0.17.0': { containers: [wired('v0.17.0', { runAsUser: 1010 }), queueProxy, modelcar('ln -sf')], volumes: [{ name: 'kserve-provision-location', emptyDir: {} }], shareProcessNamespace: true, initContainers: [modelcarInit] },
    // v0.20.0: runAsUser set on the existing securityContext (v0.18 #5167).
    'v0.20.0': { containers: [wired('v0.20.0', { ...HARDENED, runAsUser: 1010 }), queueProxy, modelcar('ln -sf')], volumes: [{ name: 'kserve-provision-location', emptyDir: {} }], shareProcessNamespace: true, initContainers: [modelcarInit] },
  };
  it.each(Object.keys(expected))('%s', (version) => {
    const pod = seedPod({ runtime: runtime(version) });
    const out = mutatePod(pod, configData(version, { enableModelcar: true, uidModelcar: 1010 }), version);
    expect(out.spec).toEqual(expected[version]);
    expect(pod.spec).toEqual(seedPod({ runtime: runtime(version) }).spec); // the input is left alone
  });
});

describe('v0.13.0 (InjectModelcar, storage_initializer_injector.go @ v0.13.0)', () => {
  it('seed enable script: ln -s, no modelcar-init, runtime securityContext replaced', () => {
    const pod = mutatePod(seedPod({ runtime: { securityContext: HARDENED } }), configData('v0.13.0', { enableModelcar: true, uidModelcar: 1010 }), 'v0.13.0');
    expect(spec(pod).shareProcessNamespace).toBe(true);
    expect(spec(pod).volumes).toEqual([{ name: 'kserve-provision-location', emptyDir: {} }]);
    expect(spec(pod).containers.map((c) => c.name)).toEqual(['kserve-container', 'queue-proxy', 'modelcar']);
    expect(spec(pod).initContainers).toBeUndefined();
    const runtime = container(pod, 'kserve-container')!;
    expect(runtime.env).toEqual([{ name: 'PORT', value: '8080' }, { name: 'MODEL_INIT_MODE', value: 'async' }]);
    expect(runtime.volumeMounts).toEqual([{ name: 'kserve-provision-location', mountPath: '/mnt' }]);
    expect(runtime.securityContext).toEqual({ runAsUser: 1010 });
    expect(container(pod, 'modelcar')).toEqual({
      name: 'modelcar',
      image: SEED_IMAGE,
      volumeMounts: [{ name: 'kserve-provision-location', mountPath: '/mnt' }],
      args: ['sh', '-c', 'ln -s /proc/$$$$/root/models /mnt/models && sleep infinity'],
      resources: MODELCAR_RESOURCES,
      terminationMessagePolicy: 'FallbackToLogsOnError',
      securityContext: { runAsUser: 1010 },
    });
  });

  it('shipped config (modelcars off): oci:// goes to storage-initializer, which copies the runtime securityContext', () => {
    const pod = mutatePod(seedPod({ runtime: { securityContext: { runAsUser: 1000 } } }), configData('v0.13.0'), 'v0.13.0');
    expect(spec(pod).shareProcessNamespace).toBeUndefined();
    expect(container(pod, 'modelcar')).toBeUndefined();
    expect(spec(pod).initContainers).toEqual([
      {
        name: 'storage-initializer',
        image: 'kserve/storage-initializer:latest',
        args: [SEED_URI, '/mnt/models'],
        terminationMessagePolicy: 'FallbackToLogsOnError',
        volumeMounts: [{ name: 'kserve-provision-location', mountPath: '/mnt/models' }],
        resources: { limits: { cpu: '1', memory: '1Gi' }, requests: { cpu: '100m', memory: '100Mi' } },
        securityContext: { runAsUser: 1000 },
      },
    ]);
    expect(container(pod, 'kserve-container')!.volumeMounts).toEqual([{ name: 'kserve-provision-location', mountPath: '/mnt/models', readOnly: true }]);
    expect(spec(pod).volumes).toEqual([{ name: 'kserve-provision-location', emptyDir: {} }]);
  });

  it('enableModelcar only inside _example changes nothing', () => {
    const data = configData('v0.13.0');
    data._example = data._example!.replace('"enableModelcar": false', '"enableModelcar": true');
    const pod = mutatePod(seedPod(), data, 'v0.13.0');
    expect(initContainer(pod, 'storage-initializer')!.args).toEqual([SEED_URI, '/mnt/models']);
    expect(container(pod, 'modelcar')).toBeUndefined();
  });

  it('a malformed storageInitializer panics; controller-runtime 0.16 does not recover, so the API server sees EOF', async () => {
    const data = configData('v0.13.0');
    data.storageInitializer = '{"enableModelcar": true,';
    expect(() => mutatePod(seedPod(), data, 'v0.13.0')).toThrow(new WebhookPanic('Unable to unmarshall storageInitializer json string due to unexpected end of JSON input '));
    const err = await admitWith('v0.13.0', data).catch((e: unknown) => e);
    expect(err).toMatchObject({
      reason: 'InternalError',
      code: 500,
      message:
        'Internal error occurred: failed calling webhook "inferenceservice.kserve-webhook-server.pod-mutator": failed to call webhook: Post "https://kserve-webhook-server-service.kserve.svc:443/mutate-pods?timeout=10s": EOF',
    });
  });
});

describe('v0.15.2 (storage_initializer_injector.go @ v0.15.2)', () => {
  it('shipped config: ln -sf, modelcar-init without mounts or securityContext, runtime securityContext replaced', () => {
    const pod = mutatePod(seedPod({ runtime: { securityContext: HARDENED } }), configData('v0.15.2'), 'v0.15.2');
    expect(container(pod, 'modelcar')!.args).toEqual(['sh', '-c', 'ln -sf /proc/$$$$/root/models /mnt/models && sleep infinity']);
    expect(container(pod, 'modelcar')!.securityContext).toEqual({ runAsUser: 1010 });
    expect(spec(pod).initContainers).toEqual([
      { name: 'modelcar-init', image: SEED_IMAGE, args: ['sh', '-c', MODELCAR_INIT_SCRIPT], resources: MODELCAR_RESOURCES, terminationMessagePolicy: 'FallbackToLogsOnError' },
    ]);
    expect(container(pod, 'kserve-container')!.securityContext).toEqual({ runAsUser: 1010 });
  });

  it('uidModelcar unset: no securityContext on modelcar, the runtime keeps its own', () => {
    const data = configData('v0.15.2');
    const si = JSON.parse(data.storageInitializer!);
    delete si.uidModelcar;
    data.storageInitializer = JSON.stringify(si);
    const pod = mutatePod(seedPod({ runtime: { securityContext: HARDENED } }), data, 'v0.15.2');
    expect(container(pod, 'modelcar')).not.toHaveProperty('securityContext');
    expect(container(pod, 'kserve-container')!.securityContext).toEqual(HARDENED);
  });

  it('a malformed cpuModelcar panics in resource.MustParse, recovered by controller-runtime 0.19', async () => {
    const data = configData('v0.15.2', { cpuModelcar: '10 m' });
    expect(() => mutatePod(seedPod(), data, 'v0.15.2')).toThrow(new WebhookPanic("cannot parse '10 m': unable to parse quantity's suffix"));
    const err = await admitWith('v0.15.2', data).catch((e: unknown) => e);
    expect(err).toMatchObject({
      code: 500,
      message: `admission webhook "inferenceservice.kserve-webhook-server.pod-mutator" denied the request: panic: cannot parse '10 m': unable to parse quantity's suffix [recovered]`,
    });
  });

  it('http:// with modelcars on: storage-initializer without the runtime securityContext (copy removed in v0.14)', () => {
    const pod = mutatePod(seedPod({ uri: 's3://bucket/iris', runtime: { securityContext: HARDENED } }), configData('v0.15.2'), 'v0.15.2');
    expect(spec(pod).initContainers).toEqual([
      {
        name: 'storage-initializer',
        image: 'kserve/storage-initializer:latest',
        args: ['s3://bucket/iris', '/mnt/models'],
        terminationMessagePolicy: 'FallbackToLogsOnError',
        volumeMounts: [{ name: 'kserve-provision-location', mountPath: '/mnt/models' }],
        resources: { limits: { cpu: '1', memory: '1Gi' }, requests: { cpu: '100m', memory: '100Mi' } },
      },
    ]);
    expect(container(pod, 'kserve-container')!.securityContext).toEqual(HARDENED);
    expect(container(pod, 'modelcar')).toBeUndefined();
  });

  it('the modelcar path has no worker-container fallback yet', () => {
    expect(() => mutatePod(seedPod({ runtimeName: 'worker-container' }), configData('v0.15.2'), 'v0.15.2')).toThrow(
      new WebhookError('no container found with name kserve-container'),
    );
  });
});

describe('v0.17.0 (InjectModelcar, pkg/utils/storage.go @ v0.17.0)', () => {
  it('worker-container fallback, securityContext still replaced', () => {
    const pod = mutatePod(seedPod({ runtimeName: 'worker-container', runtime: { securityContext: HARDENED } }), configData('v0.17.0'), 'v0.17.0');
    const worker = container(pod, 'worker-container')!;
    expect(worker.securityContext).toEqual({ runAsUser: 1010 });
    expect(worker.volumeMounts).toEqual([{ name: 'kserve-provision-location', mountPath: '/mnt' }]);
    expect(spec(pod).containers.map((c) => c.name)).toEqual(['worker-container', 'queue-proxy', 'modelcar']);
    expect(initContainer(pod, 'modelcar-init')).toBeDefined();
  });

  it('transformer-container gets the mount, env and uid too', () => {
    const pod = seedPod();
    spec(pod).containers.push({ name: 'transformer-container', image: 't:1' });
    const out = mutatePod(pod, configData('v0.17.0'), 'v0.17.0');
    expect(container(out, 'transformer-container')).toMatchObject({
      env: [{ name: 'MODEL_INIT_MODE', value: 'async' }],
      volumeMounts: [{ name: 'kserve-provision-location', mountPath: '/mnt' }],
      securityContext: { runAsUser: 1010 },
    });
    expect(spec(out).containers.filter((c) => c.name === 'modelcar')).toHaveLength(1);
  });

  it('validates modelcar quantities up front and names the key', () => {
    expect(() => mutatePod(seedPod(), configData('v0.17.0', { memoryModelcar: '15MB' }), 'v0.17.0')).toThrow(
      new WebhookError(`failed to parse resource configuration for "storageInitializer"."memoryModelcar": unable to parse quantity's suffix`),
    );
  });
});

describe('v0.20.0 (storage_initializer_injector.go and pkg/utils/storage.go @ v0.20.0)', () => {
  it('seed InferenceService: runtime securityContext merged with runAsUser', () => {
    const pod = mutatePod(seedPod({ runtime: { securityContext: HARDENED } }), configData('v0.20.0'), 'v0.20.0');
    expect(container(pod, 'kserve-container')!.securityContext).toEqual({ ...HARDENED, runAsUser: 1010 });
    expect(container(pod, 'modelcar')!.args).toEqual(['sh', '-c', 'ln -sf /proc/$$$$/root/models /mnt/models && sleep infinity']);
    expect(spec(pod).initContainers!.map((c) => c.name)).toEqual(['modelcar-init']);
    expect(spec(pod).shareProcessNamespace).toBe(true);
  });

  it('a malformed storageInitializer is a recovered panic: every new pod is rejected', async () => {
    const data = configData('v0.20.0');
    data.storageInitializer = data.storageInitializer!.replace('"enableModelcar":true', '"enableModelcar":True');
    const err = await admitWith('v0.20.0', data).catch((e: unknown) => e);
    expect(err).toMatchObject({
      code: 500,
      message:
        `admission webhook "inferenceservice.kserve-webhook-server.pod-mutator" denied the request: panic: Unable to unmarshall storageInitializer json string due to invalid character 'T' looking for beginning of value  [recovered]`,
    });
  });

  it('uidModelcar as a string is a type error, also a panic', () => {
    expect(() => mutatePod(seedPod(), configData('v0.20.0', { uidModelcar: '1010' }), 'v0.20.0')).toThrow(
      new WebhookPanic('Unable to unmarshall storageInitializer json string due to json: cannot unmarshal string into Go struct field StorageInitializerConfig.uidModelcar of type int64 '),
    );
  });

  it('modelcars disabled: oci:// reaches storage-initializer, with the HF env of CommonStorageInitialization', () => {
    const pod = mutatePod(seedPod(), configData('v0.20.0', { enableModelcar: false }), 'v0.20.0');
    expect(spec(pod).initContainers).toEqual([
      {
        name: 'storage-initializer',
        image: 'kserve/storage-initializer:latest',
        args: [SEED_URI, '/mnt/models'],
        terminationMessagePolicy: 'FallbackToLogsOnError',
        resources: { limits: { cpu: '1', memory: '1Gi' }, requests: { cpu: '100m', memory: '100Mi' } },
        volumeMounts: [{ name: 'kserve-provision-location', mountPath: '/mnt/models' }],
        env: [
          { name: 'HF_HUB_ENABLE_HF_TRANSFER', value: '1' },
          { name: 'HF_XET_HIGH_PERFORMANCE', value: '1' },
          { name: 'HF_XET_NUM_CONCURRENT_RANGE_GETS', value: '8' },
        ],
      },
    ]);
    expect(container(pod, 'kserve-container')!.volumeMounts).toEqual([{ name: 'kserve-provision-location', mountPath: '/mnt/models', readOnly: true }]);
    expect(container(pod, 'modelcar')).toBeUndefined();
  });

  it('http:// uses storage-initializer even with modelcars on; storage-readonly "false" makes the mount writable', () => {
    const pod = seedPod({ uri: 'http://models.lab/iris.joblib' });
    pod.metadata.annotations!['serving.kserve.io/storage-readonly'] = 'false';
    const out = mutatePod(pod, configData('v0.20.0'), 'v0.20.0');
    expect(initContainer(out, 'storage-initializer')!.args).toEqual(['http://models.lab/iris.joblib', '/mnt/models']);
    expect(container(out, 'kserve-container')!.volumeMounts).toEqual([{ name: 'kserve-provision-location', mountPath: '/mnt/models' }]);
    expect(container(out, 'modelcar')).toBeUndefined();
  });

  it('pvc:// mounts the claim directly, no init container', () => {
    const out = mutatePod(seedPod({ uri: 'pvc://models/iris' }), configData('v0.20.0'), 'v0.20.0');
    expect(spec(out).initContainers).toBeUndefined();
    expect(spec(out).volumes).toEqual([{ name: 'kserve-pvc-source', persistentVolumeClaim: { claimName: 'models' } }]);
    expect(container(out, 'kserve-container')!.volumeMounts).toEqual([{ name: 'kserve-pvc-source', mountPath: '/mnt/models', subPath: 'iris', readOnly: true }]);
  });

  it('native mode (oci+native://): an image volume, read-only with subPath models, no sidecar', () => {
    const out = mutatePod(seedPod({ uri: 'oci+native://rhuss/kserving-example-sklearn:1.0' }), configData('v0.20.0'), 'v0.20.0');
    expect(spec(out).volumes).toEqual([{ name: 'mnt-models', image: { reference: SEED_IMAGE, pullPolicy: 'IfNotPresent' } }]);
    expect(container(out, 'kserve-container')!.volumeMounts).toEqual([{ name: 'mnt-models', mountPath: '/mnt/models', subPath: 'models', readOnly: true }]);
    expect(container(out, 'modelcar')).toBeUndefined();
    expect(spec(out).initContainers).toBeUndefined();
    expect(spec(out).shareProcessNamespace).toBeUndefined();
  });

  it('ociModelMode native turns plain oci:// into an image volume', () => {
    const out = mutatePod(seedPod(), configData('v0.20.0', { ociModelMode: 'native' }), 'v0.20.0');
    expect(spec(out).volumes).toEqual([{ name: 'mnt-models', image: { reference: SEED_IMAGE, pullPolicy: 'IfNotPresent' } }]);
  });

  it('oci+native:// with OCI models off: InjectModelcar is not registered and storage-initializer skips it', () => {
    const out = mutatePod(seedPod({ uri: 'oci+native://rhuss/kserving-example-sklearn:1.0' }), configData('v0.20.0', { enableModelcar: false }), 'v0.20.0');
    expect(out.spec).toEqual(seedPod().spec);
  });

  it('enableOciModelSupport alone enables modelcars; an unknown ociModelMode is an error', () => {
    const on = mutatePod(seedPod(), configData('v0.20.0', { enableModelcar: false, enableOciModelSupport: true }), 'v0.20.0');
    expect(container(on, 'modelcar')).toBeDefined();
    expect(() => mutatePod(seedPod(), configData('v0.20.0', { ociModelMode: 'sidecar' }), 'v0.20.0')).toThrow(
      new WebhookError('invalid "storageInitializer".ociModelMode "sidecar": must be one of "modelcar", "native", "fetch"'),
    );
  });
});

describe('storageUris (CommonStorageInitialization, controller path)', () => {
  const config = (version: string) => parseStorageInitializerConfig(configData(version), version);
  const podSpec = (): PodSpec => structuredClone(seedPod().spec as PodSpec);

  it('v0.20.0: several OCI sources become modelcar, modelcar-1 with their own volumes and mkdir', () => {
    const s = podSpec();
    commonStorageInitialization(s, [
      { uri: SEED_URI, mountPath: '/mnt/base/model' },
      { uri: 'oci://lab/adapter:2', mountPath: '/mnt/adapter/model' },
    ], config('v0.20.0'), 'v0.20.0', { legacy: false, readOnly: true });
    expect(s.containers.map((c) => c.name)).toEqual(['kserve-container', 'queue-proxy', 'modelcar', 'modelcar-1']);
    expect(s.initContainers!.map((c) => c.name)).toEqual(['modelcar-init', 'modelcar-init-1']);
    expect(s.volumes).toEqual([{ name: 'kserve-provision-location', emptyDir: {} }, { name: 'kserve-provision-location-1', emptyDir: {} }]);
    expect(s.containers[0]!.volumeMounts).toEqual([
      { name: 'kserve-provision-location', mountPath: '/mnt/base' },
      { name: 'kserve-provision-location-1', mountPath: '/mnt/adapter' },
    ]);
    expect(s.containers[3]!.args).toEqual(['sh', '-c', 'mkdir -p /mnt/adapter && ln -sf /proc/$$$$/root/models /mnt/adapter/model && sleep infinity']);
  });

  it('v0.20.0: sources sharing a parent directory and more than ten sources are rejected', () => {
    expect(() =>
      commonStorageInitialization(podSpec(), [
        { uri: SEED_URI, mountPath: '/mnt/models/a' },
        { uri: SEED_URI, mountPath: '/mnt/models/b' },
      ], config('v0.20.0'), 'v0.20.0', { legacy: false, readOnly: true }),
    ).toThrow('OCI mount paths "/mnt/models/a" and "/mnt/models/b" share parent directory "/mnt/models"');
    const eleven = Array.from({ length: 11 }, (_, i) => ({ uri: SEED_URI, mountPath: `/mnt/m${i}/model` }));
    expect(() => commonStorageInitialization(podSpec(), eleven, config('v0.20.0'), 'v0.20.0', { legacy: false, readOnly: true })).toThrow(
      'too many OCI sources (11); maximum is 10 per pod',
    );
  });

  it('v0.17.0: an oci:// first entry with modelcars on injects nothing (#5200)', () => {
    const s = podSpec();
    commonStorageInitialization(s, [{ uri: SEED_URI, mountPath: '/mnt/models' }, { uri: 'http://x/y', mountPath: '/mnt/extra' }], config('v0.17.0'), 'v0.17.0', { legacy: false, readOnly: true });
    expect(s).toEqual(podSpec());
  });

  it('v0.20.0: http sources share one storage-initializer at their common parent path', () => {
    const s = podSpec();
    commonStorageInitialization(s, [{ uri: 'http://x/a', mountPath: '/mnt/models/a' }, { uri: 's3://b/c', mountPath: '/mnt/models/c' }], config('v0.20.0'), 'v0.20.0', { legacy: false, readOnly: true });
    expect(s.initContainers![0]!.args).toEqual(['http://x/a', '/mnt/models/a', 's3://b/c', '/mnt/models/c']);
    expect(s.initContainers![0]!.volumeMounts).toEqual([{ name: 'mnt-models', mountPath: '/mnt/models' }]);
    expect(s.containers[0]!.volumeMounts).toEqual([{ name: 'mnt-models', mountPath: '/mnt/models', readOnly: true }]);
  });
});

describe('kservePodWebhook', () => {
  it('reads the live ConfigMap from the controller namespace at every admission', async () => {
    const store = fakeStore(configData('v0.20.0'));
    const webhook = kservePodWebhook({ version: 'v0.20.0' });
    const first = await webhook.admit(request(store));
    expect(container(first, 'modelcar')).toBeDefined();
    store.data.storageInitializer = JSON.stringify({ ...JSON.parse(store.data.storageInitializer!), enableModelcar: false });
    const second = await webhook.admit(request(store));
    expect(container(second, 'modelcar')).toBeUndefined();
    expect(initContainer(second, 'storage-initializer')).toBeDefined();
  });

  it('skips namespaces labelled control-plane (the webhook namespaceSelector)', async () => {
    const store = fakeStore({ storageInitializer: '{' });
    (store as { get: LabStore['get'] }).get = (resource, _ns, name) =>
      resource === 'namespaces' ? ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels: { 'control-plane': 'x' } } } as KObject) : undefined;
    const req = request(store);
    expect(await kservePodWebhook({ version: 'v0.20.0' }).admit(req)).toBe(req.object);
  });

  it('leaves pods without the inferenceservice label alone', async () => {
    const store = fakeStore({ storageInitializer: '{' });
    const pod = seedPod();
    delete pod.metadata.labels!['serving.kserve.io/inferenceservice'];
    expect(await kservePodWebhook({ version: 'v0.20.0' }).admit({ ...request(store), object: pod })).toBe(pod);
  });

  it('a missing ConfigMap rejects the pod', async () => {
    const store = fakeStore(undefined);
    await expect(Promise.resolve().then(() => kservePodWebhook({ version: 'v0.20.0' }).admit(request(store)))).rejects.toMatchObject({
      message: 'admission webhook "inferenceservice.kserve-webhook-server.pod-mutator" denied the request: configmaps "inferenceservice-config" not found',
    });
  });
});

function fakeStore(data: Record<string, string> | undefined): LabStore & { data: Record<string, string> } {
  const holder = { data: data ?? {} };
  return {
    get data() {
      return holder.data;
    },
    get: (resource: string, namespace: string | undefined, name: string) =>
      data && resource === 'configmaps' && namespace === 'kserve' && name === 'inferenceservice-config'
        ? ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace }, data: holder.data } as KObject)
        : undefined,
    list: () => [],
  } as unknown as LabStore & { data: Record<string, string> };
}

function request(store: LabStore): AdmissionRequest {
  return { operation: 'CREATE', resource: 'pods', namespace: 'kserve-test', object: seedPod(), user: { username: 'system:serviceaccount:kube-system:replicaset-controller', groups: [] }, store };
}

async function admitWith(version: string, data: Record<string, string>): Promise<KObject> {
  return kservePodWebhook({ version }).admit(request(fakeStore(data)));
}
