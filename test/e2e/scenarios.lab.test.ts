// The scenarios of docs/scenarios.md produced for real in the shared lab (KServe v0.20.0, Knative
// mode), through the real kubectl, each asserted from status, events, logs or exec output. One at a
// time: pods share the host's network, so each InferenceService is deleted (pods gone) before the
// next. ln-s-file-exists-v0.13 needs a lab of another KServe version: the last describe starts one.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { memoryLimitsSupported } from '../lab/kubelet/kubelet.ts';
import { until } from '../lab/until.ts';
import { labAdmin } from '../lab/faults/admin-client.ts';
import { bash, containerStatus, deleteIsvcs, eventsOf, finishedRun, getJson, lastTermination, modelcarLink, predictorPod, waitPodReady, type Kubectl } from './isvc.ts';
import { editStorageInitializer, without } from './kserve-config.ts';
import { labSession, podsCanRun, type LabSession } from './lab-env.ts';
import { HUNGRY_MODELCAR_RUN, SLOW_LINK_RUN, buildModelImage } from './model-images.ts';
import { alive, mountsUnder, processesNaming, runcContainersUnder, startOwnLab, type OwnLab } from './own-lab.ts';
import { ENABLE_MODELCARS_SCRIPT, SEED_NAMESPACE, seedSibling } from './seed.ts';

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

/** Applies the seed's InferenceService as `name` with `uri` in NS and returns its first pod's name. */
async function applySeedSibling(name: string, uri: string, ns = NS, k: Kubectl = s.kubectl): Promise<string> {
  const r = await k(['apply', '-n', ns, '-f', '-'], { input: seedSibling(name, uri) });
  expect(r.stderr).toBe('');
  return (await predictorPod(k, ns, name)).metadata.name as string;
}

describe.skipIf(!enabled)('docs/scenarios.md, for real, through the real kubectl', () => {
  beforeAll(async () => {
    s = await labSession();
    await s.kubectl(['create', 'namespace', NS]);
  });
  afterAll(async () => {
    await s.kubectl(['delete', 'namespace', NS, '--wait=false']);
  });

  it('uid-mismatch: without uidModelcar the runtime (1000) is refused /proc/<pid>/root of the root modelcar', async () => {
    const restore = await editStorageInitializer(s.kubectl, without('uidModelcar'));
    try {
      const pod = await applySeedSibling('uid-mismatch', SEED_URI);
      const spec = (await getJson(s.kubectl, ['pod', '-n', NS, pod])).spec;
      expect(spec.shareProcessNamespace).toBe(true);
      expect(spec.containers.find((c: any) => c.name === 'modelcar').securityContext).toBeUndefined();
      const run = await finishedRun(s.kubectl, NS, pod, 'kserve-container');
      expect(run.terminated.exitCode).toBe(1);
      // KServe's Storage.download checks os.path.exists, which is False when the kernel refuses the path.
      expect(run.logs).toContain(`Exception: ${NO_MODEL_DIR}`);
      // The link is there and points at the modelcar, which runs as root.
      const pid = /^\/proc\/(\d+)\//.exec(await modelcarLink(s.kubectl, NS, pod))![1];
      const uids = await s.kubectl(['exec', '-n', NS, pod, '-c', 'modelcar', '--', 'sh', '-c', `grep ^Uid: /proc/${pid}/status`]);
      expect(uids.stdout).toMatch(/^Uid:\s+0\s+0\s+0\s+0$/);
      // Any other uid in the pod is refused by the kernel; the same uid (root) is let through.
      const other = await s.kubectl(['exec', '-n', NS, pod, '-c', 'modelcar', '--', 'su', '-s', '/bin/sh', 'nobody', '-c', 'id -u; ls /mnt/models/']);
      expect(other.stdout).toBe('65534');
      expect(other.stderr).toBe('ls: /mnt/models/: Permission denied\ncommand terminated with exit code 1');
      expect((await s.kubectl(['exec', '-n', NS, pod, '-c', 'modelcar', '--', 'ls', '/mnt/models/'])).stdout).toBe('model.joblib');
    } finally {
      await deleteIsvcs(s.kubectl, NS, ['uid-mismatch']);
      await restore();
    }
  }, 180_000);

  it('no-models-dir: modelcar-init prints NOK and exits 1, the pod stays in Init', async () => {
    try {
      const pod = await applySeedSibling('no-models-dir', 'oci://lab/model-without-models-dir:1.0');
      const run = await finishedRun(s.kubectl, NS, pod, 'modelcar-init');
      expect(run.terminated.exitCode).toBe(1);
      expect(run.logs).toContain('NOK ... Prefetched but modelcar is invalid (/models does not exist or is empty)');
      expect((await containerStatus(s.kubectl, NS, pod, 'modelcar')).state.waiting.reason).toBe('PodInitializing');
      const row = (await s.kubectl(['get', 'pod', '-n', NS, pod, '--no-headers'])).stdout;
      expect(row).toMatch(new RegExp(`^${pod}\\s+0/3\\s+Init:(Error|CrashLoopBackOff)\\s`));
    } finally {
      await deleteIsvcs(s.kubectl, NS, ['no-models-dir']);
    }
  }, 180_000);

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
    } finally {
      await deleteIsvcs(s.kubectl, NS, ['modelcars-disabled']);
      await restore();
    }
  }, 180_000);

  it('share-process-namespace-false: the same containers outside KServe, pid namespaces apart, cannot follow the link', async () => {
    // The modelcar pod as KServe's webhook made it, re-created as a plain Deployment (no webhook
    // trigger) with shareProcessNamespace false: a pod edited outside KServe.
    const template = await getJson(s.kubectl, ['pod', '-n', NS, await applySeedSibling('spn-source', SEED_URI)]);
    await deleteIsvcs(s.kubectl, NS, ['spn-source']);
    const saVolume = (v: { name: string }) => v.name.startsWith('kube-api-access-');
    const strip = (c: any) => ({ ...c, volumeMounts: c.volumeMounts?.filter((m: any) => !saVolume(m)) });
    const labels = { app: 'spn-false', 'serving.kserve.io/inferenceservice': 'spn-false', component: 'predictor' };
    const deployment = {
      apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'spn-false-predictor', namespace: NS },
      spec: {
        replicas: 1, selector: { matchLabels: { app: 'spn-false' } },
        template: {
          metadata: { labels },
          spec: {
            shareProcessNamespace: false,
            // pid 1 of its own namespace, the modelcar's shell ignores SIGTERM: do not wait 30 s for it at cleanup.
            terminationGracePeriodSeconds: 2,
            volumes: template.spec.volumes.filter((v: any) => !saVolume(v)),
            initContainers: template.spec.initContainers.map(strip),
            containers: template.spec.containers.map(strip),
          },
        },
      },
    };
    try {
      expect((await s.kubectl(['apply', '-f', '-'], { input: JSON.stringify(deployment) })).stderr).toBe('');
      const pod = (await predictorPod(s.kubectl, NS, 'spn-false')).metadata.name as string;
      expect((await getJson(s.kubectl, ['pod', '-n', NS, pod])).spec.shareProcessNamespace).toBe(false);
      const run = await finishedRun(s.kubectl, NS, pod, 'kserve-container');
      expect(run.terminated.exitCode).toBe(1);
      expect(run.logs).toContain(`Exception: ${NO_MODEL_DIR}`);
      // In its own pid namespace the modelcar's shell was pid 1: the link names the runtime's own pid 1 there.
      expect(await modelcarLink(s.kubectl, NS, pod)).toBe('/proc/1/root/models');
      const own = await s.kubectl(['exec', '-n', NS, pod, '-c', 'modelcar', '--', 'ls', '/mnt/models/']);
      expect(own.stdout).toBe('model.joblib');
    } finally {
      await s.kubectl(['delete', 'deployment', '-n', NS, 'spn-false-predictor', '--wait=false']);
      await until('the spn-false pods to be gone', async () => ((await getJson(s.kubectl, ['pods', '-n', NS, '-l', 'app=spn-false']))?.items.length === 0 ? true : undefined), 60_000, 250);
    }
  }, 240_000);

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
    } finally {
      await deleteIsvcs(s.kubectl, ns, ['sklearn-iris-oci']);
      await s.kubectl(['delete', 'namespace', ns, '--wait=false']);
    }
  }, 120_000);
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
