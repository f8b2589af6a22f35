// `kubectl exec` and client-node's Exec against the lab: WebSocket v5 with stdin closed by the close
// signal, a few MB through `cat` byte for byte, exit codes and stderr as on a real cluster. The pod
// runs under runc when the lab can run pods, else the lab's in-process runner answers; both must pass.
import { randomBytes } from 'node:crypto';
import { Readable, Writable } from 'node:stream';
import { Exec } from '@kubernetes/client-node';
import { execa } from 'execa';
import { beforeAll, describe, expect, it } from 'vitest';
import { KUBECTL, kubectl, labClient, labEnv } from './testkit.ts';

const NS = 'exec-lab';
const POD = 'shell';

const POD_MANIFEST = JSON.stringify({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: POD, namespace: NS },
  spec: { containers: [{ name: 'shell', image: 'busybox:latest', command: ['sleep', '3600'] }] },
});

/** kubectl exec with binary stdin and stdout. */
async function execBinary(command: string[], input: Buffer) {
  const r = await execa(KUBECTL, ['exec', '-i', '-n', NS, POD, '--', ...command], { env: labEnv(), input, encoding: 'buffer', reject: false, timeout: 60_000 });
  return { stdout: Buffer.from(r.stdout), stderr: Buffer.from(r.stderr).toString(), exitCode: r.exitCode };
}

beforeAll(async () => {
  await kubectl(['create', 'namespace', NS]);
  const created = await kubectl(['apply', '-f', '-'], { input: POD_MANIFEST });
  expect(created.stderr).toBe('');
  // Under runc the container must start first; the in-process runner answers at once.
  const deadline = Date.now() + 90_000;
  for (;;) {
    const probe = await kubectl(['exec', '-n', NS, POD, '--', 'true']);
    if (probe.exitCode === 0) break;
    if (Date.now() > deadline) throw new Error(`exec never worked: ${probe.stderr}`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}, 120_000);

describe('kubectl exec', () => {
  it('runs a command and prints its output', async () => {
    expect(await kubectl(['exec', '-n', NS, POD, '--', 'echo', 'hello', 'lab'])).toEqual({ stdout: 'hello lab', stderr: '', exitCode: 0 });
  });

  it('round-trips 4 MB of binary stdin through cat', async () => {
    const data = randomBytes(4 * 1024 * 1024 + 13);
    const r = await execBinary(['cat'], data);
    expect(r.stderr).toBe('');
    expect(r.exitCode).toBe(0);
    expect(r.stdout.length).toBe(data.length);
    expect(r.stdout.equals(data)).toBe(true);
  });

  it('takes exactly N bytes with head -c, as the plugin uploads its agent', async () => {
    const data = randomBytes(1024 * 1024);
    const r = await execBinary(['sh', '-c', `head -c ${data.length}`], data);
    expect(r.exitCode).toBe(0);
    expect(r.stdout.equals(data)).toBe(true);
  });

  it('keeps stderr apart and propagates the exit code', async () => {
    const r = await kubectl(['exec', '-n', NS, POD, '--', 'sh', '-c', 'echo out; echo err >&2; exit 3']);
    expect(r).toEqual({ stdout: 'out', stderr: 'err\ncommand terminated with exit code 3', exitCode: 3 });
  });

  it('reports a command missing in the container', async () => {
    const r = await kubectl(['exec', '-n', NS, POD, '--', 'sh', '-c', 'no-such-tool --version']);
    expect(r.exitCode).toBe(127);
    expect(r.stderr).toMatch(/no-such-tool: not found\ncommand terminated with exit code 127$/);
  });
});

describe('client-node Exec', () => {
  /** Resolves when the status channel reports; the WebSocket opening alone proves nothing. */
  function execAndWait(command: string[], stdin: Readable | null) {
    return new Promise<{ status: { status?: string; details?: unknown }; stdout: Buffer; stderr: string }>((resolve, reject) => {
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      const sink = (into: Buffer[]) => new Writable({ write: (c: Buffer, _e, cb) => (into.push(c), cb()) });
      const timer = setTimeout(() => reject(new Error('no status from exec within 30 s')), 30_000);
      new Exec(labClient()).exec(NS, POD, 'shell', command, sink(out), sink(err), stdin, false, (status) => {
        clearTimeout(timer);
        resolve({ status, stdout: Buffer.concat(out), stderr: Buffer.concat(err).toString() });
      }).catch(reject);
    });
  }

  it('reports the exit code on the status channel', async () => {
    const r = await execAndWait(['sh', '-c', 'echo oops >&2; exit 42'], null);
    expect(r.stderr).toBe('oops\n');
    expect(r.status).toMatchObject({ status: 'Failure', reason: 'NonZeroExitCode', details: { causes: [{ reason: 'ExitCode', message: '42' }] } });
  });

  it('closes stdin over v5, so cat ends and reports success', async () => {
    const data = randomBytes(2 * 1024 * 1024);
    const r = await execAndWait(['cat'], Readable.from([data]));
    expect(r.stdout.equals(data)).toBe(true);
    expect(r.status).toEqual({ metadata: {}, status: 'Success' });
  });
});
