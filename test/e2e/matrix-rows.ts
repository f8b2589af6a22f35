// The rows of docs/scenarios.md that the healthy seed example must hold to, for each KServe version
// the lab emulates, each deployment mode and each user of the lab's kubeconfig (issue 6's matrix).
import type { CheckId } from '../../shared/catalogue.ts';
import type { Status } from '../../shared/report.ts';
import { scenario, type Scenario } from '../../shared/scenarios.ts';
import { KSERVE_VERSIONS } from '../lab/kserve/install.ts';

/** Every release the lab emulates. */
export const MATRIX_VERSIONS = KSERVE_VERSIONS;
export type MatrixVersion = (typeof MATRIX_VERSIONS)[number];
export const MODES = ['Knative', 'Standard'] as const;
export type Mode = (typeof MODES)[number];
export const USERS = ['admin', 'support', 'sso'] as const;
export type User = (typeof USERS)[number];

/** The value of `serving.kserve.io/deploymentMode` that asks each release for Standard mode: the
 *  name was RawDeployment until v0.16.0 renamed it (constants.ParseDeploymentMode; v0.16+ still
 *  accepts and rewrites RawDeployment, v0.13 to v0.15 know no Standard). */
export const STANDARD_ANNOTATION: Record<MatrixVersion, string> = {
  'v0.13.0': 'RawDeployment',
  'v0.15.2': 'RawDeployment',
  'v0.17.0': 'Standard',
  'v0.20.0': 'Standard',
};

/** What `status.deploymentMode` says in each mode: Serverless/RawDeployment before v0.16. */
export function recordedMode(version: MatrixVersion, mode: Mode): string {
  const legacy = version === 'v0.13.0' || version === 'v0.15.2';
  if (mode === 'Knative') return legacy ? 'Serverless' : 'Knative';
  return legacy ? 'RawDeployment' : 'Standard';
}

/** The healthy row of the table for a version and mode: on v0.20 one per mode; the older rows say
 *  nothing about the mode, so they hold on both. */
export function healthyRow(version: MatrixVersion, mode: Mode): Scenario {
  if (version === 'v0.20.0') return scenario(mode === 'Knative' ? 'healthy-knative-v0.20' : 'healthy-standard-v0.20');
  return scenario(`healthy-${version}`);
}

/** The in-pod checks: they need `pods/exec` (docs: MC4xx "inside the runtime container"). */
export const IN_POD_CHECKS: readonly CheckId[] = ['MC401', 'MC402', 'MC403', 'MC404', 'MC405', 'MC406', 'MC407'];

/** A healthy row as the read-only `support` user (no `pods/exec`) must see it, where the table has
 *  no row of its own (it has one, support-user-no-exec, for v0.20 only): the same fails, warnings
 *  and root causes, plus MC408 warning as a root cause; every in-pod check skipped instead of its
 *  status in the row; every other fixed status kept; exit 4 (nothing failed, the report is incomplete). */
export function withoutExec(row: Scenario): Scenario {
  if (row.fail.length > 0 || row.exit !== 0) throw new Error(`withoutExec is the rule for healthy rows; ${row.id} fails`);
  const statuses: Partial<Record<CheckId, Status>> = { ...row.statuses };
  for (const id of IN_POD_CHECKS) statuses[id] = 'skip';
  statuses.MC408 = 'warn';
  return {
    id: `${row.id}, as support (no pods/exec)`,
    fail: [],
    warn: [...row.warn, 'MC408'],
    may: [...row.may],
    root: [...row.root, 'MC408'],
    statuses,
    exit: 4,
  };
}

/** The rows one inspect must hold to: admin and sso the healthy row; support the derived rule, and on
 *  v0.20 also the table's own support-user-no-exec row. */
export function rowsFor(version: MatrixVersion, mode: Mode, user: User): Scenario[] {
  const healthy = healthyRow(version, mode);
  if (user !== 'support') return [healthy];
  return version === 'v0.20.0' ? [scenario('support-user-no-exec'), withoutExec(healthy)] : [withoutExec(healthy)];
}
