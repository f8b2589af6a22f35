// exec.ts over the lab API server's WebSocket exec: stdout and stderr apart, the exit code from the
// status frame, a missing command, and the pods/exec RBAC rule for a user who may not exec.
import { execa } from 'execa';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { KubeClient } from './client.ts';
import { ForbiddenError } from './errors.ts';
import { execInContainer, isModelcarContainer } from './exec.ts';
import { connectionFromFlags } from './kubeconfig.ts';

const ns = `mcexec-${Date.now().toString(36)}`;
const POD = 'exec-target';

async function kubectl(args: string[], input = ''): Promise<number> {
  const r = await execa('/usr/bin/kubectl', args, { env: { KUBECONFIG: inject('labKubeconfig'), KUBECACHEDIR: inject('labCacheDir') }, input, reject: false });
  if (r.exitCode !== 0) console.log(String(r.stderr));
  return r.exitCode ?? -1;
}

async function client(context: string): Promise<KubeClient> {
  const conn = connectionFromFlags({ context, 'request-timeout': '20s' }, { KUBECONFIG: inject('labKubeconfig') });
  return KubeClient.connect(conn, { verbosity: 0, write: () => {} });
}

beforeAll(async () => {
  expect(await kubectl(['create', 'namespace', ns])).toBe(0);
  const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: POD, namespace: ns }, spec: { nodeName: 'exec-test-node', containers: [{ name: 'kserve-container', image: 'busybox:1.36' }] } };
  expect(await kubectl(['create', '-f', '-'], JSON.stringify(pod))).toBe(0);
  const status = {
    status: {
      phase: 'Running',
      containerStatuses: [{ name: 'kserve-container', image: 'busybox:1.36', imageID: 'x', ready: true, restartCount: 0, state: { running: { startedAt: new Date().toISOString() } } }],
    },
  };
  expect(await kubectl(['patch', 'pod', POD, '-n', ns, '--subresource=status', '--type=merge', '-p', JSON.stringify(status)])).toBe(0);
}, 60_000);

describe('execInContainer against the lab', () => {
  it('keeps stdout and stderr apart and reads the exit code from the status frame', async () => {
    const c = await client('lab-admin');
    const r = await execInContainer(c, ns, POD, 'kserve-container', ['sh', '-c', 'echo out; echo err >&2; exit 3']);
    expect(r).toEqual({ stdout: 'out\n', stderr: 'err\n', exitCode: 3, commandNotFound: false, timedOut: false });
    const ok = await execInContainer(c, ns, POD, 'kserve-container', ['sh', '-c', 'echo fine']);
    expect(ok).toMatchObject({ stdout: 'fine\n', exitCode: 0 });
    c.close();
  });

  it('says when the command does not exist in the container', async () => {
    const c = await client('lab-admin');
    const r = await execInContainer(c, ns, POD, 'kserve-container', ['no-such-tool']);
    expect(r.exitCode).toBeNull();
    expect(r.commandNotFound).toBe(true);
    expect(r.failure).toContain('executable file not found');
    c.close();
  });

  it('works with the exec credential plugin user (sso)', async () => {
    const c = await client('lab-sso');
    expect(await execInContainer(c, ns, POD, 'kserve-container', ['sh', '-c', 'echo sso'])).toMatchObject({ stdout: 'sso\n', exitCode: 0 });
    c.close();
  });

  it('support may not exec: ForbiddenError with the pods/exec rule', async () => {
    const c = await client('lab-support');
    const err = await execInContainer(c, ns, POD, 'kserve-container', ['sh', '-c', 'true']).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ForbiddenError);
    expect((err as ForbiddenError).access).toMatchObject({ verb: 'create', group: '', resource: 'pods/exec', namespace: ns });
    expect((err as Error).message).toContain('user "support" may not create pods/exec');
    c.close();
  });

  it('refuses to exec into modelcar containers at all', async () => {
    const c = await client('lab-admin');
    expect(isModelcarContainer('modelcar-2')).toBe(true);
    await expect(execInContainer(c, ns, POD, 'modelcar', ['ls'])).rejects.toThrow(/never runs commands there/);
    c.close();
  });
});
