// Helpers of inspect-gaps.lab.test.ts: a namespaced ServingRuntime that is KServe's sklearn runtime
// with another image, InferenceServices as YAML, what a support case sends (a must-gather-style
// directory made with kubectl), and a finding-by-finding comparison of two reports.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Report } from '../../shared/report.ts';
import { getJson, type Kubectl } from './isvc.ts';

/** A ServingRuntime `name` in `ns`: the shipped kserve-sklearnserver with its kserve-container image replaced. */
export async function applyRuntimeWithImage(k: Kubectl, ns: string, name: string, image: string): Promise<void> {
  const csr = await getJson(k, ['clusterservingruntime', 'kserve-sklearnserver']);
  if (!csr) throw new Error('no ClusterServingRuntime kserve-sklearnserver in the lab');
  const spec = structuredClone(csr.spec);
  spec.containers.find((c: { name: string }) => c.name === 'kserve-container').image = image;
  const runtime = { apiVersion: 'serving.kserve.io/v1alpha1', kind: 'ServingRuntime', metadata: { name, namespace: ns }, spec };
  const r = await k(['apply', '-f', '-'], { input: JSON.stringify(runtime) });
  if (r.exitCode !== 0) throw new Error(`applying ServingRuntime ${ns}/${name}: ${r.stderr}`);
}

/** An InferenceService of the sklearn format with `predictor` fields as given (YAML via JSON). */
export function isvcJson(name: string, predictor: Record<string, unknown>): string {
  return JSON.stringify({ apiVersion: 'serving.kserve.io/v1beta1', kind: 'InferenceService', metadata: { name }, spec: { predictor } });
}

/** A must-gather-style directory: `namespaces/<ns>/<group>/<plural>.yaml` lists, cluster-scoped
 *  objects one file each, and container logs at `namespaces/<ns>/pods/<pod>/<c>/<c>/logs/current.log`,
 *  all written from real `kubectl get -o yaml` / `kubectl logs` output. */
export async function mustGather(k: Kubectl, dir: string, namespaces: string[]): Promise<void> {
  const put = async (path: string, text: string) => {
    await mkdir(join(path, '..'), { recursive: true });
    await writeFile(path, text);
  };
  const yaml = async (args: string[]) => {
    const r = await k(['get', ...args, '-o', 'yaml']);
    if (r.exitCode !== 0) throw new Error(`kubectl get ${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };
  for (const ns of namespaces) {
    const base = join(dir, 'namespaces', ns);
    await put(join(base, `${ns}.yaml`), await yaml(['namespace', ns]));
    for (const [group, plural] of [['core', 'pods'], ['core', 'events'], ['core', 'configmaps'], ['core', 'limitranges'], ['core', 'resourcequotas'], ['apps', 'deployments'], ['apps', 'replicasets'], ['serving.kserve.io', 'inferenceservices'], ['serving.kserve.io', 'servingruntimes']] as const) {
      await put(join(base, group, `${plural}.yaml`), await yaml([group === 'core' ? plural : `${plural}.${group}`, '-n', ns]));
    }
    const pods = await getJson(k, ['pods', '-n', ns]);
    for (const pod of pods.items) {
      for (const c of [...(pod.spec.initContainers ?? []), ...pod.spec.containers]) {
        const logs = await k(['logs', '-n', ns, pod.metadata.name, '-c', c.name]);
        if (logs.exitCode === 0) await put(join(base, 'pods', pod.metadata.name, c.name, c.name, 'logs', 'current.log'), `${logs.stdout}\n`);
      }
    }
  }
  for (const [group, plural] of [['core', 'nodes'], ['serving.kserve.io', 'clusterservingruntimes']] as const) {
    const list = await getJson(k, [group === 'core' ? plural : `${plural}.${group}`]);
    for (const o of list.items) await put(join(dir, 'cluster-scoped-resources', group, plural, `${o.metadata.name}.yaml`), JSON.stringify(o));
  }
}

/** Each finding as `ID object [container]` -> status (several findings of one ID on one object: joined). */
export function verdicts(r: Report): Map<string, string> {
  const out = new Map<string, string>();
  for (const f of r.findings) {
    const key = `${f.id} ${f.object}${f.container ? ` [${f.container}]` : ''}`;
    out.set(key, out.has(key) ? `${out.get(key)},${f.status}` : f.status);
  }
  return out;
}

/** The in-pod checks (MC4xx): they need exec into a live pod. */
export const IN_POD = /^MC4\d\d$/;
