// The seed document (serving-models-with-oci-images.md) run verbatim against the lab through the
// real kubectl: the enable script, a model image built from its Dockerfile, its InferenceService
// at 3/3 Running with the link over /proc, and a sibling InferenceService on the storage-initializer
// path (an http:// URI served by the lab's model HTTP server, really downloaded).
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { SKLEARN_MODEL_FILE, deterministicBytes } from '../lab/images/catalog.ts';
import { startModelHttpServer, type ModelHttpServer } from '../lab/images/model-http-server.ts';
import { until } from '../lab/until.ts';
import { bash, containerStatus, deleteIsvcs, getJson, predictorPod, waitIsvcReady, waitPodReady } from './isvc.ts';
import { editStorageInitializer, without } from './kserve-config.ts';
import { buildModelImage } from './model-images.ts';
import { labSession, podsCanRun, type LabSession } from './lab-env.ts';
import { ENABLE_MODELCARS_SCRIPT, SEED_ISVC, SEED_ISVC_NAME, SEED_NAMESPACE, UNDER_THE_COVERS_SCRIPT, seedSibling } from './seed.ts';

const enabled = podsCanRun('the seed walkthrough');
const NS = SEED_NAMESPACE;
const HTTP_ISVC = 'sklearn-iris-http';
const MY_ISVC = 'my-inference-service';
const MY_MODEL_SIZE = 4096;

let s: LabSession;

async function clearNamespace(): Promise<void> {
  const list = await getJson(s.kubectl, ['inferenceservices', '-n', NS]);
  await deleteIsvcs(s.kubectl, NS, (list?.items ?? []).map((i: any) => i.metadata.name));
}

describe.skipIf(!enabled)('the seed walkthrough, verbatim, through the real kubectl', () => {
  beforeAll(async () => {
    s = await labSession(NS); // "Assuming you have setup a namespace kserve-test": the current namespace
    await clearNamespace(); // pods of earlier test files would hold the runtime's port
  });
  afterAll(async () => {
    if (s) await clearNamespace();
  });

  it('enables modelcars with the seed script: the ConfigMap is patched and a new controller pod appears', async () => {
    const controllerPods = async () => (await getJson(s.kubectl, ['pods', '-n', 'kserve', '-l', 'control-plane=kserve-controller-manager']))?.items ?? [];
    const before = (await until('a controller pod', async () => (await controllerPods())[0]))!.metadata.name as string;
    // The seed starts from a KServe where modelcars are not enabled yet; other test files in this lab may
    // have enabled them already, which would make the patch a no-op ("patched (no change)").
    await editStorageInitializer(s.kubectl, without('enableModelcar', 'uidModelcar'));
    const r = await bash(ENABLE_MODELCARS_SCRIPT, s.env);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe(`configmap/inferenceservice-config patched\npod "${before}" deleted`);
    const config = JSON.parse((await getJson(s.kubectl, ['configmap', '-n', 'kserve', 'inferenceservice-config'])).data.storageInitializer);
    expect(config).toMatchObject({ enableModelcar: true, uidModelcar: 1010 });
    const replacement = await until('a new controller pod', async () => (await controllerPods()).find((p: any) => p.metadata.name !== before), 60_000, 250);
    expect(replacement.metadata.labels['control-plane']).toBe('kserve-controller-manager');
    expect((await waitPodReady(s.kubectl, 'kserve', replacement.metadata.name)).stdout).toBe(`pod/${replacement.metadata.name} condition met`);
  }, 120_000);

  it('builds and pushes a model image from the seed Dockerfile with `lab image build`', async () => {
    const r = await buildModelImage(inject('labStateDir'), 'myuser/mymodel:1.0', { modelSize: MY_MODEL_SIZE });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^docker\.io\/myuser\/mymodel:1\.0@sha256:[0-9a-f]{64}$/);
  }, 150_000);

  it('serves the seed InferenceService: 3/3 Running, shareProcessNamespace, models -> /proc/<pid>/root/models', async () => {
    const applied = await bash(`kubectl apply -n kserve-test -f - <<EOF\n${SEED_ISVC}EOF\n`, s.env);
    expect(applied).toMatchObject({ exitCode: 0, stdout: 'inferenceservice.serving.kserve.io/sklearn-iris-oci created' });
    const pod = (await predictorPod(s.kubectl, NS, SEED_ISVC_NAME)).metadata.name as string;
    expect(pod).toMatch(/^sklearn-iris-oci-predictor-00001-deployment-[a-z0-9]+-[a-z0-9]{5}$/);
    expect((await waitPodReady(s.kubectl, NS, pod)).stdout).toBe(`pod/${pod} condition met`);

    const pods = await bash('kubectl get pods', s.env);
    expect(pods.stdout.split('\n')[0]).toMatch(/^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE$/);
    expect(pods.stdout).toMatch(new RegExp(`\\n${pod}\\s+3/3\\s+Running\\s+`));

    const covers = await bash(UNDER_THE_COVERS_SCRIPT, s.env);
    expect(covers.stderr).toBe('');
    const [share, ...rest] = covers.stdout.split('\n');
    expect(share).toBe('true');
    const listing = rest.join('\n');
    expect(listing).toMatch(/^total 0\nlrwxrwxrwx\s+1 1010\s+root\s+\d+ .+ models -> \/proc\/\d+\/root\/models\n/);
    expect(listing).toMatch(new RegExp(`\\ntotal \\d+\\n-rw-r--r--\\s+1 root\\s+root\\s+${SKLEARN_MODEL_FILE.size} .+ model\\.joblib$`));
    // The pid in the link is the modelcar's shell, now `sleep infinity`, in the shared pid namespace.
    const pid = /models -> \/proc\/(\d+)\/root\/models/.exec(listing)![1];
    const cmdline = await s.kubectl(['exec', '-n', NS, pod, '-c', 'kserve-container', '--', 'cat', `/proc/${pid}/cmdline`]);
    expect(cmdline.stdout.split('\0').filter(Boolean)).toEqual(['sleep', 'infinity']);
    expect((await waitIsvcReady(s.kubectl, NS, SEED_ISVC_NAME)).stdout).toBe(`inferenceservice.serving.kserve.io/${SEED_ISVC_NAME} condition met`);
  }, 150_000);

  it('serves the model image built from the seed Dockerfile (the seed\'s my-inference-service)', async () => {
    await deleteIsvcs(s.kubectl, NS, [SEED_ISVC_NAME]);
    const yaml = `apiVersion: serving.kserve.io/v1beta1
kind: InferenceService
metadata:
  name: my-inference-service
spec:
  predictor:
    model:
      modelFormat:
        name: sklearn
      storageUri: oci://myuser/mymodel:1.0
`;
    expect((await s.kubectl(['apply', '-f', '-'], { input: yaml })).exitCode).toBe(0);
    const pod = (await predictorPod(s.kubectl, NS, MY_ISVC)).metadata.name as string;
    expect((await waitPodReady(s.kubectl, NS, pod)).stdout).toBe(`pod/${pod} condition met`);
    const models = await s.kubectl(['exec', pod, '-c', 'kserve-container', '--', 'ls', '-l', '/mnt/models/']);
    expect(models.stdout).toMatch(new RegExp(`-rw-r--r--\\s+1 root\\s+root\\s+${MY_MODEL_SIZE} .+ model\\.joblib$`));
    // `RUN mkdir /models && chmod 775 /models` as the Dockerfile says.
    const dir = await s.kubectl(['exec', pod, '-c', 'modelcar', '--', 'ls', '-ld', '/models']);
    expect(dir.stdout).toMatch(/^drwxrwxr-x\s/);
  }, 150_000);

  it('a sibling with an http:// storageUri: the storage-initializer really downloads the model, then Ready', async () => {
    await deleteIsvcs(s.kubectl, NS, [MY_ISVC]);
    const modelDir = await mkdtemp(join(tmpdir(), 'http-model-'));
    await writeFile(join(modelDir, 'model.joblib'), deterministicBytes('http-model', 100_000));
    const server: ModelHttpServer = await startModelHttpServer(modelDir);
    try {
      const uri = `${server.url}/model.joblib`;
      expect((await s.kubectl(['apply', '-f', '-'], { input: seedSibling(HTTP_ISVC, uri) })).exitCode).toBe(0);
      const pod = (await predictorPod(s.kubectl, NS, HTTP_ISVC)).metadata.name as string;
      expect((await waitIsvcReady(s.kubectl, NS, HTTP_ISVC)).stdout).toBe(`inferenceservice.serving.kserve.io/${HTTP_ISVC} condition met`);
      const init = await containerStatus(s.kubectl, NS, pod, 'storage-initializer');
      expect(init.state.terminated).toMatchObject({ reason: 'Completed', exitCode: 0 });
      const logs = await s.kubectl(['logs', pod, '-c', 'storage-initializer']);
      expect(logs.stdout).toContain(`Successfully copied ${uri} to /mnt/models`);
      const spec = await getJson(s.kubectl, ['pod', pod]);
      expect(spec.spec.shareProcessNamespace).toBeUndefined();
      expect(spec.spec.containers.map((c: any) => c.name)).toEqual(['kserve-container', 'queue-proxy']);
      const models = await s.kubectl(['exec', pod, '-c', 'kserve-container', '--', 'ls', '-l', '/mnt/models/']);
      expect(models.stdout).toMatch(/\s100000 .+ model\.joblib$/);
    } finally {
      await deleteIsvcs(s.kubectl, NS, [HTTP_ISVC]);
      await server.stop();
    }
  }, 150_000);
});
