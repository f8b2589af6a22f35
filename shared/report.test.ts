import { describe, expect, it } from 'vitest';
import { buildReport, CAUSE_RULES, exitCode, ReportSchema, type CheckResult } from './report.ts';
import { CATALOGUE } from './catalogue.ts';
import { healthySnapshot } from './testing/fixtures.ts';

const POD_A = 'pod/ns/a';
const POD_B = 'pod/ns/b';
const r = (id: CheckResult['id'], status: CheckResult['status'], object = POD_A): CheckResult => ({ id, status, object, message: `${id} ${status}`, evidence: {} });

describe('buildReport', () => {
  const snap = healthySnapshot();

  it('links symptoms to the fault that explains them and puts root causes first', () => {
    const report = buildReport(snap, [r('MC403', 'fail'), r('MC404', 'fail'), r('MC301', 'pass'), r('MC201', 'fail'), r('MC206', 'warn', 'inferenceservice/ns/x')]);
    expect(report.findings.map((f) => [f.id, f.rootCause, f.causedBy ?? null])).toEqual([
      ['MC201', true, null],
      ['MC206', true, null],
      ['MC403', false, 'MC201'],
      ['MC404', false, 'MC201'],
      ['MC301', false, null],
    ]);
    expect(report.summary).toEqual({ pass: 1, info: 0, warn: 1, fail: 3, skip: 0, rootCauses: 2 });
  });

  it('links pod-level faults only within the same pod', () => {
    const report = buildReport(snap, [r('MC201', 'fail', POD_A), r('MC404', 'fail', POD_B)]);
    expect(report.findings.find((f) => f.id === 'MC404')).toMatchObject({ rootCause: true });
  });

  it('links cluster-level faults to symptoms on any object, in chains', () => {
    const report = buildReport(snap, [r('MC104', 'warn', 'configmap/kserve/c'), r('MC103', 'fail', 'inferenceservice/ns/x'), r('MC202', 'fail', POD_A)]);
    expect(report.findings.map((f) => [f.id, f.causedBy ?? null])).toEqual([['MC104', null], ['MC103', 'MC104'], ['MC202', 'MC103']]);
  });

  it('takes a known bug of the version (MC108) for the cause only when it bit, not for a startup race beside it', () => {
    // v0.15/v0.17's replaced securityContext or v0.13's latent `ln -s` (MC108 warns) do not make the runtime start early.
    const latent = buildReport(snap, [r('MC108', 'warn'), r('MC304', 'warn')]);
    expect(latent.findings.map((f) => [f.id, f.rootCause, f.causedBy ?? null])).toEqual([['MC108', true, null], ['MC304', true, null]]);
    // v0.13's `ln -s` "File exists" after a modelcar restart (MC108 fails) is why the modelcar is down and the runtime restarted.
    const bit = buildReport(snap, [r('MC108', 'fail'), r('MC301', 'fail'), r('MC304', 'warn')]);
    expect(bit.findings.map((f) => [f.id, f.causedBy ?? null])).toEqual([['MC108', null], ['MC301', 'MC108'], ['MC304', 'MC108']]);
  });

  it('takes the re-pull of a :latest modelcar (MC206) for the cause of a startup race only when nothing in the pod explains it', () => {
    const race = buildReport(snap, [r('MC206', 'warn', 'inferenceservice/ns/x'), r('MC304', 'warn', POD_A)]);
    expect(race.findings.map((f) => [f.id, f.causedBy ?? null])).toEqual([['MC206', null], ['MC304', 'MC206']]);
    const spn = buildReport(snap, [r('MC206', 'warn', 'inferenceservice/ns/x'), r('MC201', 'fail', POD_A), r('MC304', 'warn', POD_A)]);
    expect(spn.findings.find((f) => f.id === 'MC304')?.causedBy).toBe('MC201');
  });

  it('takes an OOMKilled modelcar (MC305) for the cause of a link that was never made or dangles', () => {
    const report = buildReport(snap, [r('MC305', 'fail', POD_A), r('MC401', 'fail', POD_A)]);
    expect(report.findings.map((f) => [f.id, f.causedBy ?? null])).toEqual([['MC305', null], ['MC401', 'MC305']]);
  });

  it('does not treat a passing root as a cause', () => {
    const report = buildReport(snap, [r('MC201', 'pass'), r('MC404', 'fail')]);
    expect(report.findings.find((f) => f.id === 'MC404')).toMatchObject({ rootCause: true });
  });

  it('adds names from the catalogue and hints only to failing findings', () => {
    const report = buildReport(snap, [r('MC201', 'fail'), r('MC205', 'pass')]);
    expect(report.findings[0]).toMatchObject({ name: 'share-process-namespace', hint: expect.stringContaining('shareProcessNamespace') });
    expect(report.findings[1]!.hint).toBeUndefined();
  });

  it('produces a report the schema accepts, with the targets and their pods', () => {
    const report = buildReport(snap, [r('MC201', 'pass')]);
    expect(ReportSchema.parse(report)).toEqual(report);
    expect(report.targets).toEqual([{ kind: 'InferenceService', namespace: 'kserve-test', name: 'sklearn-iris-oci', pods: [{ name: snap.pods[0]!.metadata.name, phase: 'Running', ready: '2/2', restarts: 0 }] }]);
  });

  it('cause rules name only catalogue IDs and never a symptom as its own root', () => {
    const ids = new Set<string>(CATALOGUE.map((e) => e.id));
    for (const rule of CAUSE_RULES) {
      expect(ids.has(rule.root)).toBe(true);
      for (const s of rule.symptoms) expect(ids.has(s) && s !== rule.root).toBe(true);
    }
  });
});

describe('exitCode', () => {
  const snap = healthySnapshot();
  it('is 0 when nothing failed, 1 on a failure, 1 on a warning only with failOn warn', () => {
    expect(exitCode(buildReport(snap, [r('MC201', 'pass')]))).toBe(0);
    expect(exitCode(buildReport(snap, [r('MC201', 'fail')]))).toBe(1);
    expect(exitCode(buildReport(snap, [r('MC206', 'warn')]))).toBe(0);
    expect(exitCode(buildReport(snap, [r('MC206', 'warn')]), 'warn')).toBe(1);
  });
  it('is 4 when nothing failed but an API call or exec did', () => {
    const gaps = { ...snap, gaps: [{ verb: 'list', resource: 'nodes', status: 403, message: 'forbidden' }] };
    expect(exitCode(buildReport(gaps, [r('MC201', 'pass')]))).toBe(4);
    expect(exitCode(buildReport(gaps, [r('MC201', 'fail')]))).toBe(1);
    const noExec = { ...snap, execs: [{ namespace: 'ns', pod: 'a', container: 'kserve-container', outcome: 'skipped' as const, reason: 'forbidden' as const }] };
    expect(buildReport(noExec, []).gaps).toEqual([{ source: 'exec', namespace: 'ns', pod: 'a', container: 'kserve-container', reason: 'forbidden' }]);
    const offline = { ...snap, execs: [{ namespace: 'ns', pod: 'a', container: 'kserve-container', outcome: 'skipped' as const, reason: 'offline' as const }] };
    expect(exitCode(buildReport(offline, []))).toBe(0);
  });
});
