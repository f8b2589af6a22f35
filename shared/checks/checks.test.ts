// Single checks on small variations of the healthy snapshot; docs/scenarios.md rows are in scenarios.test.ts.
import { describe, expect, it } from 'vitest';
import { runChecks } from './index.ts';
import { buildReport } from '../report.ts';
import { goDurationSeconds, LINK_SETTLED_MS } from './runtime.ts';
import type { CheckResult } from '../report.ts';
import type { CheckId } from '../catalogue.ts';
import type { Snapshot } from '../snapshot.ts';
import { ago, configMap, event, healthySnapshot, IMAGE, inferenceService, modelcarPod, namespace, NS, V20_STORAGE_INITIALIZER } from '../testing/fixtures.ts';

function findings(s: Snapshot, id: CheckId): CheckResult[] {
  return runChecks(s).filter((f) => f.id === id);
}
function one(s: Snapshot, id: CheckId): CheckResult {
  const all = findings(s, id);
  expect(all, `${id} findings`).toHaveLength(1);
  return all[0]!;
}
function probe(s: Snapshot) {
  const p = s.execs[0]!;
  if (p.outcome !== 'probed') throw new Error('fixture has no probe');
  return p;
}

describe('without the InferenceService (offline input of pods only)', () => {
  it('checks that need its OCI sources say it is missing, not that there is no oci:// source', () => {
    const s = healthySnapshot();
    s.inferenceServices = [];
    for (const id of ['MC103', 'MC106', 'MC206', 'MC208'] as const) {
      expect(one(s, id), id).toMatchObject({ status: 'skip', evidence: { reason: `InferenceService ${NS}/sklearn-iris-oci is not in the input, so its OCI sources are unknown` } });
    }
  });
});

describe('MC1xx', () => {
  it('MC101 fails on a missing ConfigMap and skips one it may not read', () => {
    const s = healthySnapshot();
    s.kserve.configMap = null;
    s.kserve.configMapAbsence = 'not-found';
    expect(one(s, 'MC101').status).toBe('fail');
    s.kserve.configMapAbsence = 'forbidden';
    expect(one(s, 'MC101')).toMatchObject({ status: 'skip', evidence: { reason: 'not allowed to read the ConfigMap' } });
  });

  it.each([
    [{ uidModelcar: '1010' }, 'uidModelcar'],
    [{ cpuModelcar: 'ten' }, 'cpuModelcar'],
    [{ enableModelcar: 'true' }, 'enableModelcar'],
  ])('MC102 fails on %j without crashing the other checks', (change, key) => {
    const s = healthySnapshot({ storageInitializer: { ...V20_STORAGE_INITIALIZER, ...change } });
    const f = one(s, 'MC102');
    expect(f.status).toBe('fail');
    expect(f.evidence['problem']).toContain(key);
    expect(one(s, 'MC103').status).toBe('skip');
  });

  it('MC105 warns when managedFields show a storageInitializer write after the pod was created', () => {
    const s = healthySnapshot();
    s.kserve.configMap = configMap(V20_STORAGE_INITIALIZER, undefined, ago(30));
    expect(one(s, 'MC105')).toMatchObject({ status: 'warn', evidence: { differences: [] } });
  });

  it('MC105 warns about a pod admitted while modelcars were off, and explains its MC202/MC306', () => {
    const s = healthySnapshot();
    const pod = s.pods[0]!;
    pod.spec.containers = pod.spec.containers.filter((c) => c.name !== 'modelcar');
    pod.spec.initContainers = [{ name: 'storage-initializer', args: [`oci://${IMAGE}`, '/mnt/models'] }];
    const report = buildReport(s, runChecks(s));
    expect(report.findings.filter((f) => ['MC103', 'MC105', 'MC202', 'MC306'].includes(f.id)).map((f) => [f.id, f.status, f.causedBy ?? null])).toEqual([
      ['MC105', 'warn', null],
      ['MC202', 'fail', 'MC105'],
      ['MC306', 'fail', 'MC105'],
      ['MC103', 'pass', null],
    ]);
  });

  it('MC106 fails on a quota refusal with the quota hint', () => {
    const s = healthySnapshot();
    s.pods = [];
    s.events[0]!.items = [event({ kind: 'ReplicaSet', name: s.replicaSets[0]!.metadata.name }, 'FailedCreate', 'Error creating: pods "x" is forbidden: exceeded quota: compute, requested: limits.memory=15Mi, used: limits.memory=1Gi, limited: limits.memory=1Gi', 5, 'Warning')];
    expect(one(s, 'MC106')).toMatchObject({ status: 'fail', evidence: { hintKey: 'quota', quota: 'compute' } });
  });

  it('MC107 warns when uidModelcar is unset and the probe shows different users', () => {
    const { uidModelcar: _, ...noUid } = V20_STORAGE_INITIALIZER;
    const s = healthySnapshot({ storageInitializer: noUid, uidModelcar: null });
    probe(s).targetProcess!.ids = { uids: [0, 0, 0, 0], gids: [0, 0, 0, 0] };
    expect(one(s, 'MC107')).toMatchObject({ status: 'warn', evidence: { suggestedUid: 1000 } });
  });

  it('MC108 warns that storageUris with oci:// are ignored before v0.19', () => {
    const s = healthySnapshot({ version: 'v0.17.0', isvc: inferenceService([`oci://${IMAGE}`]) });
    const f = one(s, 'MC108');
    expect(f.status).toBe('warn');
    expect((f.evidence['bugs'] as Array<{ bug: string }>).map((b) => b.bug)).toEqual(['storageUris', 'securityContext']);
  });

  it('MC108 warns that native mode needs v0.20', () => {
    const s = healthySnapshot({ version: 'v0.17.0', isvc: inferenceService(`oci+native://${IMAGE}`) });
    s.pods = [];
    expect(one(s, 'MC108')).toMatchObject({ status: 'warn', message: expect.stringContaining('need KServe v0.20.0') });
  });

  it('MC108 does not blame #5166 when no uidModelcar was injected', () => {
    const { uidModelcar: _, ...noUid } = V20_STORAGE_INITIALIZER;
    const s = healthySnapshot({ version: 'v0.15.2', storageInitializer: noUid, uidModelcar: null, runtimeSecurityContext: { runAsUser: 1000 } });
    expect(one(s, 'MC108').status).toBe('pass');
  });

  it('MC108 reads ln -s from the pod spec even when the version is unknown', () => {
    const s = healthySnapshot({ version: 'v0.13.0' });
    s.kserve.controllerVersion = { version: null, source: 'unknown', image: 'kserve-controller@sha256:abc' };
    expect(one(s, 'MC108')).toMatchObject({ status: 'warn', evidence: { hintKey: 'lnS', lnForce: { value: false, source: 'pod-spec' } } });
  });
});

describe('MC2xx', () => {
  it('MC208 reads a Knative refusal from the Revision condition when there is no pod', () => {
    const s = healthySnapshot({ mode: 'Knative' });
    s.pods = [];
    s.replicaSets = [];
    s.events[0]!.items = [];
    s.revisions = [{
      apiVersion: 'serving.knative.dev/v1', kind: 'Revision',
      metadata: { name: 'sklearn-iris-oci-predictor-00001', namespace: NS, labels: { 'serving.kserve.io/inferenceservice': 'sklearn-iris-oci' } },
      status: { conditions: [{ type: 'ResourcesAvailable', status: 'False', reason: 'FailedCreate', message: 'pods "x" is forbidden: violates PodSecurity "restricted:latest": runAsNonRoot != true', lastTransitionTime: ago(40) }] },
    }];
    const f = one(s, 'MC208');
    expect(f.status).toBe('fail');
    expect((f.evidence['refusals'] as Array<{ object: string; ageSeconds: number }>)[0]).toMatchObject({ object: `revision/${NS}/sklearn-iris-oci-predictor-00001`, ageSeconds: 40 });
    expect(one(s, 'MC301').evidence['reason']).toMatch(/^no pods: admission refused them/);
  });

  it('MC208 still judges Pod Security when the config may not be read (support user)', () => {
    const s = healthySnapshot();
    s.kserve.configMap = null;
    s.kserve.configMapAbsence = 'forbidden';
    s.namespaces = [namespace({ 'pod-security.kubernetes.io/enforce': 'restricted' })];
    expect(one(s, 'MC208').status).toBe('fail');
    s.pods = [];
    expect(one(s, 'MC208').status).toBe('fail');
  });

  it('MC201 hints at Knative config-features on a Knative pod', () => {
    const s = healthySnapshot({ mode: 'Knative' });
    s.pods[0]!.spec.shareProcessNamespace = false;
    const f = one(s, 'MC201');
    expect(f.status).toBe('fail');
    expect(f.evidence['hintKey']).toBe('knative');
  });

  it('MC203 warns when modelcar-init is missing on a version that adds it', () => {
    const s = healthySnapshot();
    s.pods[0]!.spec.initContainers = [];
    expect(one(s, 'MC203').status).toBe('warn');
  });

  it('MC203 reads an old KServe from the pod spec when the version is unknown', () => {
    const s = healthySnapshot({ version: 'v0.13.0' });
    s.kserve.controllerVersion = { version: null, source: 'unknown' };
    expect(one(s, 'MC203')).toMatchObject({ status: 'info', evidence: { from: 'pod spec' } });
  });

  it('MC204 fails when the runtime does not mount the provision volume at the parent of the model path', () => {
    const s = healthySnapshot();
    s.pods[0]!.spec.containers[0]!.volumeMounts = [{ name: 'kserve-provision-location', mountPath: '/mnt/models' }];
    const f = one(s, 'MC204');
    expect(f.status).toBe('fail');
    expect(f.evidence['problems']).toEqual(['kserve-container mounts kserve-provision-location at /mnt/models']);
  });

  it('MC205 fails on different gids from the spec when no probe says otherwise', () => {
    const s = healthySnapshot({ source: 'file' });
    s.pods[0]!.spec.containers[0]!.securityContext = { runAsUser: 1010, runAsGroup: 1000 };
    s.pods[0]!.spec.containers.find((c) => c.name === 'modelcar')!.securityContext = { runAsUser: 1010, runAsGroup: 0 };
    expect(one(s, 'MC205')).toMatchObject({ status: 'fail', evidence: { hintKey: 'gid', suggestedGid: 1000 } });
  });

  it('MC205 offline, uidModelcar unset: warns when the runtime is held to non-root and the modelcar runs as its image user; skips when nothing is known', () => {
    const s = healthySnapshot({ source: 'file' });
    const runtime = s.pods[0]!.spec.containers[0]!;
    const mc = s.pods[0]!.spec.containers.find((c) => c.name === 'modelcar')!;
    runtime.securityContext = { runAsNonRoot: true, allowPrivilegeEscalation: false };
    delete mc.securityContext;
    expect(one(s, 'MC205')).toMatchObject({ status: 'warn', evidence: { hintKey: 'unknown', unknownContainer: 'modelcar', runtimeRunAsNonRoot: true } });
    mc.securityContext = { runAsNonRoot: true };
    expect(one(s, 'MC205').status).toBe('skip');
    delete runtime.securityContext;
    delete mc.securityContext;
    expect(one(s, 'MC205').status).toBe('skip');
  });

  it('MC206 warns on imagePullPolicy Always even with a fixed tag', () => {
    const s = healthySnapshot();
    s.pods[0]!.spec.containers.find((c) => c.name === 'modelcar')!.imagePullPolicy = 'Always';
    expect(one(s, 'MC206')).toMatchObject({ status: 'warn', evidence: { imagePullPolicy: 'Always' } });
  });

  it('MC207 warns when pods run different modelcar image IDs', () => {
    const s = healthySnapshot();
    const second = modelcarPod({ name: 'sklearn-iris-oci-predictor-6d9f7c8b5-fghij' });
    second.status!.containerStatuses!.find((c) => c.name === 'modelcar')!.imageID = `${IMAGE.split(':1.0')[0]}@sha256:9999`;
    s.pods.push(second);
    const f = one(s, 'MC207');
    expect(f.status).toBe('warn');
    expect(Object.keys((f.evidence['imageIDs'] as Record<string, object>)['modelcar']!)).toHaveLength(2);
    expect(f.evidence['digest']).toMatch(/^sha256:/);
  });

  it('MC209 warns on a CPU limit below the default', () => {
    const s = healthySnapshot();
    s.pods[0]!.spec.containers.find((c) => c.name === 'modelcar')!.resources = { limits: { cpu: '5m', memory: '15Mi' } };
    expect(one(s, 'MC209').status).toBe('warn');
  });

  it('without pods, checks what the config and the template decide and skips the rest', () => {
    const { uidModelcar: _, ...noUid } = V20_STORAGE_INITIALIZER;
    const s = healthySnapshot({ storageInitializer: { ...noUid, memoryModelcar: '8Mi' } });
    s.pods = [];
    s.deployments[0]!.spec!.template = { spec: { containers: [{ name: 'kserve-container', securityContext: { runAsUser: 1000 } }] } };
    expect(one(s, 'MC209')).toMatchObject({ status: 'warn', evidence: { source: 'storageInitializer (no pod)', suggested: '32Mi' } });
    expect(one(s, 'MC205')).toMatchObject({ status: 'warn', evidence: { runtimeUid: { value: 1000, source: 'container' } } });
    expect(one(s, 'MC201').evidence['reason']).toMatch(/^no pods; KServe adds the modelcar at pod admission/);
  });

  it('MC210 fails on uidModelcar outside the OpenShift range before any pod is refused', () => {
    const s = healthySnapshot();
    s.namespaces[0]!.metadata.annotations = { 'openshift.io/sa.scc.uid-range': '1000660000/10000' };
    expect(one(s, 'MC210')).toMatchObject({ status: 'fail', evidence: { suggestedUid: 1000660000 } });
  });
});

describe('MC3xx', () => {
  it('MC301 names the missing pull secret when the modelcar itself pulls (before v0.14)', () => {
    const s = healthySnapshot({ version: 'v0.13.0' });
    const pod = s.pods[0]!;
    pod.status!.containerStatuses!.find((c) => c.name === 'modelcar')!.state = { waiting: { reason: 'ErrImagePull', message: 'failed to resolve reference: pull access denied' } };
    const f = one(s, 'MC301');
    expect(f).toMatchObject({ status: 'fail', evidence: { hintKey: 'pullSecret', registry: 'registry.local:5000' } });
  });

  it('MC301 and MC302 do not fail a pod that is still pulling the model image', () => {
    const s = healthySnapshot();
    const pod = s.pods[0]!;
    pod.status!.initContainerStatuses![0]!.state = { waiting: { reason: 'PodInitializing' } };
    for (const c of pod.status!.containerStatuses!) c.state = { waiting: { reason: 'PodInitializing' } };
    expect(one(s, 'MC301')).toMatchObject({ status: 'skip', evidence: { reason: 'modelcar is still starting (PodInitializing)' } });
    expect(one(s, 'MC302').status).toBe('skip');
  });

  it('MC302 says when the model image has no shell', () => {
    const s = healthySnapshot();
    s.pods[0]!.status!.initContainerStatuses![0]!.state = { terminated: { exitCode: 128, reason: 'StartError', message: 'exec: "sh": executable file not found in $PATH' } };
    expect(one(s, 'MC302')).toMatchObject({ status: 'fail', evidence: { hintKey: 'noShell' } });
  });

  it('MC303 warns on a pull that took more than half the progress deadline, and on DiskPressure', () => {
    const s = healthySnapshot();
    const e = s.events[0]!.items.find((x) => x.reason === 'Pulled' && x.message!.startsWith('Successfully'))!;
    e.message = `Successfully pulled image "${IMAGE}" in 5m30.5s (5m31s including waiting). Image size: 9000000000 bytes.`;
    expect(one(s, 'MC303')).toMatchObject({ status: 'warn', evidence: { pullSeconds: 331 } });
    s.nodes[0]!.status!.conditions = [{ type: 'DiskPressure', status: 'True', message: 'kubelet has disk pressure' }];
    expect(one(s, 'MC303')).toMatchObject({ status: 'warn', evidence: { hintKey: 'diskPressure' } });
  });

  it('MC303 warns on a pull still under way for longer than half the progress deadline', () => {
    const s = healthySnapshot();
    const ref = { kind: 'Pod', name: s.pods[0]!.metadata.name, fieldPath: 'spec.initContainers{modelcar-init}' };
    s.events[0]!.items = [event(ref, 'Pulling', `Pulling image "${IMAGE}"`, 400)];
    expect(one(s, 'MC303')).toMatchObject({ status: 'warn', evidence: { pullSeconds: 400 } });
    s.events[0]!.items = [event(ref, 'Pulling', `Pulling image "${IMAGE}"`, 100)];
    expect(one(s, 'MC303').evidence['reason']).toBe(`the pull is under way (Pulling image "${IMAGE}", 100s ago)`);
  });

  it("MC304 warns on KServe's own words for a missing model path (Storage.download)", () => {
    const s = healthySnapshot();
    Object.assign(s.pods[0]!.status!.containerStatuses![0]!, { restartCount: 1, lastState: { terminated: { exitCode: 1, reason: 'Error', finishedAt: ago(300) } } });
    s.logs.push({ namespace: NS, pod: s.pods[0]!.metadata.name, container: 'kserve-container', previous: true, text: 'Traceback (most recent call last):\nException: Cannot recognize storage type for /mnt/models\n' });
    expect(one(s, 'MC304')).toMatchObject({ status: 'warn', evidence: { logLine: 'Exception: Cannot recognize storage type for /mnt/models' } });
  });

  it('MC304 passes a runtime restart that was not about the model', () => {
    const s = healthySnapshot();
    Object.assign(s.pods[0]!.status!.containerStatuses![0]!, { restartCount: 1, lastState: { terminated: { exitCode: 137, reason: 'Error', finishedAt: ago(300) } } });
    s.logs.push({ namespace: NS, pod: s.pods[0]!.metadata.name, container: 'kserve-container', previous: true, text: 'INFO: shutting down\n' });
    expect(one(s, 'MC304').status).toBe('pass');
  });

  it('MC304 fails when the runtime missed the model in a run that began after modelcar had linked it: no race', () => {
    const s = healthySnapshot();
    const statuses = s.pods[0]!.status!.containerStatuses!;
    const modelcarStart = (statuses.find((c) => c.name === 'modelcar')!.state as { running: { startedAt: string } }).running.startedAt;
    const afterModelcar = new Date(Date.parse(modelcarStart) + LINK_SETTLED_MS).toISOString().replace(/\.\d+Z$/, 'Z');
    Object.assign(statuses[0]!, { restartCount: 3, lastState: { terminated: { exitCode: 1, reason: 'Error', startedAt: afterModelcar, finishedAt: afterModelcar } } });
    s.logs.push({ namespace: NS, pod: s.pods[0]!.metadata.name, container: 'kserve-container', previous: true, text: 'Exception: Cannot recognize storage type for /mnt/models\n' });
    const f = one(s, 'MC304');
    expect(f.status).toBe('fail');
    expect(f.message).toContain('this is not a startup race');
    expect(f.evidence).toMatchObject({ hintKey: 'persistent', runtimeStartedAt: afterModelcar, modelcarStartedAt: modelcarStart });
  });

  it('MC304 still warns when the failed run began only seconds after modelcar: a slow link is a race', () => {
    const s = healthySnapshot();
    const statuses = s.pods[0]!.status!.containerStatuses!;
    const modelcarStart = (statuses.find((c) => c.name === 'modelcar')!.state as { running: { startedAt: string } }).running.startedAt;
    const soonAfter = new Date(Date.parse(modelcarStart) + 2_000).toISOString().replace(/\.\d+Z$/, 'Z');
    Object.assign(statuses[0]!, { restartCount: 2, lastState: { terminated: { exitCode: 1, reason: 'Error', startedAt: soonAfter, finishedAt: soonAfter } } });
    s.logs.push({ namespace: NS, pod: s.pods[0]!.metadata.name, container: 'kserve-container', previous: true, text: 'Exception: Cannot recognize storage type for /mnt/models\n' });
    expect(one(s, 'MC304').status).toBe('warn');
  });

  it('MC302 fails while modelcar-init runs again after a NOK run', () => {
    const s = healthySnapshot();
    const init = s.pods[0]!.status!.initContainerStatuses!.find((c) => c.name === 'modelcar-init')!;
    Object.assign(init, { ready: false, restartCount: 1, state: { running: { startedAt: ago(5) } }, lastState: { terminated: { exitCode: 1, reason: 'Error', startedAt: ago(20), finishedAt: ago(19) } } });
    s.logs.push({ namespace: NS, pod: s.pods[0]!.metadata.name, container: 'modelcar-init', previous: true, text: 'NOK ... Prefetched but modelcar is invalid (/models does not exist or is empty)\n' });
    expect(one(s, 'MC302')).toMatchObject({ status: 'fail', evidence: { hintKey: 'nok' } });
  });

  it('MC401 fails on a missing model path when modelcar has run a while, and skips when it started just now or not at all', () => {
    const missing = (edit: (s: Snapshot) => void) => {
      const s = healthySnapshot();
      s.execs[0] = { ...probe(s), lstatType: 'missing', readlink: null, targetPid: null, targetProcess: null };
      edit(s);
      return one(s, 'MC401');
    };
    expect(missing(() => undefined).status).toBe('fail');
    const modelcarStatus = (s: Snapshot) => s.pods[0]!.status!.containerStatuses!.find((c) => c.name === 'modelcar')!;
    const young = missing((s) => Object.assign(modelcarStatus(s), { state: { running: { startedAt: ago(1) } } }));
    expect(young.status).toBe('skip');
    expect(young.evidence['reason']).toMatch(/modelcar started \d+s before the probe and may not have linked yet/);
    const creating = missing((s) => Object.assign(modelcarStatus(s), { ready: false, started: false, state: { waiting: { reason: 'ContainerCreating' } } }));
    expect(creating).toMatchObject({ status: 'skip', evidence: { reason: 'modelcar has not started yet (ContainerCreating): MC301' } });
  });

  it('parses Go durations as the kubelet prints them', () => {
    expect(goDurationSeconds('1.234s')).toBeCloseTo(1.234);
    expect(goDurationSeconds('2m3.5s')).toBeCloseTo(123.5);
    expect(goDurationSeconds('450ms')).toBeCloseTo(0.45);
    expect(goDurationSeconds('1h0m2s')).toBe(3602);
  });
});

describe('MC501', () => {
  it('lays out the start from status and events, in order, with where each step came from', () => {
    const s = healthySnapshot();
    const f = one(s, 'MC501');
    expect(f.status).toBe('info');
    const timeline = f.evidence['timeline'] as Array<{ at: string; what: string; from: string }>;
    expect(timeline.map((e) => e.what)).toEqual([
      'pod created',
      'scheduled on node-1',
      `Pulling image "${IMAGE}"`,
      `Successfully pulled image "${IMAGE}" in 1.234s (1.234s including waiting). Image size: 5408000 bytes.`,
      'modelcar-init finished',
      `Container image "${IMAGE}" already present on machine`,
      'modelcar started (links the model)',
      'kserve-container started',
      'pod ready',
    ]);
    expect(f.evidence['readySeconds']).toBe(120);
  });
  it('says the pulls are unknown when the events are gone', () => {
    const s = healthySnapshot();
    s.pods[0]!.metadata.creationTimestamp = ago(7200);
    s.events[0]!.items = [];
    expect(one(s, 'MC501').message).toContain('pulls unknown: no events left');
  });
});

describe('MC4xx', () => {
  it('MC402 warns when the model path is a directory', () => {
    const s = healthySnapshot();
    Object.assign(probe(s), { lstatType: 'directory', readlink: null });
    expect(one(s, 'MC402').status).toBe('warn');
    expect(one(s, 'MC403').status).toBe('skip');
  });

  it('MC406 fails on an empty models directory, MC407 on unreadable files', () => {
    const s = healthySnapshot();
    probe(s).listing = { ok: true, fileCount: 0, totalBytes: 0, unreadable: [] };
    expect(one(s, 'MC406').status).toBe('fail');
    probe(s).listing = { ok: true, fileCount: 2, totalBytes: 10, unreadable: ['/mnt/models/model.joblib'] };
    expect(one(s, 'MC407')).toMatchObject({ status: 'fail', evidence: { unreadable: ['/mnt/models/model.joblib'] } });
  });

  it('judges a probed transformer-container too, and one failing exec makes MC408 warn', () => {
    const s = healthySnapshot();
    const pod = s.pods[0]!;
    pod.spec.containers.push({ name: 'transformer-container', volumeMounts: [{ name: 'kserve-provision-location', mountPath: '/mnt' }] });
    s.execs.push({ ...probe(s), container: 'transformer-container', listing: { ok: false, errno: 'EACCES', message: 'Permission denied' } });
    expect(findings(s, 'MC405').map((f) => [f.container, f.status])).toEqual([['kserve-container', 'pass'], ['transformer-container', 'fail']]);
    s.execs[1] = { namespace: NS, pod: pod.metadata.name, container: 'transformer-container', outcome: 'skipped', reason: 'error', detail: 'timeout' };
    expect(one(s, 'MC408')).toMatchObject({ status: 'warn', container: 'transformer-container' });
  });

  it('MC408 says when the evidence came from an ephemeral container (--ephemeral), and names the ephemeralcontainers rule when that was refused', () => {
    const s = healthySnapshot();
    probe(s).via = { ephemeral: 'modelcar-inspect-abcde', image: 'busybox:1.36' };
    expect(one(s, 'MC408')).toMatchObject({
      status: 'pass',
      message: 'probed kserve-container through ephemeral container modelcar-inspect-abcde (image busybox:1.36, sh)',
      evidence: { via: 'ephemeral modelcar-inspect-abcde', ephemeralImage: 'busybox:1.36' },
    });
    expect(one(s, 'MC405').status).toBe('pass');
    const pod = s.pods[0]!;
    s.execs[0] = { namespace: NS, pod: pod.metadata.name, container: 'kserve-container', outcome: 'skipped', reason: 'forbidden', detail: 'cannot patch', rbac: { verb: 'patch', resource: 'pods/ephemeralcontainers', namespace: NS } };
    const r = buildReport(s, runChecks(s)).findings.find((f) => f.id === 'MC408')!;
    expect(r).toMatchObject({ status: 'warn', evidence: { hintKey: 'forbiddenEphemeral', reason: 'ephemeral container forbidden' } });
    expect(r.hint).toContain('--verb=patch --resource=pods/ephemeralcontainers');
  });

  it('MC403 fails when the pid in the link is another process', () => {
    const s = healthySnapshot();
    Object.assign(probe(s), { readlink: '/proc/7/root/models', targetPid: 7, modelcarPids: [38], targetProcess: { cmdline: ['python'], ids: null } });
    expect(one(s, 'MC403').status).toBe('fail');
  });
});

describe('MC6xx', () => {
  function native(): Snapshot {
    const s = healthySnapshot({ isvc: inferenceService(`oci+native://${IMAGE}`) });
    const pod = s.pods[0]!;
    pod.spec.containers = [{ name: 'kserve-container', volumeMounts: [{ name: 'mnt-models', mountPath: '/mnt/models', readOnly: true, subPath: 'models' }] }];
    pod.spec.initContainers = [];
    pod.spec.volumes = [{ name: 'mnt-models', image: { reference: IMAGE, pullPolicy: 'IfNotPresent' } }];
    s.execs = [];
    return s;
  }
  it('MC601 and MC602 pass when the image volume is there, read-only at the model path', () => {
    const s = native();
    expect(one(s, 'MC601').status).toBe('pass');
    expect(one(s, 'MC602').status).toBe('pass');
  });
  it('MC602 fails on a read-write mount', () => {
    const s = native();
    s.pods[0]!.spec.containers[0]!.volumeMounts![0]!.readOnly = false;
    expect(one(s, 'MC602')).toMatchObject({ status: 'fail', message: 'kserve-container mounts mnt-models read-write' });
  });
  it('MC601 warns when no pod shows whether the gate is on and the version cannot tell', () => {
    const s = native();
    s.pods = [];
    expect(one(s, 'MC601').status).toBe('warn');
    s.cluster.featureGates = { ImageVolume: false };
    expect(one(s, 'MC601').status).toBe('fail');
    s.cluster.serverVersion = 'v1.30.4';
    s.cluster.featureGates = null;
    expect(one(s, 'MC601').message).toContain('no image volumes');
  });
});
