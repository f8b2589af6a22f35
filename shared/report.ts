// The Report (issue 6's JSON shape) and how findings become one: names and hints from the
// catalogue, root-cause links from one declarative table, ordering, summary and exit code.
import { z } from 'zod';
import { CATALOGUE, entry, hintFor, type CheckId } from './catalogue.ts';
import type { Snapshot, Pod } from './snapshot.ts';
import { podsOfTarget } from './kserve/pod.ts';

export const REPORT_API_VERSION = 'kubectl-modelcar/v1';

export const StatusSchema = z.enum(['pass', 'info', 'warn', 'fail', 'skip']);
export type Status = z.infer<typeof StatusSchema>;

const CheckIdSchema = z.enum(CATALOGUE.map((e) => e.id) as [CheckId, ...CheckId[]]);

/** What a check returns: its own verdict on one object. The report adds name, hint and links. */
export interface CheckResult {
  id: CheckId;
  status: Status;
  /** `pod/<ns>/<name>`, `inferenceservice/<ns>/<name>`, `configmap/<ns>/inferenceservice-config`, ... */
  object: string;
  container?: string;
  /** One factual line naming the object and what was seen (no colour, no markup). */
  message: string;
  /** Where it came from (field paths, events with their age, log lines, exec output) and the
   *  values hint templates need. `reason` on a skip; `hintKey` picks a hint variant. */
  evidence: Record<string, unknown>;
}

export const FindingSchema = z.object({
  id: CheckIdSchema,
  name: z.string(),
  status: StatusSchema,
  rootCause: z.boolean(),
  causedBy: CheckIdSchema.optional(),
  object: z.string(),
  container: z.string().optional(),
  message: z.string(),
  evidence: z.record(z.string(), z.unknown()),
  hint: z.string().optional(),
});
export type Finding = z.infer<typeof FindingSchema>;

export const TargetSchema = z.object({
  kind: z.literal('InferenceService'),
  namespace: z.string(),
  name: z.string(),
  pods: z.array(
    z.object({
      name: z.string(),
      phase: z.string().optional(),
      /** "2/3" */
      ready: z.string(),
      restarts: z.number(),
    }),
  ),
});

/** Why the report is incomplete (exit code 4): API calls or execs that failed. */
export const ReportGapSchema = z.discriminatedUnion('source', [
  z.object({
    source: z.literal('api'),
    verb: z.string(),
    resource: z.string(),
    namespace: z.string().optional(),
    name: z.string().optional(),
    status: z.number().nullable(),
    message: z.string(),
  }),
  z.object({
    source: z.literal('exec'),
    namespace: z.string(),
    pod: z.string(),
    container: z.string(),
    reason: z.string(),
    detail: z.string().optional(),
  }),
]);
export type ReportGap = z.infer<typeof ReportGapSchema>;

export const SummarySchema = z.object({
  pass: z.number(),
  info: z.number(),
  warn: z.number(),
  fail: z.number(),
  skip: z.number(),
  rootCauses: z.number(),
});

export const ReportSchema = z.object({
  apiVersion: z.literal(REPORT_API_VERSION),
  kind: z.literal('Report'),
  /** When the snapshot was taken. */
  generatedAt: z.string(),
  source: z.enum(['cluster', 'file']),
  targets: z.array(TargetSchema),
  findings: z.array(FindingSchema),
  summary: SummarySchema,
  gaps: z.array(ReportGapSchema),
});
export type Report = z.infer<typeof ReportSchema>;

// ---- root causes --------------------------------------------------------------------------

/** One fault explains others. `samePod`: the symptom must be on the root's pod (a pod-level
 *  fault); otherwise the root is cluster-level and explains the symptom wherever it is.
 *  Rules are applied in order; a symptom takes the first matching root. */
export interface CauseRule {
  root: CheckId;
  symptoms: readonly CheckId[];
  samePod: boolean;
  /** The root explains the symptoms only when it fails, not when it warns (MC108 warns about a
   *  latent bug of the version and fails when it bit: only then is it why the modelcar restarted). */
  onlyWhenFailed?: boolean;
}

export const CAUSE_RULES: readonly CauseRule[] = [
  // config-level
  { root: 'MC102', symptoms: ['MC103', 'MC105', 'MC202', 'MC306'], samePod: false },
  { root: 'MC104', symptoms: ['MC103'], samePod: false },
  { root: 'MC103', symptoms: ['MC202', 'MC306', 'MC401', 'MC402'], samePod: false },
  { root: 'MC105', symptoms: ['MC202', 'MC306'], samePod: true },
  { root: 'MC106', symptoms: ['MC209'], samePod: false },
  { root: 'MC601', symptoms: ['MC602'], samePod: false },
  // pod-level
  { root: 'MC201', symptoms: ['MC403', 'MC404', 'MC401', 'MC304'], samePod: true },
  { root: 'MC205', symptoms: ['MC405', 'MC407', 'MC304', 'MC107'], samePod: false },
  { root: 'MC302', symptoms: ['MC301', 'MC406', 'MC304'], samePod: true },
  { root: 'MC305', symptoms: ['MC301', 'MC209', 'MC401', 'MC404', 'MC304'], samePod: true },
  { root: 'MC108', symptoms: ['MC301', 'MC404', 'MC304'], samePod: true, onlyWhenFailed: true },
  { root: 'MC301', symptoms: ['MC304', 'MC401'], samePod: true },
  // Last: with policy Always the modelcar's image is pulled again after modelcar-init pulled it, while
  // the runtime already starts, which is what makes the runtime lose the race when nothing above explains it.
  { root: 'MC206', symptoms: ['MC304'], samePod: false },
];

const failing = (s: Status) => s === 'fail' || s === 'warn';

function causeOf(f: CheckResult, all: readonly CheckResult[]): CheckId | undefined {
  for (const rule of CAUSE_RULES) {
    if (!rule.symptoms.includes(f.id)) continue;
    const root = all.find(
      (r) => r.id === rule.root && (rule.onlyWhenFailed ? r.status === 'fail' : failing(r.status)) && (!rule.samePod || r.object === f.object),
    );
    if (root) return rule.root;
  }
  return undefined;
}

// ---- building -----------------------------------------------------------------------------

const STATUS_RANK: Record<Status, number> = { fail: 0, warn: 1, info: 3, skip: 4, pass: 5 };

function rank(f: Finding): number {
  if (f.rootCause) return STATUS_RANK[f.status];
  if (f.causedBy) return 2;
  return STATUS_RANK[f.status];
}

function podSummary(pod: Pod) {
  const statuses = pod.status?.containerStatuses ?? [];
  return {
    name: pod.metadata.name,
    phase: pod.status?.phase,
    ready: `${statuses.filter((s) => s.ready).length}/${pod.spec.containers.length}`,
    restarts: statuses.reduce((n, s) => n + s.restartCount, 0),
  };
}

const INCOMPLETE_EXEC_REASONS = new Set(['forbidden', 'no-shell', 'error']);

export function buildReport(snapshot: Snapshot, results: readonly CheckResult[]): Report {
  const findings: Finding[] = results.map((r) => {
    const causedBy = failing(r.status) ? causeOf(r, results) : undefined;
    const finding: Finding = {
      id: r.id,
      name: entry(r.id).name,
      status: r.status,
      rootCause: failing(r.status) && causedBy === undefined,
      object: r.object,
      message: r.message,
      evidence: r.evidence,
    };
    if (causedBy) finding.causedBy = causedBy;
    if (r.container) finding.container = r.container;
    if (failing(r.status)) finding.hint = hintFor(r.id, r.evidence);
    return finding;
  });
  findings.sort((a, b) => rank(a) - rank(b) || a.id.localeCompare(b.id) || a.object.localeCompare(b.object));

  const summary = { pass: 0, info: 0, warn: 0, fail: 0, skip: 0, rootCauses: 0 };
  for (const f of findings) {
    summary[f.status]++;
    if (f.rootCause) summary.rootCauses++;
  }

  const gaps: ReportGap[] = [
    ...snapshot.gaps.map((g) => ({ source: 'api' as const, ...g })),
    ...snapshot.execs.flatMap((e) =>
      e.outcome === 'skipped' && INCOMPLETE_EXEC_REASONS.has(e.reason)
        ? [{ source: 'exec' as const, namespace: e.namespace, pod: e.pod, container: e.container, reason: e.reason, ...(e.detail ? { detail: e.detail } : {}) }]
        : [],
    ),
  ];

  const targets = snapshot.targets.map((t) => ({
    kind: 'InferenceService' as const,
    namespace: t.namespace,
    name: t.name,
    pods: podsOfTarget(snapshot.pods, t).map(podSummary),
  }));

  return {
    apiVersion: REPORT_API_VERSION,
    kind: 'Report',
    generatedAt: snapshot.now,
    source: snapshot.source,
    targets,
    findings,
    summary,
    gaps,
  };
}

export const EXIT = { ok: 0, failed: 1, usage: 2, unreachable: 3, incomplete: 4 } as const;

/** 0 nothing failed; 1 a check failed (or warned, with failOn 'warn'); 4 nothing failed but API
 *  calls or execs did, so the report is incomplete. */
export function exitCode(report: Report, failOn: 'fail' | 'warn' = 'fail'): number {
  if (report.summary.fail > 0) return EXIT.failed;
  if (failOn === 'warn' && report.summary.warn > 0) return EXIT.failed;
  if (report.gaps.length > 0) return EXIT.incomplete;
  return EXIT.ok;
}
