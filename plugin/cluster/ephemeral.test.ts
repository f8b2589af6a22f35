import { describe, expect, it, vi } from 'vitest';
import { modelcarPod } from '../../shared/testing/fixtures.ts';
import type { Pod } from '../../shared/snapshot.ts';
import {
  DEFAULT_EPHEMERAL_IMAGE,
  EPHEMERAL_PREFIX,
  confirmChange,
  consentQuestion,
  effectiveIds,
  ephemeralContainerSpec,
  newEphemeralName,
  probeViaEphemeral,
  reusable,
} from './ephemeral.ts';
import type { KubeClient } from './client.ts';
import type { ExecSkipped } from '../../shared/snapshot.ts';
import { UsageError } from './errors.ts';
import { isModelcarContainer } from './exec.ts';

const runtimeOf = (pod: Pod) => pod.spec.containers.find((c) => c.name === 'kserve-container')!;

describe('ephemeralContainerSpec', () => {
  it('targets the runtime, runs as its uid from the container securityContext, mounts the model volume read-only, sleeps 3600', () => {
    const pod = modelcarPod({ uidModelcar: 1010 });
    runtimeOf(pod).volumeMounts!.push({ name: 'kube-api-access', mountPath: '/var/run/secrets/kubernetes.io/serviceaccount' });
    const c = ephemeralContainerSpec(pod, 'kserve-container', ['/mnt/models'], 'busybox:1.36', 'modelcar-inspect-abcde');
    expect(c).toMatchObject({
      name: 'modelcar-inspect-abcde',
      image: 'busybox:1.36',
      command: ['sleep', '3600'],
      targetContainerName: 'kserve-container',
      securityContext: { runAsUser: 1010 },
      volumeMounts: [{ name: 'kserve-provision-location', mountPath: '/mnt', readOnly: true }],
    });
    // Only uid/gid: none of the runtime's other securityContext fields (no privilege asked for).
    expect(Object.keys(c.securityContext!)).toEqual(['runAsUser']);
  });

  it('falls back to the pod securityContext for uid and gid, the container winning where both say', () => {
    const pod = modelcarPod({ uidModelcar: null, runtimeSecurityContext: { runAsGroup: 7 } });
    pod.spec.securityContext = { runAsUser: 2000, runAsGroup: 3000 };
    expect(effectiveIds(pod, runtimeOf(pod))).toEqual({ runAsUser: 2000, runAsGroup: 7 });
    expect(ephemeralContainerSpec(pod, 'kserve-container', ['/mnt/models'], 'b', 'n').securityContext).toEqual({ runAsUser: 2000, runAsGroup: 7 });
  });

  it('sets no securityContext when neither the container nor the pod sets a uid (the image decides, as for the runtime)', () => {
    const pod = modelcarPod({ uidModelcar: null, version: 'v0.13.0' });
    expect(ephemeralContainerSpec(pod, 'kserve-container', ['/mnt/models'], 'b', 'n').securityContext).toBeUndefined();
  });

  it('mounts every model volume of the runtime with several oci sources', () => {
    const pod = modelcarPod({ images: ['a/m:1', 'b/m:1'] });
    const c = ephemeralContainerSpec(pod, 'kserve-container', ['/mnt/models', '/mnt/extra1/models'], 'b', 'n');
    expect(c.volumeMounts!.map((m) => `${m.name}:${m.mountPath}`)).toEqual(['kserve-provision-location:/mnt', 'kserve-provision-location-1:/mnt/extra1']);
  });

  it('never targets the modelcar container', () => {
    expect(() => ephemeralContainerSpec(modelcarPod(), 'modelcar', ['/mnt/models'], 'b', 'n')).toThrow(/modelcar container/);
  });

  it('names containers so that exec never mistakes them for a modelcar', () => {
    const name = newEphemeralName();
    expect(name).toMatch(new RegExp(`^${EPHEMERAL_PREFIX}[0-9a-f]{5}$`));
    expect(isModelcarContainer(name)).toBe(false);
    expect(DEFAULT_EPHEMERAL_IMAGE).toBe('busybox:1.36');
  });
});

describe('confirmChange', () => {
  const question = consentQuestion(modelcarPod(), ephemeralContainerSpec(modelcarPod(), 'kserve-container', ['/mnt/models'], 'busybox:1.36', 'modelcar-inspect-abcde'));

  it('asks the question of the brief', () => {
    expect(question).toBe(
      'add ephemeral container modelcar-inspect-abcde (image busybox:1.36) to pod kserve-test/sklearn-iris-oci-predictor-6d9f7c8b5-abcde? it stays in the pod spec until the pod is deleted [y/N] ',
    );
  });

  it('--yes: allowed without asking, with or without a terminal', async () => {
    const ask = vi.fn(async () => 'n');
    expect(await confirmChange(question, { yes: true, interactive: false, ask })).toBe(true);
    expect(await confirmChange(question, { yes: true, interactive: true, ask })).toBe(true);
    expect(ask).not.toHaveBeenCalled();
  });

  it('no terminal and no --yes: a UsageError (exit 2) in one line, nobody asked', async () => {
    const ask = vi.fn(async () => 'y');
    const err = await confirmChange(question, { yes: false, interactive: false, ask }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UsageError);
    expect((err as UsageError).exitCode).toBe(2);
    expect((err as Error).message).not.toContain('\n');
    expect((err as Error).message).toContain('--yes');
    expect(ask).not.toHaveBeenCalled();
  });

  it('on a terminal: only y or yes allows it; the default is no', async () => {
    for (const [answer, allowed] of [['y', true], ['YES', true], [' y\n', true], ['', false], ['n', false], ['maybe', false]] as const) {
      expect(await confirmChange(question, { yes: false, interactive: true, ask: async () => answer }), JSON.stringify(answer)).toBe(allowed);
    }
  });
});

describe('reusable', () => {
  it('finds a running container of ours with the same target and image, and nothing else', () => {
    const pod = modelcarPod();
    const spec = (name: string, target = 'kserve-container', image = 'busybox:1.36') => ({ name, image, command: ['sleep', '3600'], targetContainerName: target });
    pod.spec['ephemeralContainers'] = [spec('debugger-x'), spec('modelcar-inspect-aaaaa', 'kserve-container', 'other:1'), spec('modelcar-inspect-bbbbb'), spec('modelcar-inspect-ccccc')];
    pod.status!['ephemeralContainerStatuses'] = [
      { name: 'debugger-x', state: { running: {} } },
      { name: 'modelcar-inspect-aaaaa', state: { running: {} } },
      { name: 'modelcar-inspect-bbbbb', state: { terminated: { exitCode: 0 } } },
      { name: 'modelcar-inspect-ccccc', state: { running: {} } },
    ];
    expect(reusable(pod, 'kserve-container', 'busybox:1.36')).toBe('modelcar-inspect-ccccc');
    expect(reusable(pod, 'transformer-container', 'busybox:1.36')).toBeUndefined();
  });
});

describe('probeViaEphemeral', () => {
  it('adds nothing when the spec does not set the runtime uid: a debug container would check as another uid', async () => {
    const pod = modelcarPod({ uidModelcar: null });
    const why: ExecSkipped = { namespace: pod.metadata.namespace!, pod: pod.metadata.name, container: 'kserve-container', outcome: 'skipped', reason: 'no-shell', detail: 'no sh' };
    const ask = vi.fn(async () => 'y');
    // A client that fails on any use: nothing may be asked of the cluster.
    const client = new Proxy({}, { get: () => { throw new Error('the cluster was used'); } }) as unknown as KubeClient;
    const r = await probeViaEphemeral(client, pod, 'kserve-container', ['/mnt/models'], why, { image: 'busybox:1.36', yes: true, interactive: true, ask, timeoutMs: 1000 });
    expect(r).toEqual([{ ...why, detail: expect.stringContaining('no container added: the pod spec sets no runAsUser for kserve-container') }]);
    expect(ask).not.toHaveBeenCalled();
  });

  it('declined on a terminal: the pod is not changed and the skip says so', async () => {
    const pod = modelcarPod();
    const why: ExecSkipped = { namespace: pod.metadata.namespace!, pod: pod.metadata.name, container: 'kserve-container', outcome: 'skipped', reason: 'no-shell', detail: 'no sh' };
    const client = new Proxy({}, { get: () => { throw new Error('the cluster was used'); } }) as unknown as KubeClient;
    const ask = vi.fn(async () => '');
    const r = await probeViaEphemeral(client, pod, 'kserve-container', ['/mnt/models'], why, { image: 'busybox:1.36', yes: false, interactive: true, ask, timeoutMs: 1000 });
    expect(ask).toHaveBeenCalledWith(expect.stringMatching(/^add ephemeral container modelcar-inspect-[0-9a-f]{5} \(image busybox:1\.36\) to pod kserve-test\//));
    expect(r).toEqual([{ ...why, detail: 'no sh; --ephemeral declined, the pod was not changed' }]);
  });
});
