// The scenario table of docs/scenarios.md as data, for the unit tests of the checks and for the
// lab tests. scenarios.test.ts keeps this and the markdown equal: change both together.
import type { CheckId } from './catalogue.ts';
import type { Status } from './report.ts';

export interface Scenario {
  id: string;
  /** Every ID here must fail on at least one finding. */
  fail: CheckId[];
  /** Every ID here must warn on at least one finding. */
  warn: CheckId[];
  /** May also fail or warn (timing-dependent); anything else must not. */
  may: CheckId[];
  /** Exactly the IDs of the findings with rootCause true. */
  root: CheckId[];
  /** Further findings with a fixed status. */
  statuses: Partial<Record<CheckId, Status>>;
  exit: number;
}

export const SCENARIOS: readonly Scenario[] = [
  { id: 'healthy-knative-v0.20', fail: [], warn: [], may: [], root: [], statuses: { MC201: 'pass', MC405: 'pass', MC408: 'pass' }, exit: 0 },
  { id: 'healthy-standard-v0.20', fail: [], warn: [], may: [], root: [], statuses: { MC201: 'pass', MC205: 'pass', MC405: 'pass', MC408: 'pass' }, exit: 0 },
  { id: 'healthy-v0.13.0', fail: [], warn: ['MC108'], may: [], root: ['MC108'], statuses: { MC203: 'info', MC405: 'pass' }, exit: 0 },
  { id: 'healthy-v0.15.2', fail: [], warn: ['MC108'], may: [], root: ['MC108'], statuses: { MC405: 'pass' }, exit: 0 },
  { id: 'healthy-v0.17.0', fail: [], warn: ['MC108'], may: [], root: ['MC108'], statuses: { MC405: 'pass' }, exit: 0 },
  { id: 'uid-mismatch', fail: ['MC205', 'MC405'], warn: [], may: ['MC107', 'MC304', 'MC407'], root: ['MC205'], statuses: {}, exit: 1 },
  { id: 'no-models-dir', fail: ['MC301', 'MC302'], warn: [], may: [], root: ['MC302'], statuses: { MC401: 'skip' }, exit: 1 },
  { id: 'empty-models-dir', fail: ['MC301', 'MC302'], warn: [], may: [], root: ['MC302'], statuses: { MC401: 'skip' }, exit: 1 },
  { id: 'latest-tag', fail: [], warn: ['MC206'], may: ['MC304'], root: ['MC206'], statuses: {}, exit: 0 },
  { id: 'image-missing', fail: ['MC301', 'MC302'], warn: [], may: [], root: ['MC302'], statuses: {}, exit: 1 },
  { id: 'private-image-no-secret', fail: ['MC301', 'MC302'], warn: [], may: [], root: ['MC302'], statuses: {}, exit: 1 },
  { id: 'modelcar-oomkilled', fail: ['MC305'], warn: ['MC209'], may: ['MC301', 'MC304', 'MC401', 'MC404'], root: ['MC305'], statuses: {}, exit: 1 },
  { id: 'startup-race', fail: [], warn: ['MC304'], may: [], root: ['MC304'], statuses: {}, exit: 0 },
  { id: 'modelcars-disabled', fail: ['MC103', 'MC202', 'MC306'], warn: [], may: [], root: ['MC103'], statuses: { MC201: 'skip' }, exit: 1 },
  { id: 'share-process-namespace-false', fail: ['MC201', 'MC403', 'MC404'], warn: [], may: ['MC304'], root: ['MC201'], statuses: {}, exit: 1 },
  { id: 'ln-s-file-exists-v0.13', fail: ['MC108', 'MC301'], warn: [], may: ['MC304', 'MC404'], root: ['MC108'], statuses: { MC203: 'info' }, exit: 1 },
  { id: 'restricted-namespace', fail: ['MC208'], warn: [], may: [], root: ['MC208'], statuses: { MC301: 'skip' }, exit: 1 },
  { id: 'scc-uid-range', fail: ['MC210'], warn: [], may: [], root: ['MC210'], statuses: {}, exit: 1 },
  { id: 'limitrange-rejects', fail: ['MC106'], warn: [], may: [], root: ['MC106'], statuses: {}, exit: 1 },
  { id: 'invalid-config-json', fail: ['MC102'], warn: [], may: [], root: ['MC102'], statuses: { MC103: 'skip' }, exit: 1 },
  { id: 'example-only-edit', fail: ['MC103', 'MC202', 'MC306'], warn: ['MC104'], may: [], root: ['MC104'], statuses: {}, exit: 1 },
  { id: 'config-newer-than-pods', fail: [], warn: ['MC105'], may: [], root: ['MC105'], statuses: {}, exit: 0 },
  { id: 'runtime-without-shell', fail: [], warn: ['MC408'], may: [], root: ['MC408'], statuses: { MC401: 'skip', MC405: 'skip' }, exit: 4 },
  { id: 'runtime-ls-only', fail: [], warn: [], may: [], root: [], statuses: { MC403: 'pass', MC405: 'pass', MC408: 'pass' }, exit: 0 },
  { id: 'support-user-no-exec', fail: [], warn: ['MC408'], may: [], root: ['MC408'], statuses: { MC401: 'skip', MC405: 'skip' }, exit: 4 },
  { id: 'scaled-to-zero', fail: [], warn: [], may: [], root: [], statuses: { MC301: 'skip', MC401: 'skip' }, exit: 0 },
  { id: 'events-expired', fail: [], warn: [], may: [], root: [], statuses: { MC303: 'skip' }, exit: 0 },
  { id: 'several-oci-sources', fail: [], warn: [], may: [], root: [], statuses: { MC204: 'pass', MC405: 'pass' }, exit: 0 },
  { id: 'native-feature-gate-off', fail: ['MC601', 'MC602'], warn: [], may: ['MC304'], root: ['MC601'], statuses: { MC202: 'skip' }, exit: 1 },
];

export function scenario(id: string): Scenario {
  const s = SCENARIOS.find((x) => x.id === id);
  if (!s) throw new Error(`unknown scenario ${id}`);
  return s;
}

/** What a report's findings violate of a scenario; empty when it holds. Used by the unit and
 *  lab tests alike, so both read the table the same way. */
export function scenarioViolations(
  s: Scenario,
  findings: ReadonlyArray<{ id: string; status: Status; rootCause: boolean }>,
  exit?: number,
): string[] {
  const problems: string[] = [];
  const withStatus = (id: string, st: Status) => findings.some((f) => f.id === id && f.status === st);
  for (const id of s.fail) if (!withStatus(id, 'fail')) problems.push(`${id} must fail`);
  for (const id of s.warn) if (!withStatus(id, 'warn')) problems.push(`${id} must warn`);
  const allowed = new Set<string>([...s.fail, ...s.warn, ...s.may]);
  for (const f of findings) {
    if ((f.status === 'fail' || f.status === 'warn') && !allowed.has(f.id)) problems.push(`${f.id} must not ${f.status}`);
  }
  const roots = new Set(findings.filter((f) => f.rootCause).map((f) => f.id));
  for (const id of s.root) if (!roots.has(id)) problems.push(`${id} must be a root cause`);
  for (const id of roots) if (!s.root.includes(id as CheckId)) problems.push(`${id} must not be a root cause`);
  for (const [id, st] of Object.entries(s.statuses)) {
    const of = findings.filter((f) => f.id === id);
    if (of.length === 0 || of.some((f) => f.status !== st)) problems.push(`${id} must be ${st} (got ${of.map((f) => f.status).join(',') || 'none'})`);
  }
  if (exit !== undefined && exit !== s.exit) problems.push(`exit code must be ${s.exit} (got ${exit})`);
  return problems;
}
