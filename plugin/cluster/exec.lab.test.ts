// exec.ts over the lab API server's WebSocket exec into a container run by runc: stdout and stderr apart, the exit code from the
// status frame, a missing command, and the pods/exec RBAC rule for a user who may not exec.
import { existsSync } from 'node:fs';
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

const cannot = process.geteuid?.() !== 0 ? 'not root' : !['/usr/sbin/runc', '/usr/bin/runc'].some(existsSync) ? 'runc is not installed' : '';
if (cannot) {
  if (process.env.CI) throw new Error(`exec lab tests cannot be skipped in CI: ${cannot}`);
  console.log(`skipping exec lab tests: ${cannot}`);
}

beforeAll(async () => {
  if (cannot) return;
  expect(await kubectl(['create', 'namespace', ns])).toBe(0);
  // A busybox container run by the lab's kubelet (runc); the image name is the lab catalogue's.
  const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: POD, namespace: ns }, spec: { containers: [{ name: 'kserve-container', image: 'busybox:latest', command: ['sleep', 'infinity'] }] } };
  expect(await kubectl(['create', '-f', '-'], JSON.stringify(pod))).toBe(0);
  expect(await kubectl(['wait', '-n', ns, '--for=condition=Ready', `pod/${POD}`, '--timeout=90s'])).toBe(0);
}, 120_000);

describe.skipIf(Boolean(cannot))('execInContainer against the lab', () => {
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
