import { PassThrough, Readable, Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { KObject } from '../types.ts';
import { ApiError } from './errors.ts';
import { inProcessRunner } from './inproc-runner.ts';

const pod: KObject = {
  apiVersion: 'v1', kind: 'Pod', metadata: { name: 'model-pod', namespace: 'ns' },
  spec: {
    nodeName: 'lab-node',
    containers: [{
      name: 'kserve-container',
      env: [
        { name: 'MODEL', value: '/mnt/models' },
        { name: 'POD_NAMESPACE', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
        { name: 'NODE', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } },
        { name: 'FROM_SECRET', valueFrom: { secretKeyRef: { name: 's', key: 'k' } } },
      ],
    }],
  },
};

function sink() {
  const chunks: Buffer[] = [];
  return { stream: new Writable({ write: (c: Buffer, _e, cb) => (chunks.push(c), cb()) }), text: () => Buffer.concat(chunks).toString() };
}

async function run(command: string[], opts: { stdin?: string | Readable; tty?: boolean } = {}) {
  const out = sink();
  const err = sink();
  const stdin = typeof opts.stdin === 'string' ? Readable.from([Buffer.from(opts.stdin)]) : (opts.stdin ?? null);
  const code = await inProcessRunner().exec({ namespace: 'ns', pod, container: 'kserve-container', command, tty: opts.tty ?? false, stdin, stdout: out.stream, stderr: err.stream });
  return { code, stdout: out.text(), stderr: err.text() };
}

describe('the in-process runner', () => {
  it('runs the basic commands', async () => {
    expect(await run(['echo', 'a', 'b'])).toEqual({ code: 0, stdout: 'a b\n', stderr: '' });
    expect(await run(['/bin/echo', '-n', 'x'])).toEqual({ code: 0, stdout: 'x', stderr: '' });
    expect((await run(['true'])).code).toBe(0);
    expect((await run(['false'])).code).toBe(1);
    expect(await run(['cat'], { stdin: 'piped' })).toEqual({ code: 0, stdout: 'piped', stderr: '' });
    expect(await run(['cat', '/etc/hostname'])).toEqual({ code: 0, stdout: 'model-pod\n', stderr: '' });
    expect((await run(['ls', '/'])).stdout).toContain('etc\n');
  });

  it('fails missing files as busybox does', async () => {
    expect(await run(['cat', '/nope'])).toEqual({ code: 1, stdout: '', stderr: "cat: can't open '/nope': No such file or directory\n" });
    expect(await run(['ls', '/mnt/models'])).toEqual({ code: 1, stdout: '', stderr: 'ls: /mnt/models: No such file or directory\n' });
  });

  it('shows the container\'s environment', async () => {
    expect((await run(['env'])).stdout).toMatch(/^PATH=.*\nHOSTNAME=model-pod\nMODEL=\/mnt\/models\nPOD_NAMESPACE=ns\nNODE=lab-node\nHOME=\/root\n$/);
  });

  it('reads exactly N bytes with head -c and leaves the rest to the next command', async () => {
    const stdin = new PassThrough();
    const result = run(['sh', '-c', 'head -c 4; echo; cat'], { stdin });
    stdin.write('abcdefgh');
    stdin.end();
    expect(await result).toEqual({ code: 0, stdout: 'abcd\nefgh', stderr: '' });
  });

  it('does not wait for end of input once head -c has its bytes', async () => {
    const stdin = new PassThrough();
    stdin.write('0123456789');
    expect(await run(['head', '-c', '10'], { stdin })).toEqual({ code: 0, stdout: '0123456789', stderr: '' });
  });

  it('interprets a small shell: sequences, && and ||, quotes, redirections, exit', async () => {
    expect(await run(['sh', '-c', 'echo "a  b"; echo \'c;d\' >&2; false || echo fallback; false && echo never; exit 7'])).toEqual({
      code: 7, stdout: 'a  b\nfallback\n', stderr: 'c;d\n',
    });
    expect(await run(['sh', '-c', 'cat /nope 2>/dev/null || echo gone'])).toEqual({ code: 0, stdout: 'gone\n', stderr: '' });
    expect(await run(['sh', '-c', 'cat /nope 2>&1'])).toMatchObject({ code: 1, stdout: "cat: can't open '/nope': No such file or directory\n" });
    expect(await run(['sh', '-c', 'nosuch arg'])).toEqual({ code: 127, stdout: '', stderr: 'sh: nosuch: not found\n' });
    expect(await run(['sh'], { stdin: 'echo from stdin\nexit 4\n' })).toEqual({ code: 4, stdout: 'from stdin\n', stderr: '' });
  });

  it('merges stderr into stdout with a TTY', async () => {
    expect(await run(['sh', '-c', 'echo out; echo err >&2'], { tty: true })).toEqual({ code: 0, stdout: 'out\nerr\n', stderr: '' });
  });

  it('rejects a missing executable with the runtime\'s error', async () => {
    const err = await run(['python3', '-V']).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).message).toContain('exec: "python3": executable file not found in $PATH: unknown');
    expect(((await run(['/opt/tool']).catch((e: unknown) => e)) as ApiError).message).toContain('exec: "/opt/tool": stat /opt/tool: no such file or directory');
  });
});
