// Benchmark for issue 4: in a lab of its own (KServe v0.20.0, Knative mode), the time from
// `kubectl apply` of the seed's InferenceService to its pod at 3/3 Running (target under 3 s here),
// and from `kubectl apply` to Ready for a storage-initializer sibling (http:// model of 1 MB and of
// 200 MB, downloaded from the lab's model HTTP server). Medians over --runs runs; the first seed run
// pulls the model image onto the node, the others find it there (IfNotPresent).
// Usage: npm run bench -- seed-startup [--runs 3] [--trace]
// --trace: the lab's kubelet logs each pod event, status write and probe result (LAB_KUBELET_TRACE),
// and every seed run prints that timeline in ms after the apply began.
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { deterministicBytes } from '../test/lab/images/catalog.ts';
import { startModelHttpServer } from '../test/lab/images/model-http-server.ts';
import { containerStatus, deleteIsvcs, predictorPod, waitIsvcReady, waitPodReady, type Kubectl } from '../test/e2e/isvc.ts';
import { startOwnLab } from '../test/e2e/own-lab.ts';
import { SEED_ISVC, SEED_ISVC_NAME, SEED_NAMESPACE, seedSibling } from '../test/e2e/seed.ts';
import { fmt, median, timed } from './stats.ts';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '3' }, trace: { type: 'boolean', default: false } } });
const RUNS = Number(values.runs);
if (values.trace) process.env['LAB_KUBELET_TRACE'] = '1';
const NS = SEED_NAMESPACE;

function printMachine(): void {
  const cpus = os.cpus();
  console.log(`machine: ${cpus.length} x ${cpus[0]?.model ?? 'unknown cpu'}, ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB, ` +
    `Linux ${os.release()}, Node ${process.versions.node}, load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
}

async function must(k: Kubectl, args: string[], input?: string): Promise<void> {
  const r = await k(args, { input });
  if (r.exitCode !== 0) throw new Error(`kubectl ${args.join(' ')}: ${r.stderr}`);
}

/** apply -> the first pod Ready (all containers running and ready: 3/3 Running), and how often the
 *  runtime restarted on the way (it fails when it starts before modelcar made the link). */
async function seedRun(k: Kubectl, state: string): Promise<[number, number]> {
  const marks: Array<[number, string]> = [[Date.now(), 'kubectl apply starts']];
  const [ms, pod] = await timed(async () => {
    await must(k, ['apply', '-n', NS, '-f', '-'], SEED_ISVC);
    marks.push([Date.now(), 'kubectl apply returned']);
    const pod = (await predictorPod(k, NS, SEED_ISVC_NAME)).metadata.name as string;
    marks.push([Date.now(), 'kubectl get found the pod']);
    const r = await waitPodReady(k, NS, pod, 120);
    if (r.exitCode !== 0) throw new Error(`pod ${pod} not Ready: ${r.stderr}`);
    marks.push([Date.now(), 'kubectl wait saw Ready']);
    return pod;
  });
  const restarts = (await containerStatus(k, NS, pod, 'kserve-container'))?.restartCount as number;
  if (values.trace) await printTrace(state, pod, marks);
  await deleteIsvcs(k, NS, [SEED_ISVC_NAME]);
  return [ms, restarts];
}

/** The kubelet's trace lines about `pod` from the lab's server.log, merged with the bench's own marks. */
async function printTrace(state: string, pod: string, marks: Array<[number, string]>): Promise<void> {
  const t0 = marks[0]![0];
  const lines = (await readFile(path.join(state, 'server.log'), 'utf8')).split('\n')
    .map((l) => /^kubelet trace (\S+) (\S+) (.*)$/.exec(l))
    .filter((m): m is RegExpExecArray => m !== null && m[2]!.includes(pod) && Date.parse(m[1]!) >= t0)
    .map((m): [number, string] => [Date.parse(m[1]!), m[3]!]);
  for (const [t, what] of [...marks, ...lines].sort((a, b) => a[0] - b[0])) console.log(`  +${String(t - t0).padStart(6)} ms  ${what}`);
}

/** apply -> InferenceService Ready, the model downloaded by the storage-initializer first. */
async function httpRun(k: Kubectl, name: string, uri: string): Promise<number> {
  const [ms] = await timed(async () => {
    await must(k, ['apply', '-n', NS, '-f', '-'], seedSibling(name, uri));
    const r = await waitIsvcReady(k, NS, name, 300);
    if (r.exitCode !== 0) throw new Error(`${name} not Ready: ${r.stderr}`);
  });
  await deleteIsvcs(k, NS, [name]);
  return ms;
}

function report(what: string, samples: number[]): void {
  console.log(`${what.padEnd(52)} median ${fmt(median(samples)).padStart(9)}   runs: ${samples.map(fmt).join(', ')}`);
}

printMachine();
const lab = await startOwnLab({});
const modelDir = await mkdtemp(path.join(os.tmpdir(), 'bench-models-'));
const server = await startModelHttpServer(modelDir);
try {
  const seed: number[] = [];
  const restarts: number[] = [];
  for (let r = 0; r < RUNS; r++) {
    const [ms, n] = await seedRun(lab.kubectl, lab.state);
    seed.push(ms);
    restarts.push(n);
  }
  report('seed oci:// apply -> 3/3 Running', seed);
  console.log(`  kserve-container restarts per run (startup race): ${restarts.join(', ')}`);
  console.log(`  target < 3 s: ${median(seed) < 3000 ? 'met' : 'NOT met'} (median)`);
  for (const mb of [1, 200]) {
    const dir = path.join(modelDir, `${mb}mb`);
    await mkdir(dir);
    await writeFile(path.join(dir, 'model.joblib'), deterministicBytes(`bench-${mb}`, mb * 2 ** 20));
    const samples: number[] = [];
    for (let r = 0; r < RUNS; r++) samples.push(await httpRun(lab.kubectl, `sklearn-iris-http-${mb}mb`, `${server.url}/${mb}mb/model.joblib`));
    report(`http:// ${mb} MB storage-initializer apply -> Ready`, samples);
  }
} finally {
  await server.stop();
  await lab.down();
  await rm(modelDir, { recursive: true, force: true });
  await rm(lab.state, { recursive: true, force: true });
}
