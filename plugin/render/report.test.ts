import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { buildReport, ReportSchema, type CheckResult } from '../../shared/report.ts';
import { emptySnapshot, type Pod } from '../../shared/snapshot.ts';
import { paint, useColor } from './color.ts';
import { renderReport, summaryLine } from './report.ts';

const POD = 'pod/kserve-test/sklearn-iris-oci-predictor-abc';

function pod(): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'sklearn-iris-oci-predictor-abc', namespace: 'kserve-test', labels: { 'serving.kserve.io/inferenceservice': 'sklearn-iris-oci' } },
    spec: { containers: [{ name: 'kserve-container' }, { name: 'modelcar' }] },
    status: { phase: 'Running', containerStatuses: [{ name: 'kserve-container', ready: false, restartCount: 2 }, { name: 'modelcar', ready: true, restartCount: 0 }] },
  };
}

function report(results: CheckResult[], gaps = false) {
  const snap = emptySnapshot('2026-11-25T23:00:00Z', 'cluster');
  snap.targets.push({ kind: 'InferenceService', namespace: 'kserve-test', name: 'sklearn-iris-oci' });
  snap.pods.push(pod());
  if (gaps) snap.gaps.push({ verb: 'list', resource: 'limitranges', namespace: 'kserve-test', status: 403, message: 'forbidden: user "support" may not list limitranges\n- apiGroups: [""]' });
  return buildReport(snap, results);
}

const uidMismatch: CheckResult = {
  id: 'MC205',
  status: 'fail',
  object: POD,
  container: 'kserve-container',
  message: 'kserve-container runs as UID 1000, modelcar as UID 1010',
  evidence: { runtimeUid: 1000, modelcarUid: 1010, namespace: 'kserve-test', pod: 'sklearn-iris-oci-predictor-abc', isvc: 'sklearn-iris-oci', kserveNamespace: 'kserve', patchValue: '"x"', suggestedUid: 1000, field: 'spec.containers[kserve-container].securityContext.runAsUser' },
};
const denied: CheckResult = { id: 'MC405', status: 'fail', object: POD, container: 'kserve-container', message: 'ls /mnt/models/ fails: Permission denied', evidence: { errno: 'EACCES' } };
const passed: CheckResult = { id: 'MC201', status: 'pass', object: POD, message: 'shareProcessNamespace is true', evidence: { field: 'spec.shareProcessNamespace' } };
const skipped: CheckResult = { id: 'MC408', status: 'skip', object: POD, container: 'kserve-container', message: 'exec is forbidden', evidence: { reason: 'forbidden' } };

describe('table', () => {
  it('puts the root cause first with its fix and folds the symptom under it, without colour codes when off', () => {
    const r = report([denied, passed, uidMismatch, skipped]);
    const text = renderReport(r, { output: 'table', color: false, width: 120 });
    expect(text).not.toMatch(/\u001b\[/);
    const rootAt = text.indexOf('MC205');
    const symptomAt = text.indexOf('MC405');
    expect(rootAt).toBeGreaterThan(0);
    expect(symptomAt).toBeGreaterThan(rootAt);
    expect(text).toContain('explains:');
    expect(text).toContain('fix: see [1] below');
    // The fix command itself is printed unwrapped after the table, for copy and paste.
    const fixes = text.slice(text.indexOf('To fix (root causes first):'));
    expect(fixes).toContain(`[1] MC205 uid-mismatch (${POD} [kserve-container]):`);
    expect(fixes).toMatch(/\n    kubectl patch configmap inferenceservice-config -n kserve --type=json .*kubectl delete pod -n kserve-test -l serving.kserve.io\/inferenceservice=sklearn-iris-oci/);
    // MC405 appears once: folded, not repeated as its own row.
    expect(text.match(/MC405/g)).toHaveLength(1);
    // Passed checks only with -v 1.
    expect(text).not.toContain('MC201');
    expect(text).toContain('SKIP');
    expect(text.trimEnd().split('\n').at(-1)).toBe('✖ 1 root cause (2 failed, 0 warnings, 1 passed, 1 skipped, 0 info)');
    expect(text).toContain('InferenceService kserve-test/sklearn-iris-oci: 1 pod');
    expect(text).toContain('sklearn-iris-oci-predictor-abc 1/2 Running (2 restarts)');
  });

  it('-v 1 shows passed checks and evidence', () => {
    const text = renderReport(report([passed, uidMismatch]), { output: 'table', color: false, verbosity: 1, width: 120 });
    expect(text).toContain('MC201');
    expect(text).toContain('PASS');
    expect(text).toContain('field: spec.shareProcessNamespace');
  });

  it('colours only when asked', () => {
    const text = renderReport(report([uidMismatch]), { output: 'table', color: true, width: 120 });
    expect(text).toMatch(/\u001b\[31m/);
  });

  it('lists the gaps and says the report is incomplete', () => {
    const r = report([passed], true);
    const text = renderReport(r, { output: 'table', color: false, width: 100 });
    expect(text).toContain('Not checked (the report is incomplete):');
    expect(text).toContain('may not list limitranges');
    expect(summaryLine(r)).toBe('! no problems found in what could be checked (0 failed, 0 warnings, 1 passed, 0 skipped, 0 info); incomplete: 1 API call or exec failed');
  });

  it('-q prints the summary line only', () => {
    const text = renderReport(report([passed]), { output: 'table', quiet: true, color: false });
    expect(text).toBe('✔ no modelcar problems found (0 failed, 0 warnings, 1 passed, 0 skipped, 0 info)\n');
  });
});

describe('order', () => {
  it('objects with a failing root cause come before cluster-level skips', () => {
    const cm: CheckResult = { id: 'MC210', status: 'skip', object: 'namespace/kserve-test', message: 'skipped: not OpenShift', evidence: {} };
    const text = renderReport(report([cm, uidMismatch]), { output: 'table', color: false, width: 120 });
    expect(text.indexOf(POD)).toBeLessThan(text.indexOf('namespace/kserve-test'));
  });
});

describe('skips', () => {
  it('share one row per reason without -v, one row each with -v 1', () => {
    const noPods = (id: CheckResult['id']): CheckResult => ({ id, status: 'skip', object: 'inferenceservice/kserve-test/sklearn-iris-oci', message: 'skipped: no pods', evidence: { reason: 'no pods' } });
    const r = report([noPods('MC201'), noPods('MC202'), noPods('MC203'), passed]);
    const text = renderReport(r, { output: 'table', color: false, width: 120 });
    expect(text.match(/skipped: no pods/g)).toHaveLength(1);
    expect(text).toContain('3 checks');
    expect(text).toContain('MC201 MC202 MC203');
    const verbose = renderReport(r, { output: 'table', color: false, width: 120, verbosity: 1 });
    expect(verbose.match(/skipped: no pods/g)).toHaveLength(3);
  });
});

describe('json and yaml', () => {
  it('print the Report object exactly, in the documented shape', () => {
    const r = report([denied, uidMismatch, passed]);
    const json = JSON.parse(renderReport(r, { output: 'json' })) as unknown;
    expect(json).toEqual(r);
    const parsed = ReportSchema.parse(json);
    expect(parsed.apiVersion).toBe('kubectl-modelcar/v1');
    expect(parsed.kind).toBe('Report');
    expect(parsed.targets[0]).toMatchObject({ kind: 'InferenceService', namespace: 'kserve-test', name: 'sklearn-iris-oci' });
    const f405 = parsed.findings.find((f) => f.id === 'MC405')!;
    expect(f405).toMatchObject({ name: 'permission-denied', status: 'fail', rootCause: false, causedBy: 'MC205', object: POD, container: 'kserve-container' });
    expect(Object.keys(parsed.summary).sort()).toEqual(['fail', 'info', 'pass', 'rootCauses', 'skip', 'warn']);
    expect(parseYaml(renderReport(r, { output: 'yaml' }))).toEqual(r);
  });
});

describe('colour decision', () => {
  it('follows --color, NO_COLOR, TERM and the TTY', () => {
    expect(useColor('auto', true, {})).toBe(true);
    expect(useColor('auto', false, {})).toBe(false);
    expect(useColor('auto', true, { NO_COLOR: '1' })).toBe(false);
    expect(useColor('auto', true, { NO_COLOR: '' })).toBe(true);
    expect(useColor('auto', true, { TERM: 'dumb' })).toBe(false);
    expect(useColor('always', false, { NO_COLOR: '1' })).toBe(true);
    expect(useColor('never', true, {})).toBe(false);
    expect(paint(false).red('x')).toBe('x');
  });
});
