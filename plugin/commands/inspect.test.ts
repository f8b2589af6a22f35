// The programmatic core of `inspect`, offline: a dump file in, a report and an exit code out, with the
// real checks. (The live path runs through the real kubectl in inspect.lab.test.ts.)
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ReportSchema } from '../../shared/report.ts';
import { emptySnapshot, type Pod, type Snapshot } from '../../shared/snapshot.ts';
import { dumpSnapshot } from '../cluster/dump.ts';
import { UsageError } from '../cluster/errors.ts';
import { inspect, type InspectOptions, type Io } from './inspect.ts';

function snapshotWithPod(shareProcessNamespace: boolean): Snapshot {
  const s = emptySnapshot('2026-11-25T23:00:00.000Z', 'cluster');
  s.targets.push({ kind: 'InferenceService', namespace: 'kserve-test', name: 'sklearn-iris-oci' });
  s.inferenceServices.push({
    apiVersion: 'serving.kserve.io/v1beta1',
    kind: 'InferenceService',
    metadata: { name: 'sklearn-iris-oci', namespace: 'kserve-test' },
    spec: { predictor: { model: { modelFormat: { name: 'sklearn' }, storageUri: 'oci://registry.example/sklearn-iris:v1' } } },
  });
  const pod: Pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'sklearn-iris-oci-predictor-abc', namespace: 'kserve-test', labels: { 'serving.kserve.io/inferenceservice': 'sklearn-iris-oci' } },
    spec: {
      shareProcessNamespace,
      containers: [
        { name: 'kserve-container', image: 'kserve/sklearnserver:v0.20.0', securityContext: { runAsUser: 1010 }, volumeMounts: [{ name: 'kserve-provision-location', mountPath: '/mnt' }] },
        {
          name: 'modelcar',
          image: 'registry.example/sklearn-iris:v1',
          args: ['sh', '-c', 'ln -sf /proc/$$$$/root/models /mnt/models && sleep infinity'],
          securityContext: { runAsUser: 1010 },
          volumeMounts: [{ name: 'kserve-provision-location', mountPath: '/mnt' }],
        },
      ],
      volumes: [{ name: 'kserve-provision-location', emptyDir: {} }],
    },
    status: { phase: 'Running' },
  };
  s.pods.push(pod);
  return s;
}

function io(): Io & { out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, stdout: (t) => out.push(t), stderr: (t) => err.push(t), stdoutIsTTY: false, env: {} };
}

function options(file: string, extra: Partial<InspectOptions> = {}): InspectOptions {
  return { isvc: 'sklearn-iris-oci', output: 'json', quiet: false, failOn: 'fail', fromFile: [file], verbosity: 0, color: 'auto', ...extra };
}

function dumpFile(s: Snapshot): string {
  const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'inspect-')), 'case.yaml');
  writeFileSync(file, dumpSnapshot(s));
  return file;
}

describe('inspect --from-file', () => {
  it('a pod without shareProcessNamespace fails MC201 as the root cause and exits 1', async () => {
    const o = io();
    const code = await inspect(options(dumpFile(snapshotWithPod(false))), o);
    const report = ReportSchema.parse(JSON.parse(o.out.join('')));
    const mc201 = report.findings.find((f) => f.id === 'MC201');
    expect(mc201).toMatchObject({ status: 'fail', rootCause: true, object: 'pod/kserve-test/sklearn-iris-oci-predictor-abc' });
    expect(mc201?.hint).toBeTruthy();
    expect(code).toBe(1);
    // In-pod checks cannot run offline and say so.
    expect(report.findings.find((f) => f.id === 'MC408')?.status).toBe('skip');
  });

  it('the same pod with shareProcessNamespace passes MC201', async () => {
    const o = io();
    await inspect(options(dumpFile(snapshotWithPod(true))), o);
    const report = ReportSchema.parse(JSON.parse(o.out.join('')));
    expect(report.findings.find((f) => f.id === 'MC201')?.status).toBe('pass');
  });

  it('-q prints one line; the table has no colour off a terminal', async () => {
    const file = dumpFile(snapshotWithPod(false));
    const q = io();
    await inspect(options(file, { output: 'table', quiet: true }), q);
    expect(q.out.join('').trim().split('\n')).toHaveLength(1);
    expect(q.out.join('')).toMatch(/^✖ \d+ root causes? \(/);
    const t = io();
    await inspect(options(file, { output: 'table' }), t);
    expect(t.out.join('')).not.toMatch(/\u001b\[/);
    expect(t.out.join('')).toContain('MC201');
  });

  it('colours the table on a terminal unless NO_COLOR or --color never', async () => {
    const file = dumpFile(snapshotWithPod(false));
    const run = async (env: NodeJS.ProcessEnv, color: InspectOptions['color'] = 'auto') => {
      const o = { ...io(), stdoutIsTTY: true, env };
      await inspect(options(file, { output: 'table', color }), o);
      return o.out.join('');
    };
    expect(await run({})).toMatch(/\u001b\[31m/);
    expect(await run({ NO_COLOR: '1' })).not.toMatch(/\u001b\[/);
    expect(await run({}, 'never')).not.toMatch(/\u001b\[/);
  });

  it('refuses --dump with --from-file', async () => {
    await expect(inspect(options(dumpFile(snapshotWithPod(true)), { dump: '/tmp/x.yaml' }), io())).rejects.toThrow(UsageError);
  });
});
