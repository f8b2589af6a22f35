// Benchmark for issue 3: `lab up` time (cold: new state dir; warm: the server restarted in an existing
// state dir) and the API server's latency for get and list with 1,000 pods, as JSON and as the Table
// kubectl asks for. The pods are bound to a node nobody runs, so no container starts.
// Usage: npm run bench -- lab-api   (or node bench/lab-api.ts [--pods 1000] [--runs 5] [--before DIR])
// --before DIR: also times `lab up` from another checkout (a git worktree of an earlier commit, with
// node_modules linked in), alternating with this one run by run, so both see the same load.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { Agent, request } from 'node:https';
import { tmpdir, cpus, loadavg } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { parse } from 'yaml';
import { up } from '../test/lab/cli/up.ts';
import { down } from '../test/lab/cli/down.ts';
import { fmt, median, percentile, timed } from './stats.ts';

const { values } = parseArgs({ options: { pods: { type: 'string', default: '1000' }, runs: { type: 'string', default: '5' }, before: { type: 'string' } } });
const PODS = Number(values.pods);
const RUNS = Number(values.runs);

interface Kubeconfig { clusters: Array<{ cluster: { server: string; 'certificate-authority-data': string } }>; users: Array<{ name: string; user: { token?: string } }> }

async function apiClient(kubeconfigPath: string) {
  const kc = parse(await readFile(kubeconfigPath, 'utf8')) as Kubeconfig;
  const server = new URL(kc.clusters[0]!.cluster.server);
  const ca = Buffer.from(kc.clusters[0]!.cluster['certificate-authority-data'], 'base64');
  const token = kc.users.find((u) => u.name === 'admin')!.user.token!;
  const agent = new Agent({ ca, keepAlive: true, maxSockets: 8 });
  return (method: string, p: string, body?: unknown, accept = 'application/json'): Promise<{ status: number; bytes: number }> =>
    new Promise((resolve, reject) => {
      const req = request({ host: server.hostname, port: server.port, path: p, method, agent,
        headers: { authorization: `Bearer ${token}`, accept, 'content-type': 'application/json' } }, (res) => {
        let bytes = 0;
        res.on('data', (c: Buffer) => { bytes += c.length; });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, bytes }));
      });
      req.on('error', reject);
      req.end(body === undefined ? undefined : JSON.stringify(body));
    });
}

function pod(i: number) {
  return {
    apiVersion: 'v1', kind: 'Pod',
    metadata: { name: `bench-${i}`, namespace: 'bench', labels: { app: 'bench', 'serving.kserve.io/inferenceservice': `isvc-${i % 100}` } },
    spec: { nodeName: 'bench-node-not-run', containers: [{ name: 'kserve-container', image: 'kserve/sklearnserver:v0.20.0' }, { name: 'modelcar', image: 'rhuss/kserving-example-sklearn:1.0', args: ['sh', '-c', 'ln -sf /proc/$$$$/root/models /mnt/models && sleep infinity'] }] },
  };
}

type UpDown = { up: (o: { state: string }) => Promise<string>; down: (o: { state: string }) => Promise<boolean> };
const trees: Array<[string, UpDown]> = [['this tree', { up, down }]];
if (values.before) {
  const dir = path.resolve(values.before);
  trees.unshift([`before (${path.basename(dir)})`, {
    up: ((await import(path.join(dir, 'test/lab/cli/up.ts'))) as UpDown).up,
    down: ((await import(path.join(dir, 'test/lab/cli/down.ts'))) as UpDown).down,
  }]);
}
const upTimes = new Map(trees.map(([name]) => [name, { cold: [] as number[], warm: [] as number[] }]));
for (let r = 0; r < RUNS; r++) {
  for (const [name, tree] of trees) {
    const state = await mkdtemp(path.join(tmpdir(), 'bench-lab-'));
    const [cold] = await timed(() => tree.up({ state }));
    await tree.down({ state });
    const [warm] = await timed(() => tree.up({ state }));
    await tree.down({ state });
    upTimes.get(name)!.cold.push(cold); upTimes.get(name)!.warm.push(warm);
    await rm(state, { recursive: true, force: true });
  }
}

const state = await mkdtemp(path.join(tmpdir(), 'bench-lab-'));
try {
  const api = await apiClient(await up({ state }));
  await api('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'bench' } });
  const [createMs] = await timed(async () => {
    for (let i = 0; i < PODS; i += 20) {
      await Promise.all(Array.from({ length: Math.min(20, PODS - i) }, (_, k) => api('POST', '/api/v1/namespaces/bench/pods', pod(i + k))));
    }
  });
  const sample = async (n: number, fn: () => Promise<{ status: number; bytes: number }>) => {
    const times: number[] = [];
    let bytes = 0;
    for (let i = 0; i < n; i++) {
      const [ms, res] = await timed(fn);
      if (res.status !== 200) throw new Error(`status ${res.status}`);
      times.push(ms); bytes = res.bytes;
    }
    return { p50: median(times), p99: percentile(times, 99), bytes };
  };
  const TABLE = 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json';
  const rows = {
    'get one pod': await sample(300, () => api('GET', `/api/v1/namespaces/bench/pods/bench-${Math.floor(Math.random() * PODS)}`)),
    [`list ${PODS} pods (JSON)`]: await sample(40, () => api('GET', '/api/v1/namespaces/bench/pods')),
    [`list ${PODS} pods (Table, as kubectl get)`]: await sample(40, () => api('GET', '/api/v1/namespaces/bench/pods?limit=500', undefined, TABLE)),
    'list by label (10 pods)': await sample(100, () => api('GET', '/api/v1/namespaces/bench/pods?labelSelector=serving.kserve.io%2Finferenceservice%3Disvc-7')),
  };
  console.log(`machine: ${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}, node ${process.versions.node}`);
  console.log(`load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  for (const [name, t] of upTimes) {
    if (upTimes.size > 1) console.log(`${name}:`);
    console.log(`lab up, cold (new state dir, ${RUNS} runs): median ${fmt(median(t.cold))}  runs: ${t.cold.map(fmt).join(', ')}`);
    console.log(`lab up, warm (existing state dir, ${RUNS} runs): median ${fmt(median(t.warm))}  runs: ${t.warm.map(fmt).join(', ')}`);
  }
  console.log(`create ${PODS} pods (20 in flight): ${fmt(createMs)}`);
  for (const [name, r] of Object.entries(rows)) console.log(`${name}: p50 ${fmt(r.p50)}, p99 ${fmt(r.p99)}, ${(r.bytes / 1024).toFixed(0)} KiB`);
} finally {
  await down({ state });
  await rm(state, { recursive: true, force: true });
}
