// The scenarios of docs/scenarios.md produced for real in the shared lab (KServe v0.20.0, Knative mode
// by default, Standard where the test says so), through the real kubectl, each asserted from status,
// events, logs or exec output, then inspected with `kubectl modelcar inspect -o json` and held to its
// row of the table (test/e2e/modelcar.ts violationsOf). One at a
// time: pods share the host's network, so each InferenceService is deleted (pods gone) before the
// next. ln-s-file-exists-v0.13 needs a lab of another KServe version: the last describe starts one.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { memoryLimitsSupported } from '../lab/kubelet/kubelet.ts';
import { until } from '../lab/until.ts';
import { labAdmin } from '../lab/faults/admin-client.ts';
import { LAB_IMAGES } from '../lab/images/catalog.ts';
import { bash, containerStatus, deleteIsvcs, eventsOf, finishedRun, getJson, lastTermination, livePods, modelcarLink, predictorPod, waitPodReady, type Kubectl } from './isvc.ts';
import { editStorageInitializer, without } from './kserve-config.ts';
import { labSession, podsCanRun, type LabSession } from './lab-env.ts';
import { HUNGRY_MODELCAR_RUN, SLOW_LINK_RUN, buildModelImage } from './model-images.ts';
import { inspectJson, pluginBinDir, violationsOf, type InspectResult } from './modelcar.ts';
import { alive, mountsUnder, processesNaming, runcContainersUnder, startOwnLab, type OwnLab } from './own-lab.ts';
import { ENABLE_MODELCARS_SCRIPT, SEED_NAMESPACE, seedSibling } from './seed.ts';
import { LINK_SETTLED_MS } from '../../shared/checks/runtime.ts';

const enabled = podsCanRun('the scenario lab tests');
const NS = 'e2e-scenarios';
const SEED_URI = 'oci://rhuss/kserving-example-sklearn:1.0';
/** What KServe's server says when /mnt/models cannot be reached (missing, or refused by the kernel). */
const NO_MODEL_DIR = 'Cannot recognize storage type for /mnt/models';
const memoryLimits = memoryLimitsSupported();
if (enabled && !memoryLimits) {
  if (process.env['CI']) throw new Error('modelcar-oomkilled cannot be skipped in CI: this host cannot enforce cgroup memory limits');
  console.log('skipping modelcar-oomkilled: this host cannot enforce cgroup memory limits (no cgroup v1 memory hierarchy nor v2 memory controller)');
}

let s: LabSession;
/** docs/scenarios.md's mode unless a row says otherwise (Standard, formerly RawDeployment); the lab's default is Knative. */
const STANDARD = { 'serving.kserve.io/deploymentMode': 'RawDeployment' };
const CONFIGMAP = ['configmap', '-n', 'kserve', 'inferenceservice-config'];
/** KServe's servers exit when /mnt/models cannot be read, and a runtime in its restart back-off cannot be
 *  exec'd into: the in-pod checks need it running. The lab's sklearn server takes this long over its
 *  imports (a real one takes seconds) before it loads the model, so inspect runs during its first run. */
const SLOW_IMPORT = { SKLEARNSERVER_IMPORT_SECONDS: '40' };

/** Applies the seed's InferenceService as `name` with `uri` in NS (with `annotations`, and `env` for the
 *  runtime container) and returns its first pod's name. */
async function applySeedSibling(name: string, uri: string, ns = NS, k: Kubectl = s.kubectl, annotations: Record<string, string> = {}, env: Record<string, string> = {}): Promise<string> {
  const envLines = Object.entries(env).map(([key, value]) => `        - name: ${key}\n          value: "${value}"`);
  const yaml = seedSibling(name, uri, annotations).replace(/(storageUri: .*)$/m, envLines.length ? `$1\n      env:\n${envLines.join('\n')}` : '$1');
  const r = await k(['apply', '-n', ns, '-f', '-'], { input: yaml });
  expect(r.stderr).toBe('');
  return (await predictorPod(k, ns, name)).metadata.name as string;
}

/** The FailedCreate event of the InferenceService's predictor ReplicaSet, once admission refused its pod. */
async function replicaSetRefusal(ns: string, isvc: string): Promise<{ message: string }> {
  return until(`FailedCreate on the ReplicaSet of ${ns}/${isvc}`, async () => {
    const events = await getJson(s.kubectl, ['events', '-n', ns, '--field-selector', 'reason=FailedCreate']);
    return events?.items?.find((e: any) => e.involvedObject.kind === 'ReplicaSet' && e.involvedObject.name.startsWith(`${isvc}-predictor-`));
  }, 60_000, 250);
}

/** Replaces one key of inferenceservice-config's data with `value` (JSON patch, as the seed's script does). */
async function setConfigData(key: string, value: string): Promise<void> {
  const r = await s.kubectl(['patch', ...CONFIGMAP, '--type=json', '-p', JSON.stringify([{ op: 'replace', path: `/data/${key}`, value }])]);
  if (r.exitCode !== 0) throw new Error(`patching inferenceservice-config /data/${key}: ${r.stderr}`);
}

/** `kubectl modelcar inspect <isvc> -o json` on the scenario as it is now, held to its row of docs/scenarios.md. */
async function inspectHolds(row: string, isvc: string, ns = NS, env: Record<string, string> = s.env, extra: string[] = []): Promise<InspectResult> {
  const r = await inspectJson(env, ns, isvc, extra);
  expect(violationsOf(row, r)).toEqual([]);
  return r;
}

describe.skipIf(!enabled)('docs/scenarios.md, for real, through the real kubectl', () => {
  beforeAll(async () => {
    s = await labSession();
    await s.kubectl(['create', 'namespace', NS]);
    await pluginBinDir(); // bundle the plugin once, outside the tests' own timeouts
  });
  afterAll(async () => {
    await s.kubectl(['delete', 'namespace', NS, '--wait=false']);
  });

  // Knative mode (the lab's default) where the table says Standard: the mode only adds queue-proxy, which
  // mounts nothing of the model; the uids of kserve-container and modelcar are the same in both modes.
  it('uid-mismatch: without uidModelcar the runtime (1000) is refused /proc/<pid>/root of the root modelcar', async () => {
    const restore = await editStorageInitializer(s.kubectl, without('uidModelcar'));
    try {
      const pod = await applySeedSibling('uid-mismatch', SEED_URI, NS, s.kubectl, {}, SLOW_IMPORT);
      const spec = (await getJson(s.kubectl, ['pod', '-n', NS, pod])).spec;
      expect(spec.shareProcessNamespace).toBe(true);
      expect(spec.containers.find((c: any) => c.name === 'modelcar').securityContext).toBeUndefined();
      // The link is there and points at the modelcar, which runs as root.
      const pid = /^\/proc\/(\d+)\//.exec(await modelcarLink(s.kubectl, NS, pod))![1];
      const uids = await s.kubectl(['exec', '-n', NS, pod, '-c', 'modelcar', '--', 'sh', '-c', `grep ^Uid: /proc/${pid}/status`]);
      expect(uids.stdout).toMatch(/^Uid:\s+0\s+0\s+0\s+0$/);
      // Any other uid in the pod is refused by the kernel; the same uid (root) is let through.
      const other = await s.kubectl(['exec', '-n', NS, pod, '-c', 'modelcar', '--', 'su', '-s', '/bin/sh', 'nobody', '-c', 'id -u; ls /mnt/models/']);
      expect(other.stdout).toBe('65534');
      expect(other.stderr).toBe('ls: /mnt/models/: Permission denied\ncommand terminated with exit code 1');
      expect((await s.kubectl(['exec', '-n', NS, pod, '-c', 'modelcar', '--', 'ls', '/mnt/models/'])).stdout).toBe('model.joblib');
      // While the runtime still runs (its first run, importing): the probe sees both uids and the refusal.
      expect((await containerStatus(s.kubectl, NS, pod, 'kserve-container')).state.running).toBeDefined();
      await inspectHolds('uid-mismatch', 'uid-mismatch');
      const run = await finishedRun(s.kubectl, NS, pod, 'kserve-container');
      expect(run.terminated.exitCode).toBe(1);
      // KServe's Storage.download checks os.path.exists, which is False when the kernel refuses the path.
      expect(run.logs).toContain(`Exception: ${NO_MODEL_DIR}`);
    } finally {
      await deleteIsvcs(s.kubectl, NS, ['uid-mismatch']);
      await restore();
    }
  }, 180_000);

  // The same mismatch once the runtime crash-loops (its import at the default 2 s): no exec reaches it in
  // its back-off, so the uids cannot be read, yet the report must not pass: its last run began after the
  // modelcar had linked the model and still found none, which is no startup race (MC304 fails).
  it('uid-mismatch, runtime in restart back-off: no in-pod checks, yet MC304 fails (no race) and exit 1', async () => {
    const restore = await editStorageInitializer(s.kubectl, without('uidModelcar'));
    try {
      const pod = await applySeedSibling('uid-looping', SEED_URI);
      // In back-off after a run that began well after the modelcar was up (its link surely in place,
      // LINK_SETTLED_MS): the kubelet's back-off is 20 s or more by then, time enough for inspect.
      const runtime = await until('kserve-container in back-off after a run that began after modelcar', async () => {
        const st = await containerStatus(s.kubectl, NS, pod, 'kserve-container');
        const modelcarSince = (await containerStatus(s.kubectl, NS, pod, 'modelcar'))?.state?.running?.startedAt;
        const last = st?.lastState?.terminated;
        return st?.state?.waiting && last && modelcarSince && Date.parse(last.startedAt) >= Date.parse(modelcarSince) + LINK_SETTLED_MS ? st : undefined;
      }, 180_000, 250);
      expect(runtime.lastState.terminated.exitCode).toBe(1);
      const r = await inspectJson(s.env, NS, 'uid-looping');
      const mc304 = r.report.findings.find((f) => f.id === 'MC304');
      expect(mc304, JSON.stringify(r.report.findings.filter((f) => f.status !== 'pass'))).toMatchObject({ status: 'fail', evidence: { hintKey: 'persistent' } });
      expect(mc304!.message).toContain('Cannot recognize storage type for /mnt/models');
      expect(r.exitCode).toBe(1);
      // The uids are unknown without exec; what the spec shows makes the mismatch the suspected cause.
      expect(r.report.findings.find((f) => f.id === 'MC205')).toMatchObject({ status: 'warn', rootCause: true });
      expect(mc304!.causedBy).toBe('MC205');
    } finally {
      await deleteIsvcs(s.kubectl, NS, ['uid-looping']);
      await restore();
    }
  }, 300_000);

  // Knative mode where the table says Standard, for this row and image-missing, modelcar-oomkilled,
  // startup-race and modelcars-disabled: what they look at (modelcar-init, modelcar, the runtime's restarts,
  // the storage-initializer) is injected by KServe's pod webhook the same way in both modes; Knative only
  // adds queue-proxy, which no check of these rows reads.
  it('no-models-dir: modelcar-init prints NOK and exits 1, the pod stays in Init', async () => {
    try {
      const pod = await applySeedSibling('no-models-dir', 'oci://lab/model-without-models-dir:1.0');
      const run = await finishedRun(s.kubectl, NS, pod, 'modelcar-init');
      expect(run.terminated.exitCode).toBe(1);
      expect(run.logs).toContain('NOK ... Prefetched but modelcar is invalid (/models does not exist or is empty)');
      expect((await containerStatus(s.kubectl, NS, pod, 'modelcar')).state.waiting.reason).toBe('PodInitializing');
      const row = (await s.kubectl(['get', 'pod', '-n', NS, pod, '--no-headers'])).stdout;
      expect(row).toMatch(new RegExp(`^${pod}\\s+0/3\\s+Init:(Error|CrashLoopBackOff)\\s`));
      await inspectHolds('no-models-dir', 'no-models-dir');
    } finally {
      await deleteIsvcs(s.kubectl, NS, ['no-models-dir']);
    }
  }, 180_000);

  // Knative mode: Knative resolves tags to digests in the Revision's containers, but the modelcar is
  // injected at pod admission, after that, so its `:latest` reaches the pod as in Standard mode.
  it('latest-tag: the modelcar image is pulled again at every start (imagePullPolicy Always)', async () => {
    const image = 'rhuss/kserving-example-sklearn:latest';
    try {
      const first = await applySeedSibling('latest-tag', `oci://${image}`);
      const spec = (await getJson(s.kubectl, ['pod', '-n', NS, first])).spec;
      expect(spec.containers.find((c: any) => c.name === 'modelcar').imagePullPolicy).toBe('Always');
      const pulling = (events: string) => events.includes(`Pulling|spec.containers{modelcar}|Pulling image "${image}"`) ? events : undefined;
      const firstEvents = await until('modelcar Pulling in the first pod', async () => pulling(await eventsOf(s.kubectl, NS, first)), 90_000, 500);
      expect(firstEvents).toContain(`Pulling|spec.initContainers{modelcar-init}|Pulling image "${image}"`);
      // A new pod on the same node: the image is there, and it is pulled again all the same.
      await s.kubectl(['delete', 'pod', '-n', NS, first, '--wait=false']);
      const second = await until('a second pod', async () => {
        const pods = await getJson(s.kubectl, ['pods', '-n', NS, '-l', 'serving.kserve.io/inferenceservice=latest-tag']);
        return pods?.items.find((p: any) => p.metadata.name !== first)?.metadata.name as string | undefined;
      }, 60_000, 250);
      const secondEvents = await until('modelcar Pulling in the second pod', async () => pulling(await eventsOf(s.kubectl, NS, second)), 90_000, 500);
      expect(secondEvents).not.toContain(`Container image "${image}" already present on machine`);
      expect(secondEvents).toMatch(new RegExp(`Pulled\\|spec\\.(initContainers\\{modelcar-init\\}|containers\\{modelcar\\})\\|Successfully pulled image "${image.replace(/[.:]/g, '\\$&')}" in `));
      // The row is about the running pod: inspected once it is Ready, not while the modelcar is still pulled.
      await waitPodReady(s.kubectl, NS, second, 120);
      await inspectHolds('latest-tag', 'latest-tag');
    } finally {
      await deleteIsvcs(s.kubectl, NS, ['latest-tag']);
    }
  }, 240_000);

  it('image-missing: modelcar-init cannot pull the model image (ErrImagePull / ImagePullBackOff)', async () => {
    const image = 'lab/no-such-model:1.0';
    try {
      const pod = await applySeedSibling('image-missing', `oci://${image}`);
      const waiting = await until('modelcar-init waiting on the pull', async () => {
        const reason = (await containerStatus(s.kubectl, NS, pod, 'modelcar-init'))?.state?.waiting?.reason as string | undefined;
        return reason === 'ErrImagePull' || reason === 'ImagePullBackOff' ? reason : undefined;
      }, 90_000, 250);
      expect(['ErrImagePull', 'ImagePullBackOff']).toContain(waiting);
      const events = await eventsOf(s.kubectl, NS, pod);
      expect(events).toMatch(new RegExp(`Failed\\|spec\\.initContainers\\{modelcar-init\\}\\|Failed to pull image "${image.replace(/[.:/]/g, '\\$&')}": `));
      expect(events).toContain('Failed|spec.initContainers{modelcar-init}|Error: ErrImagePull');
      expect((await containerStatus(s.kubectl, NS, pod, 'modelcar')).state.waiting.reason).toBe('PodInitializing');
      await inspectHolds('image-missing', 'image-missing');
    } finally {
      await deleteIsvcs(s.kubectl, NS, ['image-missing']);
    }
  }, 180_000);

  it.skipIf(!memoryLimits)('modelcar-oomkilled: a modelcar above memoryModelcar (15Mi) is OOMKilled, exit 137, and restarted', async () => {
    const built = await buildModelImage(inject('labStateDir'), 'lab/hungry-model:1.0', { extraRun: [HUNGRY_MODELCAR_RUN] });
    expect(built.exitCode, built.stderr).toBe(0);
    try {
      const pod = await applySeedSibling('modelcar-oomkilled', 'oci://lab/hungry-model:1.0');
      const last = await until('a restarted, OOMKilled modelcar', async () => {
        const cs = await containerStatus(s.kubectl, NS, pod, 'modelcar');
        return cs?.lastState?.terminated ? cs : undefined;
      }, 120_000, 250);
      expect(last.lastState.terminated).toMatchObject({ reason: 'OOMKilled', exitCode: 137 });
      expect(last.restartCount).toBeGreaterThanOrEqual(1);
      expect(last.resources ?? (await getJson(s.kubectl, ['pod', '-n', NS, pod])).spec.containers.find((c: any) => c.name === 'modelcar').resources)
        .toMatchObject({ limits: { memory: '15Mi' } });
      // No kubelet event says OOMKilled: the container status is the only evidence.
      expect(await eventsOf(s.kubectl, NS, pod)).not.toContain('OOMKilled');
      await inspectHolds('modelcar-oomkilled', 'modelcar-oomkilled');
    } finally {
      await deleteIsvcs(s.kubectl, NS, ['modelcar-oomkilled']);
    }
  }, 300_000);

  // The kubelet restarts a failed container at once the first time and backs off 10 s after that, so
  // a link that comes 3 s late costs one or two restarts; docs/scenarios.md's 'once' is the fast case.
  it('startup-race: the runtime starts before the link, fails on /mnt/models and restarts', async () => {
    const built = await buildModelImage(inject('labStateDir'), 'lab/slow-link-model:1.0', { extraRun: [SLOW_LINK_RUN] });
    expect(built.exitCode, built.stderr).toBe(0);
    try {
      const pod = await applySeedSibling('startup-race', 'oci://lab/slow-link-model:1.0');
      expect((await waitPodReady(s.kubectl, NS, pod, 120)).stdout).toBe(`pod/${pod} condition met`);
      const runtime = await containerStatus(s.kubectl, NS, pod, 'kserve-container');
      expect(runtime.restartCount).toBeGreaterThanOrEqual(1);
      expect(runtime.lastState.terminated).toMatchObject({ reason: 'Error', exitCode: 1 });
      const previous = await s.kubectl(['logs', '-n', NS, pod, '-c', 'kserve-container', '--previous']);
      expect(previous.stdout + previous.stderr).toContain(`Exception: ${NO_MODEL_DIR}`);
      expect((await s.kubectl(['get', 'pod', '-n', NS, pod, '--no-headers'])).stdout).toMatch(new RegExp(`^${pod}\\s+3/3\\s+Running\\s+${runtime.restartCount} \\(\\S+ ago\\)\\s`));
      await inspectHolds('startup-race', 'startup-race');
    } finally {
      await deleteIsvcs(s.kubectl, NS, ['startup-race']);
    }
  }, 300_000);

  it('modelcars-disabled: with enableModelcar false the oci:// URI reaches the storage-initializer, which cannot recognize it', async () => {
    const restore = await editStorageInitializer(s.kubectl, (c) => ({ ...without('ociModelMode', 'enableOciModelSupport')(c), enableModelcar: false }));
    try {
      const pod = await applySeedSibling('modelcars-disabled', SEED_URI);
      const spec = (await getJson(s.kubectl, ['pod', '-n', NS, pod])).spec;
      expect(spec.initContainers.map((c: any) => c.name)).toEqual(['storage-initializer']);
      expect(spec.containers.map((c: any) => c.name)).toEqual(['kserve-container', 'queue-proxy']);
      const run = await finishedRun(s.kubectl, NS, pod, 'storage-initializer');
      expect(run.terminated.exitCode).toBe(1);
      expect(run.logs).toContain(`Cannot recognize storage type for ${SEED_URI}`);
      await inspectHolds('modelcars-disabled', 'modelcars-disabled');
    } finally {
      await deleteIsvcs(s.kubectl, NS, ['modelcars-disabled']);
      await restore();
    }
  }, 180_000);

  // Standard mode, as the table says: the InferenceService stays (inspect starts from it) with KServe's own
  // pod beside the one made outside KServe, and a Knative pod's queue-proxy would hold the ports its copy needs.
  it('share-process-namespace-false: the same containers outside KServe, pid namespaces apart, cannot follow the link', async () => {
    // The modelcar pod as KServe's webhook made it, re-created as a plain Deployment (no webhook
    // trigger) with shareProcessNamespace false: a pod edited outside KServe. Its runtime never gets to
    // listen (it fails on the model first), so it does not collide with KServe's pod on the host network.
    const template = await getJson(s.kubectl, ['pod', '-n', NS, await applySeedSibling('spn-false', SEED_URI, NS, s.kubectl, STANDARD)]);
    const saVolume = (v: { name: string }) => v.name.startsWith('kube-api-access-');
    const strip = (c: any) => ({ ...c, volumeMounts: c.volumeMounts?.filter((m: any) => !saVolume(m)) });
    const slow = (c: any) => (c.name === 'kserve-container' ? { ...c, env: [...(c.env ?? []), ...Object.entries(SLOW_IMPORT).map(([name, value]) => ({ name, value }))] } : c);
    const labels = { app: 'spn-false-outside', 'serving.kserve.io/inferenceservice': 'spn-false', component: 'predictor' };
    const deployment = {
      apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'spn-false-outside', namespace: NS },
      spec: {
        replicas: 1, selector: { matchLabels: { app: 'spn-false-outside' } },
        template: {
          metadata: { labels },
          spec: {
            shareProcessNamespace: false,
            // pid 1 of its own namespace, the modelcar's shell ignores SIGTERM: do not wait 30 s for it at cleanup.
            terminationGracePeriodSeconds: 2,
            volumes: template.spec.volumes.filter((v: any) => !saVolume(v)),
            initContainers: template.spec.initContainers.map(strip),
            containers: template.spec.containers.map(strip).map(slow),
          },
        },
      },
    };
    try {
      expect((await s.kubectl(['apply', '-f', '-'], { input: JSON.stringify(deployment) })).stderr).toBe('');
      const pod = await until('the pod made outside KServe', async () => (await getJson(s.kubectl, ['pods', '-n', NS, '-l', 'app=spn-false-outside']))?.items?.[0]?.metadata.name as string | undefined, 60_000, 250);
      expect((await getJson(s.kubectl, ['pod', '-n', NS, pod])).spec.shareProcessNamespace).toBe(false);
      // In its own pid namespace the modelcar's shell was pid 1: the link names the runtime's own pid 1 there.
      expect(await modelcarLink(s.kubectl, NS, pod)).toBe('/proc/1/root/models');
      const own = await s.kubectl(['exec', '-n', NS, pod, '-c', 'modelcar', '--', 'ls', '/mnt/models/']);
      expect(own.stdout).toBe('model.joblib');
      // While the runtime still runs (its first run, importing), that pod alone.
      expect((await containerStatus(s.kubectl, NS, pod, 'kserve-container')).state.running).toBeDefined();
      await inspectHolds('share-process-namespace-false', 'spn-false', NS, s.env, ['--pod', pod]);
      const run = await finishedRun(s.kubectl, NS, pod, 'kserve-container');
      expect(run.terminated.exitCode).toBe(1);
      expect(run.logs).toContain(`Exception: ${NO_MODEL_DIR}`);
    } finally {
      await s.kubectl(['delete', 'deployment', '-n', NS, 'spn-false-outside', '--wait=false']);
      await deleteIsvcs(s.kubectl, NS, ['spn-false']);
    }
  }, 240_000);

  // Knative mode: Pod Security refuses the pod for modelcar-init and modelcar in both modes (the lab's
  // queue-proxy passes restricted); the refusal sits on the Revision's ReplicaSet instead.
  it('restricted-namespace: Pod Security restricted refuses the modelcar pod: FailedCreate on the ReplicaSet, no pod', async () => {
    const ns = 'e2e-restricted';
    await s.kubectl(['create', 'namespace', ns]);
    await s.kubectl(['label', 'namespace', ns, 'pod-security.kubernetes.io/enforce=restricted']);
    try {
      expect((await s.kubectl(['apply', '-n', ns, '-f', '-'], { input: seedSibling('sklearn-iris-oci', SEED_URI) })).stderr).toBe('');
      const event = await until('FailedCreate on the ReplicaSet', async () => {
        const events = await getJson(s.kubectl, ['events', '-n', ns, '--field-selector', 'reason=FailedCreate']);
        return events?.items?.find((e: any) => e.involvedObject.kind === 'ReplicaSet');
      }, 60_000, 250);
      expect(event.message).toMatch(/^Error creating: pods "sklearn-iris-oci-predictor-00001-deployment-[a-z0-9]+-[a-z0-9]*" is forbidden: violates PodSecurity "restricted:latest": /);
      // KServe never hardens modelcar and modelcar-init.
      expect(event.message).toContain('allowPrivilegeEscalation != false (containers "modelcar-init", "modelcar" must set securityContext.allowPrivilegeEscalation=false)');
      expect(event.message).toContain('runAsNonRoot != true (pod or containers "modelcar-init", "modelcar" must set securityContext.runAsNonRoot=true)');
      expect((await getJson(s.kubectl, ['pods', '-n', ns])).items).toEqual([]);
      await inspectHolds('restricted-namespace', 'sklearn-iris-oci', ns);
    } finally {
      await deleteIsvcs(s.kubectl, ns, ['sklearn-iris-oci']);
      await s.kubectl(['delete', 'namespace', ns, '--wait=false']);
    }
  }, 120_000);

  // The rows below are produced in Standard mode, the mode docs/scenarios.md assumes unless a row says otherwise.

  it('empty-models-dir: a model image with an empty /models: modelcar-init prints NOK and exits 1, the pod stays in Init', async () => {
    try {
      const pod = await applySeedSibling('empty-models-dir', `oci://${LAB_IMAGES.modelWithEmptyModelsDir}`, NS, s.kubectl, STANDARD);
      const run = await finishedRun(s.kubectl, NS, pod, 'modelcar-init');
      expect(run.terminated.exitCode).toBe(1);
      expect(run.logs).toContain('NOK ... Prefetched but modelcar is invalid (/models does not exist or is empty)');
      expect((await containerStatus(s.kubectl, NS, pod, 'modelcar')).state.waiting.reason).toBe('PodInitializing');
      await inspectHolds('empty-models-dir', 'empty-models-dir');
    } finally {
      await deleteIsvcs(s.kubectl, NS, ['empty-models-dir']);
    }
  }, 180_000);

  it('private-image-no-secret: modelcar-init is refused the private model image without an imagePullSecret: 401 Unauthorized', async () => {
    const image = LAB_IMAGES.privateSklearnModel;
    try {
      const pod = await applySeedSibling('private-model', `oci://${image}`, NS, s.kubectl, STANDARD);
      expect((await getJson(s.kubectl, ['pod', '-n', NS, pod])).spec.imagePullSecrets).toBeUndefined();
      const events = await until('the 401 on modelcar-init', async () => {
        const e = await eventsOf(s.kubectl, NS, pod);
        return e.includes('401 Unauthorized') ? e : undefined;
      }, 90_000, 250);
      expect(events).toMatch(new RegExp(`Failed\\|spec\\.initContainers\\{modelcar-init\\}\\|Failed to pull image "${image.replace(/[.:/]/g, '\\$&')}": .*401 Unauthorized`));
      expect((await containerStatus(s.kubectl, NS, pod, 'modelcar')).state.waiting.reason).toBe('PodInitializing');
      await inspectHolds('private-image-no-secret', 'private-model');
    } finally {
      await deleteIsvcs(s.kubectl, NS, ['private-model']);
    }
  }, 180_000);

  it('scc-uid-range: in an OpenShift project uidModelcar 1010 is outside the uid range: FailedCreate, no pod', async () => {
    const ns = 'e2e-scc';
    expect((await s.kubectl(['create', 'namespace', ns])).exitCode).toBe(0);
    expect((await s.kubectl(['annotate', 'namespace', ns, 'openshift.io/sa.scc.uid-range=1000660000/10000'])).exitCode).toBe(0);
    try {
      const config = JSON.parse((await getJson(s.kubectl, CONFIGMAP)).data.storageInitializer);
      expect(config.uidModelcar).toBe(1010);
      expect((await s.kubectl(['apply', '-n', ns, '-f', '-'], { input: seedSibling('sklearn-iris-oci', SEED_URI, STANDARD) })).stderr).toBe('');
      const event = await replicaSetRefusal(ns, 'sklearn-iris-oci');
      expect(event.message).toMatch(/^Error creating: pods "sklearn-iris-oci-predictor-[a-z0-9]+-[a-z0-9]*" is forbidden: unable to validate against any security context constraint: \[/);
      expect(event.message).toContain('runAsUser: Invalid value: 1010: must be in the ranges: [1000660000, 1000669999]');
      expect((await getJson(s.kubectl, ['pods', '-n', ns])).items).toEqual([]);
      await inspectHolds('scc-uid-range', 'sklearn-iris-oci', ns);
    } finally {
      await deleteIsvcs(s.kubectl, ns, ['sklearn-iris-oci']);
      await s.kubectl(['delete', 'namespace', ns, '--wait=false']);
    }
  }, 150_000);

  it('limitrange-rejects: a LimitRange minimum of 50m / 64Mi refuses the 10m / 15Mi modelcar: FailedCreate, no pod', async () => {
    const ns = 'e2e-limits';
    expect((await s.kubectl(['create', 'namespace', ns])).exitCode).toBe(0);
    const limitRange = { apiVersion: 'v1', kind: 'LimitRange', metadata: { name: 'container-minimum' }, spec: { limits: [{ type: 'Container', min: { cpu: '50m', memory: '64Mi' } }] } };
    try {
      expect((await s.kubectl(['apply', '-n', ns, '-f', '-'], { input: JSON.stringify(limitRange) })).exitCode).toBe(0);
      expect((await s.kubectl(['apply', '-n', ns, '-f', '-'], { input: seedSibling('sklearn-iris-oci', SEED_URI, STANDARD) })).stderr).toBe('');
      const event = await replicaSetRefusal(ns, 'sklearn-iris-oci');
      expect(event.message).toMatch(/^Error creating: pods "sklearn-iris-oci-predictor-[a-z0-9]+-[a-z0-9]*" is forbidden: /);
      expect(event.message).toContain('minimum cpu usage per Container is 50m, but request is 10m');
      expect(event.message).toContain('minimum memory usage per Container is 64Mi, but request is 15Mi');
      expect((await getJson(s.kubectl, ['pods', '-n', ns])).items).toEqual([]);
      await inspectHolds('limitrange-rejects', 'sklearn-iris-oci', ns);
    } finally {
      await deleteIsvcs(s.kubectl, ns, ['sklearn-iris-oci']);
      await s.kubectl(['delete', 'namespace', ns, '--wait=false']);
    }
  }, 150_000);

  // Every wait here ends well before the test's timeout, so the finally that restores the config always runs.
  it('invalid-config-json: with a storageInitializer that is not JSON, the pod webhook refuses the new InferenceService\'s pod', async () => {
    const original: string = (await getJson(s.kubectl, CONFIGMAP)).data.storageInitializer;
    try {
      // A trailing comma, as a hand edit leaves one.
      await setConfigData('storageInitializer', original.replace(/}\s*$/, ',}'));
      expect((await s.kubectl(['apply', '-n', NS, '-f', '-'], { input: seedSibling('invalid-config', SEED_URI, STANDARD) })).stderr).toBe('');
      const event = await replicaSetRefusal(NS, 'invalid-config');
      expect(event.message).toBe('Error creating: admission webhook "inferenceservice.kserve-webhook-server.pod-mutator" denied the request: panic: Unable to unmarshall storageInitializer json string due to invalid character \'}\' looking for beginning of object key string  [recovered]');
      expect(await livePods(s.kubectl, NS, 'invalid-config')).toEqual([]);
      await inspectHolds('invalid-config-json', 'invalid-config');
    } finally {
      await setConfigData('storageInitializer', original);
      await deleteIsvcs(s.kubectl, NS, ['invalid-config']);
    }
  }, 180_000);

  it('example-only-edit: "enableModelcar": true edited into the _example block has no effect: the storage-initializer gets the oci:// URI', async () => {
    const example: string = (await getJson(s.kubectl, CONFIGMAP)).data._example;
    // The block's first storageInitializer ("# Example"), edited as someone would by hand.
    const edited = example.replace('"enableModelcar": false', '"enableModelcar": true');
    expect(edited).not.toBe(example);
    const restoreTop = await editStorageInitializer(s.kubectl, without('enableModelcar'));
    try {
      await setConfigData('_example', edited);
      const pod = await applySeedSibling('example-only-edit', SEED_URI, NS, s.kubectl, STANDARD);
      const spec = (await getJson(s.kubectl, ['pod', '-n', NS, pod])).spec;
      expect(spec.initContainers.map((c: any) => c.name)).toEqual(['storage-initializer']);
      expect(spec.containers.map((c: any) => c.name)).toEqual(['kserve-container']);
      const run = await finishedRun(s.kubectl, NS, pod, 'storage-initializer');
      expect(run.terminated.exitCode).toBe(1);
      expect(run.logs).toContain(`Cannot recognize storage type for ${SEED_URI}`);
      await inspectHolds('example-only-edit', 'example-only-edit');
    } finally {
      await setConfigData('_example', example);
      await restoreTop();
      await deleteIsvcs(s.kubectl, NS, ['example-only-edit']);
    }
  }, 180_000);

  it('config-newer-than-pods: memoryModelcar changed to 20Mi after the pod was created: the pod keeps 15Mi', async () => {
    let restore: (() => Promise<void>) | undefined;
    try {
      const pod = await applySeedSibling('config-newer', SEED_URI, NS, s.kubectl, STANDARD);
      expect((await waitPodReady(s.kubectl, NS, pod, 120)).stdout).toBe(`pod/${pod} condition met`);
      await modelcarLink(s.kubectl, NS, pod);
      restore = await editStorageInitializer(s.kubectl, (c) => ({ ...c, memoryModelcar: '20Mi' }));
      // The webhook reads the config at each pod admission: the running pod keeps what it was admitted with.
      const modelcar = (await getJson(s.kubectl, ['pod', '-n', NS, pod])).spec.containers.find((c: any) => c.name === 'modelcar');
      expect(modelcar.resources.limits.memory).toBe('15Mi');
      await inspectHolds('config-newer-than-pods', 'config-newer');
    } finally {
      await restore?.();
      await deleteIsvcs(s.kubectl, NS, ['config-newer']);
    }
  }, 240_000);
});

// KServe v0.13.0 needs a lab of that version: one of this test's own, in a temporary state dir, at
// --time-scale 10 (back-offs). Its pods share the host network with the shared lab's, which has no
// InferenceService left by now; its controller pod may find :8081 taken by the shared lab's and
// crash-loop, which the scenario does not look at. Taking it down afterwards must leave nothing.
describe.skipIf(!enabled)('a lab of its own: KServe v0.13.0, then `lab down`', () => {
  let lab: OwnLab | undefined;
  afterAll(async () => {
    await lab?.down();
  });

  // Knative (Serverless) mode, the default of that lab: the `ln -s` of v0.13's modelcar is the same in both modes.
  it('ln-s-file-exists-v0.13: after a modelcar restart `ln -s` meets its old link: File exists, CrashLoopBackOff', async () => {
    lab = await startOwnLab({ kserveVersion: 'v0.13.0', timeScale: '10' });
    const k = lab.kubectl;
    // v0.13 shipped modelcars off: the seed's script turns them on.
    expect((await bash(ENABLE_MODELCARS_SCRIPT, lab.env)).exitCode).toBe(0);
    const pod = await applySeedSibling('sklearn-iris-oci', SEED_URI, SEED_NAMESPACE, k);
    const spec = (await getJson(k, ['pod', '-n', SEED_NAMESPACE, pod])).spec;
    expect(spec.initContainers ?? []).toEqual([]); // no modelcar-init before v0.14
    expect(spec.containers.find((c: any) => c.name === 'modelcar').args).toEqual(['sh', '-c', 'ln -s /proc/$$$$/root/models /mnt/models && sleep infinity']);
    expect((await waitPodReady(k, SEED_NAMESPACE, pod, 120)).stdout).toBe(`pod/${pod} condition met`);

    const admin = await labAdmin(lab.state);
    try {
      const killed = await admin.request('POST', '/lab/actions', { action: 'kill-container', namespace: SEED_NAMESPACE, pod, container: 'modelcar' });
      expect(killed.status, killed.text).toBe(200);
    } finally {
      admin.close();
    }
    const failed = await until('the restarted modelcar to fail', async () => {
      const cs = await containerStatus(k, SEED_NAMESPACE, pod, 'modelcar');
      return lastTermination(cs)?.exitCode === 1 ? cs : undefined;
    }, 90_000, 250);
    expect(failed.restartCount).toBeGreaterThanOrEqual(1);
    const run = await finishedRun(k, SEED_NAMESPACE, pod, 'modelcar');
    expect(run.logs).toContain('ln: /mnt/models: File exists');
    const waiting = await until('CrashLoopBackOff', async () => {
      const cs = await containerStatus(k, SEED_NAMESPACE, pod, 'modelcar');
      return cs?.state?.waiting?.reason === 'CrashLoopBackOff' ? cs : undefined;
    }, 60_000, 250);
    expect(waiting.ready).toBe(false);
    await inspectHolds('ln-s-file-exists-v0.13', 'sklearn-iris-oci', SEED_NAMESPACE, lab.env);
  }, 300_000);

  it('`lab down` leaves no runc container, mount or process of that lab behind', async () => {
    if (!lab) throw new Error('the v0.13.0 lab did not start');
    const containers = await runcContainersUnder(lab.state);
    expect(containers.length).toBeGreaterThan(0); // pods were running: the check below can fail
    expect((await mountsUnder(lab.state)).length).toBeGreaterThan(0);
    await lab.down();
    const { state, serverPid } = lab;
    lab = undefined;
    expect(alive(serverPid)).toBe(false);
    expect(await runcContainersUnder(state)).toEqual([]);
    expect(containers.filter((c) => c.pid > 0 && alive(c.pid)).map((c) => `${c.id} (pid ${c.pid})`)).toEqual([]);
    expect(await mountsUnder(state)).toEqual([]);
    expect(await processesNaming(state)).toEqual([]);
  }, 120_000);
});
