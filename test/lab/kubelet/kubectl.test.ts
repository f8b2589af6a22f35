// The kubelet inside the real lab: the lab server process (server.ts main) with its registries and
// image store, driven by the real kubectl. A modelcar pod as KServe stores it goes from `kubectl
// apply` to 3/3 Running, and exec, logs, events and delete reach the real containers.
// Needs root, runc, busybox-static, umoci, skopeo and docker-registry; skipped (with the reason) outside CI only.
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { execa, type ResultPromise } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensurePki } from '../apiserver/certs.ts';
import { loadTokens } from '../apiserver/auth.ts';
import { writeKubeconfig } from '../apiserver/kubeconfig.ts';
import { buildLayer, initLayout } from '../images/oci-layout.ts';
import { startLabRegistries } from '../registry/lab-registries.ts';
import { canRunPods } from './kubelet.ts';
import { mountsUnder } from './mounts.ts';
import { runcList } from './runc.ts';

const missing = ['/usr/bin/umoci', '/usr/bin/skopeo', '/usr/bin/docker-registry', '/usr/bin/kubectl'].filter((p) => !existsSync(p));
const can = canRunPods();
const skipReason = !can.ok ? can.reason : missing.length ? `missing ${missing.join(', ')}` : undefined;
if (skipReason) {
  if (process.env['CI']) throw new Error(`kubelet lab tests cannot be skipped in CI: ${skipReason}`);
  console.log(`skipping kubelet lab tests: ${skipReason}`);
}

const MODEL = 'model-bytes-for-the-lab';

/** busybox with /models/model.joblib and a second tag of plain busybox, pushed as the seed names them. */
async function pushImages(dir: string, host: string): Promise<void> {
  const layout = join(dir, 'layout');
  await initLayout(layout);
  await buildLayer(layout, 'busybox', {
    addFiles: async (root) => {
      for (const d of ['bin', 'etc', 'tmp']) mkdirSync(join(root, d), { recursive: true });
      chmodSync(join(root, 'tmp'), 0o1777);
      writeFileSync(join(root, 'bin/busybox'), readFileSync('/bin/busybox'), { mode: 0o755 });
      const applets = (await execa('/bin/busybox', ['--list'])).stdout.split('\n').filter((a) => a && a !== 'busybox');
      for (const a of applets) await execa('ln', ['-s', 'busybox', join(root, 'bin', a)]);
      writeFileSync(join(root, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\n');
    },
    config: { env: ['PATH=/bin'], cmd: ['sh'] },
  });
  await buildLayer(layout, 'model', {
    from: 'busybox',
    addFiles: (root) => {
      mkdirSync(join(root, 'models'), { mode: 0o775 });
      writeFileSync(join(root, 'models/model.joblib'), MODEL);
    },
  });
  const push = (tag: string, ref: string) => execa('skopeo', ['copy', '-q', '--dest-tls-verify=false', `oci:${layout}:${tag}`, `docker://${host}/${ref}`]);
  await Promise.all([push('model', 'rhuss/kserving-example-sklearn:1.0'), push('busybox', 'library/busybox:1.36')]);
}

const POD_YAML = `apiVersion: v1
kind: Pod
metadata:
  name: sklearn-iris-predictor-00001-deployment-7c9f8d-abcde
  namespace: default
  labels: {serving.kserve.io/inferenceservice: sklearn-iris, component: predictor}
spec:
  shareProcessNamespace: true
  volumes:
  - name: kserve-provision-location
    emptyDir: {}
  containers:
  - name: kserve-container
    image: busybox:1.36
    command: [sh, -c, 'echo serving; exec sleep infinity']
    env: [{name: MODEL_INIT_MODE, value: async}]
    securityContext: {runAsUser: 1010}
    volumeMounts: [{name: kserve-provision-location, mountPath: /mnt}]
  - name: queue-proxy
    image: busybox:1.36
    command: [sleep, infinity]
  - name: modelcar
    image: rhuss/kserving-example-sklearn:1.0
    args: [sh, -c, 'ln -sf /proc/$$$$/root/models /mnt/models && sleep infinity']
    securityContext: {runAsUser: 1010}
    terminationMessagePolicy: FallbackToLogsOnError
    resources: {limits: {cpu: 10m, memory: 15Mi}, requests: {cpu: 10m, memory: 15Mi}}
    volumeMounts: [{name: kserve-provision-location, mountPath: /mnt}]
`;

describe.skipIf(Boolean(skipReason))('kubelet in the lab, through kubectl', () => {
  let dir: string;
  let stateDir: string;
  let server: ResultPromise | undefined;
  let registries: { stop(): Promise<void> } | undefined;
  let env: Record<string, string>;
  const kubectl = (args: string[], input?: string) => execa('kubectl', args, { env, reject: false, ...(input ? { input } : {}) });

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'kubelet-lab-'));
    stateDir = join(dir, 'state');
    mkdirSync(stateDir);
    registries = await startLabRegistries(stateDir);
    const { host } = JSON.parse(readFileSync(join(stateDir, 'registry.json'), 'utf8')) as { host: string };
    await pushImages(dir, host);
    server = execa(resolve('node_modules/.bin/node'), ['test/lab/server.ts', '--state', stateDir, '--time-scale', '10'], { reject: false, all: true, buffer: true });
    const info = join(stateDir, 'server.json');
    for (let i = 0; !existsSync(info); i++) {
      if (i > 600 || server.exitCode !== null) throw new Error(`lab server did not start: ${(await server).all}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    const { url } = JSON.parse(readFileSync(info, 'utf8')) as { url: string };
    const [pki, tokens] = await Promise.all([ensurePki(stateDir), loadTokens(stateDir)]);
    const kubeconfig = await writeKubeconfig(stateDir, url, pki.caCertPem, tokens);
    env = { KUBECONFIG: kubeconfig, KUBECACHEDIR: join(dir, 'kube-cache'), PATH: process.env['PATH']! };
  }, 120_000);

  afterAll(async () => {
    server?.kill('SIGTERM');
    await server;
    await registries?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('takes a 3-container modelcar pod from kubectl apply to 3/3 Running with a working link', async () => {
    const started = Date.now();
    const applied = await kubectl(['apply', '-f', '-'], POD_YAML);
    expect(applied.stderr).toBe('');
    const pod = 'sklearn-iris-predictor-00001-deployment-7c9f8d-abcde';
    // One watching kubectl, not a polling loop: kubectl processes would compete with runc for the CPU.
    const wait = await kubectl(['wait', '--for=condition=Ready', `pod/${pod}`, '--timeout=60s']);
    const elapsed = Date.now() - started;
    expect(wait.stdout).toBe(`pod/${pod} condition met`);
    console.log(`kubectl apply -> 3/3 Running (Ready): ${elapsed} ms, images pulled from the lab registry`);
    if (process.env['KUBELET_TEST_DEBUG']) console.log((await kubectl(['get', 'events', '-o', 'custom-columns=T:.firstTimestamp,R:.reason,M:.message', '--sort-by=.firstTimestamp'])).stdout, (await kubectl(['get', 'pod', pod, '-o', 'yaml'])).stdout);
    const get = await kubectl(['get', 'pod', pod]);
    expect(get.stdout).toMatch(new RegExp(`^NAME\\s+READY\\s+STATUS\\s+RESTARTS\\s+AGE\\n${pod}\\s+3/3\\s+Running\\s+0\\s+`));

    let link = '';
    for (let i = 0; i < 100 && !link.includes('->'); i++) link = (await kubectl(['exec', pod, '-c', 'kserve-container', '--', 'ls', '-l', '/mnt'])).stdout;
    expect(link).toMatch(/models -> \/proc\/\d+\/root\/models/);
    const models = await kubectl(['exec', pod, '-c', 'kserve-container', '--', 'ls', '-l', '/mnt/models/']);
    expect(models.stdout).toMatch(/model\.joblib/);
    const cat = await kubectl(['exec', pod, '-c', 'kserve-container', '--', 'cat', '/mnt/models/model.joblib']);
    expect(cat.stdout).toBe(MODEL);

    const logs = await kubectl(['logs', pod, '-c', 'kserve-container']);
    expect(logs.stdout).toBe('serving');
    const events = await kubectl(['get', 'events', '--field-selector', `involvedObject.name=${pod}`, '-o', 'jsonpath={range .items[*]}{.reason}|{.message}{"\\n"}{end}']);
    expect(events.stdout).toContain('Pulling|Pulling image "rhuss/kserving-example-sklearn:1.0"');
    expect(events.stdout).toMatch(/Pulled\|Successfully pulled image "rhuss\/kserving-example-sklearn:1\.0" in \d/);
    expect(events.stdout).toContain('Created|Created container: modelcar');
    expect(events.stdout).toContain('Started|Started container modelcar');

    const bash = await kubectl(['exec', pod, '-c', 'kserve-container', '--', 'bash']);
    expect(bash.stderr).toContain('OCI runtime exec failed: exec failed: unable to start container process: exec: "bash": executable file not found in $PATH: unknown');
    const exit = await kubectl(['exec', pod, '-c', 'queue-proxy', '--', 'sh', '-c', 'exit 7']);
    expect(exit.stderr).toContain('command terminated with exit code 7');
    expect(exit.exitCode).toBe(7);

    const del = await kubectl(['delete', 'pod', pod, '--wait=true', '--timeout=30s']);
    expect(del.stdout).toBe(`pod "${pod}" deleted`);
  }, 90_000);

  it('leaves no runc container or mount behind after the lab stops', async () => {
    server!.kill('SIGTERM');
    await server;
    const prefix = `lab${createHash('sha256').update(resolve(stateDir)).digest('hex').slice(0, 8)}-`;
    expect((await runcList()).filter((c) => c.id.startsWith(prefix))).toEqual([]);
    expect(mountsUnder(stateDir)).toEqual([]);
  }, 30_000);
});
