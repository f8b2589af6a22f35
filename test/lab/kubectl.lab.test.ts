// The real kubectl against the lab API server: apply, get (tables, -o), describe, patch, watch,
// errors, optimistic concurrency, pagination and discovery, as on a real cluster.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { kubectl, labEnv, KUBECTL } from './testkit.ts';
import { STANDIN_NODE } from './kubelet-standin.ts';
import { until } from './until.ts';

const ns = `api-${Date.now().toString(36)}`;
const words = (line: string | undefined) => (line ?? '').trim().split(/\s{2,}/);

const isvcYaml = (version: string, data: string) => `
apiVersion: serving.kserve.io/v1beta1
kind: InferenceService
metadata:
  name: sklearn-iris
  namespace: ${ns}
spec:
  predictor:
    model:
      modelFormat:
        name: sklearn
        version: "${version}"
      storageUri: oci://rhuss/kserving-example-sklearn:1.0
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: demo
  namespace: ${ns}
data:
  key: "${data}"
`;

const podYaml = (name: string, extra: string) => `
apiVersion: v1
kind: Pod
metadata:
  name: ${name}
  namespace: ${ns}
  labels: {app: ${name}}
spec:
${extra}
  containers:
  - name: main
    image: busybox:1.36
    env: [{name: A, value: "1"}]
`;

beforeAll(async () => {
  expect((await kubectl(['create', 'namespace', ns])).exitCode).toBe(0);
});

afterAll(async () => {
  await kubectl(['delete', 'namespace', ns, '--wait=false']);
});

describe('kubectl apply', () => {
  it('creates then updates an InferenceService and a ConfigMap, with default validation', async () => {
    const first = await kubectl(['apply', '-f', '-'], { input: isvcYaml('1', 'one') });
    expect(first.stderr).toBe('');
    expect(first.stdout).toContain('inferenceservice.serving.kserve.io/sklearn-iris created');
    expect(first.stdout).toContain('configmap/demo created');

    const second = await kubectl(['apply', '-f', '-'], { input: isvcYaml('2', 'two') });
    expect(second.exitCode).toBe(0);
    expect(second.stdout).toContain('inferenceservice.serving.kserve.io/sklearn-iris configured');
    expect(second.stdout).toContain('configmap/demo configured');

    const version = await kubectl(['get', 'isvc', 'sklearn-iris', '-n', ns, '-o', 'jsonpath={.spec.predictor.model.modelFormat.version} {.metadata.generation}']);
    expect(version.stdout).toBe('2 2');
    expect((await kubectl(['get', 'cm', 'demo', '-n', ns, '-o', 'jsonpath={.data.key}'])).stdout).toBe('two');

    const unchanged = await kubectl(['apply', '-f', '-'], { input: isvcYaml('2', 'two') });
    expect(unchanged.stdout).toContain('configmap/demo unchanged');
  });
});

describe('kubectl get', () => {
  it('prints InferenceServices with the CRD printer columns across namespaces', async () => {
    const r = await kubectl(['get', 'isvc', '-A']);
    expect(r.exitCode).toBe(0);
    const [header, ...rows] = r.stdout.split('\n');
    expect(header!.split(/\s+/)).toEqual(['NAMESPACE', 'NAME', 'URL', 'READY', 'PREV', 'LATEST', 'PREVROLLEDOUTREVISION', 'LATESTREADYREVISION', 'AGE']);
    expect(rows.some((row) => row.startsWith(ns) && row.includes('sklearn-iris'))).toBe(true);
  });

  it('prints pods with READY, STATUS, RESTARTS and AGE, and the wide columns with -o wide', async () => {
    expect((await kubectl(['apply', '-f', '-'], { input: podYaml('table', `  nodeName: ${STANDIN_NODE}`) })).exitCode).toBe(0);
    const r = await kubectl(['get', 'pods', '-n', ns, 'table']);
    const [header, row] = r.stdout.split('\n');
    expect(words(header)).toEqual(['NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE']);
    expect(words(row).slice(0, 4)).toEqual(['table', '0/1', 'Pending', '0']);
    const wide = await kubectl(['get', 'pods', '-n', ns, 'table', '-o', 'wide']);
    const [wideHeader, wideRow] = wide.stdout.split('\n');
    expect(words(wideHeader)).toEqual(['NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE', 'IP', 'NODE', 'NOMINATED NODE', 'READINESS GATES']);
    expect(words(wideRow).slice(5)).toEqual(['<none>', STANDIN_NODE, '<none>', '<none>']);
  });

  it('prints a crash-looping container as the real server computes it', async () => {
    const status = {
      status: {
        phase: 'Running',
        containerStatuses: [{
          name: 'main', image: 'busybox:1.36', imageID: '', ready: false, restartCount: 3,
          state: { waiting: { reason: 'CrashLoopBackOff', message: 'back-off 40s restarting failed container=main' } },
          lastState: { terminated: { exitCode: 1, reason: 'Error', finishedAt: new Date(Date.now() - 39 * 60_000 - 10_000).toISOString() } },
        }],
      },
    };
    const patched = await kubectl(['patch', 'pod', 'table', '-n', ns, '--subresource=status', '--type=merge', '-p', JSON.stringify(status)]);
    expect(patched.exitCode).toBe(0);
    const row = (await kubectl(['get', 'pod', 'table', '-n', ns, '--no-headers'])).stdout;
    expect(words(row).slice(0, 4)).toEqual(['table', '0/1', 'CrashLoopBackOff', '3 (39m ago)']);
  });

  it('prints -o yaml, -o json and -o jsonpath', async () => {
    const yaml = await kubectl(['get', 'cm', 'demo', '-n', ns, '-o', 'yaml']);
    expect(yaml.stdout).toMatch(/^apiVersion: v1\ndata:\n {2}key: two\nkind: ConfigMap\n/);
    const json = JSON.parse((await kubectl(['get', 'cm', 'demo', '-n', ns, '-o', 'json'])).stdout) as { metadata: { uid: string; resourceVersion: string; namespace: string } };
    expect(json.metadata.namespace).toBe(ns);
    expect(json.metadata.uid).toMatch(/^[0-9a-f-]{36}$/);
    const jp = await kubectl(['get', 'cm', '-n', ns, '-o', 'jsonpath={range .items[*]}{.metadata.name}{"\\n"}{end}']);
    expect(jp.stdout.split('\n').filter(Boolean).sort()).toEqual(['demo', 'kube-root-ca.crt']);
  });

  it('pages with --chunk-size through limit and continue', async () => {
    for (let i = 0; i < 5; i++) expect((await kubectl(['create', 'configmap', `page-${i}`, '-n', ns, `--from-literal=i=${i}`])).exitCode).toBe(0);
    const r = await kubectl(['get', 'cm', '-n', ns, '--chunk-size=2', '-o', 'name', '-v=6']);
    expect(r.stderr).toContain('limit=2');
    expect(r.stderr).toContain('continue=');
    const names = r.stdout.split('\n').filter(Boolean);
    expect(names).toEqual([...new Set(names)]);
    expect(names).toEqual(expect.arrayContaining(['configmap/demo', 'configmap/kube-root-ca.crt', ...[0, 1, 2, 3, 4].map((i) => `configmap/page-${i}`)]));
    expect(names).toHaveLength(7);
  });

  it('watches with -w until --request-timeout ends it', async () => {
    const started = Date.now();
    const watch = execa(KUBECTL, ['get', 'cm', '-n', ns, '-w', '--request-timeout=2s', '-o', 'name'], { env: labEnv(), reject: false });
    await new Promise((r) => setTimeout(r, 700));
    await kubectl(['create', 'configmap', 'watched', '-n', ns]);
    const r = await watch;
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(String(r.stdout).split('\n')).toEqual(expect.arrayContaining(['configmap/demo', 'configmap/watched']));
  });
});

describe('kubectl describe', () => {
  it('describes a pod with its scheduling events', async () => {
    expect((await kubectl(['apply', '-f', '-'], { input: podYaml('unschedulable', '  nodeSelector: {lab.example/none: "true"}') })).exitCode).toBe(0);
    const out = await until('the FailedScheduling event', async () => {
      const text = (await kubectl(['describe', 'pod', 'unschedulable', '-n', ns])).stdout;
      return text.includes('FailedScheduling') ? text : undefined;
    });
    expect(out).toMatch(/^Name:\s+unschedulable$/m);
    expect(out).toMatch(/^Status:\s+Pending$/m);
    expect(out).toMatch(/^\s+A:\s+1$/m);
    expect(out).toMatch(/Warning\s+FailedScheduling\s+\S+\s+default-scheduler\s+0\/\d+ nodes are available: \d+ node\(s\) didn't match Pod's node affinity\/selector/);
  });

  it('describes an InferenceService and a ConfigMap', async () => {
    const isvc = (await kubectl(['describe', 'isvc', 'sklearn-iris', '-n', ns])).stdout;
    expect(isvc).toMatch(/^Name:\s+sklearn-iris$/m);
    expect(isvc).toMatch(/^Kind:\s+InferenceService$/m);
    expect(isvc).toMatch(/Storage Uri:\s+oci:\/\/rhuss\/kserving-example-sklearn:1.0/);
    const cm = (await kubectl(['describe', 'cm', 'demo', '-n', ns])).stdout;
    expect(cm).toMatch(/^Data\n====\nkey:\n----\ntwo/m);
  });
});

describe('kubectl patch', () => {
  it('applies JSON, merge and strategic merge patches', async () => {
    expect((await kubectl(['patch', 'cm', 'demo', '-n', ns, '--type=json', '-p', '[{"op":"add","path":"/data/j","value":"json"}]'])).stdout).toContain('configmap/demo patched');
    expect((await kubectl(['patch', 'cm', 'demo', '-n', ns, '--type=merge', '-p', '{"data":{"m":"merge"}}'])).exitCode).toBe(0);
    expect((await kubectl(['patch', 'pod', 'unschedulable', '-n', ns, '-p', '{"spec":{"containers":[{"name":"main","image":"busybox:1.37"}]}}'])).exitCode).toBe(0);
    expect((await kubectl(['get', 'cm', 'demo', '-n', ns, '-o', 'jsonpath={.data.j},{.data.m},{.data.key}'])).stdout).toBe('json,merge,two');
    const pod = JSON.parse((await kubectl(['get', 'pod', 'unschedulable', '-n', ns, '-o', 'json'])).stdout) as { spec: { containers: Array<{ image: string; env: unknown[] }> } };
    expect(pod.spec.containers[0]!.image).toBe('busybox:1.37');
    expect(pod.spec.containers[0]!.env).toEqual([{ name: 'A', value: '1' }]);
  });

  it('reads a --patch-file with a single-quoted value (YAML), as the seed script writes it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'patch-'));
    const file = join(dir, 'patch.txt');
    await writeFile(file, `[{\n  "op": "replace",\n  "path": "/data/key",\n  "value": '{"enableModelcar":true,"uidModelcar":1010}'\n}]\n`);
    expect((await kubectl(['patch', 'configmap', '-n', ns, 'demo', '--type=json', `--patch-file=${file}`])).exitCode).toBe(0);
    expect((await kubectl(['get', 'cm', 'demo', '-n', ns, '-o', 'jsonpath={.data.key}'])).stdout).toBe('{"enableModelcar":true,"uidModelcar":1010}');
  });

  it('rejects a strategic merge patch of a custom resource as the real server does', async () => {
    const r = await kubectl(['patch', 'isvc', 'sklearn-iris', '-n', ns, '-p', '{"metadata":{"labels":{"a":"b"}}}']);
    expect(r.exitCode).not.toBe(0);
    expect(r.stderr).toContain('the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml');
    expect((await kubectl(['patch', 'isvc', 'sklearn-iris', '-n', ns, '--type=merge', '-p', '{"metadata":{"labels":{"a":"b"}}}'])).exitCode).toBe(0);
  });
});

describe('kubectl create (protobuf request bodies of kubectl 1.32+)', () => {
  it('creates a deployment, a secret and a service account', async () => {
    expect((await kubectl(['create', 'deployment', 'created', '-n', ns, '--image=busybox:1.36', '--port=8080', '--', 'sleep', '100'])).stdout.trim()).toBe('deployment.apps/created created');
    const spec = JSON.parse((await kubectl(['get', 'deploy', 'created', '-n', ns, '-o', 'jsonpath={.spec}'])).stdout) as { replicas: number; selector: unknown; template: { spec: { containers: Array<Record<string, unknown>> } } };
    expect(spec.replicas).toBe(1);
    expect(spec.selector).toEqual({ matchLabels: { app: 'created' } });
    expect(spec.template.spec.containers[0]).toMatchObject({ name: 'busybox', image: 'busybox:1.36', command: ['sleep', '100'], ports: [{ containerPort: 8080, protocol: 'TCP' }] });
    expect((await kubectl(['create', 'secret', 'generic', 'creds', '-n', ns, '--from-literal=password=s3cret'])).exitCode).toBe(0);
    expect((await kubectl(['get', 'secret', 'creds', '-n', ns, '-o', 'jsonpath={.type} {.data.password}'])).stdout).toBe(`Opaque ${Buffer.from('s3cret').toString('base64')}`);
    expect((await kubectl(['create', 'serviceaccount', 'robot', '-n', ns])).stdout.trim()).toBe('serviceaccount/robot created');
  });
});

describe('kubectl delete and debug', () => {
  it('dry-runs a delete on the server and deletes by label selector', async () => {
    const dry = await kubectl(['delete', 'cm', 'page-0', '-n', ns, '--dry-run=server']);
    expect(dry.stdout.trim()).toBe('configmap "page-0" deleted (server dry run)');
    expect((await kubectl(['get', 'cm', 'page-0', '-n', ns, '-o', 'name'])).stdout.trim()).toBe('configmap/page-0');
    await kubectl(['label', 'cm', 'page-1', 'page-2', '-n', ns, 'doomed=yes']);
    const del = await kubectl(['delete', 'cm', '-n', ns, '-l', 'doomed=yes']);
    expect(del.stdout.split('\n').filter(Boolean).sort()).toEqual(['configmap "page-1" deleted', 'configmap "page-2" deleted']);
    expect((await kubectl(['get', 'cm', '-n', ns, '-l', 'doomed=yes', '-o', 'name'])).stdout).toBe('');
  });

  it('adds an ephemeral container through pods/ephemeralcontainers (kubectl debug)', async () => {
    const r = await kubectl(['debug', 'table', '-n', ns, '--image=busybox:1.36', '--target=main', '--profile=general', '--', 'true']);
    expect(r.exitCode).toBe(0);
    const names = (await kubectl(['get', 'pod', 'table', '-n', ns, '-o', 'jsonpath={.spec.ephemeralContainers[*].name}'])).stdout;
    expect(names).toMatch(/^debugger-[a-z0-9]{5}$/);
  });
});

describe('errors and concurrency', () => {
  it('reports missing objects with the real messages', async () => {
    expect((await kubectl(['get', 'pod', 'nope', '-n', ns])).stderr.trim()).toBe('Error from server (NotFound): pods "nope" not found');
    expect((await kubectl(['get', 'isvc', 'nope', '-n', ns])).stderr.trim()).toBe('Error from server (NotFound): inferenceservices.serving.kserve.io "nope" not found');
    const missingNs = await kubectl(['create', 'configmap', 'x', '-n', `${ns}-missing`]);
    expect(missingNs.stderr.trim()).toBe(`error: failed to create configmap: namespaces "${ns}-missing" not found`);
    expect((await kubectl(['apply', '-f', '-'], { input: `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x, namespace: ${ns}-missing}\n` })).stderr)
      .toContain(`namespaces "${ns}-missing" not found`);
  });

  it('answers 409 Conflict to an update with a stale resourceVersion', async () => {
    const current = (await kubectl(['get', 'cm', 'demo', '-n', ns, '-o', 'json'])).stdout;
    const edited = JSON.parse(current) as { data: Record<string, string> };
    edited.data.fresh = 'yes';
    expect((await kubectl(['replace', '-f', '-'], { input: JSON.stringify(edited) })).exitCode).toBe(0);
    edited.data.stale = 'yes';
    const stale = await kubectl(['replace', '-f', '-'], { input: JSON.stringify(edited) });
    expect(stale.exitCode).not.toBe(0);
    expect(stale.stderr.trim()).toBe('Error from server (Conflict): error when replacing "STDIN": Operation cannot be fulfilled on configmaps "demo": the object has been modified; please apply your changes to the latest version and try again');
  });
});

describe('discovery', () => {
  it('lists resources with their short names', async () => {
    const r = await kubectl(['api-resources']);
    expect(r.exitCode).toBe(0);
    const rows = new Map(r.stdout.split('\n').slice(1).map((l) => l.split(/\s+/)).map((c) => [`${c[0]}@${c[2]}`, c[1]]));
    expect(rows.get('inferenceservices@serving.kserve.io/v1beta1')).toBe('isvc');
    expect(rows.get('configmaps@v1')).toBe('cm');
    expect(rows.get('pods@v1')).toBe('po');
    expect(rows.get('deployments@apps/v1')).toBe('deploy');
    expect(rows.get('namespaces@v1')).toBe('ns');
    expect(rows.get('customresourcedefinitions@apiextensions.k8s.io/v1')).toBe('crd,crds');
    expect((await kubectl(['get', 'all', '-n', 'kserve', '-o', 'name'])).stdout).toContain('deployment.apps/kserve-controller-manager');
  });

  it('answers everything kubectl cluster-info dump lists (replicationcontrollers and daemonsets too)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cluster-info-'));
    const r = await kubectl(['cluster-info', 'dump', '--namespaces', 'kserve', '--output-directory', dir]);
    expect(r.stderr).toBe('');
    expect(r.exitCode).toBe(0);
    expect((await readdir(join(dir, 'kserve'))).filter((f) => f.endsWith('.json')).sort())
      .toEqual(['daemonsets.json', 'deployments.json', 'events.json', 'pods.json', 'replicasets.json', 'replication-controllers.json', 'services.json']);
  });
});
