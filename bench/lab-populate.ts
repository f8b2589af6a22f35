// Benchmark for issue 5: time to populate the lab with 1,000 InferenceServices on the simulated node
// (a mix of healthy and failing scenarios), then the latency of listing all pods at that size, as
// JSON and as the Table `kubectl get pods -A` asks for, and kubectl itself end to end.
// Usage: npm run bench -- lab-populate [--isvcs 1000] [--mix a=1,b=1] [--runs 20]
import { mkdtemp, rm } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { execa } from 'execa';
import { readServerInfo } from '../test/lab/cli/state.ts';
import { up } from '../test/lab/cli/up.ts';
import { down } from '../test/lab/cli/down.ts';
import { labAdmin } from '../test/lab/faults/admin-client.ts';
import { DEFAULT_SIM_NODE } from '../test/lab/simnode/node.ts';
import { parseMix, populate } from '../test/lab/simnode/populate.ts';
import { fmt, median, percentile, timed } from './stats.ts';

const DEFAULT_MIX = 'healthy-standard-v0.20=14,healthy-knative-v0.20=2,uid-mismatch=1,no-models-dir=1,image-missing=1,modelcar-oomkilled=1';
const { values } = parseArgs({ options: { isvcs: { type: 'string', default: '1000' }, mix: { type: 'string', default: DEFAULT_MIX }, runs: { type: 'string', default: '20' } } });
const RUNS = Number(values.runs);
const TABLE = 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json';

/** User plus system CPU time of a process so far (from /proc), which other load on the machine does not inflate. */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

const state = await mkdtemp(path.join(tmpdir(), 'bench-populate-'));
const cache = await mkdtemp(path.join(tmpdir(), 'bench-kubecache-'));
try {
  const kubeconfig = await up({ state });
  const admin = await labAdmin(state);
  const serverPid = (await readServerInfo(state))!.pid;
  const cpuBefore = cpuSeconds(serverPid);
  const result = await populate(admin, { isvcs: Number(values.isvcs), mix: parseMix(values.mix!), node: DEFAULT_SIM_NODE });
  console.log(`populate: ${result.isvcs} InferenceServices, ${result.pods} pods in ${(result.ms / 1000).toFixed(1)} s, lab server CPU ${(cpuSeconds(serverPid) - cpuBefore).toFixed(1)} s (load average ${loadavg()[0]!.toFixed(1)} on this machine; mix ${values.mix})`);

  const sample = async (label: string, fn: () => Promise<unknown>) => {
    await fn(); // warm-up: the first list fills the JSON caches
    const times: number[] = [];
    for (let i = 0; i < RUNS; i++) times.push((await timed(fn))[0]);
    console.log(`${label.padEnd(44)} p50 ${fmt(median(times))}  p99 ${fmt(percentile(times, 99))}`);
  };
  const list = (accept: string) => async () => {
    const r = await admin.request('GET', '/api/v1/pods', undefined, { accept });
    if (r.status !== 200) throw new Error(`list pods: ${r.status}`);
  };
  await sample('GET /api/v1/pods (JSON, all pods)', list('application/json'));
  await sample('GET /api/v1/pods (Table, all pods)', list(TABLE));
  await sample('kubectl get pods -A (Table, end to end)', () =>
    execa('/usr/bin/kubectl', ['get', 'pods', '-A', '--no-headers'], { env: { KUBECONFIG: kubeconfig, KUBECACHEDIR: cache } }));
  const events = await admin.request('GET', '/api/v1/events');
  console.log(`events held: ${(events.body as { items: unknown[] }).items.length}`);
  admin.close();
} finally {
  await down({ state });
  await rm(state, { recursive: true, force: true });
  await rm(cache, { recursive: true, force: true });
}
