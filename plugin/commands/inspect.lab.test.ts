// `kubectl modelcar inspect` the way a support engineer runs it: the bundled plugin on PATH, started by
// the real /usr/bin/kubectl, against the lab API server of this run (admin, support and sso contexts).
// Pods here are API objects made Running through the status subresource; the probes inside real
// containers are tested where the lab runs them.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { parse as parseYaml } from 'yaml';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { buildPlugin } from '../../scripts/build.ts';
import { ReportSchema, type Report } from '../../shared/report.ts';

const KUBECTL = '/usr/bin/kubectl';
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const ns = `mc-${Date.now().toString(36)}`;
const ISVC = 'sklearn-iris-oci';
const POD = `${ISVC}-predictor-00001-deployment-7d9f8-abcde`;
let binDir: string;

function env(extra: Record<string, string> = {}): Record<string, string> {
  return {
    PATH: `${binDir}:${process.env.PATH ?? ''}`,
    KUBECONFIG: inject('labKubeconfig'),
    KUBECACHEDIR: inject('labCacheDir'),
    KUBECTL_MODELCAR_NODE: path.join(root, 'node_modules/.bin/node'),
    NO_COLOR: '1',
    ...extra,
  };
}

async function kubectl(args: string[], input = '') {
  const r = await execa(KUBECTL, args, { env: env(), input, reject: false, timeout: 60_000 });
  return { stdout: String(r.stdout), stderr: String(r.stderr), exitCode: r.exitCode ?? -1 };
}

/** `kubectl modelcar ...` through kubectl's plugin mechanism. */
const modelcar = (args: string[], extraEnv: Record<string, string> = {}) =>
  execa(KUBECTL, ['modelcar', ...args], { env: env(extraEnv), reject: false, timeout: 120_000 }).then((r) => ({
    stdout: String(r.stdout),
    stderr: String(r.stderr),
    exitCode: r.exitCode ?? -1,
  }));

const isvc = `
apiVersion: serving.kserve.io/v1beta1
kind: InferenceService
metadata: {name: ${ISVC}, namespace: ${ns}}
spec:
  predictor:
    model:
      modelFormat: {name: sklearn}
      storageUri: oci://127.0.0.1:5000/sklearn-iris:v1
`;

// What KServe v0.20's webhook makes of the seed example (kserve-modelcar-facts.md), on a node no kubelet serves.
const pod = {
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: {
    name: POD,
    namespace: ns,
    labels: { 'serving.kserve.io/inferenceservice': ISVC, component: 'predictor' },
    annotations: { 'internal.serving.kserve.io/storage-initializer-sourceuri': 'oci://127.0.0.1:5000/sklearn-iris:v1' },
  },
  spec: {
    nodeName: 'plugin-test-node',
    shareProcessNamespace: true,
    initContainers: [
      {
        name: 'modelcar-init',
        image: '127.0.0.1:5000/sklearn-iris:v1',
        args: ['sh', '-c', 'echo "Pre-fetching modelcar 127.0.0.1:5000/sklearn-iris:v1: " && [ "$$(ls -A /models)" ] && echo "OK ... Prefetched and valid (/models exists)" || (echo "NOK ... Prefetched but modelcar is invalid (/models does not exist or is empty)" && exit 1)'],
        resources: { requests: { cpu: '10m', memory: '15Mi' }, limits: { cpu: '10m', memory: '15Mi' } },
      },
    ],
    containers: [
      {
        name: 'kserve-container',
        image: 'kserve/sklearnserver:v0.20.0',
        env: [{ name: 'MODEL_INIT_MODE', value: 'async' }],
        securityContext: { runAsUser: 1010 },
        volumeMounts: [{ name: 'kserve-provision-location', mountPath: '/mnt' }],
      },
      {
        name: 'modelcar',
        image: '127.0.0.1:5000/sklearn-iris:v1',
        args: ['sh', '-c', 'ln -sf /proc/$$$$/root/models /mnt/models && sleep infinity'],
        securityContext: { runAsUser: 1010 },
        resources: { requests: { cpu: '10m', memory: '15Mi' }, limits: { cpu: '10m', memory: '15Mi' } },
        volumeMounts: [{ name: 'kserve-provision-location', mountPath: '/mnt' }],
        terminationMessagePolicy: 'FallbackToLogsOnError',
      },
    ],
    volumes: [{ name: 'kserve-provision-location', emptyDir: {} }],
  },
};

function runningStatus() {
  const now = new Date().toISOString();
  const running = (name: string, image: string) => ({ name, image, imageID: `${image}@sha256:${'a'.repeat(64)}`, ready: true, started: true, restartCount: 0, state: { running: { startedAt: now } } });
  return {
    status: {
      phase: 'Running',
      startTime: now,
      conditions: ['Initialized', 'Ready', 'ContainersReady', 'PodScheduled'].map((type) => ({ type, status: 'True', lastTransitionTime: now })),
      initContainerStatuses: [
        { name: 'modelcar-init', image: pod.spec.initContainers[0]!.image, imageID: 'x', ready: true, restartCount: 0, state: { terminated: { exitCode: 0, reason: 'Completed', startedAt: now, finishedAt: now } } },
      ],
      containerStatuses: pod.spec.containers.map((c) => running(c.name, c.image)),
    },
  };
}

function report(stdout: string): Report {
  return ReportSchema.parse(JSON.parse(stdout));
}

beforeAll(async () => {
  binDir = mkdtempSync(path.join(os.tmpdir(), 'modelcar-bin-'));
  await buildPlugin(path.join(binDir, 'kubectl-modelcar'));
  expect((await kubectl(['create', 'namespace', ns])).exitCode).toBe(0);
  expect((await kubectl(['apply', '-f', '-'], isvc)).exitCode).toBe(0);
  const created = await kubectl(['create', '-f', '-'], JSON.stringify(pod));
  expect(created.exitCode, created.stderr).toBe(0);
  const st = await kubectl(['patch', 'pod', POD, '-n', ns, '--subresource=status', '--type=merge', '-p', JSON.stringify(runningStatus())]);
  expect(st.exitCode, st.stderr).toBe(0);
}, 180_000);

describe('one-line errors with the exit codes of issue 6', () => {
  it('a missing InferenceService: exit 2, with the close name it meant', async () => {
    const r = await modelcar(['inspect', 'sklearn-iris-ocj', '-n', ns]);
    expect(r.exitCode).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim().split('\n')).toEqual([`error: InferenceService "sklearn-iris-ocj" not found in namespace "${ns}"; did you mean "${ISVC}"?`]);
  });

  it('a namespace typo: exit 2, naming the namespace it meant', async () => {
    const r = await modelcar(['inspect', ISVC, '-n', `${ns}x`]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr.trim().split('\n')).toEqual([`error: namespace "${ns}x" not found: did you mean -n ${ns}?`]);
  });

  it('an unreachable server: exit 3 and what to check', async () => {
    const port = await new Promise<number>((resolve) => {
      const s = createServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as { port: number }).port;
        s.close(() => resolve(p));
      });
    });
    const r = await modelcar(['inspect', ISVC, '-n', ns, '--server', `https://127.0.0.1:${port}`]);
    expect(r.exitCode).toBe(3);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain(`cannot reach the API server at https://127.0.0.1:${port}`);
    expect(r.stderr).toContain('connection refused');
  });

  it('a server certificate the CA does not vouch for: exit 3, naming the TLS flags', async () => {
    const r = await modelcar(['inspect', ISVC, '-n', ns, '--certificate-authority', '/etc/ssl/certs/ca-certificates.crt']);
    expect(r.exitCode).toBe(3);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^error: TLS handshake with https:\/\/127\.0\.0\.1:\d+ \(context "lab-admin"\) failed: .*certificate.*pass --certificate-authority/);
  });

  it('a wrong token: exit 3, Unauthorized, and the token is not printed', async () => {
    const r = await modelcar(['inspect', ISVC, '-n', ns, '--token', 'not-a-valid-token-123']);
    expect(r.exitCode).toBe(3);
    expect(r.stderr.trim()).toBe('error: the server rejected the credentials (Unauthorized): log in again or check the token for context "lab-admin", user "admin"');
    expect(r.stderr).not.toContain('not-a-valid-token-123');
  });

  it('--pod that is not a pod of the InferenceService: exit 2 with its pods', async () => {
    const r = await modelcar(['inspect', ISVC, '-n', ns, '--pod', 'nope']);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(new RegExp(`^error: pod "nope" is not a pod of InferenceService "${ISVC}" in namespace "${ns}"; its pods: .*${POD}`));
  });

  it('a bad flag value: exit 2', async () => {
    const r = await modelcar(['inspect', ISVC, '-o', 'xml']);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/^error: .*Invalid values/);
  });
});

describe('contexts of the lab kubeconfig', () => {
  it('support (no pods/exec): in-pod checks skipped with the Role rule, the rest reported, exit 4', async () => {
    // The lab's KServe makes pods of its own for the InferenceService: --pod picks ours.
    const r = await modelcar(['inspect', ISVC, '-n', ns, '--context', 'lab-support', '--pod', POD, '-o', 'json']);
    const rep = report(r.stdout);
    expect(rep.targets[0]!.pods.map((p) => p.name)).toEqual([POD]);
    // MC408 itself warns (exec is unavailable); the MC4xx checks it stands for are skipped.
    const mc408 = rep.findings.find((f) => f.id === 'MC408');
    expect(mc408?.status, JSON.stringify(mc408)).toBe('warn');
    expect(rep.findings.filter((f) => f.id === 'MC401' || f.id === 'MC405').map((f) => f.status)).toEqual(['skip', 'skip']);
    const gap = rep.gaps.find((g) => g.source === 'exec');
    expect(gap).toMatchObject({ source: 'exec', namespace: ns, pod: POD, container: 'kserve-container', reason: 'forbidden' });
    expect(gap?.source === 'exec' && gap.detail).toContain('- apiGroups: [""]\n  resources: ["pods/exec"]\n  verbs: ["create"]');
    // Static checks still ran on the pod.
    expect(rep.findings.find((f) => f.id === 'MC201')?.status).toBe('pass');
    expect(rep.summary.fail, JSON.stringify(rep.findings.filter((f) => f.status === 'fail'))).toBe(0);
    expect(r.exitCode).toBe(4);
  });

  it('support, table: the report says what was not checked and prints the rule', async () => {
    const r = await modelcar(['inspect', ISVC, '-n', ns, '--context', 'lab-support', '--pod', POD]);
    expect(r.exitCode).toBe(4);
    expect(r.stdout).toContain('Not checked (the report is incomplete):');
    expect(r.stdout).toContain('resources: ["pods/exec"]');
    expect(r.stdout).not.toMatch(/\u001b\[/);
  });

  it('sso (exec credential plugin): authenticated through the plugin, the report is produced', async () => {
    const r = await modelcar(['inspect', ISVC, '-n', ns, '--context', 'lab-sso', '--pod', POD, '-o', 'json']);
    expect([0, 1, 4]).toContain(r.exitCode);
    const rep = report(r.stdout);
    expect(rep.targets[0]).toMatchObject({ namespace: ns, name: ISVC });
    expect(rep.gaps.filter((g) => g.source === 'api')).toEqual([]);
  });

  it('a token that expired: one line saying the credentials were rejected, exit 3, the token not printed', async () => {
    // The lab's admin CLI issues a token for `support` that expires after 10 s (run as a command: plugin
    // tests import no lab code); long enough for the first inspect on a loaded machine.
    const lifetimeMs = 10_000;
    const cli = await execa(process.execPath, [path.join(root, 'test/lab/cli.ts'), 'fault', 'token', 'support', String(lifetimeMs / 1000), '--state', inject('labStateDir')], { reject: false });
    const issuedBy = Date.now();
    const token = (JSON.parse(String(cli.stdout)) as { token: string }).token;
    const fresh = await modelcar(['inspect', ISVC, '-n', ns, '--pod', POD, '-q', '--token', token]);
    expect(fresh.exitCode, fresh.stderr).toBe(4); // support may not exec: incomplete, but authenticated
    await new Promise((r) => setTimeout(r, Math.max(0, issuedBy + lifetimeMs + 500 - Date.now())));
    const expired = await modelcar(['inspect', ISVC, '-n', ns, '--pod', POD, '-q', '--token', token]);
    expect(expired.exitCode).toBe(3);
    expect(expired.stderr.trim().split('\n')).toHaveLength(1);
    expect(expired.stderr).toMatch(/Unauthorized/);
    expect(expired.stderr + expired.stdout).not.toContain(token);
  });

  it('-v 6 logs each request with its latency on stderr, never the token', async () => {
    const tokens = JSON.parse(readFileSync(path.join(inject('labStateDir'), 'tokens.json'), 'utf8')) as Record<string, string>;
    const r = await modelcar(['inspect', ISVC, '-n', ns, '--context', 'lab-support', '-q', '-v', '8']);
    expect(r.stderr).toMatch(/GET https:\/\/127\.0\.0\.1:\d+\/apis\/serving\.kserve\.io\/v1beta1\/namespaces\/[\w-]+\/inferenceservices\/sklearn-iris-oci 200 OK in \d+ milliseconds/);
    expect(r.stderr).toContain('Response Body:');
    for (const t of Object.values(tokens)) expect(r.stderr).not.toContain(t);
    expect(r.stdout.trim().split('\n')).toHaveLength(1);
  });
});

describe('offline', () => {
  it('--dump writes what --from-file reads back, without tokens', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'modelcar-dump-'));
    const file = path.join(dir, 'case.yaml');
    const live = await modelcar(['inspect', ISVC, '-n', ns, '--context', 'lab-support', '--pod', POD, '-o', 'json', '--dump', file]);
    expect(live.stderr).toContain(`wrote ${file}`);
    const text = readFileSync(file, 'utf8');
    const tokens = JSON.parse(readFileSync(path.join(inject('labStateDir'), 'tokens.json'), 'utf8')) as Record<string, string>;
    for (const t of Object.values(tokens)) expect(text).not.toContain(t);
    expect(text).toContain(POD);

    const offline = await modelcar(['inspect', ISVC, '--from-file', file, '--pod', POD, '-o', 'json'], { KUBECONFIG: '/nonexistent' });
    const rep = report(offline.stdout);
    expect(rep.source).toBe('file');
    expect(rep.targets).toEqual(report(live.stdout).targets);
    expect(rep.findings.find((f) => f.id === 'MC408')?.status).toBe('skip');
    // The static verdicts are the same offline.
    const verdict = (x: Report, id: string) => x.findings.filter((f) => f.id === id).map((f) => f.status);
    for (const id of ['MC201', 'MC202', 'MC204', 'MC206']) expect(verdict(rep, id), id).toEqual(verdict(report(live.stdout), id));

    writeFileSync(path.join(dir, 'empty.yaml'), 'a: 1\n');
    const bad = await modelcar(['inspect', ISVC, '--from-file', path.join(dir, 'empty.yaml')]);
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr).toMatch(/^error: no Kubernetes objects found/);
  });
});

describe('docs/permissions.md', () => {
  it('its ClusterRole is enough for inspect (checked by impersonating a user of a group bound to it)', async () => {
    const docs = readFileSync(path.join(root, 'docs/permissions.md'), 'utf8');
    const yamlBlock = /```yaml\n([\s\S]*?kind: ClusterRole\n[\s\S]*?)```/.exec(docs)?.[1];
    expect(yamlBlock, 'the ClusterRole block in docs/permissions.md').toBeTruthy();
    const group = `modelcar-testers-${ns}`;
    const as = ['--as', `tester-${ns}`, '--as-group', group, '--as-group', 'system:authenticated'];

    // Before the binding the impersonated user may do nothing: proof that --as/--as-group are sent.
    const before = await modelcar(['inspect', ISVC, '-n', ns, '--pod', POD, ...as]);
    expect(before.exitCode).toBe(3);
    expect(before.stderr).toContain(`user "tester-${ns}" may not get inferenceservices.serving.kserve.io in namespace "${ns}"`);

    const manifest = yamlBlock!.replaceAll('kubectl-modelcar-inspect', `kubectl-modelcar-inspect-${ns}`).replace('name: support-engineers', `name: ${group}`);
    const applied = await kubectl(['apply', '-f', '-'], manifest);
    expect(applied.exitCode, applied.stderr).toBe(0);
    const after = await modelcar(['inspect', ISVC, '-n', ns, '--pod', POD, '-o', 'json', ...as]);
    const rep = report(after.stdout);
    expect(rep.gaps.filter((g) => g.source === 'api'), JSON.stringify(rep.gaps)).toEqual([]);
    expect(rep.gaps.filter((g) => g.source === 'exec' && g.reason === 'forbidden')).toEqual([]);
  });
});

describe('the KServe install', () => {
  const info = (file: string) => {
    const list = parseYaml(readFileSync(file, 'utf8')) as { items: Array<{ kind: string; kserve?: { namespace: string; namespaceSource: string; controllerVersion: { version: string | null; source: string } } }> };
    return list.items.find((i) => i.kind === 'SnapshotInfo')!.kserve!;
  };

  it('is found from the controller pods (namespace, version from the image tag); the flags override both', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'modelcar-kserve-'));
    const found = path.join(dir, 'found.yaml');
    await modelcar(['inspect', ISVC, '-n', ns, '--pod', POD, '-q', '--dump', found]);
    const controllerImage = (await kubectl(['get', 'pods', '-A', '-l', 'control-plane=kserve-controller-manager', '-o', 'jsonpath={.items[0].metadata.namespace} {.items[0].spec.containers[0].image}'])).stdout.split(' ');
    expect(info(found)).toMatchObject({ namespace: controllerImage[0], namespaceSource: 'controller-pods', controllerVersion: { version: controllerImage[1]!.split(':').at(-1), source: 'image-tag' } });

    const flagged = path.join(dir, 'flagged.yaml');
    await modelcar(['inspect', ISVC, '-n', ns, '--pod', POD, '-q', '--dump', flagged, '--kserve-namespace', 'elsewhere', '--kserve-version', 'v0.14.0']);
    expect(info(flagged)).toMatchObject({ namespace: 'elsewhere', namespaceSource: 'flag', controllerVersion: { version: 'v0.14.0', source: 'flag' } });
  });
});

describe('help', () => {
  it('lists the commands with one line each and examples', async () => {
    const r = await modelcar(['--help']);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toMatch(/kubectl modelcar inspect <isvc>\s+Diagnose one InferenceService/);
    expect(r.stdout).toMatch(/kubectl modelcar version\s+Print the plugin version/);
    expect(r.stdout).toContain('Examples:');
  });
});
