// Report -> text. Table: grouped by object (cluster-level first, then each pod), root causes first with
// their fix, their symptoms folded under them, then warnings, skips and infos; passed checks and the
// evidence only at -v 1 and above; a summary line at the end. json and yaml print the Report as built.
import Table from 'cli-table3';
import { stringify as toYaml } from 'yaml';
import type { Finding, Report, ReportGap } from '../../shared/report.ts';
import { paint, type Paint } from './color.ts';

export type OutputFormat = 'table' | 'json' | 'yaml';

export interface RenderOptions {
  output: OutputFormat;
  /** -q: the summary line only (table); json/yaml are unaffected. */
  quiet?: boolean;
  /** -v N: 1 and above shows passed checks and evidence. */
  verbosity?: number;
  color?: boolean;
  /** Terminal width; tables wrap to it. */
  width?: number;
}

export function renderReport(report: Report, opts: RenderOptions): string {
  if (opts.output === 'json') return `${JSON.stringify(report, null, 2)}\n`;
  if (opts.output === 'yaml') return toYaml(report, { lineWidth: 0 });
  const p = paint(opts.color ?? false);
  if (opts.quiet) return `${summaryLine(report, p)}\n`;
  return renderTable(report, opts, p);
}

const LABEL: Record<Finding['status'], string> = { fail: 'FAIL', warn: 'WARN', pass: 'PASS', skip: 'SKIP', info: 'INFO' };

function statusLabel(status: Finding['status'], p: Paint): string {
  const l = LABEL[status];
  if (status === 'fail') return p.red(p.bold(l));
  if (status === 'warn') return p.yellow(p.bold(l));
  if (status === 'pass') return p.green(l);
  return p.dim(l);
}

const isPodObject = (object: string) => object.startsWith('pod/');

/** Symptoms shown under a root: same object, or any object when the root is not a pod (cluster-level). */
function symptomsOf(root: Finding, findings: Finding[]): Finding[] {
  return findings.filter((f) => f.causedBy === root.id && (f.object === root.object || !isPodObject(root.object)));
}

function evidenceLines(evidence: Record<string, unknown>): string[] {
  return Object.entries(evidence)
    .filter(([k]) => k !== 'hintKey')
    .map(([k, v]) => `${k}: ${typeof v === 'string' ? v : JSON.stringify(v)}`);
}

/** `fixNumber`: the fix is printed unwrapped below the table (commands must survive copy and paste). */
function findingText(f: Finding, opts: RenderOptions, p: Paint, fixNumber: number | undefined): string {
  const lines = [f.container ? `${f.message} ${p.dim(`[${f.container}]`)}` : f.message];
  if (f.status === 'skip' && typeof f.evidence.reason === 'string' && !f.message.includes(f.evidence.reason)) lines.push(p.dim(`reason: ${f.evidence.reason}`));
  if (fixNumber !== undefined) lines.push(`${p.cyan('fix:')} see [${fixNumber}] below`);
  if ((opts.verbosity ?? 0) >= 1) for (const l of evidenceLines(f.evidence)) lines.push(p.dim(`  ${l}`));
  return lines.join('\n');
}

function checkCell(f: Finding, p: Paint): string {
  return `${p.bold(f.id)}\n${p.dim(f.name)}`;
}

function groupOrder(object: string): number {
  if (object.startsWith('configmap/') || object.startsWith('cluster')) return 0;
  if (object.startsWith('inferenceservice/')) return 1;
  if (isPodObject(object)) return 3;
  return 2;
}

function renderTable(report: Report, opts: RenderOptions, p: Paint): string {
  const width = Math.max(60, Math.min(opts.width ?? 100, 160));
  const verbose = (opts.verbosity ?? 0) >= 1;
  const out: string[] = [];
  for (const t of report.targets) {
    const pods = t.pods.map((pod) => `${pod.name} ${pod.ready} ${pod.phase ?? ''}${pod.restarts ? ` (${pod.restarts} restarts)` : ''}`.trim());
    out.push(`${p.bold(`InferenceService ${t.namespace}/${t.name}`)}: ${t.pods.length === 0 ? 'no pods' : `${t.pods.length} pod${t.pods.length > 1 ? 's' : ''}`}`);
    for (const line of pods) out.push(`  ${line}`);
  }
  // `--ephemeral`: say where the in-pod evidence came from.
  for (const f of report.findings) {
    const ev = f.evidence as Record<string, unknown> | undefined;
    if (f.id === 'MC408' && typeof ev?.['via'] === 'string') {
      out.push(`In-pod checks of ${String(ev['pod'])} [${f.container ?? String(ev['container'])}] ran via ${ev['via']} (image ${String(ev['ephemeralImage'])}), added by --ephemeral`);
    }
  }

  const shownAsSymptom = new Set<Finding>();
  for (const f of report.findings) if (f.rootCause) for (const s of symptomsOf(f, report.findings)) shownAsSymptom.add(s);
  const visible = report.findings.filter((f) => !shownAsSymptom.has(f) && (verbose || f.status !== 'pass'));

  // Objects with a failing root cause lead, then those with a warning one, then the rest.
  const severity = (object: string) => {
    const roots = visible.filter((f) => f.object === object && f.rootCause);
    return roots.some((f) => f.status === 'fail') ? 0 : roots.length ? 1 : 2;
  };
  const objects = [...new Set(visible.map((f) => f.object))].sort((a, b) => severity(a) - severity(b) || groupOrder(a) - groupOrder(b) || a.localeCompare(b));
  if (visible.length > 0) {
    const table = new Table({
      head: ['', 'CHECK', 'FINDING'],
      colWidths: [6, 32, width - 6 - 32 - 4],
      wordWrap: true,
      style: { head: [], border: [], compact: false },
    });
    const fixes: Finding[] = [];
    const rank = (f: Finding) => (f.rootCause ? 0 : f.status === 'fail' ? 1 : f.status === 'warn' ? 2 : f.status === 'skip' ? 3 : f.status === 'info' ? 4 : 5);
    for (const object of objects) {
      table.push([{ colSpan: 3, content: p.bold(object) }]);
      const rows = visible.filter((f) => f.object === object).sort((a, b) => rank(a) - rank(b) || a.id.localeCompare(b.id));
      // Without -v, skips for the same reason share one row: "no pods" should not fill the screen.
      const skipGroups = new Map<string, Finding[]>();
      if (!verbose) for (const f of rows) if (f.status === 'skip') skipGroups.set(`${f.container ?? ''}\u0000${f.message}`, [...(skipGroups.get(`${f.container ?? ''}\u0000${f.message}`) ?? []), f]);
      for (const f of rows) {
        if (!verbose && f.status === 'skip') {
          const group = skipGroups.get(`${f.container ?? ''}\u0000${f.message}`)!;
          if (group.length > 1) {
            if (group[0] !== f) continue;
            const ids = group.map((g) => g.id).join(' ');
            table.push([statusLabel('skip', p), `${group.length} checks`, `${findingText(f, opts, p, undefined)}\n${p.dim(ids)}`]);
            continue;
          }
        }
        let fixNumber: number | undefined;
        if (f.hint && (f.rootCause || f.status === 'fail' || f.status === 'warn')) {
          fixes.push(f);
          fixNumber = fixes.length;
        }
        let text = findingText(f, opts, p, fixNumber);
        if (f.rootCause) {
          const symptoms = symptomsOf(f, report.findings);
          if (symptoms.length) {
            text += `\n${p.dim('explains:')}`;
            for (const s of symptoms) {
              const where = s.object === f.object ? '' : ` ${p.dim(`(${s.object})`)}`;
              text += `\n  ${statusLabel(s.status, p)} ${s.id} ${s.name}: ${s.message}${where}`;
            }
          }
        }
        table.push([statusLabel(f.status, p) + (f.rootCause ? `\n${p.red('root')}` : ''), checkCell(f, p), text]);
      }
    }
    out.push(table.toString());
    if (fixes.length) {
      out.push(p.bold('To fix (root causes first):'));
      fixes.forEach((f, i) => out.push(`[${i + 1}] ${f.id} ${f.name} (${f.object}${f.container ? ` [${f.container}]` : ''}):`, `    ${f.hint}`));
    }
  } else {
    out.push('No findings to show' + (verbose ? '.' : ' (run with -v 1 to list the passed checks).'));
  }
  if (report.gaps.length > 0) {
    out.push(p.bold('Not checked (the report is incomplete):'));
    for (const g of report.gaps) out.push(...gapLines(g).map((l, i) => (i === 0 ? `  - ${l}` : `    ${l}`)));
  }
  out.push(summaryLine(report, p));
  return `${out.join('\n')}\n`;
}

function gapLines(g: ReportGap): string[] {
  if (g.source === 'api') return g.message.split('\n');
  const head = `exec into ${g.namespace}/${g.pod} [${g.container}]: ${g.reason}`;
  return [head, ...(g.detail ? g.detail.split('\n') : [])];
}

/** One line, as brew doctor ends: what failed, what is incomplete, or that all is well. */
export function summaryLine(report: Report, p: Paint = paint(false)): string {
  const s = report.summary;
  const parts = [
    `${s.fail} failed`,
    `${s.warn} warning${s.warn === 1 ? '' : 's'}`,
    `${s.pass} passed`,
    `${s.skip} skipped`,
    `${s.info} info`,
  ];
  const incomplete = report.gaps.length ? `; incomplete: ${report.gaps.length} API call${report.gaps.length === 1 ? '' : 's'} or exec${report.gaps.length === 1 ? '' : 's'} failed` : '';
  if (s.fail > 0 || s.warn > 0) {
    const roots = `${s.rootCauses} root cause${s.rootCauses === 1 ? '' : 's'}`;
    const mark = s.fail > 0 ? p.red('✖') : p.yellow('!');
    return `${mark} ${roots} (${parts.join(', ')})${incomplete}`;
  }
  if (report.gaps.length) return `${p.yellow('!')} no problems found in what could be checked (${parts.join(', ')})${incomplete}`;
  return `${p.green('✔')} no modelcar problems found (${parts.join(', ')})`;
}
