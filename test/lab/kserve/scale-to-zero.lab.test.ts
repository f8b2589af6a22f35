// Knative scale to zero (issue 5): an InferenceService with minReplicas 0 and no traffic is served by
// a pod until Knative's idle window (90 s, scaled by --time-scale in a lab of its own) runs out, then
// has no pod at all while KServe still reports it Ready, as on a real cluster.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { predictorPod, waitPodReady, getJson } from '../../e2e/isvc.ts';
import { podsCanRun } from '../../e2e/lab-env.ts';
import { startOwnLab, type OwnLab } from '../../e2e/own-lab.ts';
import { SEED_ISVC, SEED_ISVC_NAME } from '../../e2e/seed.ts';
import { until } from '../until.ts';

const TIME_SCALE = 30; // Knative's 90 s idle window becomes 3 s
const NS = 'kserve-test';
const run = podsCanRun('the scale-to-zero lab test');
let lab: OwnLab | undefined;

beforeAll(async () => {
  if (run) lab = await startOwnLab({ timeScale: String(TIME_SCALE) });
}, 120_000);
afterAll(async () => { await lab?.down(); }, 120_000);

describe.skipIf(!run)('Knative scale to zero', () => {
  it('minReplicas 0: Ready with a pod first, then no pod and still Ready', async () => {
    const k = lab!.kubectl;
    const isvc = SEED_ISVC.replace('  predictor:\n', '  predictor:\n    minReplicas: 0\n');
    expect(isvc).toContain('minReplicas: 0');
    const applied = await k(['apply', '-n', NS, '-f', '-'], { input: isvc });
    expect(applied.exitCode, applied.stderr).toBe(0);
    const pod = (await predictorPod(k, NS, SEED_ISVC_NAME)).metadata.name as string;
    expect((await waitPodReady(k, NS, pod, 90)).exitCode).toBe(0);

    const selector = `serving.kserve.io/inferenceservice=${SEED_ISVC_NAME}`;
    await until('no predictor pods', async () => {
      const r = await k(['get', 'pods', '-n', NS, '-l', selector, '-o', 'name']);
      return r.exitCode === 0 && r.stdout.trim() === '' ? r : undefined;
    }, 60_000, 500);
    expect((await k(['get', 'pods', '-n', NS, '-l', selector])).stderr).toContain(`No resources found in ${NS} namespace.`);

    const deployments = await getJson(k, ['deployments', '-n', NS, '-l', `serving.kserve.io/inferenceservice=${SEED_ISVC_NAME}`]);
    expect(deployments.items.map((d: { spec: { replicas: number } }) => d.spec.replicas)).toEqual([0]);
    const status = (await getJson(k, ['isvc', '-n', NS, SEED_ISVC_NAME])).status;
    expect(status.conditions.find((c: { type: string }) => c.type === 'Ready')?.status).toBe('True');
  }, 180_000);
});
