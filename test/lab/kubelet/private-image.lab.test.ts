// Private images through the real kubectl (issue 5): a pod whose image lives in the lab's private
// registry fails to pull without an imagePullSecret (containerd's 401 Unauthorized) and runs with one
// made by `kubectl create secret docker-registry`. Policy Always, so each pod asks the registry.
import { describe, expect, it } from 'vitest';
import { podsCanRun } from '../../e2e/lab-env.ts';
import { LAB_IMAGES } from '../images/catalog.ts';
import { PRIVATE_CREDENTIALS } from '../registry/lab-registries.ts';
import { kubectl } from '../testkit.ts';
import { until } from '../until.ts';

const NS = `private-${Date.now().toString(36)}`;
const IMAGE = LAB_IMAGES.privateSklearnModel;
const run = podsCanRun('the private image lab test');

function pod(name: string, pullSecret?: string) {
  return JSON.stringify({
    apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: NS },
    spec: {
      ...(pullSecret ? { imagePullSecrets: [{ name: pullSecret }] } : {}),
      containers: [{ name: 'modelcar', image: IMAGE, imagePullPolicy: 'Always', command: ['sh', '-c', 'ls /models && sleep infinity'] }],
    },
  });
}

const waiting = (name: string) => until(`${name} to stop waiting on its image`, async () => {
  const r = await kubectl(['get', 'pod', '-n', NS, name, '-o', 'jsonpath={.status.containerStatuses[0].state}']);
  const state = JSON.parse(r.stdout || '{}') as { waiting?: { reason: string; message?: string }; running?: object };
  return state.running || (state.waiting && state.waiting.reason !== 'ContainerCreating') ? state : undefined;
}, 60_000, 300);

describe.skipIf(!run)('a private model image', () => {
  it('fails with 401 Unauthorized without an imagePullSecret, and runs with one', async () => {
    expect((await kubectl(['create', 'namespace', NS])).exitCode).toBe(0);

    expect((await kubectl(['create', '-f', '-'], { input: pod('without-secret') })).exitCode).toBe(0);
    const denied = await waiting('without-secret');
    expect(denied.waiting?.reason).toMatch(/^(ErrImagePull|ImagePullBackOff)$/);
    const events = await kubectl(['get', 'events', '-n', NS, '--field-selector', 'involvedObject.name=without-secret,reason=Failed', '-o', 'jsonpath={.items[*].message}']);
    expect(events.stdout).toContain(`Failed to pull image "${IMAGE}"`);
    expect(events.stdout).toContain('401 Unauthorized');

    const secret = await kubectl(['create', 'secret', 'docker-registry', 'lab-pull', '-n', NS, '--docker-server=quay.io',
      `--docker-username=${PRIVATE_CREDENTIALS.username}`, `--docker-password=${PRIVATE_CREDENTIALS.password}`]);
    expect(secret.exitCode, secret.stderr).toBe(0);
    expect((await kubectl(['create', '-f', '-'], { input: pod('with-secret', 'lab-pull') })).exitCode).toBe(0);
    expect((await waiting('with-secret')).running).toBeDefined();
    const logs = await until('the model listing', async () => (await kubectl(['logs', '-n', NS, 'with-secret'])).stdout || undefined, 30_000, 300);
    expect(logs).toContain('model.joblib');

    // Wait for the pods to go: a lab torn down while the kubelet is still deleting them can leave a mount.
    expect((await kubectl(['delete', 'namespace', NS, '--timeout=60s'], { timeoutMs: 70_000 })).exitCode).toBe(0);
  }, 120_000);
});
