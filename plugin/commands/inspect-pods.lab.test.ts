// The in-pod probe on real containers: modelcar pods run by the lab's kubelet (runc), inspected with the
// bundled plugin through the real kubectl. Healthy (same UID), UID mismatch (the kernel refuses
// /proc/<pid>/root). The no-shell fallback is covered in probe.test.ts (a runtime without sh).
import { existsSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { buildPlugin } from '../../scripts/build.ts';
import { ReportSchema, type Report } from '../../shared/report.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const ns = `mcpods-${Date.now().toString(36)}`;
// Image names of the lab's seeded catalogue (test/lab/images/catalog.ts), written out: plugin code never imports the lab.
const BUSYBOX = 'busybox:latest';
const MODEL = 'rhuss/kserving-example-sklearn:1.0';

const runcMissing = !['/usr/sbin/runc', '/usr/bin/runc'].some(existsSync);
const cannot = process.geteuid?.() !== 0 ? 'not root' : runcMissing ? 'runc is not installed' : '';
if (cannot) {
  if (process.env.CI) throw new Error(`in-pod lab tests cannot be skipped in CI: ${cannot}`);
  console.log(`skipping in-pod lab tests: ${cannot}`);
}

let binDir: string;
const env = () => ({
  PATH: `${binDir}:${process.env.PATH ?? ''}`,
  KUBECONFIG: inject('labKubeconfig'),
  KUBECACHEDIR: inject('labCacheDir'),
  KUBECTL_MODELCAR_NODE: path.join(root, 'node_modules/.bin/node'),
});
const kubectl = async (args: string[], input = '', timeout = 90_000) => {
  const r = await execa('/usr/bin/kubectl', args, { env: env(), input, reject: false, timeout });
  return { stdout: String(r.stdout), stderr: String(r.stderr), exitCode: r.exitCode ?? -1 };
};

function isvc(name: string): string {
  return JSON.stringify({
    apiVersion: 'serving.kserve.io/v1beta1',
    kind: 'InferenceService',
    metadata: { name, namespace: ns },
    spec: { predictor: { model: { modelFormat: { name: 'sklearn' }, storageUri: `oci://${MODEL}` } } },
  });
}

/** The pod KServe v0.20's webhook makes for the seed example, with the runtime's image and UID varied. */
function modelcarPod(name: string, runtime: { image: string; uid: number; command?: string[] }): string {
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: `${name}-predictor-manual`,
      namespace: ns,
      labels: { 'serving.kserve.io/inferenceservice': name, component: 'predictor' },
    },
    spec: {
      shareProcessNamespace: true,
      volumes: [{ name: 'kserve-provision-location', emptyDir: {} }],
      containers: [
        {
          name: 'kserve-container',
          image: runtime.image,
          ...(runtime.command ? { command: runtime.command } : {}),
          env: [{ name: 'MODEL_INIT_MODE', value: 'async' }],
          securityContext: { runAsUser: runtime.uid },
          volumeMounts: [{ name: 'kserve-provision-location', mountPath: '/mnt' }],
        },
        {
          name: 'modelcar',
          image: MODEL,
          args: ['sh', '-c', 'ln -sf /proc/$$$$/root/models /mnt/models && sleep infinity'],
          securityContext: { runAsUser: 1010 },
          terminationMessagePolicy: 'FallbackToLogsOnError',
          resources: { limits: { cpu: '10m', memory: '15Mi' }, requests: { cpu: '10m', memory: '15Mi' } },
          volumeMounts: [{ name: 'kserve-provision-location', mountPath: '/mnt' }],
        },
      ],
    },
  });
}

async function runningPod(name: string, runtime: { image: string; uid: number; command?: string[] }): Promise<string> {
  expect((await kubectl(['apply', '-f', '-'], isvc(name))).exitCode).toBe(0);
  const created = await kubectl(['apply', '-f', '-'], modelcarPod(name, runtime));
  expect(created.exitCode, created.stderr).toBe(0);
  const pod = `${name}-predictor-manual`;
  const wait = await kubectl(['wait', '-n', ns, '--for=condition=Ready', `pod/${pod}`, '--timeout=90s'], '', 100_000);
  expect(wait.exitCode, `${wait.stderr}\n${(await kubectl(['describe', 'pod', '-n', ns, pod])).stdout}`).toBe(0);
  // modelcar is a plain container: the runtime may start before the link exists, crash and come back
  // after a back-off (the startup race). Wait until it runs.
  for (let i = 0; i < 120; i++) {
    const running = await kubectl(['get', 'pod', '-n', ns, pod, '-o', 'jsonpath={.status.containerStatuses[?(@.name=="kserve-container")].state.running.startedAt}']);
    if (running.stdout.trim()) break;
    await new Promise((r) => setTimeout(r, 500));
  }
  await new Promise((r) => setTimeout(r, 500));
  return pod;
}

async function inspectPod(name: string, pod: string): Promise<{ report: Report; exitCode: number; stderr: string }> {
  const r = await execa('/usr/bin/kubectl', ['modelcar', 'inspect', name, '-n', ns, '--pod', pod, '-o', 'json'], { env: env(), reject: false, timeout: 120_000 });
  return { report: ReportSchema.parse(JSON.parse(String(r.stdout))), exitCode: r.exitCode ?? -1, stderr: String(r.stderr) };
}

const status = (r: Report, id: string) => r.findings.filter((f) => f.id === id).map((f) => f.status);

describe.skipIf(Boolean(cannot))('in-pod checks on containers run by the lab kubelet', () => {
  beforeAll(async () => {
    binDir = mkdtempSync(path.join(os.tmpdir(), 'modelcar-bin-'));
    await buildPlugin(path.join(binDir, 'kubectl-modelcar'));
    expect((await kubectl(['create', 'namespace', ns])).exitCode).toBe(0);
  }, 120_000);

  it('same UID: the link resolves to the modelcar process and the model is listed', async () => {
    const pod = await runningPod('probe-ok', { image: BUSYBOX, uid: 1010, command: ['sh', '-c', 'exec sleep infinity'] });
    const { report, stderr } = await inspectPod('probe-ok', pod);
    for (const id of ['MC401', 'MC402', 'MC403', 'MC404', 'MC405', 'MC406', 'MC407']) expect(status(report, id), `${id} ${stderr}`).toEqual(['pass']);
    expect(status(report, 'MC408')).toEqual(['pass']);
    expect(report.gaps).toEqual([]);
  }, 240_000);

  it('runtime UID 1000, modelcar 1010: listing is refused (MC405) and the UID mismatch is the root cause', async () => {
    const pod = await runningPod('probe-uid', { image: BUSYBOX, uid: 1000, command: ['sh', '-c', 'exec sleep infinity'] });
    const { report, exitCode } = await inspectPod('probe-uid', pod);
    const mc405 = report.findings.find((f) => f.id === 'MC405');
    expect(mc405?.status, JSON.stringify(report.findings.filter((f) => f.status !== 'pass'))).toBe('fail');
    expect(report.findings.find((f) => f.id === 'MC205')).toMatchObject({ status: 'fail', rootCause: true });
    expect(mc405?.causedBy).toBe('MC205');
    // The link itself is fine: not dangling.
    expect(status(report, 'MC404')).not.toContain('fail');
    expect(exitCode).toBe(1);
  }, 240_000);
});
