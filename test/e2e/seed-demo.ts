// The seed walkthrough for scripts/demo.sh: each of the seed document's steps printed and run against
// the lab in --state DIR (the same texts the seed-walkthrough lab test checks).
// Usage: node test/e2e/seed-demo.ts --state DIR
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { stateDirFrom, stateFiles } from '../lab/cli/state.ts';
import { bash, predictorPod, waitPodReady } from './isvc.ts';
import { buildModelImage } from './model-images.ts';
import { ENABLE_MODELCARS_SCRIPT, SEED_ISVC, SEED_ISVC_NAME, SEED_NAMESPACE, UNDER_THE_COVERS_SCRIPT } from './seed.ts';
import { sessionFor } from './session.ts';

const { values } = parseArgs({ options: { state: { type: 'string' } } });
const state = stateDirFrom(values);
const s = await sessionFor(stateFiles(state).kubeconfig, join(state, 'kubecache'), SEED_NAMESPACE);

async function step(title: string, script: string): Promise<void> {
  console.log(`\n== ${title}\n${script.replace(/^/gm, '$ ').trimEnd()}`);
  const r = await bash(script, s.env, 120_000);
  if (r.stdout) console.log(r.stdout);
  if (r.stderr) console.error(r.stderr);
  if (r.exitCode !== 0) throw new Error(`${title}: exit code ${r.exitCode}`);
}

await step('Enabling Modelcars', ENABLE_MODELCARS_SCRIPT);
console.log('\n== Prepare an OCI Image with Model Data\n$ npm run lab -- image build -t myuser/mymodel:1.0 <dir with the seed Dockerfile and data/>');
const built = await buildModelImage(state, 'myuser/mymodel:1.0');
console.log(built.stderr.trim());
if (built.exitCode !== 0) throw new Error('image build failed');
await step('Example: the InferenceService', `kubectl apply -n kserve-test -f - <<EOF\n${SEED_ISVC}EOF`);
const pod = (await predictorPod(s.kubectl, SEED_NAMESPACE, SEED_ISVC_NAME)).metadata.name as string;
const ready = await waitPodReady(s.kubectl, SEED_NAMESPACE, pod, 120);
if (ready.exitCode !== 0) throw new Error(`pod ${pod} did not become Ready: ${ready.stderr}`);
await step('The runtime pod', 'kubectl get pods');
await step('Under the covers (the seed\'s in-container session as two commands)', UNDER_THE_COVERS_SCRIPT);
