// Every scenario of docs/scenarios.md as a small snapshot, held to its row by the same
// scenarioViolations the lab tests use.
import { describe, expect, it } from 'vitest';
import { runChecks } from './index.ts';
import { buildReport, exitCode } from '../report.ts';
import { SCENARIOS, scenarioViolations } from '../scenarios.ts';
import type { ContainerStatus, Pod, Snapshot } from '../snapshot.ts';
import {
  ago, configMap, event, healthySnapshot, IMAGE, inferenceService, ISVC, modelcarPod, namespace, NOW, NS, replicaSetFor, V20_STORAGE_INITIALIZER,
} from '../testing/fixtures.ts';

function status(pod: Pod, name: string, init = false): ContainerStatus {
  return (init ? pod.status!.initContainerStatuses! : pod.status!.containerStatuses!).find((s) => s.name === name)!;
}

function podOf(s: Snapshot): Pod {
  return s.pods[0]!;
}

function events(s: Snapshot, ...items: Snapshot['events'][number]['items']) {
  s.events[0]!.items.push(...items);
}

/** modelcar-init failing: pod Pending, every container waiting in PodInitializing, no exec. */
function initFailing(s: Snapshot, initState: ContainerStatus['state'], lastState?: ContainerStatus['state']) {
  const pod = podOf(s);
  pod.status!.phase = 'Pending';
  pod.status!.conditions = pod.status!.conditions!.filter((c) => c.type === 'PodScheduled');
  Object.assign(status(pod, 'modelcar-init', true), { ready: false, state: initState, ...(lastState ? { lastState, restartCount: 3 } : {}) });
  for (const c of pod.status!.containerStatuses!) Object.assign(c, { ready: false, started: false, state: { waiting: { reason: 'PodInitializing' } }, imageID: '' });
  s.execs = [{ namespace: NS, pod: pod.metadata.name, container: 'kserve-container', outcome: 'skipped', reason: 'pod-not-running' }];
  s.logs = [];
}

function nok(s: Snapshot) {
  initFailing(s, { waiting: { reason: 'CrashLoopBackOff', message: 'back-off 40s restarting failed container=modelcar-init' } }, {
    terminated: { exitCode: 1, reason: 'Error', message: `Pre-fetching modelcar ${IMAGE}: \nNOK ... Prefetched but modelcar is invalid (/models does not exist or is empty)\n` },
  });
  s.logs = [{ namespace: NS, pod: podOf(s).metadata.name, container: 'modelcar-init', previous: true, text: 'NOK ... Prefetched but modelcar is invalid (/models does not exist or is empty)\n' }];
}

function pullFailing(s: Snapshot, failure: string) {
  const pod = podOf(s);
  initFailing(s, { waiting: { reason: 'ImagePullBackOff', message: `Back-off pulling image "${IMAGE}"` } });
  const ref = { kind: 'Pod', name: pod.metadata.name, fieldPath: 'spec.initContainers{modelcar-init}' };
  s.events[0]!.items = s.events[0]!.items.filter((e) => !/pull/i.test(e.message ?? ''));
  events(s, event(ref, 'Failed', `Failed to pull image "${IMAGE}": ${failure}`, 30, 'Warning'), event(ref, 'BackOff', `Back-off pulling image "${IMAGE}"`, 10, 'Normal'));
}

/** No pod: admission refused it; the ReplicaSet carries the FailedCreate event. */
function refused(s: Snapshot, message: string) {
  const rs = replicaSetFor(podOf(s));
  s.pods = [];
  s.execs = [];
  s.logs = [];
  s.replicaSets = [rs];
  s.events[0]!.items = [event({ kind: 'ReplicaSet', name: rs.metadata.name }, 'FailedCreate', message, 20, 'Warning')];
}

/** The pod as KServe makes it when modelcars are off: a storage-initializer gets the oci:// URI. */
function storageInitializerPod(s: Snapshot) {
  const pod = podOf(s);
  pod.spec.containers = pod.spec.containers.filter((c) => !c.name.startsWith('modelcar'));
  pod.spec.containers[0]!.volumeMounts = [{ name: 'kserve-provision-location', mountPath: '/mnt/models', readOnly: true }];
  pod.spec.initContainers = [{ name: 'storage-initializer', image: 'kserve/storage-initializer:latest', args: [`oci://${IMAGE}`, '/mnt/models'], volumeMounts: [{ name: 'kserve-provision-location', mountPath: '/mnt/models' }] }];
  delete pod.spec.shareProcessNamespace;
  pod.status!.phase = 'Pending';
  pod.status!.initContainerStatuses = [{ name: 'storage-initializer', ready: false, restartCount: 4, state: { waiting: { reason: 'CrashLoopBackOff' } }, lastState: { terminated: { exitCode: 1, reason: 'Error' } } }];
  pod.status!.containerStatuses = [{ name: 'kserve-container', ready: false, restartCount: 0, state: { waiting: { reason: 'PodInitializing' } } }];
  s.execs = [{ namespace: NS, pod: pod.metadata.name, container: 'kserve-container', outcome: 'skipped', reason: 'pod-not-running' }];
  s.logs = [{ namespace: NS, pod: pod.metadata.name, container: 'storage-initializer', previous: true, text: `Traceback (most recent call last):\nException: Cannot recognize storage type for oci://${IMAGE}\n'gs://', 's3://', ...` }];
}

const { uidModelcar: _uid, ...WITHOUT_UID } = V20_STORAGE_INITIALIZER;
const { enableModelcar: _enable, ...WITHOUT_ENABLE } = V20_STORAGE_INITIALIZER;

const BUILD: Record<string, () => Snapshot> = {
  'healthy-knative-v0.20': () => healthySnapshot({ mode: 'Knative' }),
  'healthy-standard-v0.20': () => healthySnapshot(),
  'healthy-v0.13.0': () => healthySnapshot({ version: 'v0.13.0' }),
  'healthy-v0.15.2': () => healthySnapshot({ version: 'v0.15.2' }),
  'healthy-v0.17.0': () => healthySnapshot({ version: 'v0.17.0' }),
  'uid-mismatch': () => {
    const s = healthySnapshot({ uidModelcar: null, storageInitializer: WITHOUT_UID });
    const probe = s.execs[0]!;
    if (probe.outcome !== 'probed') throw new Error('fixture');
    probe.self.ids = { uids: [1000, 1000, 1000, 1000], gids: [1000, 1000, 1000, 1000] };
    probe.targetProcess = { cmdline: ['sleep', 'infinity'], ids: { uids: [0, 0, 0, 0], gids: [0, 0, 0, 0] } };
    probe.listing = { ok: false, errno: 'EACCES', message: 'ls: /mnt/models/: Permission denied' };
    return s;
  },
  'no-models-dir': () => {
    const s = healthySnapshot();
    nok(s);
    return s;
  },
  'empty-models-dir': () => {
    const s = healthySnapshot();
    nok(s);
    return s;
  },
  'latest-tag': () => healthySnapshot({ images: [IMAGE.replace(':1.0', ':latest')] }),
  'image-missing': () => {
    const s = healthySnapshot();
    pullFailing(s, `rpc error: code = NotFound desc = failed to pull and unpack image "${IMAGE}": not found`);
    return s;
  },
  'private-image-no-secret': () => {
    const s = healthySnapshot();
    pullFailing(s, `rpc error: code = Unknown desc = failed to resolve reference "${IMAGE}": pull access denied, repository does not exist or may require authorization: authorization failed: 401 Unauthorized`);
    return s;
  },
  'modelcar-oomkilled': () => {
    const s = healthySnapshot({ memoryModelcar: '4Mi', storageInitializer: { ...V20_STORAGE_INITIALIZER, memoryModelcar: '4Mi' } });
    Object.assign(status(podOf(s), 'modelcar'), { restartCount: 2, lastState: { terminated: { exitCode: 137, reason: 'OOMKilled', finishedAt: ago(100) } } });
    return s;
  },
  'startup-race': () => {
    const s = healthySnapshot();
    const pod = podOf(s);
    Object.assign(status(pod, 'kserve-container'), { restartCount: 1, lastState: { terminated: { exitCode: 1, reason: 'Error', finishedAt: ago(505) } } });
    s.logs.push({ namespace: NS, pod: pod.metadata.name, container: 'kserve-container', previous: true, text: 'INFO:kserve:Loading model\nRuntimeError: Model directory /mnt/models does not exist\n' });
    return s;
  },
  'modelcars-disabled': () => {
    const s = healthySnapshot({ storageInitializer: { ...V20_STORAGE_INITIALIZER, enableModelcar: false } });
    storageInitializerPod(s);
    return s;
  },
  'share-process-namespace-false': () => {
    const s = healthySnapshot();
    podOf(s).spec.shareProcessNamespace = false;
    const probe = s.execs[0]!;
    if (probe.outcome !== 'probed') throw new Error('fixture');
    Object.assign(probe, {
      readlink: '/proc/1/root/models', targetPid: 1, targetResolves: false, modelcarPids: [],
      targetProcess: { cmdline: ['python', '-m', 'sklearnserver', '--model_dir=/mnt/models'], ids: probe.self.ids },
      listing: { ok: false, errno: 'ENOENT', message: 'ls: /mnt/models/: No such file or directory' },
    });
    return s;
  },
  'ln-s-file-exists-v0.13': () => {
    const s = healthySnapshot({ version: 'v0.13.0' });
    const pod = podOf(s);
    Object.assign(status(pod, 'modelcar'), {
      ready: false, restartCount: 3, state: { waiting: { reason: 'CrashLoopBackOff', message: 'back-off 40s restarting failed container=modelcar' } },
      lastState: { terminated: { exitCode: 1, reason: 'Error', message: "ln: /mnt/models: File exists\n" } },
    });
    s.logs.push({ namespace: NS, pod: pod.metadata.name, container: 'modelcar', previous: true, text: 'ln: /mnt/models: File exists\n' });
    const probe = s.execs[0]!;
    if (probe.outcome !== 'probed') throw new Error('fixture');
    Object.assign(probe, { targetProcess: null, targetResolves: false, modelcarPids: [], listing: { ok: false, errno: 'ENOENT', message: 'ls: /mnt/models/: No such file or directory' } });
    return s;
  },
  'restricted-namespace': () => {
    const s = healthySnapshot();
    s.namespaces = [namespace({ 'pod-security.kubernetes.io/enforce': 'restricted' })];
    refused(s, `Error creating: pods "${ISVC}-predictor-6d9f7c8b5-abcde" is forbidden: violates PodSecurity "restricted:latest": allowPrivilegeEscalation != false (containers "modelcar-init", "modelcar" must set securityContext.allowPrivilegeEscalation=false), runAsNonRoot != true`);
    return s;
  },
  'scc-uid-range': () => {
    const s = healthySnapshot();
    s.namespaces = [namespace({}, { 'openshift.io/sa.scc.uid-range': '1000660000/10000' })];
    refused(s, `Error creating: pods "${ISVC}-predictor-6d9f7c8b5-" is forbidden: unable to validate against any security context constraint: [provider "restricted-v2": Forbidden: not usable by user or serviceaccount, spec.containers[0].securityContext.runAsUser: Invalid value: 1010: must be in the ranges: [1000660000, 1000669999]]`);
    return s;
  },
  'limitrange-rejects': () => {
    const s = healthySnapshot();
    s.limitRanges = [{ apiVersion: 'v1', kind: 'LimitRange', metadata: { name: 'container-minimums', namespace: NS }, spec: { limits: [{ type: 'Container', min: { cpu: '50m', memory: '64Mi' } }] } }];
    refused(s, `Error creating: pods "${ISVC}-predictor-6d9f7c8b5-" is forbidden: [minimum cpu usage per Container is 50m, but request is 10m, minimum memory usage per Container is 64Mi, but request is 15Mi]`);
    return s;
  },
  'invalid-config-json': () => {
    const s = healthySnapshot({ storageInitializer: '{"enableModelcar": true,, "uidModelcar": 1010}' });
    refused(s, 'Error creating: Internal error occurred: failed calling webhook "inferenceservice.kserve-webhook-server.pod-mutator": panic: Unable to unmarshall storageInitializer json string');
    return s;
  },
  'example-only-edit': () => {
    const example = 'storageInitializer: |-\n  {\n      "enableModelcar": true,\n      "cpuModelcar": "10m",\n      "memoryModelcar": "15Mi",\n      "uidModelcar": 10\n  }';
    const s = healthySnapshot({ storageInitializer: WITHOUT_ENABLE, example });
    storageInitializerPod(s);
    return s;
  },
  'config-newer-than-pods': () => {
    const s = healthySnapshot();
    s.kserve.configMap = configMap({ ...V20_STORAGE_INITIALIZER, memoryModelcar: '20Mi' }, undefined, ago(60));
    return s;
  },
  'runtime-without-shell': () => {
    const s = healthySnapshot();
    s.execs = [{ namespace: NS, pod: podOf(s).metadata.name, container: 'kserve-container', outcome: 'skipped', reason: 'no-shell', detail: 'exec: "sh": executable file not found in $PATH' }];
    return s;
  },
  'runtime-ls-only': () => {
    const s = healthySnapshot();
    const probe = s.execs[0]!;
    if (probe.outcome !== 'probed') throw new Error('fixture');
    // What `ls -ld`, `readlink` and `cat /proc/<pid>/...` give without a shell: no process scan.
    Object.assign(probe, { tool: 'ls', modelcarPids: [], self: { pid: null, ids: probe.self.ids } });
    return s;
  },
  'support-user-no-exec': () => {
    const s = healthySnapshot();
    s.execs = [{ namespace: NS, pod: podOf(s).metadata.name, container: 'kserve-container', outcome: 'skipped', reason: 'forbidden', detail: 'pods "x" is forbidden: User "support" cannot create resource "pods/exec"', rbac: { verb: 'create', resource: 'pods/exec', namespace: NS } }];
    return s;
  },
  'scaled-to-zero': () => {
    const s = healthySnapshot({ mode: 'Knative', isvc: inferenceService(`oci://${IMAGE}`, { mode: 'Knative', minReplicas: 0 }) });
    s.pods = [];
    s.execs = [];
    s.logs = [];
    s.replicaSets = [];
    s.events[0]!.items = [];
    s.revisions = [{ apiVersion: 'serving.knative.dev/v1', kind: 'Revision', metadata: { name: `${ISVC}-predictor-00001`, namespace: NS, labels: { 'serving.kserve.io/inferenceservice': ISVC } }, status: { actualReplicas: 0 } }];
    return s;
  },
  'events-expired': () => {
    const s = healthySnapshot();
    podOf(s).metadata.creationTimestamp = ago(7200);
    s.events[0]!.items = [];
    return s;
  },
  'several-oci-sources': () => healthySnapshot({ images: [IMAGE, IMAGE.replace('kserving-example-sklearn', 'extra-model')] }),
  'native-feature-gate-off': () => {
    const s = healthySnapshot({ isvc: inferenceService(`oci+native://${IMAGE}`) });
    const pod = podOf(s);
    // The webhook added an image volume; the API server (gate off) dropped it and its mount.
    pod.spec.containers = pod.spec.containers.filter((c) => !c.name.startsWith('modelcar'));
    pod.spec.containers[0]!.volumeMounts = [];
    pod.spec.initContainers = [];
    pod.spec.volumes = [];
    delete pod.spec.shareProcessNamespace;
    pod.status!.initContainerStatuses = [];
    pod.status!.containerStatuses = [{ name: 'kserve-container', ready: false, restartCount: 3, state: { waiting: { reason: 'CrashLoopBackOff' } } }];
    s.execs = [];
    s.logs = [];
    return s;
  },
};

describe('docs/scenarios.md, scenario by scenario', () => {
  it('has a snapshot builder for every scenario', () => {
    expect(Object.keys(BUILD).sort()).toEqual(SCENARIOS.map((s) => s.id).sort());
  });

  for (const sc of SCENARIOS) {
    it(sc.id, () => {
      const snapshot = BUILD[sc.id]!();
      const report = buildReport(snapshot, runChecks(snapshot));
      const failing = report.findings.filter((f) => f.status === 'fail' || f.status === 'warn').map((f) => `${f.status} ${f.id}${f.causedBy ? ` <- ${f.causedBy}` : ''} ${f.object}: ${f.message}`);
      expect(scenarioViolations(sc, report.findings, exitCode(report)), failing.join('\n')).toEqual([]);
    });
  }
});

describe('hints of every scenario', () => {
  // Blanks a person fills in on purpose; any other <placeholder> is evidence a check forgot.
  const INTENDED = new Set(['<user>', '<token>', '<version>', '<you>', '<modelcar pid>', '<pid>']);
  for (const sc of SCENARIOS) {
    it(`${sc.id}: every failing finding has a hint with all its values filled`, () => {
      const s = BUILD[sc.id]!();
      for (const f of buildReport(s, runChecks(s)).findings.filter((x) => x.status === 'fail' || x.status === 'warn')) {
        expect(f.hint, f.id).toBeTruthy();
        const blanks = (f.hint!.match(/<[a-zA-Z][\w ]*>/g) ?? []).filter((b) => !INTENDED.has(b));
        expect(blanks, `${f.id}: ${f.hint}`).toEqual([]);
      }
    });
  }
});

describe('offline', () => {
  it('skips the in-pod checks with the reason "offline" and does not call the report incomplete', () => {
    const s = healthySnapshot({ source: 'file' });
    const report = buildReport(s, runChecks(s));
    const inPod = report.findings.filter((f) => f.id === 'MC405' || f.id === 'MC408');
    expect(inPod.map((f) => [f.id, f.status, f.evidence['reason']])).toEqual([
      ['MC405', 'skip', 'offline'],
      ['MC408', 'skip', 'offline'],
    ]);
    expect(exitCode(report)).toBe(0);
  });

  it('only warns about a uid mismatch it cannot see (the image user is not in the spec)', () => {
    const s = healthySnapshot({ uidModelcar: null, storageInitializer: WITHOUT_UID, source: 'file', runtimeSecurityContext: { runAsUser: 1000 } });
    const mc205 = buildReport(s, runChecks(s)).findings.find((f) => f.id === 'MC205')!;
    expect(mc205.status).toBe('warn');
    expect(mc205.evidence['unknownContainer']).toBe('modelcar');
  });
});

describe('hints', () => {
  it('MC103 gives the exact kubectl patch that enables modelcars, keeping the rest of the config', () => {
    const s = BUILD['modelcars-disabled']!();
    const hint = buildReport(s, runChecks(s)).findings.find((f) => f.id === 'MC103')!.hint!;
    expect(hint).toMatch(/^kubectl patch configmap inferenceservice-config -n kserve --type=json -p '\[\{"op":"replace","path":"\/data\/storageInitializer","value":"\{/);
    const value = JSON.parse(JSON.parse(/-p '(.*?)' &&/.exec(hint)![1]!)[0].value);
    expect(value).toEqual({ ...V20_STORAGE_INITIALIZER, enableModelcar: true });
    expect(hint).toContain(`kubectl delete pod -n ${NS} -l serving.kserve.io/inferenceservice=${ISVC}`);
  });

  it('a 401 names the missing imagePullSecret', () => {
    const s = BUILD['private-image-no-secret']!();
    const f = buildReport(s, runChecks(s)).findings.find((x) => x.id === 'MC302')!;
    expect(f.message).toContain('no imagePullSecret for registry.local:5000');
    expect(f.hint).toContain('kubectl create secret docker-registry registry-local-5000-pull');
  });

  it('MC205 suggests the runtime uid for uidModelcar', () => {
    const s = BUILD['uid-mismatch']!();
    const f = buildReport(s, runChecks(s)).findings.find((x) => x.id === 'MC205')!;
    expect(f.evidence).toMatchObject({ runtimeUid: 1000, modelcarUid: 0, suggestedUid: 1000 });
    expect(f.hint).toContain('\\"uidModelcar\\":1000');
  });
});

describe('no pods', () => {
  it('knows Knative mode by its name before v0.16 too (status.deploymentMode Serverless)', () => {
    const s = BUILD['scaled-to-zero']!();
    s.inferenceServices[0]!.status!.deploymentMode = 'Serverless';
    const f = runChecks(s).find((x) => x.id === 'MC301')!;
    expect(f.evidence['reason']).toMatch(/^no pods: scaled to zero \(Knative, minReplicas 0\)/);
  });

  it('says the service is scaled to zero instead of claiming anything about running pods', () => {
    const s = BUILD['scaled-to-zero']!();
    const f = buildReport(s, runChecks(s)).findings.find((x) => x.id === 'MC301')!;
    expect(f.evidence['reason']).toMatch(/^no pods: scaled to zero \(Knative, minReplicas 0\)/);
  });
});

describe('events', () => {
  it('never passes a check whose events are gone', () => {
    const s = BUILD['events-expired']!();
    const f = buildReport(s, runChecks(s)).findings.find((x) => x.id === 'MC303')!;
    expect(f.evidence['reason']).toMatch(/^no events left \(the pod is 120 min old/);
  });
  it('reads the age of an event from the snapshot time, not the clock', () => {
    const s = BUILD['restricted-namespace']!();
    const f = buildReport(s, runChecks(s)).findings.find((x) => x.id === 'MC208')!;
    expect((f.evidence['refusals'] as Array<{ ageSeconds: number }>)[0]!.ageSeconds).toBe(20);
    expect(s.now).toBe(NOW);
  });
});
