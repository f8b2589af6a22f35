import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { emptySnapshot, type ConfigMap, type InferenceService, type Pod, type Snapshot } from '../../shared/snapshot.ts';
import { dumpSnapshot, flattenObjects, loadSnapshot, parseClusterInfoLogs } from './dump.ts';

const SECRETS = ['s3cr3t-env-token', 'hunter2-password', 'bearer-in-log-xyz', 'arg-token-abc', 'last-applied-secret', 'cm-password-value', 'secret-object-data'];

function isvc(): InferenceService {
  return {
    apiVersion: 'serving.kserve.io/v1beta1',
    kind: 'InferenceService',
    metadata: {
      name: 'sklearn-iris-oci',
      namespace: 'kserve-test',
      uid: 'isvc-uid',
      annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{"spec":{"env":[{"name":"HF_TOKEN","value":"last-applied-secret"}]}}' },
    },
    spec: { predictor: { model: { modelFormat: { name: 'sklearn' }, storageUri: 'oci://registry/sklearn-iris:v1' } } },
  };
}

function pod(): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'sklearn-iris-oci-predictor-00001-abc', namespace: 'kserve-test', uid: 'pod-uid', labels: { 'serving.kserve.io/inferenceservice': 'sklearn-iris-oci' } },
    spec: {
      nodeName: 'node-1',
      shareProcessNamespace: true,
      containers: [
        {
          name: 'kserve-container',
          image: 'kserve/sklearnserver:v0.15.2',
          args: ['--model_name=sklearn-iris-oci', '--api-token=arg-token-abc'],
          env: [
            { name: 'HF_TOKEN', value: 's3cr3t-env-token' },
            { name: 'DB_PASSWORD', value: 'hunter2-password' },
            { name: 'MODEL_INIT_MODE', value: 'async' },
            { name: 'FROM_SECRET', valueFrom: { secretKeyRef: { name: 's', key: 'k' } } },
          ],
        },
        { name: 'modelcar', image: 'registry/sklearn-iris:v1', args: ['sh', '-c', 'ln -sf /proc/$$$$/root/models /mnt/models && sleep infinity'] },
      ],
    },
    status: { phase: 'Running', containerStatuses: [] },
  };
}

function snapshot(): Snapshot {
  const s = emptySnapshot('2026-11-25T23:00:00.000Z', 'cluster');
  s.cluster.serverVersion = 'v1.33.1';
  s.targets.push({ kind: 'InferenceService', namespace: 'kserve-test', name: 'sklearn-iris-oci' });
  s.inferenceServices.push(isvc());
  s.pods.push(pod());
  const cm: ConfigMap = {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'inferenceservice-config', namespace: 'kserve' },
    data: { storageInitializer: '{"enableModelcar": true, "uidModelcar": 1010}', credentials: '{"password": "cm-password-value"}' },
  };
  s.kserve = { namespace: 'kserve', namespaceSource: 'controller-pods', configMap: cm, controllerPods: [], controllerVersion: { version: 'v0.15.2', source: 'image-tag', image: 'kserve/kserve-controller:v0.15.2' } };
  s.events.push({
    namespace: 'kserve-test',
    gatheredAt: '2026-11-25T23:00:00.000Z',
    items: [
      { apiVersion: 'v1', kind: 'Event', metadata: { name: 'e1', namespace: 'kserve-test' }, involvedObject: { kind: 'Pod', name: 'sklearn-iris-oci-predictor-00001-abc', uid: 'pod-uid' }, reason: 'Pulled', message: 'ok' },
    ],
  });
  s.logs.push({ namespace: 'kserve-test', pod: 'sklearn-iris-oci-predictor-00001-abc', container: 'kserve-container', previous: false, text: 'GET /v1 Authorization: Bearer bearer-in-log-xyz\nloaded model\n' });
  s.gaps.push({ verb: 'list', resource: 'limitranges', namespace: 'kserve-test', status: 403, message: 'forbidden' });
  // A Secret that slipped into the snapshot must not reach the dump.
  (s.namespaces as unknown[]).push({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'creds', namespace: 'kserve-test' }, data: { token: Buffer.from('secret-object-data').toString('base64') }, stringData: { token: 'secret-object-data' } });
  return s;
}

describe('inspect --dump', () => {
  it('never contains a token, password or Secret', () => {
    const text = dumpSnapshot(snapshot());
    for (const secret of SECRETS) expect(text, secret).not.toContain(secret);
    expect(text).not.toContain(Buffer.from('secret-object-data').toString('base64'));
    expect(text).not.toMatch(/kind: Secret/);
    // What is not a credential stays: the checks need it.
    expect(text).toContain('MODEL_INIT_MODE');
    expect(text).toContain('async');
    expect(text).toContain('secretKeyRef');
    expect(text).toContain('--model_name=sklearn-iris-oci');
    expect(text).toContain('"enableModelcar": true');
    expect(text).toContain('loaded model');
  });

  it('reads back into the same snapshot, with in-pod checks skipped as offline', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'dump-'));
    const file = path.join(dir, 'case.yaml');
    const original = snapshot();
    writeFileSync(file, dumpSnapshot(original));
    const s = loadSnapshot([file], { name: 'sklearn-iris-oci' });
    expect(s.source).toBe('file');
    expect(s.now).toBe(original.now);
    expect(s.cluster.serverVersion).toBe('v1.33.1');
    expect(s.targets).toEqual([{ kind: 'InferenceService', namespace: 'kserve-test', name: 'sklearn-iris-oci' }]);
    expect(s.pods.map((p) => p.metadata.name)).toEqual(['sklearn-iris-oci-predictor-00001-abc']);
    expect(s.inferenceServices[0]?.spec.predictor.model?.storageUri).toBe('oci://registry/sklearn-iris:v1');
    expect(s.kserve.configMap?.data?.storageInitializer).toBe('{"enableModelcar": true, "uidModelcar": 1010}');
    expect(s.kserve.controllerVersion).toEqual({ version: 'v0.15.2', source: 'image-tag', image: 'kserve/kserve-controller:v0.15.2' });
    expect(s.events[0]).toMatchObject({ namespace: 'kserve-test', gatheredAt: '2026-11-25T23:00:00.000Z' });
    expect(s.events[0]!.items.map((e) => e.reason)).toEqual(['Pulled']);
    expect(s.logs.find((l) => l.container === 'kserve-container')?.text).toContain('loaded model');
    expect(s.logs.find((l) => l.container === 'modelcar')).toMatchObject({ absence: 'offline' });
    expect(s.execs).toEqual([
      { namespace: 'kserve-test', pod: 'sklearn-iris-oci-predictor-00001-abc', container: 'kserve-container', outcome: 'skipped', reason: 'offline', detail: 'offline input: in-pod checks need a live pod' },
    ]);
    expect(s.gaps).toEqual(original.gaps);
  });

  it('--pod and -n select, and a wrong name says what the input has', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'dump-'));
    const file = path.join(dir, 'case.yaml');
    writeFileSync(file, dumpSnapshot(snapshot()));
    expect(() => loadSnapshot([file], { name: 'nope' })).toThrow(/InferenceService "nope" not found .*it has: kserve-test\/sklearn-iris-oci/);
    expect(() => loadSnapshot([file], { name: 'sklearn-iris-oci', pod: 'x' })).toThrow(/pod "x" .* its pods there: sklearn-iris-oci-predictor-00001-abc/);
    expect(() => loadSnapshot([path.join(dir, 'missing.yaml')], { name: 'a' })).toThrow(/does not exist/);
  });
});

describe('--from-file inputs', () => {
  it('reads multi-document YAML from stdin', () => {
    const yamlDocs = [isvc(), pod()].map((o) => JSON.stringify(o)).join('\n---\n');
    const s = loadSnapshot(['-'], { name: 'sklearn-iris-oci', namespace: 'kserve-test' }, { readStdin: () => yamlDocs });
    expect(s.pods).toHaveLength(1);
    expect(s.kserve.configMapAbsence).toBe('not-in-input');
    expect(s.events[0]!.gatheredAt).toBeNull();
    // No ConfigMap in the input: a gap that names the command that adds it (report incomplete).
    expect(s.gaps).toEqual([{ verb: 'get', resource: 'configmaps', namespace: 'kserve', name: 'inferenceservice-config', status: null, message: expect.stringContaining('`kubectl get configmap inferenceservice-config -n kserve -o yaml`') }]);
  });

  it('pods without their InferenceService (a cluster-info dump): a gap naming the kubectl get that adds it', () => {
    const s = loadSnapshot(['-'], { name: 'sklearn-iris-oci', namespace: 'kserve-test' }, { readStdin: () => JSON.stringify(pod()) });
    expect(s.inferenceServices).toEqual([]);
    expect(s.gaps.map((g) => [g.resource, g.name])).toEqual([['inferenceservices', 'sklearn-iris-oci'], ['configmaps', 'inferenceservice-config']]);
    expect(s.gaps[0]!.message).toBe('InferenceService kserve-test/sklearn-iris-oci is not in the input (kubectl cluster-info dump leaves it out): add the output of `kubectl get inferenceservice sklearn-iris-oci -n kserve-test -o yaml` as another --from-file');
  });

  it('reads a kubectl cluster-info dump directory: typed lists without item kinds, and per-pod logs', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'cid-'));
    const p = pod();
    const { kind: _k, apiVersion: _a, ...bare } = p;
    mkdirSync(path.join(dir, 'kserve-test', p.metadata.name), { recursive: true });
    writeFileSync(path.join(dir, 'nodes.json'), JSON.stringify({ kind: 'NodeList', apiVersion: 'v1', metadata: {}, items: [{ metadata: { name: 'node-1' } }, { metadata: { name: 'node-2' } }] }));
    writeFileSync(path.join(dir, 'kserve-test', 'pods.json'), JSON.stringify({ kind: 'PodList', apiVersion: 'v1', metadata: {}, items: [bare] }));
    writeFileSync(
      path.join(dir, 'kserve-test', 'events.json'),
      JSON.stringify({ kind: 'EventList', apiVersion: 'v1', metadata: {}, items: [{ metadata: { name: 'e', namespace: 'kserve-test' }, involvedObject: { kind: 'Pod', name: p.metadata.name }, reason: 'Started', message: 'Started container modelcar' }] }),
    );
    writeFileSync(
      path.join(dir, 'kserve-test', p.metadata.name, 'logs.txt'),
      `==== START logs for container kserve-container of pod kserve-test/${p.metadata.name} ====\nline1\nline2\n==== END logs for container kserve-container of pod kserve-test/${p.metadata.name} ====\n` +
        `==== START logs for container modelcar of pod kserve-test/${p.metadata.name} ====\n==== END logs for container modelcar of pod kserve-test/${p.metadata.name} ====\n`,
    );
    // The InferenceService comes from a second --from-file, as cluster-info dump does not include CRs.
    const isvcFile = path.join(dir, '..', `isvc-${path.basename(dir)}.json`);
    writeFileSync(isvcFile, JSON.stringify(isvc()));
    const s = loadSnapshot([dir, isvcFile], { name: 'sklearn-iris-oci' });
    expect(s.pods[0]?.kind).toBe('Pod');
    expect(s.nodes.map((n) => n.metadata.name)).toEqual(['node-1']);
    expect(s.events[0]!.items[0]?.kind).toBe('Event');
    expect(s.logs.find((l) => l.container === 'kserve-container')?.text).toBe('line1\nline2\n');
    expect(s.inferenceServices).toHaveLength(1);
  });

  it('reads a must-gather-style directory: YAML lists and current/previous container logs', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'mg-'));
    const p = pod();
    const nsDir = path.join(dir, 'quay-io-must-gather', 'namespaces', 'kserve-test');
    mkdirSync(path.join(nsDir, 'core'), { recursive: true });
    mkdirSync(path.join(nsDir, 'serving.kserve.io'), { recursive: true });
    const logDir = path.join(nsDir, 'pods', p.metadata.name, 'kserve-container', 'kserve-container', 'logs');
    mkdirSync(logDir, { recursive: true });
    writeFileSync(path.join(nsDir, 'core', 'pods.yaml'), `apiVersion: v1\nkind: PodList\nitems:\n- ${JSON.stringify(p)}\n`);
    writeFileSync(path.join(nsDir, 'serving.kserve.io', 'inferenceservices.yaml'), `---\n${JSON.stringify(isvc())}\n`);
    writeFileSync(path.join(logDir, 'current.log'), 'now\n');
    writeFileSync(path.join(logDir, 'previous.log'), 'before crash\n');
    const s = loadSnapshot([dir], { name: 'sklearn-iris-oci' });
    expect(s.pods).toHaveLength(1);
    expect(s.inferenceServices).toHaveLength(1);
    expect(s.logs.filter((l) => l.container === 'kserve-container').map((l) => [l.previous, l.text])).toEqual([
      [false, 'now\n'],
      [true, 'before crash\n'],
    ]);
  });

  it('parses cluster-info log blocks and keeps the tail', () => {
    const text = '==== START logs for container c of pod ns/p ====\n1\n2\n3\n==== END logs for container c of pod ns/p ====\n';
    expect(parseClusterInfoLogs(text, 2)).toEqual([{ namespace: 'ns', pod: 'p', container: 'c', previous: false, text: '2\n3\n' }]);
  });

  it('flattens Lists and drops things that are not objects', () => {
    expect(flattenObjects({ kind: 'List', items: [{ kind: 'Pod', metadata: { name: 'a' } }, { nonsense: true }] }, 'x').map((o) => o.metadata.name)).toEqual(['a']);
  });

  it('says so when the input has no objects or does not parse', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'bad-'));
    const bad = path.join(dir, 'bad.yaml');
    writeFileSync(bad, 'a: [unclosed');
    expect(() => loadSnapshot([bad], { name: 'x' })).toThrow(/cannot parse .*bad\.yaml/);
    const empty = path.join(dir, 'empty.yaml');
    writeFileSync(empty, 'foo: bar\n');
    expect(() => loadSnapshot([empty], { name: 'x' })).toThrow(/no Kubernetes objects found/);
  });
});
