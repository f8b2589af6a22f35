// docs/scenarios.md's "honest gap" rows, produced for real through the real kubectl and held to the
// table with `kubectl modelcar inspect`: runtimes without a shell (KServe's webhook builds the pod
// from a ServingRuntime with that image), several OCI sources, scale to zero, expired events, the
// ImageVolume feature gate off; and offline mode from what the lab really produces: the plugin's own
// --dump, `kubectl cluster-info dump` (with and without the InferenceService and config added) and a
// must-gather-style directory, and an offline uid-mismatch. The first describe uses the shared lab;
// scale to zero needs a lab at --time-scale 30; uid-mismatch's config edit, expired events and the
// feature gate need a lab whose config, event TTL and gates are its own (all are per lab, and other
// test files read the shared one's).
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LAB_IMAGES } from '../lab/images/catalog.ts';
import { labAdmin } from '../lab/faults/admin-client.ts';
import { until } from '../lab/until.ts';
import { deleteIsvcs, finishedRun, getJson, livePods, modelcarLink, predictorPod, waitPodReady, type Kubectl } from './isvc.ts';
import { editStorageInitializer, without } from './kserve-config.ts';
import { applyRuntimeWithImage, IN_POD, isvcJson, mustGather, verdicts } from './gaps-support.ts';
import { labSession, podsCanRun, type LabSession } from './lab-env.ts';
import { inspectJson, modelcar, violationsOf, type InspectResult } from './modelcar.ts';
import { startOwnLab, type OwnLab } from './own-lab.ts';

const enabled = podsCanRun('the honest-gap lab tests');
const NS = 'e2e-gaps';
const SEED_URI = 'oci://rhuss/kserving-example-sklearn:1.0';
const SKLEARN = { name: 'sklearn' };
/** The healthy rows must not race: on this loaded 2-vCPU machine the modelcar's container can start
 *  more than the stand-in's default 2 s of "Python imports" after the runtime, which is the
 *  startup-race row (MC304), not these. 10 s of imports, as a heavier real server takes, keeps the
 *  race out of them; the model container's env reaches kserve-container as KServe merges it. */
const NO_RACE = { env: [{ name: 'SKLEARNSERVER_IMPORT_SECONDS', value: '10' }] };
/** --from-file must not reach any cluster. */
const OFFLINE_ENV = { KUBECONFIG: '/nonexistent' };

async function apply(k: Kubectl, ns: string, json: string): Promise<void> {
  const r = await k(['apply', '-n', ns, '-f', '-'], { input: json });
  expect(r.stderr).toBe('');
}

/** The pod of `isvc`, Ready, and the name of its one pod. */
async function readyPod(k: Kubectl, ns: string, isvc: string): Promise<string> {
  const pod = (await predictorPod(k, ns, isvc)).metadata.name as string;
  expect((await waitPodReady(k, ns, pod, 120)).stdout).toBe(`pod/${pod} condition met`);
  return pod;
}

const finding = (r: InspectResult, id: string) => r.report.findings.filter((f) => f.id === id);

describe.skipIf(!enabled)('honest gaps in the shared lab (KServe v0.20.0)', () => {
  let s: LabSession;
  beforeAll(async () => {
    s = await labSession();
    await s.kubectl(['create', 'namespace', NS]);
  });
  afterAll(async () => {
    await s.kubectl(['delete', 'namespace', NS, '--wait=false']);
  });

  it('runtime-without-shell: a runtime image with neither sh nor ls leaves the in-pod checks unrun (MC408, exit 4)', async () => {
    await applyRuntimeWithImage(s.kubectl, NS, 'sklearn-no-shell', LAB_IMAGES.sklearnServerWithoutShell);
    try {
      await apply(s.kubectl, NS, isvcJson('no-shell', { model: { modelFormat: SKLEARN, runtime: 'sklearn-no-shell', storageUri: SEED_URI, ...NO_RACE } }));
      const pod = await readyPod(s.kubectl, NS, 'no-shell');
      // KServe's webhook built the pod from that runtime; the image really has no shell and no ls.
      const spec = (await getJson(s.kubectl, ['pod', '-n', NS, pod])).spec;
      expect(spec.containers.find((c: any) => c.name === 'kserve-container').image).toBe(LAB_IMAGES.sklearnServerWithoutShell);
      expect(spec.containers.map((c: any) => c.name)).toContain('modelcar');
      for (const cmd of ['sh', 'ls']) {
        const r = await s.kubectl(['exec', '-n', NS, pod, '-c', 'kserve-container', '--', cmd]);
        expect(r.exitCode, cmd).not.toBe(0);
        expect(r.stderr, cmd).toContain(`"${cmd}": executable file not found in $PATH`);
      }
      const r = await inspectJson(s.env, NS, 'no-shell');
      expect(violationsOf('runtime-without-shell', r)).toEqual([]);
      expect(finding(r, 'MC408')[0]).toMatchObject({ status: 'warn', container: 'kserve-container', evidence: expect.objectContaining({ hintKey: 'noShell', reason: 'no shell in the runtime container' }) });
      expect(r.report.gaps).toEqual([expect.objectContaining({ source: 'exec', pod, container: 'kserve-container', reason: 'no-shell' })]);
    } finally {
      await deleteIsvcs(s.kubectl, NS, ['no-shell']);
    }
  }, 240_000);

  it('runtime-ls-only: without sh the probe runs ls, readlink and cat directly and every in-pod check runs', async () => {
    await applyRuntimeWithImage(s.kubectl, NS, 'sklearn-ls-only', LAB_IMAGES.sklearnServerLsOnly);
    try {
      await apply(s.kubectl, NS, isvcJson('ls-only', { model: { modelFormat: SKLEARN, runtime: 'sklearn-ls-only', storageUri: SEED_URI, ...NO_RACE } }));
      const pod = await readyPod(s.kubectl, NS, 'ls-only');
      expect((await getJson(s.kubectl, ['pod', '-n', NS, pod])).spec.containers[0].image).toBe(LAB_IMAGES.sklearnServerLsOnly);
      const sh = await s.kubectl(['exec', '-n', NS, pod, '-c', 'kserve-container', '--', 'sh', '-c', 'true']);
      expect(sh.stderr).toContain('"sh": executable file not found in $PATH');
      expect((await s.kubectl(['exec', '-n', NS, pod, '-c', 'kserve-container', '--', 'ls', '/mnt/models/'])).stdout).toBe('model.joblib');
      const r = await inspectJson(s.env, NS, 'ls-only');
      expect(violationsOf('runtime-ls-only', r)).toEqual([]);
      expect(finding(r, 'MC408')[0]!.message).toBe('probed kserve-container without a shell (ls run directly)');
      expect(finding(r, 'MC406')[0]).toMatchObject({ status: 'pass', message: '/mnt/models holds 1 files, 5408 bytes' });
    } finally {
      await deleteIsvcs(s.kubectl, NS, ['ls-only']);
    }
  }, 240_000);

  it('several-oci-sources: storageUris with two oci:// sources get modelcar and modelcar-1, both links checked', async () => {
    try {
      await apply(s.kubectl, NS, isvcJson('two-sources', {
        model: { modelFormat: SKLEARN, ...NO_RACE },
        storageUris: [{ uri: SEED_URI, mountPath: '/mnt/models' }, { uri: SEED_URI, mountPath: '/mnt/extra/models' }],
      }));
      const pod = await readyPod(s.kubectl, NS, 'two-sources');
      const spec = (await getJson(s.kubectl, ['pod', '-n', NS, pod])).spec;
      expect(spec.containers.map((c: any) => c.name)).toEqual(['kserve-container', 'modelcar', 'modelcar-1', 'queue-proxy']);
      expect(spec.initContainers.map((c: any) => c.name)).toEqual(['modelcar-init', 'modelcar-init-1']);
      expect((await s.kubectl(['exec', '-n', NS, pod, '-c', 'kserve-container', '--', 'ls', '/mnt/extra/models/'])).stdout).toBe('model.joblib');
      const r = await inspectJson(s.env, NS, 'two-sources');
      expect(violationsOf('several-oci-sources', r)).toEqual([]);
      expect(finding(r, 'MC204').map((f) => f.message)).toEqual([
        'modelcar and kserve-container mount kserve-provision-location at /mnt',
        'modelcar-1 and kserve-container mount kserve-provision-location-1 at /mnt/extra',
      ]);
      expect(finding(r, 'MC405').map((f) => [f.status, f.message])).toEqual([
        ['pass', 'kserve-container lists /mnt/models'],
        ['pass', 'kserve-container lists /mnt/extra/models'],
      ]);
    } finally {
      await deleteIsvcs(s.kubectl, NS, ['two-sources']);
    }
  }, 240_000);

  // no-models-dir fails from statuses and logs alone, without touching the shared KServe config.
  describe('offline: what a support case sends, made from a real no-models-dir failure', () => {
    const ONS = 'e2e-gaps-offline';
    const ISVC = 'no-models-dir';
    let dir: string;
    let live: InspectResult;
    let fromDump: InspectResult;
    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), 'gaps-offline-'));
      await s.kubectl(['create', 'namespace', ONS]);
      await apply(s.kubectl, ONS, isvcJson(ISVC, { model: { modelFormat: SKLEARN, storageUri: `oci://${LAB_IMAGES.modelWithoutModelsDir}` } }));
      const pod = (await predictorPod(s.kubectl, ONS, ISVC)).metadata.name as string;
      expect((await finishedRun(s.kubectl, ONS, pod, 'modelcar-init')).terminated.exitCode).toBe(1);
    }, 180_000);
    afterAll(async () => {
      await deleteIsvcs(s.kubectl, ONS, [ISVC]);
      await s.kubectl(['delete', 'namespace', ONS, '--wait=false']);
    }, 120_000);

    it('--dump, then --from-file: the same findings, in-pod checks skip as "offline"', async () => {
      const file = join(dir, 'case.yaml');
      live = await inspectJson(s.env, ONS, ISVC, ['--dump', file]);
      expect(violationsOf('no-models-dir', live)).toEqual([]);
      fromDump = await inspectJson(OFFLINE_ENV, ONS, ISVC, ['--from-file', file]);
      expect(violationsOf('no-models-dir', fromDump)).toEqual([]);
      expect(fromDump.report.source).toBe('file');
      expect(fromDump.report.targets).toEqual(live.report.targets);
      // Finding by finding: in-pod checks skip because the input is offline; MC205 fails online only
      // from /proc (docs/scenarios.md uid-mismatch note), offline it can at most warn; the rest agree.
      const on = verdicts(live.report);
      const off = verdicts(fromDump.report);
      expect([...off.keys()].sort()).toEqual([...on.keys()].sort());
      for (const [key, status] of on) {
        const id = key.split(' ')[0]!;
        if (IN_POD.test(id)) expect(off.get(key), key).toBe('skip');
        else if (id === 'MC205' && status === 'fail') expect(off.get(key), key).toBe('warn');
        else expect(off.get(key), key).toBe(status);
      }
      for (const f of fromDump.report.findings.filter((x) => IN_POD.test(x.id))) expect(f.evidence['reason'], f.id).toBe('offline');
      const roots = (r: InspectResult) => r.report.findings.filter((f) => f.rootCause).map((f) => f.id);
      expect(roots(fromDump)).toEqual(roots(live));
      expect(fromDump.exitCode).toBe(live.exitCode);
    }, 120_000);

    it('kubectl cluster-info dump alone: the report names the missing InferenceService and config as gaps; with `kubectl get isvc,cm -A -o yaml` added it holds to the row', async () => {
      const cid = join(dir, 'cluster-info');
      const dumped = await s.kubectl(['cluster-info', 'dump', '--namespaces', `${ONS},kserve`, '--output-directory', cid], { timeoutMs: 120_000 });
      expect(dumped.stderr).toBe('');
      expect(dumped.stdout).toBe(`Cluster info dumped to ${cid}`);

      const alone = await inspectJson(OFFLINE_ENV, ONS, ISVC, ['--from-file', cid]);
      // Failures found take precedence over the gaps in the exit code (1 before 4).
      expect(alone.exitCode).toBe(1);
      expect(alone.report.gaps.map((g) => (g.source === 'api' ? `${g.resource} ${g.namespace}/${g.name}` : g.source))).toEqual([
        `inferenceservices ${ONS}/${ISVC}`,
        'configmaps kserve/inferenceservice-config',
      ]);
      // The pods' own failures are still found, and nothing claims the spec has no OCI source.
      expect(alone.report.findings.filter((f) => f.status === 'fail').map((f) => f.id).sort()).toEqual(['MC301', 'MC302']);
      expect(alone.report.findings.filter((x) => /no (modelcar-mode )?oci:\/\/ source/.test(x.message)).map((f) => `${f.id}: ${f.message}`)).toEqual([]);
      const text = await modelcar(['inspect', ISVC, '-n', ONS, '--from-file', cid], OFFLINE_ENV);
      expect(text.exitCode).toBe(1);
      expect(text.stdout).toContain('Not checked (the report is incomplete):');
      expect(text.stdout).toContain(`InferenceService ${ONS}/${ISVC} is not in the input (kubectl cluster-info dump leaves it out): add the output of \`kubectl get inferenceservice ${ISVC} -n ${ONS} -o yaml\` as another --from-file`);
      expect(text.stdout).toContain('ConfigMap kserve/inferenceservice-config is not in the input');

      const extra = join(dir, 'isvc-cm.yaml');
      const got = await s.kubectl(['get', 'isvc,cm', '-A', '-o', 'yaml']);
      expect(got.exitCode, got.stderr).toBe(0);
      await writeFile(extra, got.stdout);
      const both = await inspectJson(OFFLINE_ENV, ONS, ISVC, ['--from-file', cid, '--from-file', extra]);
      expect(both.report.gaps).toEqual([]);
      expect(violationsOf('no-models-dir', both)).toEqual([]);
      // The controller's version comes from its pod in the dump, as online.
      expect(both.report.findings.find((f) => f.id === 'MC108')?.status).toBe(live.report.findings.find((f) => f.id === 'MC108')?.status);
    }, 180_000);

    it('a must-gather-style directory of YAML files and logs holds to the row too', async () => {
      const mg = join(dir, 'must-gather');
      await mustGather(s.kubectl, mg, [ONS, 'kserve']);
      const r = await inspectJson(OFFLINE_ENV, ONS, ISVC, ['--from-file', mg]);
      expect(r.report.gaps).toEqual([]);
      expect(violationsOf('no-models-dir', r)).toEqual([]);
      // modelcar-init's NOK line came from namespaces/<ns>/pods/<pod>/modelcar-init/modelcar-init/logs/current.log.
      expect(JSON.stringify(r.report.findings.find((f) => f.id === 'MC302')?.evidence)).toContain('NOK ... Prefetched but modelcar is invalid');
      const on = verdicts(fromDump.report);
      const off = verdicts(r.report);
      for (const [key, status] of on) if (!IN_POD.test(key.split(' ')[0]!)) expect(off.get(key), key).toBe(status);
    }, 120_000);
  });
});

// Knative's 90 s idle window at --time-scale 30 is 3 s (test/lab/kserve/scale-to-zero.lab.test.ts).
describe.skipIf(!enabled)('a lab of its own at --time-scale 30: scaled-to-zero', () => {
  let lab: OwnLab | undefined;
  beforeAll(async () => { lab = await startOwnLab({ timeScale: '30' }); }, 120_000);
  afterAll(async () => { await lab?.down(); }, 120_000);

  it('scaled-to-zero: minReplicas 0 and no pods left: pod checks skip, nothing about a running state is claimed', async () => {
    const k = lab!.kubectl;
    const ns = 'kserve-test';
    await apply(k, ns, isvcJson('sklearn-iris-oci', { minReplicas: 0, model: { modelFormat: SKLEARN, storageUri: SEED_URI } }));
    await predictorPod(k, ns, 'sklearn-iris-oci', 90_000);
    await until('no predictor pods', async () => ((await livePods(k, ns, 'sklearn-iris-oci')).length === 0 && (await k(['get', 'pods', '-n', ns, '-o', 'name'])).stdout === '' ? true : undefined), 120_000, 500);
    const r = await inspectJson(lab!.env, ns, 'sklearn-iris-oci');
    expect(violationsOf('scaled-to-zero', r)).toEqual([]);
    expect(r.report.targets[0]!.pods).toEqual([]);
    expect(finding(r, 'MC301')[0]!.evidence['reason']).toMatch(/^no pods: scaled to zero \(Knative, minReplicas 0\)/);
  }, 240_000);
});

describe.skipIf(!enabled)('a lab of its own: offline uid-mismatch, events-expired, then native-feature-gate-off', () => {
  let lab: OwnLab | undefined;
  const ns = 'kserve-test';
  const act = async (body: Record<string, unknown>) => {
    const admin = await labAdmin(lab!.state);
    try {
      const r = await admin.request('POST', '/lab/actions', body);
      expect(r.status, r.text).toBe(200);
    } finally {
      admin.close();
    }
  };
  beforeAll(async () => { lab = await startOwnLab({}); }, 120_000);
  afterAll(async () => { await lab?.down(); }, 120_000);

  // uid-mismatch needs uidModelcar out of the config: done in this lab, whose config no other test reads.
  it('offline uid-mismatch: --dump while the runtime runs, then --from-file: MC205 only warns, the in-pod checks skip as "offline"', async () => {
    const k = lab!.kubectl;
    const restore = await editStorageInitializer(k, without('uidModelcar'));
    const file = join(await mkdtemp(join(tmpdir(), 'gaps-uid-')), 'case.yaml');
    try {
      // 60 s of imports: the runtime is still running (exec reaches it) when inspect looks.
      await apply(k, ns, isvcJson('uid-mismatch', { model: { modelFormat: SKLEARN, storageUri: SEED_URI, env: [{ name: 'SKLEARNSERVER_IMPORT_SECONDS', value: '60' }] } }));
      const pod = (await predictorPod(k, ns, 'uid-mismatch')).metadata.name as string;
      await modelcarLink(k, ns, pod);
      const live = await inspectJson(lab!.env, ns, 'uid-mismatch', ['--dump', file]);
      expect(violationsOf('uid-mismatch', live)).toEqual([]);
      const off = await inspectJson(OFFLINE_ENV, ns, 'uid-mismatch', ['--from-file', file]);
      const on = verdicts(live.report);
      const offline = verdicts(off.report);
      expect([...offline.keys()].sort()).toEqual([...on.keys()].sort());
      for (const [key, status] of on) {
        const id = key.split(' ')[0]!;
        if (IN_POD.test(id)) expect(offline.get(key), key).toBe('skip');
        else if (id === 'MC205') expect([status, offline.get(key)], key).toEqual(['fail', 'warn']);
        // MC107 (a "may" of the row) compares the same uids from /proc online; offline it says they are unknown.
        else if (id === 'MC107') expect(offline.get(key), key).toBe(status === 'warn' ? 'skip' : status);
        else expect(offline.get(key), key).toBe(status);
      }
      for (const f of off.report.findings.filter((x) => IN_POD.test(x.id))) expect(f.evidence['reason'], f.id).toBe('offline');
      if (finding(live, 'MC107')[0]!.status === 'warn') expect(finding(off, 'MC107')[0]!.message).toBe('skipped: uidModelcar is unset and the users of the containers are not known (image users are not in the spec)');
      // Nothing fails offline: the mismatch is only likely without the uids from /proc.
      expect(off.exitCode).toBe(0);
    } finally {
      await deleteIsvcs(k, ns, ['uid-mismatch']);
      await restore();
    }
  }, 240_000);

  it('events-expired: a healthy seed example whose events are gone: event checks skip, never pass', async () => {
    const k = lab!.kubectl;
    await apply(k, ns, isvcJson('sklearn-iris-oci', { model: { modelFormat: SKLEARN, storageUri: SEED_URI, ...NO_RACE } }));
    await readyPod(k, ns, 'sklearn-iris-oci');
    expect((await getJson(k, ['events', '-n', ns])).items.length).toBeGreaterThan(0);
    await act({ action: 'event-ttl', seconds: 2 });
    await until('the events to expire', async () => ((await getJson(k, ['events', '-n', ns]))?.items.length === 0 ? true : undefined), 30_000, 500);
    const r = await inspectJson(lab!.env, ns, 'sklearn-iris-oci');
    expect(violationsOf('events-expired', r)).toEqual([]);
    await deleteIsvcs(k, ns, ['sklearn-iris-oci']);
  }, 240_000);

  it('native-feature-gate-off: oci+native:// with the gate off: the API server dropped the image volume and its mount', async () => {
    const k = lab!.kubectl;
    expect((await k(['version', '-o', 'json'])).stdout).toContain('"gitVersion": "v1.33.');
    await act({ action: 'feature-gate', gate: 'ImageVolume', enabled: false });
    await apply(k, ns, isvcJson('native-off', { model: { modelFormat: SKLEARN, storageUri: 'oci+native://rhuss/kserving-example-sklearn:1.0' } }));
    const pod = (await predictorPod(k, ns, 'native-off')).metadata.name as string;
    const spec = (await getJson(k, ['pod', '-n', ns, pod])).spec;
    expect(spec.volumes.filter((v: any) => v.image)).toEqual([]);
    expect(spec.containers.find((c: any) => c.name === 'kserve-container').volumeMounts.map((m: any) => m.mountPath)).not.toContain('/mnt/models');
    // Without its model the runtime fails as KServe's server does.
    const run = await finishedRun(k, ns, pod, 'kserve-container');
    expect(run.logs).toContain('Cannot recognize storage type for /mnt/models');
    const r = await inspectJson(lab!.env, ns, 'native-off');
    expect(violationsOf('native-feature-gate-off', r)).toEqual([]);
    expect(finding(r, 'MC601')[0]!.message).toContain('the API server dropped it, so the ImageVolume feature gate is off');
  }, 240_000);
});
