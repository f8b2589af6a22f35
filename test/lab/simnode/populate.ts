// Fills a running lab with InferenceServices on a simulated node, in a given mix of scenarios: one
// namespace per scenario (`sim-<scenario>`), its isvcs created through the API as admin, pods
// admitted under the KServe config the scenario needs (restored afterwards), then waits until every
// pod has its status.
import { KSERVE_NAMESPACE, CONFIG_MAP_NAME } from '../kserve/install.ts';
import type { LabAdmin } from '../faults/admin-client.ts';
import type { KObject } from '../types.ts';
import { SIMULATED_NODE_LABEL } from './node.ts';
import { SIM_SCENARIO_ANNOTATION } from './outcomes.ts';
import { SCENARIO_SPECS, UNSUPPORTED, type ScenarioSpec } from './scenario-specs.ts';

const CONCURRENCY = 16;
const WAIT_MS = 120_000;

export interface PopulateOptions { isvcs: number; mix: Record<string, number>; node: string }
export interface PopulateResult { isvcs: number; pods: number; ms: number; perScenario: Record<string, number> }

/** `a=3,b=1` -> weights; unknown or unsupported scenario names throw with the list of valid ones. */
export function parseMix(text: string): Record<string, number> {
  const mix: Record<string, number> = {};
  for (const part of text.split(',').filter(Boolean)) {
    const [name, weight = '1'] = part.split('=') as [string, string?];
    if (UNSUPPORTED[name]) throw new Error(`scenario ${name} cannot be populated: ${UNSUPPORTED[name]}`);
    if (!SCENARIO_SPECS[name]) throw new Error(`unknown scenario "${name}"; populate knows: ${Object.keys(SCENARIO_SPECS).join(', ')}`);
    const w = Number(weight);
    if (!(w >= 0)) throw new Error(`weight of ${name} is not a number: ${weight}`);
    mix[name] = w;
  }
  if (!Object.keys(mix).length) throw new Error('--mix names no scenario');
  return mix;
}

/** Splits `total` by weight with the largest-remainder method, so the counts always add up. */
export function apportion(total: number, mix: Record<string, number>): Record<string, number> {
  const sum = Object.values(mix).reduce((a, b) => a + b, 0);
  const exact = Object.entries(mix).map(([name, w]) => ({ name, q: sum ? (total * w) / sum : 0 }));
  const counts = Object.fromEntries(exact.map((e) => [e.name, Math.floor(e.q)]));
  let left = total - Object.values(counts).reduce((a, b) => a + b, 0);
  for (const e of [...exact].sort((a, b) => (b.q % 1) - (a.q % 1))) if (left-- > 0) counts[e.name]!++;
  return counts;
}

/** InferenceServices per namespace: the lab's workload controllers list a namespace's pods on every
 *  sync, so a thousand in one namespace would make populating quadratic. */
const PER_NAMESPACE = 25;

/** `sim-<scenario>-<k>`, dots made dashes (namespace names are DNS labels). */
export const namespaceFor = (scenario: string, index: number) =>
  `sim-${scenario.replace(/\./g, '-')}-${String(Math.floor(index / PER_NAMESPACE) + 1).padStart(2, '0')}`;

interface Placement { scenario: string; namespace: string; name: string }

function placements(scenario: string, n: number): Placement[] {
  return Array.from({ length: n }, (_, i) => ({ scenario, namespace: namespaceFor(scenario, i), name: `isvc-${String(i + 1).padStart(4, '0')}` }));
}

function inferenceService(scenario: string, spec: ScenarioSpec, name: string, node: string): KObject {
  const source = spec.storageUris ? { storageUris: spec.storageUris } : {};
  return {
    apiVersion: 'serving.kserve.io/v1beta1',
    kind: 'InferenceService',
    metadata: { name, annotations: { 'serving.kserve.io/deploymentMode': spec.mode === 'Standard' ? 'RawDeployment' : 'Serverless' } },
    spec: {
      predictor: {
        nodeSelector: { [SIMULATED_NODE_LABEL]: 'true', 'kubernetes.io/hostname': node },
        annotations: { [SIM_SCENARIO_ANNOTATION]: scenario },
        ...(spec.minReplicas !== undefined ? { minReplicas: spec.minReplicas } : {}),
        ...source,
        model: { modelFormat: { name: 'sklearn' }, ...(spec.storageUris ? {} : { storageUri: spec.storageUri ?? `oci://rhuss/kserving-example-sklearn:1.0` }) },
      },
    },
  };
}

async function must(admin: LabAdmin, method: string, path: string, body?: unknown, ok: number[] = [200, 201]): Promise<unknown> {
  const r = await admin.request(method, path, body);
  if (!ok.includes(r.status)) throw new Error(`${method} ${path}: ${r.status} ${r.text.slice(0, 300)}`);
  return r.body;
}

async function inParallel<T>(items: T[], fn: (item: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, items.length) }, async () => {
    while (next < items.length) await fn(items[next++]!);
  }));
}

async function until(what: string, check: () => Promise<boolean>): Promise<void> {
  const end = Date.now() + WAIT_MS;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`populate: timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

const podsIn = async (admin: LabAdmin, ns: string) => ((await must(admin, 'GET', `/api/v1/namespaces/${ns}/pods`)) as { items: KObject[] }).items;
const failedCreates = async (admin: LabAdmin, ns: string) =>
  ((await must(admin, 'GET', `/api/v1/namespaces/${ns}/events?fieldSelector=reason%3DFailedCreate`)) as { items: KObject[] }).items.length;

export async function populate(admin: LabAdmin, opts: PopulateOptions): Promise<PopulateResult> {
  const started = performance.now();
  const counts = apportion(opts.isvcs, opts.mix);
  const active = Object.entries(counts).filter(([, n]) => n > 0);
  const all = new Map(active.map(([s, n]) => [s, placements(s, n)]));
  const namespacesOf = (scenario: string) => [...new Set(all.get(scenario)!.map((p) => p.namespace))];
  const cmPath = `/api/v1/namespaces/${KSERVE_NAMESPACE}/configmaps/${CONFIG_MAP_NAME}`;

  for (const [scenario] of active) {
    const spec = SCENARIO_SPECS[scenario]!;
    await inParallel(namespacesOf(scenario), async (ns) => {
      await must(admin, 'POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns, ...spec.namespace } }, [201, 409]);
      for (const obj of spec.objects ?? []) await must(admin, 'POST', `/api/v1/namespaces/${ns}/limitranges`, obj, [201, 409]);
    });
  }

  const create = (scenario: string) =>
    inParallel(all.get(scenario)!, async (p) => {
      const path = `/apis/serving.kserve.io/v1beta1/namespaces/${p.namespace}/inferenceservices`;
      await must(admin, 'POST', path, inferenceService(scenario, SCENARIO_SPECS[scenario]!, p.name, opts.node), [201, 409]);
    });
  // Pods admitted: either they exist, or admission refused them (a FailedCreate event per ReplicaSet at least).
  const count = async (scenario: string, what: (ns: string) => Promise<number>) =>
    (await Promise.all(namespacesOf(scenario).map(what))).reduce((a, b) => a + b, 0);
  const admitted = (scenario: string) => async () =>
    (await count(scenario, async (ns) => (SCENARIO_SPECS[scenario]!.pods ? (await podsIn(admin, ns)).length : await failedCreates(admin, ns)))) >= counts[scenario]!;

  // Scenarios that need no config change go in together; each config scenario alone, config restored after.
  await Promise.all(active.filter(([s]) => !SCENARIO_SPECS[s]!.config).map(([s]) => create(s)));
  for (const [scenario] of active.filter(([s]) => SCENARIO_SPECS[s]!.config)) {
    const cm = (await must(admin, 'GET', cmPath)) as KObject & { data: Record<string, string> };
    const original = cm.data['storageInitializer']!;
    await must(admin, 'PUT', cmPath, { ...cm, data: { ...cm.data, storageInitializer: SCENARIO_SPECS[scenario]!.config!(original) } });
    try {
      await create(scenario);
      await until(`the pods of ${scenario}`, admitted(scenario));
    } finally {
      const now = (await must(admin, 'GET', cmPath)) as KObject & { data: Record<string, string> };
      await must(admin, 'PUT', cmPath, { ...now, data: { ...now.data, storageInitializer: original } });
    }
  }

  let pods = 0;
  for (const [scenario, n] of active) {
    if (!SCENARIO_SPECS[scenario]!.pods) { await until(`the FailedCreate events of ${scenario}`, admitted(scenario)); continue; }
    await until(`the pods of ${scenario} to have statuses`, async () => {
      const withStatus = await count(scenario, async (ns) => (await podsIn(admin, ns)).filter((p) => (p.status as { containerStatuses?: unknown[] } | undefined)?.containerStatuses).length);
      if (withStatus < n) return false;
      pods += withStatus;
      return true;
    });
  }
  return { isvcs: opts.isvcs, pods, ms: performance.now() - started, perScenario: counts };
}
