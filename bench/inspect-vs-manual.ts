// Benchmark for issue 6: `kubectl modelcar inspect sklearn-iris-oci` against the seed page's manual
// sequence (find the pod, read shareProcessNamespace, `ls -l /mnt`, `ls -l /mnt/models`, each a kubectl
// process), on the same lab in one run, alternating; and `kubectl modelcar --help` against
// `kubectl version --client`. Ratios of medians. Usage: npm run bench -- inspect-vs-manual [--runs 9]
// [--baseline DIR]: also time the kubectl-modelcar in DIR (another build, say of an older commit) in
// the same alternation, for before/after figures from one run on one lab.
import { execa } from 'execa';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { predictorPod, waitPodReady } from '../test/e2e/isvc.ts';
import { startOwnLab } from '../test/e2e/own-lab.ts';
import { SEED_ISVC, SEED_ISVC_NAME, SEED_NAMESPACE } from '../test/e2e/seed.ts';
import { buildPlugin } from '../scripts/build.ts';
import { fmt, median, timed } from './stats.ts';

/** CPU time (user + system) of this process's waited-for children so far (Linux /proc; 0 elsewhere). */
function childCpuMs(): number {
  try {
    const fields = readFileSync('/proc/self/stat', 'utf8').replace(/^.*\) /, '').split(' ');
    // After "(comm) ": state is field 3, so cutime (16) and cstime (17) are at 13 and 14; in clock ticks (100 Hz).
    return (Number(fields[13]) + Number(fields[14])) * 10;
  } catch {
    return 0;
  }
}

const { values } = parseArgs({ options: { runs: { type: 'string', default: '9' }, baseline: { type: 'string' } } });
const RUNS = Number(values.runs);
const NS = SEED_NAMESPACE;
const dist = path.dirname(await buildPlugin());

const cpus = os.cpus();
console.log(`machine: ${cpus.length} x ${cpus[0]?.model ?? 'cpu'}, ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB, Node ${process.versions.node}, load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);

const lab = await startOwnLab({});
try {
  const env = { ...lab.env, PATH: `${dist}:${process.env.PATH}` };
  const kubectl = (args: string[], e: Record<string, string> = env) => execa('/usr/bin/kubectl', args, { env: e, reject: false });
  const baselineEnv = values.baseline ? { ...lab.env, PATH: `${path.resolve(values.baseline)}:${process.env.PATH}` } : undefined;
  const applied = await lab.kubectl(['apply', '-n', NS, '-f', '-'], { input: SEED_ISVC });
  if (applied.exitCode !== 0) throw new Error(applied.stderr);
  const podName = (await predictorPod(lab.kubectl, NS, SEED_ISVC_NAME)).metadata.name as string;
  if ((await waitPodReady(lab.kubectl, NS, podName, 180)).exitCode !== 0) throw new Error('seed pod not Ready');

  // The seed page's steps, verbatim but for -n: each one a kubectl process, one after another.
  const manual = async () => {
    const pod = (await kubectl(['get', 'pods', '-n', NS, '-l', `serving.kserve.io/inferenceservice=${SEED_ISVC_NAME}`, '-o', 'name'])).stdout.trim();
    await kubectl(['get', '-n', NS, pod, '-o', 'jsonpath={.spec.shareProcessNamespace}']);
    await kubectl(['exec', '-n', NS, pod, '-c', 'kserve-container', '--', 'ls', '-l', '/mnt']);
    const models = await kubectl(['exec', '-n', NS, pod, '-c', 'kserve-container', '--', 'ls', '-l', '/mnt/models/']);
    if (!models.stdout.includes('model')) throw new Error(`manual sequence saw no model: ${models.stderr}`);
  };
  const plugin = async (e = env) => {
    const r = await kubectl(['modelcar', 'inspect', SEED_ISVC_NAME, '-n', NS, '-o', 'json'], e);
    const report = JSON.parse(r.stdout) as { summary: { fail: number; pass: number } };
    if (report.summary.pass === 0) throw new Error(`inspect passed nothing: ${r.stderr}`);
    return report.summary.pass + report.summary.fail;
  };
  let checks = 0;
  const manualMs: number[] = [];
  const pluginMs: number[] = [];
  const baselineMs: number[] = [];
  const cpu = { manual: 0, plugin: 0, baseline: 0 };
  await manual(); checks = await plugin(); // warm-up: discovery caches, compile cache
  if (baselineEnv) await plugin(baselineEnv);
  for (let i = 0; i < RUNS; i++) {
    let before = childCpuMs();
    manualMs.push((await timed(manual))[0]);
    cpu.manual += childCpuMs() - before;
    before = childCpuMs();
    pluginMs.push((await timed(() => plugin()))[0]);
    cpu.plugin += childCpuMs() - before;
    if (baselineEnv) {
      before = childCpuMs();
      baselineMs.push((await timed(() => plugin(baselineEnv)))[0]);
      cpu.baseline += childCpuMs() - before;
    }
  }
  const helpMs: number[] = [];
  const versionMs: number[] = [];
  for (let i = 0; i < RUNS * 2; i++) {
    helpMs.push((await timed(() => execa(path.join(dist, 'kubectl-modelcar'), ['--help'], { env })))[0]);
    versionMs.push((await timed(() => execa('/usr/bin/kubectl', ['version', '--client'], { env })))[0]);
  }
  console.log(`seed manual sequence (4 kubectl processes), ${RUNS} runs: median ${fmt(median(manualMs))}`);
  console.log(`kubectl modelcar inspect (${checks} checks judged), ${RUNS} runs: median ${fmt(median(pluginMs))}`);
  console.log(`ratio inspect / manual: ${(median(pluginMs) / median(manualMs)).toFixed(2)} (target <= 0.75, goal 0.5)`);
  // CPU time of the client processes (kubectl, and the plugin's Node), which a loaded machine blurs less than wall time.
  console.log(`client CPU (user+sys) per run, mean: manual ${fmt(cpu.manual / RUNS)}, inspect ${fmt(cpu.plugin / RUNS)}; ratio ${(cpu.plugin / cpu.manual).toFixed(2)}`);
  if (baselineEnv) {
    console.log(`baseline ${values.baseline} inspect: median ${fmt(median(baselineMs))}, ratio to manual ${(median(baselineMs) / median(manualMs)).toFixed(2)}; client CPU per run, mean ${fmt(cpu.baseline / RUNS)}`);
  }
  console.log(`dist/kubectl-modelcar --help: median ${fmt(median(helpMs))}; kubectl version --client: median ${fmt(median(versionMs))}; ratio ${(median(helpMs) / median(versionMs)).toFixed(2)} (target <= 2)`);
} finally {
  await lab.down();
}
