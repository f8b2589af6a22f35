// `kubectl modelcar` as a support engineer runs it in the e2e tests: the bundled plugin on PATH,
// started by the real /usr/bin/kubectl with a lab's kubeconfig, and its report held to a row of
// docs/scenarios.md. One build per test process, shared by every file that needs the plugin.
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { buildPlugin } from '../../scripts/build.ts';
import { ReportSchema, type Report } from '../../shared/report.ts';
import { scenario, scenarioViolations, type Scenario } from '../../shared/scenarios.ts';
import { KUBECTL, type KubectlResult } from '../lab/testkit.ts';

const root = resolve(fileURLToPath(new URL('.', import.meta.url)), '../..');
let built: Promise<string> | undefined;

/** The directory holding a freshly bundled `kubectl-modelcar` (built once per process). */
export function pluginBinDir(): Promise<string> {
  built ??= (async () => {
    const dir = await mkdtemp(join(tmpdir(), 'modelcar-bin-'));
    await buildPlugin(join(dir, 'kubectl-modelcar'));
    return dir;
  })();
  return built;
}

/** `kubectl modelcar <args>` with a lab's `env` (KUBECONFIG, KUBECACHEDIR); never throws on a non-zero exit. */
export async function modelcar(args: string[], env: Record<string, string>, opts: { input?: string; timeoutMs?: number } = {}): Promise<KubectlResult> {
  const bin = await pluginBinDir();
  const r = await execa(KUBECTL, ['modelcar', ...args], {
    env: { NO_COLOR: '1', KUBECTL_MODELCAR_NODE: join(root, 'node_modules/.bin/node'), ...env, PATH: `${bin}:${process.env['PATH'] ?? ''}` },
    input: opts.input ?? '',
    reject: false,
    timeout: opts.timeoutMs ?? 120_000,
  });
  return { stdout: String(r.stdout), stderr: String(r.stderr), exitCode: r.exitCode ?? -1 };
}

export interface InspectResult { report: Report; exitCode: number; stderr: string }

/** `kubectl modelcar inspect <isvc> -n <ns> -o json [...extra]`, its report parsed by the schema. */
export async function inspectJson(env: Record<string, string>, ns: string, isvc: string, extra: string[] = []): Promise<InspectResult> {
  const r = await modelcar(['inspect', isvc, '-n', ns, '-o', 'json', ...extra], env);
  let json: unknown;
  try {
    json = JSON.parse(r.stdout);
  } catch {
    throw new Error(`inspect ${ns}/${isvc} printed no JSON report (exit ${r.exitCode}): ${r.stderr || r.stdout}`);
  }
  return { report: ReportSchema.parse(json), exitCode: r.exitCode, stderr: r.stderr };
}

/** What the result violates of docs/scenarios.md's row `id` (or of a row derived from one), each line
 *  with the findings that failed or warned, so a failing test says what the report really said.
 *  Empty when it holds. */
export function violationsOf(row: string | Scenario, result: InspectResult): string[] {
  const s = typeof row === 'string' ? scenario(row) : row;
  const problems = scenarioViolations(s, result.report.findings, result.exitCode);
  if (problems.length === 0) return [];
  const raised = result.report.findings
    .filter((f) => f.status !== 'pass')
    .map((f) => `${f.id}=${f.status}${f.rootCause ? ' (root)' : ''}${f.causedBy ? ` causedBy ${f.causedBy}` : ''}: ${f.message}`);
  return [`row ${s.id}:`, ...problems, '--- the report:', ...raised, ...(result.stderr ? ['--- stderr:', result.stderr] : [])];
}
