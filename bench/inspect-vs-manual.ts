// Benchmark for issue 6: `kubectl modelcar inspect sklearn-iris-oci` against the seed page's manual
// sequence (find the pod, read shareProcessNamespace, `ls -l /mnt`, `ls -l /mnt/models`, each a kubectl
// process), on the same lab in one run, alternating; and `kubectl modelcar --help` against
// `kubectl version --client`. Ratios of medians. Usage: npm run bench -- inspect-vs-manual [--runs 9]
import { execa } from 'execa';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { predictorPod, waitPodReady } from '../test/e2e/isvc.ts';
import { startOwnLab } from '../test/e2e/own-lab.ts';
import { SEED_ISVC, SEED_ISVC_NAME, SEED_NAMESPACE } from '../test/e2e/seed.ts';
import { buildPlugin } from '../scripts/build.ts';
import { fmt, median, timed } from './stats.ts';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '9' } } });
const RUNS = Number(values.runs);
const NS = SEED_NAMESPACE;
const dist = path.dirname(await buildPlugin());

const cpus = os.cpus();
console.log(`machine: ${cpus.length} x ${cpus[0]?.model ?? 'cpu'}, ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB, Node ${process.versions.node}, load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);

const lab = await startOwnLab({});
try {
  const env = { ...lab.env, PATH: `${dist}:${process.env.PATH}` };
  const kubectl = (args: string[]) => execa('/usr/bin/kubectl', args, { env, reject: false });
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
  const plugin = async () => {
    const r = await kubectl(['modelcar', 'inspect', SEED_ISVC_NAME, '-n', NS, '-o', 'json']);
    const report = JSON.parse(r.stdout) as { summary: { fail: number; pass: number } };
    if (report.summary.pass === 0) throw new Error(`inspect passed nothing: ${r.stderr}`);
    return report.summary.pass + report.summary.fail;
  };
  let checks = 0;
  const manualMs: number[] = [];
  const pluginMs: number[] = [];
  await manual(); checks = await plugin(); // warm-up: discovery caches, compile cache
  for (let i = 0; i < RUNS; i++) {
    manualMs.push((await timed(manual))[0]);
    pluginMs.push((await timed(plugin))[0]);
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
  console.log(`dist/kubectl-modelcar --help: median ${fmt(median(helpMs))}; kubectl version --client: median ${fmt(median(versionMs))}; ratio ${(median(helpMs) / median(versionMs)).toFixed(2)} (target <= 2)`);
} finally {
  await lab.down();
}
