// Issue 6's acceptance: the healthy seed example passes everything, on Knative and Standard modes, on
// every KServe version the lab emulates, with the admin, `support` and `sso` users, held to
// docs/scenarios.md. Real containers: the seed's InferenceService is applied through the real kubectl,
// runs until Ready, and `kubectl modelcar inspect` runs as each user of the lab's kubeconfig.
//
// v0.20.0 is the shared lab of the run; v0.13.0, v0.15.2 and v0.17.0 get a lab each (startOwnLab),
// started together in beforeAll so they come up while the earlier versions are inspected. Each lab's
// pods have their own network namespaces, so the labs and both modes run side by side; at most two
// seed pods start at once, and the sklearn stand-in is given a real server's import time, so that a
// healthy pod is not turned into the startup-race row by the load (see IMPORT_SECONDS).
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { CONTEXTS, SSO_CREDENTIAL_PLUGIN } from '../lab/apiserver/kubeconfig.ts';
import { kserveConfigMap } from '../lab/kserve/install.ts';
import { until } from '../lab/until.ts';
import { bash, getJson, waitIsvcReady, waitPodReady, type Kubectl } from './isvc.ts';
import { editStorageInitializer } from './kserve-config.ts';
import { labSession, podsCanRun } from './lab-env.ts';
import { MATRIX_VERSIONS, MODES, STANDARD_ANNOTATION, USERS, recordedMode, rowsFor, type MatrixVersion, type Mode, type User } from './matrix-rows.ts';
import { inspectJson, violationsOf, type InspectResult } from './modelcar.ts';
import { startOwnLab, type OwnLab } from './own-lab.ts';
import { ENABLE_MODELCARS_SCRIPT, SEED_ISVC, SEED_ISVC_NAME, seedSibling } from './seed.ts';

const enabled = podsCanRun('the inspect matrix');
const SHARED_VERSION: MatrixVersion = 'v0.20.0';
const SEED_URI = 'oci://rhuss/kserving-example-sklearn:1.0';
const NAMESPACE: Record<Mode, string> = { Knative: 'matrix-knative', Standard: 'matrix-standard' };
/** The users as `kubectl modelcar` is told them: admin is the kubeconfig's current context. */
const CONTEXT_ARGS: Record<User, string[]> = { admin: [], support: ['--context', CONTEXTS.support], sso: ['--context', CONTEXTS.sso] };
const DEPLOY_TIMEOUT_MS = 420_000;

interface Deployed {
  env: Record<string, string>;
  kubectl: Kubectl;
  /** The running pod of each mode, as it was when the InferenceService was Ready. */
  pods: Record<Mode, any>;
  isvcs: Record<Mode, any>;
  ms: number;
  /** Pods made per mode until one did not lose the startup race. */
  attempts: Record<Mode, number>;
}

interface Target {
  version: MatrixVersion;
  lab?: OwnLab;
  /** Puts back what the test changed in the shared lab. */
  cleanup?: () => Promise<void>;
  deployed: Promise<Deployed>;
}

/** A copy of the lab's kubeconfig whose `sso` user runs the lab's credential plugin through a wrapper
 *  that counts its calls: the proof that the plugin authenticated through the exec plugin, since an
 *  sso report looks like an admin one (both may exec). */
async function ssoWitness(env: Record<string, string>): Promise<{ env: Record<string, string>; calls: () => Promise<number>; remove: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'matrix-sso-'));
  const log = join(dir, 'calls');
  const wrapper = join(dir, 'sso-credential');
  await writeFile(log, '');
  await writeFile(wrapper, `#!/bin/sh\necho "$$" >> '${log}'\nexec '${SSO_CREDENTIAL_PLUGIN}' "$@"\n`, { mode: 0o755 });
  const config = parseYaml(await readFile(env['KUBECONFIG']!, 'utf8'));
  const sso = config.users.find((u: any) => u.name === 'sso');
  if (sso?.user?.exec?.command !== SSO_CREDENTIAL_PLUGIN) throw new Error(`the lab kubeconfig's sso user does not run ${SSO_CREDENTIAL_PLUGIN}`);
  sso.user.exec.command = wrapper;
  const kubeconfig = join(dir, 'kubeconfig');
  await writeFile(kubeconfig, stringifyYaml(config), { mode: 0o600 });
  return {
    env: { ...env, KUBECONFIG: kubeconfig },
    calls: async () => (await readFile(log, 'utf8')).split('\n').filter(Boolean).length,
    remove: () => rm(dir, { recursive: true, force: true }),
  };
}

const targets = new Map<MatrixVersion, Target>();
const timings: string[] = [];

/** The controller pod that is not being deleted, once it is Ready (the seed's script deletes the old one). */
async function controllerReady(k: Kubectl): Promise<void> {
  const pod = await until('a live KServe controller pod', async () => {
    const list = await getJson(k, ['pods', '-n', 'kserve', '-l', 'control-plane=kserve-controller-manager']);
    return (list?.items ?? []).find((p: any) => !p.metadata.deletionTimestamp);
  }, 60_000, 250);
  const r = await waitPodReady(k, 'kserve', pod.metadata.name, 120);
  if (r.exitCode !== 0) throw new Error(`the KServe controller pod ${pod.metadata.name} is not Ready: ${r.stderr}`);
}

/** The labs come up side by side, but at most two seed pods start at once: every pod starting on
 *  this 2-vCPU machine slows the others' container starts, and so widens the window in which the
 *  runtime may look for the model before the modelcar has linked it. */
const POD_STARTS_AT_ONCE = 2;
let podStarts = 0;
const waitingForStart: Array<() => void> = [];
async function fewPodsAtOnce<T>(fn: () => Promise<T>): Promise<T> {
  if (podStarts >= POD_STARTS_AT_ONCE) await new Promise<void>((r) => waitingForStart.push(r));
  else podStarts++;
  try {
    return await fn();
  } finally {
    const next = waitingForStart.shift();
    if (next) next();
    else podStarts--;
  }
}

/** The sklearn stand-in's import time (the lab's SKLEARNSERVER_IMPORT_SECONDS, default 2 s), set on the
 *  runtime: the real server spends seconds on CPU-bound Python imports, which slow down with the
 *  machine's load as the container starts do; the stand-in's fixed 2 s do not. On this loaded 2-vCPU
 *  machine the lab starts a container in 1 to 2 s, and a Knative pod starts queue-proxy and then the
 *  modelcar after the runtime, so with 2 s its runtime lost the startup race in nearly every pod. */
const IMPORT_SECONDS = '10';

/** Gives the lab's sklearn ClusterServingRuntime the stand-in's import time; returns the undo. */
async function setImportTime(k: Kubectl): Promise<() => Promise<void>> {
  const runtime = await getJson(k, ['clusterservingruntime', 'kserve-sklearnserver']);
  const container = runtime.spec.containers[0];
  if (container.name !== 'kserve-container' || container.env !== undefined) throw new Error(`unexpected sklearn runtime: ${JSON.stringify(container)}`);
  const patch = (ops: unknown[]) => k(['patch', 'clusterservingruntime', 'kserve-sklearnserver', '--type=json', '-p', JSON.stringify(ops)]);
  const r = await patch([{ op: 'add', path: '/spec/containers/0/env', value: [{ name: 'SKLEARNSERVER_IMPORT_SECONDS', value: IMPORT_SECONDS }] }]);
  if (r.exitCode !== 0) throw new Error(`patching the sklearn runtime: ${r.stderr}`);
  return async () => {
    await patch([{ op: 'remove', path: '/spec/containers/0/env' }]);
  };
}

/** What the kserve-container's previous run says when it lost the startup race to the modelcar's link. */
const LOST_RACE = 'Cannot recognize storage type for /mnt/models';
/** Pods made for one mode before one did not lose the startup race. */
const MAX_POD_ATTEMPTS = 3;

/** The InferenceService Ready and its one pod Ready with every container running, the runtime never
 *  restarted: the healthy rows' setup. A runtime that started before the modelcar linked the model
 *  restarts once (the startup-race row, not a healthy one); the lab's container starts are slow on a
 *  loaded machine, and a fresh node pulls queue-proxy (and on v0.13 the model image) between the
 *  runtime's start and the modelcar's. Such a pod is replaced by its ReplicaSet on the now warm node,
 *  and the replacement is checked the same way; any other restart fails at once. */
async function healthyPod(k: Kubectl, version: MatrixVersion, mode: Mode): Promise<{ pod: any; isvc: any; attempts: number }> {
  const ns = NAMESPACE[mode];
  const created = await k(['create', 'namespace', ns]);
  if (created.exitCode !== 0) throw new Error(`kubectl create namespace ${ns}: ${created.stderr}`);
  // Knative: the seed's InferenceService verbatim (the shipped deploy config defaults to Serverless).
  const yaml = mode === 'Knative' ? SEED_ISVC : seedSibling(SEED_ISVC_NAME, SEED_URI, { 'serving.kserve.io/deploymentMode': STANDARD_ANNOTATION[version] });
  const applied = await k(['apply', '-n', ns, '-f', '-'], { input: yaml });
  if (applied.exitCode !== 0) throw new Error(`${version} ${mode}: kubectl apply: ${applied.stderr}`);
  for (let attempt = 1; ; attempt++) {
    const ready = await waitIsvcReady(k, ns, SEED_ISVC_NAME, 300);
    if (ready.exitCode !== 0) throw new Error(`${version} ${mode}: the InferenceService is not Ready: ${ready.stderr}`);
    // Every pod of the InferenceService, a terminating one included: inspect would see it too.
    const pods = await until(`${version} ${mode}: one pod`, async () => {
      const list = (await getJson(k, ['pods', '-n', ns, '-l', `serving.kserve.io/inferenceservice=${SEED_ISVC_NAME}`]))?.items ?? [];
      return list.length === 1 ? list : undefined;
    }, 120_000, 250);
    const name = pods[0].metadata.name as string;
    const podReady = await waitPodReady(k, ns, name, 120);
    if (podReady.exitCode !== 0) throw new Error(`${version} ${mode}: pod ${name} is not Ready: ${podReady.stderr}`);
    const pod = await getJson(k, ['pod', '-n', ns, name]);
    const runtime = pod.status.containerStatuses.find((c: any) => c.name === 'kserve-container');
    if (runtime.restartCount > 0) {
      // Knative asks for FallbackToLogsOnError (the message has the log's tail); Standard mode does not: read the previous log.
      const log = await k(['logs', '-n', ns, name, '-c', 'kserve-container', '--previous']);
      const previous = `${JSON.stringify(runtime.lastState?.terminated ?? {})}; previous log: ${log.stdout.split('\n').slice(-3).join(' | ')}`;
      if (!previous.includes(LOST_RACE)) throw new Error(`${version} ${mode}: kserve-container of ${name} restarted, not for the startup race: ${previous}`);
      if (attempt >= MAX_POD_ATTEMPTS) throw new Error(`${version} ${mode}: the runtime lost the startup race in ${attempt} pods in a row; last ${name}: ${previous}`);
      console.log(`${version} ${mode}: ${name} lost the startup race (kserve-container restarted ${runtime.restartCount}x: ${LOST_RACE}); its ReplicaSet replaces it`);
      const deleted = await k(['delete', 'pod', '-n', ns, name, '--wait=false']);
      if (deleted.exitCode !== 0) throw new Error(`kubectl delete pod ${name}: ${deleted.stderr}`);
      await until(`${name} gone`, async () => ((await getJson(k, ['pods', '-n', ns, name])) === undefined ? true : undefined), 120_000, 250);
      continue;
    }
    const isvc = await getJson(k, ['inferenceservice', '-n', ns, SEED_ISVC_NAME]);
    return { pod, isvc, attempts: attempt };
  }
}

async function deploy(version: MatrixVersion, env: Record<string, string>, k: Kubectl): Promise<Deployed> {
  const started = Date.now();
  if (version === 'v0.13.0') {
    // v0.13 shipped modelcars off: the seed's script turns them on (uidModelcar 1010) and restarts the controller.
    const r = await bash(ENABLE_MODELCARS_SCRIPT, env);
    if (r.exitCode !== 0) throw new Error(`the seed's enable script failed: ${r.stderr}`);
  }
  await controllerReady(k);
  const config = JSON.parse((await getJson(k, ['configmap', '-n', 'kserve', 'inferenceservice-config'])).data.storageInitializer);
  if (config.enableModelcar !== true || config.uidModelcar !== 1010) throw new Error(`${version}: storageInitializer is not the healthy rows' setup: ${JSON.stringify(config)}`);
  const [knative, standard] = await Promise.all(MODES.map((mode) => fewPodsAtOnce(() => healthyPod(k, version, mode))));
  const ms = Date.now() - started;
  return {
    env, kubectl: k, ms,
    pods: { Knative: knative!.pod, Standard: standard!.pod },
    isvcs: { Knative: knative!.isvc, Standard: standard!.isvc },
    attempts: { Knative: knative!.attempts, Standard: standard!.attempts },
  };
}

async function sharedTarget(): Promise<Target> {
  const s = await labSession();
  const image = await s.kubectl(['get', 'deployment', '-n', 'kserve', 'kserve-controller-manager', '-o', 'jsonpath={.spec.template.spec.containers[0].image}']);
  if (image.stdout !== `kserve/kserve-controller:${SHARED_VERSION}`) throw new Error(`the shared lab runs ${image.stdout}, not KServe ${SHARED_VERSION}`);
  // Earlier test files may have left the config edited: the healthy rows assume the shipped one.
  const shipped = (kserveConfigMap(SHARED_VERSION).data as Record<string, string>)['storageInitializer']!;
  const restore = await editStorageInitializer(s.kubectl, () => JSON.parse(shipped));
  const undoImportTime = await setImportTime(s.kubectl);
  const target: Target = {
    version: SHARED_VERSION,
    cleanup: async () => {
      await s.kubectl(['delete', 'namespace', ...Object.values(NAMESPACE), '--ignore-not-found', '--wait=false']);
      await restore();
      await undoImportTime();
    },
    deployed: deploy(SHARED_VERSION, s.env, s.kubectl),
  };
  return target;
}

function ownTarget(version: MatrixVersion): Target {
  const target = { version } as Target;
  target.deployed = (async () => {
    target.lab = await startOwnLab({ kserveVersion: version });
    await setImportTime(target.lab.kubectl);
    return deploy(version, target.lab.env, target.lab.kubectl);
  })();
  return target;
}

describe.skipIf(!enabled)('inspect matrix: the healthy seed example on every emulated KServe version, both modes, three users', () => {
  const fileStarted = Date.now();
  beforeAll(async () => {
    for (const v of MATRIX_VERSIONS) if (v !== SHARED_VERSION) targets.set(v, ownTarget(v));
    targets.set(SHARED_VERSION, await sharedTarget());
    // Awaited by the tests; marked handled here so a failed lab is reported by its tests, not as unhandled.
    for (const t of targets.values()) t.deployed.catch(() => undefined);
  }, 60_000);

  afterAll(async () => {
    // A lab still starting is waited for, so that it can be taken down.
    await Promise.allSettled([...targets.values()].map((t) => t.deployed));
    await Promise.allSettled([...targets.values()].map(async (t) => {
      await t.cleanup?.();
      await t.lab?.down();
    }));
    console.log(`inspect matrix: ${timings.join('; ')}; file ${Date.now() - fileStarted} ms`);
  }, 180_000);

  // The shared lab first: it is up already, and the own labs come up meanwhile.
  const order = [SHARED_VERSION, ...MATRIX_VERSIONS.filter((v) => v !== SHARED_VERSION)];
  for (const version of order) {
    describe(`KServe ${version}`, () => {
      it('runs the seed in Knative and Standard mode: Ready, one pod, every container running, none restarted', async () => {
        const d = await targets.get(version)!.deployed;
        timings.push(`${version} ready ${d.ms} ms (pods made: Knative ${d.attempts.Knative}, Standard ${d.attempts.Standard})`);
        for (const mode of MODES) {
          expect(d.isvcs[mode].status.deploymentMode ?? null, `${mode}: status.deploymentMode`).toBe(recordedMode(version, mode));
          const pod = d.pods[mode];
          const names = pod.spec.containers.map((c: any) => c.name);
          // Knative's revision Deployment carries queue-proxy; Standard mode's has none.
          expect(names, `${mode}: containers`).toEqual(mode === 'Knative' ? ['kserve-container', 'queue-proxy', 'modelcar'] : ['kserve-container', 'modelcar']);
          expect(pod.spec.shareProcessNamespace).toBe(true);
          expect(pod.spec.containers.find((c: any) => c.name === 'modelcar').securityContext).toEqual({ runAsUser: 1010 });
          const states = pod.status.containerStatuses.map((c: any) => ({ name: c.name, running: !!c.state.running, ready: c.ready, restartCount: c.restartCount }));
          expect(states, `${mode}: container states (a runtime restart is the startup-race row, not a healthy one)`).toEqual(
            names.map((name: string) => ({ name, running: true, ready: true, restartCount: 0 })));
          expect((pod.spec.initContainers ?? []).map((c: any) => c.name)).toEqual(version === 'v0.13.0' ? [] : ['modelcar-init']);
        }
      }, DEPLOY_TIMEOUT_MS);

      for (const mode of MODES) {
        for (const user of USERS) {
          const rows = rowsFor(version, mode, user);
          it(`${mode}, as ${user}: ${rows.map((r) => r.id).join(' and ')}`, async () => {
            const d = await targets.get(version)!.deployed;
            const sso = user === 'sso' ? await ssoWitness(d.env) : undefined;
            const started = Date.now();
            let r: InspectResult;
            try {
              r = await inspectJson(sso?.env ?? d.env, NAMESPACE[mode], SEED_ISVC_NAME, CONTEXT_ARGS[user]);
              if (sso) expect(await sso.calls(), 'calls of the sso exec credential plugin').toBeGreaterThan(0);
            } finally {
              await sso?.remove();
            }
            timings.push(`${version} ${mode} ${user} inspect ${Date.now() - started} ms`);
            // The report is about the one pod that was checked above, not a successor or a terminating one.
            expect(r.report.targets.flatMap((t) => t.pods.map((p) => p.name))).toEqual([d.pods[mode].metadata.name]);
            for (const row of rows) expect(violationsOf(row, r)).toEqual([]);
          }, DEPLOY_TIMEOUT_MS);
        }
      }
    });
  }
});
