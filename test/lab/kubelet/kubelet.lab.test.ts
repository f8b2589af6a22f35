// The kubelet inside the lab of this test run, through the real kubectl: a modelcar pod as KServe
// stores it goes from `kubectl apply` to 3/3 Running with the seeded images, the link works (or is
// refused across uids), and exec, logs, events, OOM kills and deletion reach the real containers.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LAB_IMAGES, SKLEARN_MODEL_FILE } from '../images/catalog.ts';
import { kubectl } from '../testkit.ts';
import { canRunPods } from './kubelet.ts';

const can = canRunPods();
if (!can.ok) {
  if (process.env['CI']) throw new Error(`kubelet lab tests cannot be skipped in CI: ${can.reason}`);
  console.log(`skipping kubelet lab tests: ${can.reason}`);
}

const NS = 'kubelet-lab';

/** A predictor pod as KServe's webhook makes it for an oci:// storageUri (v0.15.2+). */
function modelcarPod(name: string, runtimeUid: number): string {
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: NS, labels: { 'serving.kserve.io/inferenceservice': name, component: 'predictor' } },
    spec: {
      shareProcessNamespace: true,
      volumes: [{ name: 'kserve-provision-location', emptyDir: {} }],
      containers: [
        {
          name: 'kserve-container',
          image: LAB_IMAGES.busybox,
          command: ['sh', '-c', 'echo serving; exec sleep infinity'],
          env: [{ name: 'MODEL_INIT_MODE', value: 'async' }],
          securityContext: { runAsUser: runtimeUid },
          volumeMounts: [{ name: 'kserve-provision-location', mountPath: '/mnt' }],
        },
        { name: 'queue-proxy', image: LAB_IMAGES.busybox, command: ['sleep', 'infinity'] },
        {
          name: 'modelcar',
          image: LAB_IMAGES.sklearnModel,
          args: ['sh', '-c', 'ln -sf /proc/$$$$/root/models /mnt/models && sleep infinity'],
          securityContext: { runAsUser: 1010 },
          terminationMessagePolicy: 'FallbackToLogsOnError',
          resources: { limits: { cpu: '10m', memory: '15Mi' }, requests: { cpu: '10m', memory: '15Mi' } },
          volumeMounts: [{ name: 'kserve-provision-location', mountPath: '/mnt' }],
        },
      ],
    },
  });
}

/** `kubectl exec` until the modelcar's link exists: it is a plain container, so the runtime may come first. */
async function lsLink(pod: string): Promise<string> {
  for (let i = 0; i < 100; i++) {
    const r = await kubectl(['exec', '-n', NS, pod, '-c', 'kserve-container', '--', 'ls', '-l', '/mnt']);
    if (r.stdout.includes('models ->')) return r.stdout;
    await new Promise((ok) => setTimeout(ok, 100));
  }
  throw new Error(`no link in /mnt of ${pod}`);
}

describe.skipIf(!can.ok)('the lab kubelet through kubectl', () => {
  beforeAll(async () => {
    await kubectl(['create', 'namespace', NS]);
  });
  afterAll(async () => {
    await kubectl(['delete', 'namespace', NS, '--wait=false']);
  });

  it('takes a 3-container modelcar pod from kubectl apply to 3/3 Running with a working link', async () => {
    const pod = 'sklearn-iris-predictor-00001-deployment-7c9f8d-abcde';
    const started = Date.now();
    expect((await kubectl(['apply', '-f', '-'], { input: modelcarPod(pod, 1010) })).stderr).toBe('');
    // One watching kubectl rather than a polling loop, which would compete with runc for the CPU.
    const wait = await kubectl(['wait', '-n', NS, '--for=condition=Ready', `pod/${pod}`, '--timeout=60s'], { timeoutMs: 70_000 });
    console.log(`kubectl apply -> 3/3 Running (Ready): ${Date.now() - started} ms`);
    expect(wait.stdout).toBe(`pod/${pod} condition met`);
    expect((await kubectl(['get', 'pod', '-n', NS, pod])).stdout).toMatch(new RegExp(`\\n${pod}\\s+3/3\\s+Running\\s+0\\s+`));

    expect(await lsLink(pod)).toMatch(/models -> \/proc\/\d+\/root\/models/);
    const models = await kubectl(['exec', '-n', NS, pod, '-c', 'kserve-container', '--', 'ls', '-l', '/mnt/models/']);
    expect(models.stdout).toMatch(new RegExp(`\\s${SKLEARN_MODEL_FILE.size}\\s.*model\\.joblib$`));

    expect((await kubectl(['logs', '-n', NS, pod, '-c', 'kserve-container'])).stdout).toBe('serving');
    const events = await kubectl(['get', 'events', '-n', NS, '--field-selector', `involvedObject.name=${pod}`, '-o', 'jsonpath={range .items[*]}{.reason}|{.involvedObject.fieldPath}|{.message}{"\\n"}{end}']);
    expect(events.stdout).toMatch(new RegExp(`(Pulling\\|spec\\.containers\\{modelcar\\}\\|Pulling image "${LAB_IMAGES.sklearnModel}"|Pulled\\|spec\\.containers\\{modelcar\\}\\|Container image "${LAB_IMAGES.sklearnModel}" already present on machine)`));
    expect(events.stdout).toContain('Created|spec.containers{modelcar}|Created container: modelcar');
    expect(events.stdout).toContain('Started|spec.containers{modelcar}|Started container modelcar');

    const bash = await kubectl(['exec', '-n', NS, pod, '-c', 'kserve-container', '--', 'bash']);
    expect(bash.stderr).toContain('OCI runtime exec failed: exec failed: unable to start container process: exec: "bash": executable file not found in $PATH: unknown');
    const exit = await kubectl(['exec', '-n', NS, pod, '-c', 'queue-proxy', '--', 'sh', '-c', 'exit 7']);
    expect(exit).toMatchObject({ exitCode: 7, stderr: 'command terminated with exit code 7' });

    expect((await kubectl(['delete', 'pod', '-n', NS, pod, '--timeout=60s'], { timeoutMs: 70_000 })).stdout).toBe(`pod "${pod}" deleted`);
  }, 150_000);

  it('refuses the link across uids: runtime 1000, modelcar 1010', async () => {
    const pod = 'uid-mismatch';
    await kubectl(['apply', '-f', '-'], { input: modelcarPod(pod, 1000) });
    await kubectl(['wait', '-n', NS, '--for=condition=Ready', `pod/${pod}`, '--timeout=60s'], { timeoutMs: 70_000 });
    expect(await lsLink(pod)).toMatch(/models -> \/proc\/\d+\/root\/models/);
    const ls = await kubectl(['exec', '-n', NS, pod, '-c', 'kserve-container', '--', 'ls', '/mnt/models/']);
    expect(ls).toMatchObject({ exitCode: 1, stderr: 'ls: /mnt/models/: Permission denied\ncommand terminated with exit code 1' });
  }, 100_000);

  it('reports a modelcar over its memory limit as OOMKilled with exit code 137', async () => {
    const pod = 'oom';
    const manifest = JSON.parse(modelcarPod(pod, 1010)) as { spec: { containers: Array<{ name: string; args?: string[] }> } };
    manifest.spec.containers[2]!.args = ['sh', '-c', 'exec dd if=/dev/zero of=/dev/null bs=64M count=1'];
    await kubectl(['apply', '-f', '-'], { input: JSON.stringify(manifest) });
    let reason = '';
    for (let i = 0; i < 300 && !reason; i++) {
      reason = (await kubectl(['get', 'pod', '-n', NS, pod, '-o', 'jsonpath={.status.containerStatuses[?(@.name=="modelcar")].lastState.terminated.reason}:{.status.containerStatuses[?(@.name=="modelcar")].lastState.terminated.exitCode}'])).stdout.replace(/^:$/, '');
      if (!reason) await new Promise((ok) => setTimeout(ok, 200));
    }
    expect(reason).toBe('OOMKilled:137');
  }, 100_000);
});
