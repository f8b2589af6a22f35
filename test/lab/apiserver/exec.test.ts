// The exec wire protocol against a small HTTPS server that routes exec upgrades to handleExecUpgrade
// with the in-process runner, spoken to by the `ws` client byte by byte and by client-node's Exec.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, request, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable, Writable } from 'node:stream';
import { Exec, KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { ensurePki, type Pki } from './certs.ts';
import { handleExecUpgrade, type ExecOptions } from './exec.ts';
import { inProcessRunner } from './inproc-runner.ts';

const POD = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'ns' }, spec: { containers: [{ name: 'c', env: [{ name: 'GREETING', value: 'hi' }] }] } };

/** An HTTPS server whose every upgrade is an exec into POD, as the query string asks. */
async function startServer(pki: Pki, options: ExecOptions = {}): Promise<{ server: Server; url: string }> {
  const server = createServer({ cert: pki.serverCertPem, key: pki.serverKeyPem });
  server.on('upgrade', (req, socket, head) => {
    const query = new URL(req.url ?? '/', 'https://lab').searchParams;
    const flag = (name: string) => query.get(name) === 'true' || query.get(name) === '1';
    const target = {
      namespace: 'ns', pod: POD, container: query.get('container') ?? 'c', command: query.getAll('command'),
      stdin: flag('stdin'), stdout: flag('stdout'), stderr: flag('stderr'), tty: flag('tty'),
    };
    handleExecUpgrade(req, socket, head, target, inProcessRunner(), options);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `wss://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

function execPath(command: string[], flags: { stdin?: boolean; tty?: boolean } = {}): string {
  const q = new URLSearchParams({ container: 'c', stdout: 'true', stderr: 'true', stdin: String(flags.stdin ?? false), tty: String(flags.tty ?? false) });
  for (const c of command) q.append('command', c);
  return `/api/v1/namespaces/ns/pods/p/exec?${q}`;
}

interface Session {
  protocol: string;
  stdout: Buffer;
  stderr: Buffer;
  status: Record<string, unknown> | string | undefined;
  closeCode: number;
}

/** Runs one exec as a raw client: sends `stdin` in 64 KiB frames, then (if asked) the v5 close signal. */
function rawExec(url: string, ca: string, protocols: string[], command: string[], stdin?: Buffer, opts: { closeStdin?: boolean; giveUpAfterMs?: number } = {}): Promise<Session> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${url}${execPath(command, { stdin: stdin !== undefined })}`, protocols, { ca });
    const out: Buffer[][] = [[], [], []];
    let status: Session['status'];
    const base64 = protocols[0]?.includes('base64') ?? false;
    ws.on('message', (data: Buffer, isBinary) => {
      const channel = isBinary ? data[0]! : data[0]! - 48;
      const payload = isBinary ? data.subarray(1) : Buffer.from(data.subarray(1).toString(), 'base64');
      if (channel === 3) status = ws.protocol.startsWith('v') ? JSON.parse(payload.toString()) : payload.toString();
      else out[channel]!.push(payload);
    });
    ws.on('open', () => {
      if (stdin === undefined) return;
      for (let i = 0; i < stdin.length; i += 65536) {
        const chunk = stdin.subarray(i, i + 65536);
        ws.send(base64 ? `0${chunk.toString('base64')}` : Buffer.concat([Buffer.of(0), chunk]));
      }
      if (opts.closeStdin) ws.send(Buffer.of(255, 0));
    });
    const timer = opts.giveUpAfterMs ? setTimeout(() => ws.close(), opts.giveUpAfterMs) : undefined;
    ws.on('close', (closeCode) => {
      clearTimeout(timer);
      resolve({ protocol: ws.protocol, stdout: Buffer.concat(out[1]!), stderr: Buffer.concat(out[2]!), status, closeCode });
    });
    ws.on('error', reject);
  });
}

/** The response to an upgrade request the server refuses. */
function refusedUpgrade(url: string, ca: string, path: string, headers: Record<string, string>): Promise<{ status: number; body: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = request(`${url.replace('wss:', 'https:')}${path}`, { ca, headers: { Connection: 'Upgrade', ...headers } });
    req.on('response', (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c)).on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(body) }));
    });
    req.on('upgrade', () => reject(new Error('upgrade was accepted')));
    req.on('error', reject).end();
  });
}

// Several MB through TLS on a shared 2-core machine: allow more than vitest's default 5 s.
describe('exec over WebSocket', { timeout: 20_000 }, () => {
  let stateDir: string;
  let pki: Pki;
  let lab: { server: Server; url: string };
  let v4Only: { server: Server; url: string };

  beforeAll(async () => {
    stateDir = await mkdtemp(join(tmpdir(), 'lab-exec-'));
    pki = await ensurePki(stateDir);
    lab = await startServer(pki);
    v4Only = await startServer(pki, { protocols: ['v4.channel.k8s.io'] });
  });
  afterAll(async () => {
    lab.server.close();
    v4Only.server.close();
    await rm(stateDir, { recursive: true, force: true });
  });

  it('round-trips several MB of stdin through cat on v5, ended by the close signal', async () => {
    const data = randomBytes(5 * 1024 * 1024 + 7);
    const s = await rawExec(lab.url, pki.caCertPem, ['v5.channel.k8s.io', 'v4.channel.k8s.io'], ['cat'], data, { closeStdin: true });
    expect(s.protocol).toBe('v5.channel.k8s.io');
    expect(s.stdout.equals(data)).toBe(true);
    expect(s.stderr.length).toBe(0);
    expect(s.status).toEqual({ metadata: {}, status: 'Success' });
    expect(s.closeCode).toBe(1000);
  });

  it('takes an exact byte count with head -c on v4, which cannot close stdin', async () => {
    const data = randomBytes(3 * 1024 * 1024);
    const s = await rawExec(v4Only.url, pki.caCertPem, ['v5.channel.k8s.io', 'v4.channel.k8s.io'], ['sh', '-c', `head -c ${data.length}`], data);
    expect(s.protocol).toBe('v4.channel.k8s.io');
    expect(s.stdout.equals(data)).toBe(true);
    expect(s.status).toEqual({ metadata: {}, status: 'Success' });
  });

  it('ignores the close signal on v4, so cat keeps waiting for input', async () => {
    const s = await rawExec(lab.url, pki.caCertPem, ['v4.channel.k8s.io'], ['cat'], Buffer.from('abc'), { closeStdin: true, giveUpAfterMs: 500 });
    expect(s.stdout.toString()).toBe('abc');
    expect(s.status).toBeUndefined();
  });

  it('keeps stderr apart and reports a non-zero exit code exactly as the kubelet does', async () => {
    const s = await rawExec(lab.url, pki.caCertPem, ['v5.channel.k8s.io'], ['sh', '-c', 'echo out; echo err >&2; exit 3']);
    expect(s.stdout.toString()).toBe('out\n');
    expect(s.stderr.toString()).toBe('err\n');
    expect(s.status).toEqual({
      metadata: {},
      status: 'Failure',
      message: 'command terminated with non-zero exit code: error executing command [sh -c echo out; echo err >&2; exit 3], exit code 3',
      reason: 'NonZeroExitCode',
      details: { causes: [{ reason: 'ExitCode', message: '3' }] },
    });
  });

  it('reports a missing executable as the container runtime does', async () => {
    const s = await rawExec(lab.url, pki.caCertPem, ['v5.channel.k8s.io'], ['bash']);
    expect(s.status).toMatchObject({ status: 'Failure', reason: 'InternalError', code: 500 });
    expect((s.status as { message: string }).message).toMatch(
      /^Internal error occurred: error executing command in container: failed to exec in container: failed to start exec "[0-9a-f]{64}": OCI runtime exec failed: exec failed: unable to start container process: exec: "bash": executable file not found in \$PATH: unknown$/,
    );
    const inShell = await rawExec(lab.url, pki.caCertPem, ['v5.channel.k8s.io'], ['sh', '-c', 'bash']);
    expect(inShell.stderr.toString()).toBe('sh: bash: not found\n');
    expect(inShell.status).toMatchObject({ details: { causes: [{ message: '127' }] } });
  });

  it('speaks the base64 and pre-v4 variants', async () => {
    const b64 = await rawExec(lab.url, pki.caCertPem, ['v4.base64.channel.k8s.io'], ['echo', 'hello']);
    expect(b64.protocol).toBe('v4.base64.channel.k8s.io');
    expect(b64.stdout.toString()).toBe('hello\n');
    expect(b64.status).toEqual({ metadata: {}, status: 'Success' });
    const old = await rawExec(lab.url, pki.caCertPem, ['channel.k8s.io'], ['false']);
    expect(old.status).toBe('command terminated with non-zero exit code: error executing command [false], exit code 1');
  });

  it('refuses SPDY, unknown subprotocols and an exec without streams with a 400 Status', async () => {
    const ws = { Upgrade: 'websocket', 'Sec-WebSocket-Version': '13', 'Sec-WebSocket-Key': randomBytes(16).toString('base64') };
    const spdy = await refusedUpgrade(lab.url, pki.caCertPem, execPath(['true']), { Upgrade: 'SPDY/3.1' });
    expect(spdy.status).toBe(400);
    expect(spdy.body).toMatchObject({ kind: 'Status', reason: 'BadRequest', message: expect.stringContaining('use kubectl 1.30 or newer') });
    const unknown = await refusedUpgrade(lab.url, pki.caCertPem, execPath(['true']), { ...ws, 'Sec-WebSocket-Protocol': 'v9.channel.k8s.io' });
    expect(unknown.body.message).toBe('requested protocol(s) are not supported: [v9.channel.k8s.io]; supports [v5.channel.k8s.io v4.channel.k8s.io v4.base64.channel.k8s.io channel.k8s.io base64.channel.k8s.io]');
    const noStreams = await refusedUpgrade(lab.url, pki.caCertPem, '/exec?command=true', { ...ws, 'Sec-WebSocket-Protocol': 'v5.channel.k8s.io' });
    expect(noStreams).toMatchObject({ status: 400, body: { message: 'you must specify at least 1 of stdin, stdout, stderr' } });
  });

  it('stops reading stdin while the client does not read stdout', async () => {
    const size = 32 * 1024 * 1024;
    const data = Buffer.alloc(size, 7);
    const ws = new WebSocket(`${lab.url}${execPath(['cat'], { stdin: true })}`, ['v5.channel.k8s.io'], { ca: pki.caCertPem });
    let received = 0;
    ws.on('message', (m: Buffer) => {
      if (m[0] === 1) received += m.length - 1;
    });
    await new Promise((resolve) => ws.on('open', resolve));
    // Stop reading: cat's output backs up, so the server must stop taking stdin.
    ws.pause();
    for (let i = 0; i < size; i += 1 << 20) ws.send(Buffer.concat([Buffer.of(0), data.subarray(i, i + (1 << 20))]));
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(ws.bufferedAmount).toBeGreaterThan(8 * 1024 * 1024);
    ws.resume();
    ws.send(Buffer.of(255, 0));
    await new Promise((resolve) => ws.on('close', resolve));
    expect(received).toBe(size);
  }, 30_000);

  it('stops taking stdin the command does not read', async () => {
    const ws = new WebSocket(`${lab.url}${execPath(['sleep', '2'], { stdin: true })}`, ['v5.channel.k8s.io'], { ca: pki.caCertPem });
    await new Promise((resolve) => ws.on('open', resolve));
    const chunk = Buffer.concat([Buffer.of(0), Buffer.alloc(1 << 20, 7)]);
    for (let i = 0; i < 24; i++) ws.send(chunk);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(ws.bufferedAmount).toBeGreaterThan(8 * 1024 * 1024);
    ws.terminate();
  }, 30_000);

  it('survives a client that goes away mid-command, and serves the next one', async () => {
    const ws = new WebSocket(`${lab.url}${execPath(['cat'], { stdin: true })}`, ['v5.channel.k8s.io'], { ca: pki.caCertPem });
    await new Promise((resolve) => ws.on('open', resolve));
    ws.pause();
    for (let i = 0; i < 8; i++) ws.send(Buffer.concat([Buffer.of(0), Buffer.alloc(1 << 20, 1)]));
    await new Promise((resolve) => setTimeout(resolve, 300));
    ws.terminate();
    await new Promise((resolve) => setTimeout(resolve, 300));
    const next = await rawExec(lab.url, pki.caCertPem, ['v5.channel.k8s.io'], ['echo', 'still here']);
    expect(next.stdout.toString()).toBe('still here\n');
  });

  describe('through client-node', () => {
    const kubeConfig = (url: string) => {
      const kc = new KubeConfig();
      kc.loadFromOptions({
        clusters: [{ name: 'lab', server: url.replace('wss:', 'https:'), caData: Buffer.from(pki.caCertPem).toString('base64') }],
        users: [{ name: 'u', token: 'unused' }],
        contexts: [{ name: 'lab', cluster: 'lab', user: 'u' }],
        currentContext: 'lab',
      });
      return kc;
    };
    const collect = () => {
      const chunks: Buffer[] = [];
      const stream = new Writable({ write: (c: Buffer, _e, cb) => (chunks.push(c), cb()) });
      return { stream, text: () => Buffer.concat(chunks).toString() };
    };

    /** Resolves with the status once client-node reports it; the socket opening alone proves nothing. */
    const execAndWait = (url: string, command: string[], stdin: Readable | null) =>
      new Promise<{ status: { status?: string; details?: unknown }; stdout: string; stderr: string }>((resolve, reject) => {
        const out = collect();
        const err = collect();
        const timer = setTimeout(() => reject(new Error('no status from exec within 10 s')), 10_000);
        new Exec(kubeConfig(url)).exec('ns', 'p', 'c', command, out.stream, err.stream, stdin, false, (status) => {
          clearTimeout(timer);
          resolve({ status, stdout: out.text(), stderr: err.text() });
        }).catch(reject);
      });

    it('runs a command and reports its exit code on v5', async () => {
      const r = await execAndWait(lab.url, ['sh', '-c', 'env; echo oops >&2; exit 42'], null);
      expect(r.stdout).toContain('GREETING=hi\n');
      expect(r.stderr).toBe('oops\n');
      expect(r.status).toMatchObject({ status: 'Failure', details: { causes: [{ reason: 'ExitCode', message: '42' }] } });
    });

    it('round-trips stdin on v5 (closing stdin) and on v4 (exact byte count)', async () => {
      const data = randomBytes(2 * 1024 * 1024).toString('base64');
      const v5 = await execAndWait(lab.url, ['cat'], Readable.from([data]));
      expect(v5.stdout).toBe(data);
      expect(v5.status).toEqual({ metadata: {}, status: 'Success' });
      // v4 cannot close stdin and client-node closes the socket when stdin ends: keep it open until the status.
      const stdin = new PassThrough();
      const v4 = execAndWait(v4Only.url, ['head', '-c', String(data.length)], stdin);
      stdin.write(data);
      const done = await v4;
      stdin.end();
      expect(done.stdout).toBe(data);
      expect(done.status).toEqual({ metadata: {}, status: 'Success' });
    });
  });
});
