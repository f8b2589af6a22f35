// `kubectl modelcar inspect --ephemeral` on real containers: the runtime-without-shell row of
// docs/scenarios.md (KServe's webhook builds the pod from a namespaced ServingRuntime whose image has
// neither sh nor ls), inspected through the real kubectl. Without a terminal and without --yes the
// plugin refuses and the pod stays as it was; the support user (allowed to exec here, not to patch
// pods/ephemeralcontainers) gets the RBAC rule; with --yes the probe runs in an ephemeral busybox
// container that joins the runtime's pid namespace as the runtime's uid, and every in-pod check runs.
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONTEXTS } from '../../test/lab/apiserver/kubeconfig.ts';
import { LAB_IMAGES } from '../../test/lab/images/catalog.ts';
import { applyRuntimeWithImage, isvcJson } from '../../test/e2e/gaps-support.ts';
import { containerStatus, deleteIsvcs, getJson, predictorPod, waitPodReady } from '../../test/e2e/isvc.ts';
import { until } from '../../test/lab/until.ts';
import { labSession, podsCanRun, type LabSession } from '../../test/e2e/lab-env.ts';
import { inspectJson, modelcar, pluginBinDir, violationsOf, type InspectResult } from '../../test/e2e/modelcar.ts';
import { KUBECTL } from '../../test/lab/testkit.ts';

const enabled = podsCanRun('the inspect --ephemeral lab tests');
const NS = 'e2e-ephemeral';
const ISVC = 'no-shell';
/** As in inspect-gaps: 10 s of "imports" keeps the startup race (MC304) out of a healthy pod. */
const NO_RACE = { env: [{ name: 'SKLEARNSERVER_IMPORT_SECONDS', value: '10' }] };

const root = resolve(fileURLToPath(new URL('.', import.meta.url)), '../..');

/** `kubectl modelcar <args>` on a terminal (util-linux `script` gives it a pty), typing `input`. */
async function onTerminal(args: string[], env: Record<string, string>, input: string) {
  const bin = await pluginBinDir();
  const command = [KUBECTL, 'modelcar', ...args].map((a) => `'${a}'`).join(' ');
  const r = await execa('script', ['-qec', command, '/dev/null'], {
    env: { NO_COLOR: '1', KUBECTL_MODELCAR_NODE: join(root, 'node_modules/.bin/node'), ...env, PATH: `${bin}:${process.env['PATH'] ?? ''}` },
    input,
    reject: false,
    timeout: 120_000,
  });
  return { output: String(r.stdout).replaceAll('\r\n', '\n'), exitCode: r.exitCode ?? -1 };
}

const finding = (r: InspectResult, id: string) => r.report.findings.filter((f) => f.id === id);
const statusOf = (r: InspectResult, id: string) => finding(r, id).map((f) => f.status);

describe.skipIf(!enabled)('inspect --ephemeral (runtime without a shell, KServe v0.20.0)', () => {
  let s: LabSession;
  let pod: string;
  const ephemeralContainers = async () => ((await getJson(s.kubectl, ['pod', '-n', NS, pod])).spec.ephemeralContainers ?? []) as Array<Record<string, any>>;

  beforeAll(async () => {
    s = await labSession();
    await s.kubectl(['create', 'namespace', NS]);
    await applyRuntimeWithImage(s.kubectl, NS, 'sklearn-no-shell', LAB_IMAGES.sklearnServerWithoutShell);
    const applied = await s.kubectl(['apply', '-n', NS, '-f', '-'], {
      input: isvcJson(ISVC, { model: { modelFormat: { name: 'sklearn' }, runtime: 'sklearn-no-shell', storageUri: 'oci://rhuss/kserving-example-sklearn:1.0', ...NO_RACE } }),
    });
    expect(applied.stderr).toBe('');
    pod = (await predictorPod(s.kubectl, NS, ISVC)).metadata.name as string;
    expect((await waitPodReady(s.kubectl, NS, pod, 180)).stdout).toBe(`pod/${pod} condition met`);
    // The runtime really has no shell: plain exec cannot run the probe.
    const sh = await s.kubectl(['exec', '-n', NS, pod, '-c', 'kserve-container', '--', 'sh', '-c', 'true']);
    expect(sh.stderr).toContain('"sh": executable file not found in $PATH');
  }, 300_000);

  afterAll(async () => {
    await s?.kubectl(['delete', 'namespace', NS, '--wait=false']);
  });

  it('without --yes and without a terminal: exit 2 in one line, the pod spec unchanged', async () => {
    const before = await getJson(s.kubectl, ['pod', '-n', NS, pod]);
    const r = await modelcar(['inspect', ISVC, '-n', NS, '--ephemeral'], s.env);
    expect(r.exitCode, r.stderr).toBe(2);
    expect(r.stdout).toBe('');
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^error: --ephemeral would add an ephemeral container to a pod and there is no terminal to ask on: add --yes/);
    expect(lines[0]).toContain(`pod ${NS}/${pod}`);
    const after = await getJson(s.kubectl, ['pod', '-n', NS, pod]);
    expect(after.spec).toEqual(before.spec);
    expect(after.spec.ephemeralContainers).toBeUndefined();
  }, 180_000);

  it('on a terminal: asks the question, and an empty answer (the default, no) leaves the pod unchanged', async () => {
    const r = await onTerminal(['inspect', ISVC, '-n', NS, '--ephemeral'], s.env, '\n');
    expect(r.output).toMatch(new RegExp(`add ephemeral container modelcar-inspect-[0-9a-f]{5} \\(image busybox:1\\.36\\) to pod ${NS}/${pod}\\? it stays in the pod spec until the pod is deleted \\[y/N\\]`));
    expect(r.output).toContain('--ephemeral declined, the pod was not changed');
    expect(r.exitCode, r.output).toBe(4); // as without --ephemeral: the in-pod checks stay unrun (MC408)
    expect(await ephemeralContainers()).toEqual([]);
  }, 180_000);

  it('support (may exec here, may not patch pods/ephemeralcontainers): the in-pod checks stay skipped, MC408 and the gap give the Role rule', async () => {
    // Exec is granted in this namespace only, so that the plugin gets as far as the ephemeral container.
    const rbac = {
      items: [
        { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: { name: 'exec-only', namespace: NS }, rules: [{ apiGroups: [''], resources: ['pods/exec'], verbs: ['create'] }] },
        {
          apiVersion: 'rbac.authorization.k8s.io/v1',
          kind: 'RoleBinding',
          metadata: { name: 'support-exec', namespace: NS },
          roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'exec-only' },
          subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: 'support' }],
        },
      ],
    };
    for (const item of rbac.items) {
      const applied = await s.kubectl(['apply', '-f', '-'], { input: JSON.stringify(item) });
      expect(applied.stderr).toBe('');
    }
    expect((await s.kubectl(['auth', 'can-i', 'create', 'pods', '--subresource=exec', '-n', NS, '--as', 'support'])).stdout).toBe('yes');
    expect((await s.kubectl(['auth', 'can-i', 'patch', 'pods', '--subresource=ephemeralcontainers', '-n', NS, '--as', 'support'])).stdout).toBe('no');

    const r = await inspectJson(s.env, NS, ISVC, ['--context', CONTEXTS.support, '--ephemeral', '--yes']);
    expect(r.exitCode, r.stderr).toBe(4);
    const mc408 = finding(r, 'MC408')[0]!;
    expect(mc408).toMatchObject({ status: 'warn', container: 'kserve-container', evidence: expect.objectContaining({ hintKey: 'forbiddenEphemeral', rbac: { verb: 'patch', resource: 'pods/ephemeralcontainers', namespace: NS } }) });
    expect(mc408.message).toContain('cannot patch resource "pods/ephemeralcontainers"');
    expect(mc408.hint).toContain('--verb=patch --resource=pods/ephemeralcontainers');
    for (const id of ['MC401', 'MC403', 'MC404', 'MC405']) expect(statusOf(r, id), id).toEqual(['skip']);
    const gap = r.report.gaps.find((g) => g.source === 'exec');
    expect(gap).toMatchObject({ pod, container: 'kserve-container', reason: 'forbidden' });
    expect((gap as { detail?: string }).detail).toContain('- apiGroups: [""]\n  resources: ["pods/ephemeralcontainers"]\n  verbs: ["patch"]');
    expect(await ephemeralContainers()).toEqual([]);

    // The table prints the rule too.
    const table = await modelcar(['inspect', ISVC, '-n', NS, '--context', CONTEXTS.support, '--ephemeral', '--yes'], s.env);
    expect(table.exitCode, table.stderr).toBe(4);
    expect(table.stdout).toContain('resources: ["pods/ephemeralcontainers"]');
    expect(table.stdout).toContain('verbs: ["patch"]');
  }, 180_000);

  it('--ephemeral --yes: the probe runs in an ephemeral container as the runtime, every in-pod check really runs, MC408 says via ephemeral', async () => {
    const runtimeUid = (await getJson(s.kubectl, ['pod', '-n', NS, pod])).spec.containers.find((c: any) => c.name === 'kserve-container').securityContext?.runAsUser;
    expect(typeof runtimeUid).toBe('number');

    const r = await inspectJson(s.env, NS, ISVC, ['--ephemeral', '--yes']);
    const ecs = await ephemeralContainers();
    expect(ecs).toHaveLength(1);
    const ec = ecs[0]!;
    expect(ec).toMatchObject({
      image: 'busybox:1.36',
      command: ['sleep', '3600'],
      targetContainerName: 'kserve-container',
      securityContext: { runAsUser: runtimeUid },
      volumeMounts: [{ name: 'kserve-provision-location', mountPath: '/mnt', readOnly: true }],
    });
    expect(r.stderr).toContain(`adding ephemeral container ${ec.name} (image busybox:1.36, target kserve-container) to pod ${NS}/${pod}`);

    // The same report as a healthy pod's: the in-pod checks ran and passed.
    expect(violationsOf('healthy-standard-v0.20', r)).toEqual([]);
    for (const id of ['MC401', 'MC403', 'MC404', 'MC405']) expect(statusOf(r, id), id).toEqual(['pass']);
    expect(finding(r, 'MC406')[0]).toMatchObject({ status: 'pass', message: '/mnt/models holds 1 files, 5408 bytes' });
    expect(finding(r, 'MC408')[0]).toMatchObject({
      status: 'pass',
      message: `probed kserve-container through ephemeral container ${ec.name} (image busybox:1.36, sh)`,
      evidence: expect.objectContaining({ via: `ephemeral ${ec.name}`, ephemeralImage: 'busybox:1.36' }),
    });
    expect(r.report.gaps).toEqual([]);
    // It ran as the runtime's uid: the kernel's /proc/<pid>/root check was the runtime's.
    const uid = await s.kubectl(['exec', '-n', NS, pod, '-c', ec.name, '--', 'id', '-u']);
    expect(uid.stdout).toBe(String(runtimeUid));

    // A second run (table) reuses the running container: nothing more is added, and the table says where the evidence came from.
    const table = await modelcar(['inspect', ISVC, '-n', NS, '--ephemeral'], s.env);
    expect(table.exitCode, table.stderr).toBe(0);
    expect(table.stdout).toContain(`In-pod checks of ${pod} [kserve-container] ran via ephemeral ${ec.name} (image busybox:1.36), added by --ephemeral`);
    expect((await ephemeralContainers()).map((c) => c.name)).toEqual([ec.name]);
  }, 240_000);

  it('inspect --help names --ephemeral, --yes and --ephemeral-image', async () => {
    const r = await modelcar(['inspect', '--help'], s.env);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toMatch(/--ephemeral\s+When exec into the runtime cannot run the checks/);
    expect(r.stdout).toMatch(/-y, --yes\s+With --ephemeral: add the container without asking/);
    expect(r.stdout).toMatch(/--ephemeral-image\s+Image of the ephemeral container \(default busybox:1\.36/);
  });

  // The runtime not running: a ServingRuntime (the shipped sklearn one, shell and all) whose
  // --model_dir names a path that does not exist, so kserve-container exits 1 on every start and sits
  // in CrashLoopBackOff. Exec cannot reach it; the ephemeral container still sees the modelcar's link.
  it('runtime in restart back-off: --ephemeral --yes runs the in-pod checks while kserve-container is not running', async () => {
    const csr = await getJson(s.kubectl, ['clusterservingruntime', 'kserve-sklearnserver']);
    const spec = structuredClone(csr.spec);
    const rc = spec.containers.find((c: { name: string }) => c.name === 'kserve-container');
    rc.args = rc.args.map((a: string) => (a.startsWith('--model_dir') ? '--model_dir=/mnt/nowhere' : a));
    expect(rc.args).toContain('--model_dir=/mnt/nowhere');
    const runtime = { apiVersion: 'serving.kserve.io/v1alpha1', kind: 'ServingRuntime', metadata: { name: 'sklearn-wrong-dir', namespace: NS }, spec };
    expect((await s.kubectl(['apply', '-f', '-'], { input: JSON.stringify(runtime) })).stderr).toBe('');
    const name = 'looping';
    try {
      const applied = await s.kubectl(['apply', '-n', NS, '-f', '-'], {
        input: isvcJson(name, { model: { modelFormat: { name: 'sklearn' }, runtime: 'sklearn-wrong-dir', storageUri: 'oci://rhuss/kserving-example-sklearn:1.0' } }),
      });
      expect(applied.stderr).toBe('');
      const looping = (await predictorPod(s.kubectl, NS, name)).metadata.name as string;
      // In back-off after its third failure (the next start is 40 s away): not running now.
      const before = await until('kserve-container in CrashLoopBackOff after 3 restarts', async () => {
        const st = await containerStatus(s.kubectl, NS, looping, 'kserve-container');
        return st?.restartCount >= 3 && st.state?.waiting?.reason === 'CrashLoopBackOff' ? st : undefined;
      }, 180_000, 500);
      expect(before.lastState.terminated.exitCode).toBe(1);

      const r = await inspectJson(s.env, NS, name, ['--ephemeral', '--yes']);
      const after = await containerStatus(s.kubectl, NS, looping, 'kserve-container');
      // Still the same back-off: kserve-container did not run during the inspect.
      expect(after.restartCount).toBe(before.restartCount);
      expect(after.state.waiting?.reason).toBe('CrashLoopBackOff');

      const ecs = ((await getJson(s.kubectl, ['pod', '-n', NS, looping])).spec.ephemeralContainers ?? []) as Array<Record<string, any>>;
      expect(ecs).toHaveLength(1);
      expect(ecs[0]).toMatchObject({ targetContainerName: 'kserve-container', image: 'busybox:1.36' });
      for (const id of ['MC401', 'MC403', 'MC404', 'MC405']) expect(statusOf(r, id), id).toEqual(['pass']);
      expect(finding(r, 'MC408')[0]).toMatchObject({ status: 'pass', evidence: expect.objectContaining({ via: `ephemeral ${ecs[0]!.name}` }) });
      // The crash itself is still reported.
      expect(r.exitCode, r.stderr).toBe(1);
    } finally {
      await deleteIsvcs(s.kubectl, NS, [name]);
    }
  }, 300_000);
});
