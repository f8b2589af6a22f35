// A container stand-in for exec before real containers exist: a handful of busybox-like commands run
// in this process, enough to test the exec wire protocol end to end (large stdin through `cat`, exact
// byte counts with `head -c`, exit codes, stderr kept apart from stdout). A missing command fails as
// runc reports it: not found in `sh` is exit 127, a missing executable is an "OCI runtime exec failed" error.
import { once } from 'node:events';
import { Writable, type Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ExecRequest, ExecRunner, KObject } from '../types.ts';
import { ociExecFailed } from './exec.ts';

/** A command's stdio and environment. stdin reads are shared by all commands of one exec. */
interface Io {
  stdin: Input;
  stdout: Writable;
  stderr: Writable;
  env: Array<[string, string]>;
}

type Command = (args: string[], io: Io) => Promise<number>;

export function inProcessRunner(): ExecRunner {
  return {
    async exec(req: ExecRequest): Promise<number> {
      const [path = '', ...args] = req.command;
      const command = commands(req.pod)[commandName(path)];
      if (!command) {
        const why = path.includes('/') ? `stat ${path}: no such file or directory` : `executable file not found in $PATH`;
        throw ociExecFailed(`exec: "${path}": ${why}`);
      }
      const stdout = req.stdout ?? discard();
      // A TTY merges stderr into the terminal, i.e. stdout.
      const stderr = req.tty ? stdout : (req.stderr ?? discard());
      return command(args, { stdin: new Input(req.stdin), stdout, stderr, env: containerEnv(req.pod, req.container) });
    },
  };
}

const BIN_DIRS = ['/bin/', '/usr/bin/', '/sbin/', '/usr/sbin/'];

/** `/bin/sh` and `sh` are the same command; other paths do not exist in this container. */
function commandName(path: string): string {
  const dir = BIN_DIRS.find((d) => path.startsWith(d));
  if (dir) return path.slice(dir.length);
  return path.includes('/') ? '' : path;
}

interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: { fieldRef?: { fieldPath: string } };
}

/** The container's environment as the kubelet sets it: literal values and the pod's own fields
 *  (fieldRef); values from ConfigMaps and Secrets are beyond this stand-in and left out. */
function containerEnv(pod: KObject, container: string): Array<[string, string]> {
  const spec = pod.spec as { containers?: Array<{ name: string; env?: EnvVar[] }> } | undefined;
  const declared = spec?.containers?.find((c) => c.name === container)?.env ?? [];
  const resolved = declared.flatMap((e): Array<[string, string]> => {
    if (e.valueFrom === undefined) return [[e.name, e.value ?? '']];
    const path = e.valueFrom.fieldRef?.fieldPath;
    return path === undefined ? [] : [[e.name, String(fieldAt(pod, path) ?? '')]];
  });
  return [
    ['PATH', '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'],
    ['HOSTNAME', pod.metadata.name ?? ''],
    ...resolved,
    ['HOME', '/root'],
  ];
}

/** `metadata.namespace`, `status.podIP`, `metadata.labels['app']`: a fieldRef path into the pod. */
function fieldAt(pod: KObject, path: string): unknown {
  const keys = path.match(/[^.[\]'"]+/g) ?? [];
  return keys.reduce<unknown>((node, key) => (node && typeof node === 'object' ? (node as Record<string, unknown>)[key] : undefined), pod);
}

function discard(): Writable {
  return new Writable({ write: (_chunk, _encoding, callback) => callback() });
}

/** Writes with backpressure; fails once the client is gone (the exec session destroys its streams). */
async function write(out: Writable, data: string | Buffer): Promise<void> {
  if (out.destroyed) throw new Error('the exec client went away');
  if (out.write(data)) return;
  const waiting = new AbortController();
  try {
    await Promise.race([once(out, 'drain', { signal: waiting.signal }), once(out, 'close', { signal: waiting.signal })]);
  } finally {
    waiting.abort();
  }
  if (out.destroyed) throw new Error('the exec client went away');
}

/** Reads stdin in order across several commands; bytes a command did not consume stay for the next. */
class Input {
  private readonly chunks: AsyncIterator<Buffer> | undefined;
  private leftover: Buffer | undefined;

  constructor(stream: Readable | null) {
    // No stdin behaves like /dev/null: immediate end of file.
    this.chunks = stream?.[Symbol.asyncIterator]();
  }

  /** The next chunk, or undefined at end of file. */
  async next(): Promise<Buffer | undefined> {
    if (this.leftover) {
      const chunk = this.leftover;
      this.leftover = undefined;
      return chunk;
    }
    if (!this.chunks) return undefined;
    const { value, done } = await this.chunks.next();
    return done ? undefined : (value as Buffer);
  }

  unread(chunk: Buffer): void {
    if (chunk.length > 0) this.leftover = chunk;
  }

  async readAll(): Promise<Buffer> {
    const parts: Buffer[] = [];
    for (let chunk = await this.next(); chunk; chunk = await this.next()) parts.push(chunk);
    return Buffer.concat(parts);
  }
}

// --- a tiny read-only filesystem, enough for ls and cat to have something to show ---

function files(pod: KObject): Map<string, string | string[]> {
  return new Map<string, string | string[]>([
    ['/', ['bin', 'dev', 'etc', 'proc', 'root', 'sys', 'tmp', 'usr', 'var']],
    ['/etc', ['hostname', 'passwd']],
    ['/etc/hostname', `${pod.metadata.name ?? ''}\n`],
    ['/etc/passwd', 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/home:/bin/false\n'],
    ['/tmp', []],
  ]);
}

// --- the commands ---

function commands(pod: KObject): Record<string, Command> {
  const fs = files(pod);
  const table: Record<string, Command> = {
    true: async () => 0,
    false: async () => 1,

    async echo(args, io) {
      const newline = args[0] !== '-n';
      await write(io.stdout, `${(newline ? args : args.slice(1)).join(' ')}${newline ? '\n' : ''}`);
      return 0;
    },

    async cat(args, io) {
      let status = 0;
      for (const name of args.length > 0 ? args : ['-']) {
        if (name === '-') {
          for (let chunk = await io.stdin.next(); chunk; chunk = await io.stdin.next()) await write(io.stdout, chunk);
          continue;
        }
        const content = fs.get(name);
        if (typeof content === 'string') await write(io.stdout, content);
        else {
          await write(io.stderr, content ? `cat: read error: Is a directory\n` : `cat: can't open '${name}': No such file or directory\n`);
          status = 1;
        }
      }
      return status;
    },

    async ls(args, io) {
      let status = 0;
      for (const name of args.length > 0 ? args : ['/']) {
        const content = fs.get(name);
        if (content === undefined) {
          await write(io.stderr, `ls: ${name}: No such file or directory\n`);
          status = 1;
        } else {
          await write(io.stdout, typeof content === 'string' ? `${name}\n` : content.map((e) => `${e}\n`).join(''));
        }
      }
      return status;
    },

    /** `head -c N`: exactly N bytes of stdin, then exit without waiting for end of file. */
    async head(args, io) {
      const count = args[0] === '-c' ? Number(args[1]) : NaN;
      if (!Number.isInteger(count) || count < 0 || args.length !== 2) {
        await write(io.stderr, 'head: only -c N is supported here\n');
        return 1;
      }
      let remaining = count;
      while (remaining > 0) {
        const chunk = await io.stdin.next();
        if (!chunk) break;
        const used = chunk.subarray(0, remaining);
        io.stdin.unread(chunk.subarray(used.length));
        remaining -= used.length;
        await write(io.stdout, used);
      }
      return 0;
    },

    async env(_args, io) {
      await write(io.stdout, io.env.map(([k, v]) => `${k}=${v}\n`).join(''));
      return 0;
    },

    async sleep(args, io) {
      const seconds = Number(args[0]);
      if (!Number.isFinite(seconds) || seconds < 0) {
        await write(io.stderr, `sleep: invalid number '${args[0] ?? ''}'\n`);
        return 1;
      }
      await sleep(seconds * 1000);
      return 0;
    },

    /** `sh -c SCRIPT`, or the script on stdin. */
    async sh(args, io) {
      if (args[0] === '-c') {
        if (args[1] === undefined) {
          await write(io.stderr, 'sh: -c requires an argument\n');
          return 2;
        }
        return runScript(args[1], io, table);
      }
      return runScript((await io.stdin.readAll()).toString('utf8'), io, table);
    },
  };
  return table;
}

// --- a very small `sh`: simple commands joined by `;`, `&&`, `||` or newlines, quoting, `exit N`,
// and the redirections `>&2`, `2>&1`, `>/dev/null`, `2>/dev/null`. No pipes, variables or files. ---

type Token = { word: string } | { op: ';' | '&&' | '||' } | { redirect: string };

function tokenize(script: string): Token[] | string {
  const tokens: Token[] = [];
  let i = 0;
  while (i < script.length) {
    const c = script[i]!;
    if (c === ' ' || c === '\t') { i++; continue; }
    if (c === '#') { while (i < script.length && script[i] !== '\n') i++; continue; }
    if (c === '\n' || c === ';') { tokens.push({ op: ';' }); i++; continue; }
    if (script.startsWith('&&', i) || script.startsWith('||', i)) { tokens.push({ op: script.slice(i, i + 2) as '&&' | '||' }); i += 2; continue; }
    if (c === '|' || c === '&' || c === '<') return `sh: '${c}' is not supported by the lab's in-process runner`;
    const redirect = /^(?:[12]?>&[12]|[12]?>\s*\S+)/.exec(script.slice(i));
    if (redirect && (c === '>' || /[12]/.test(c))) {
      tokens.push({ redirect: redirect[0].replace(/\s+/g, '') });
      i += redirect[0].length;
      continue;
    }
    let word = '';
    while (i < script.length && !' \t\n;&|<>'.includes(script[i]!)) {
      const q = script[i]!;
      if (q === "'" || q === '"') {
        const end = script.indexOf(q, i + 1);
        if (end < 0) return `sh: syntax error: unterminated quoted string`;
        word += script.slice(i + 1, end);
        i = end + 1;
      } else if (q === '\\' && i + 1 < script.length) {
        word += script[i + 1];
        i += 2;
      } else {
        word += q;
        i++;
      }
    }
    tokens.push({ word });
  }
  return tokens;
}

async function runScript(script: string, io: Io, table: Record<string, Command>): Promise<number> {
  const tokens = tokenize(script);
  if (typeof tokens === 'string') {
    await write(io.stderr, `${tokens}\n`);
    return 2;
  }
  let status = 0;
  let skip = false;
  let words: string[] = [];
  let out = io.stdout;
  let err = io.stderr;
  const runCommand = async (): Promise<number | 'exit'> => {
    const [name, ...args] = words;
    words = [];
    const cmdIo = { ...io, stdout: out, stderr: err };
    out = io.stdout;
    err = io.stderr;
    if (name === undefined) return status;
    if (name === 'exit') {
      status = args[0] === undefined ? status : Number(args[0]) & 0xff;
      return 'exit';
    }
    const command = table[commandName(name)];
    if (!command) {
      await write(cmdIo.stderr, `sh: ${name}: not found\n`);
      return 127;
    }
    return command(args, cmdIo);
  };
  for (const token of [...tokens, { op: ';' as const }]) {
    if ('word' in token) words.push(token.word);
    else if ('redirect' in token) {
      const r = token.redirect;
      if (r === '>&2' || r === '1>&2') out = err;
      else if (r === '2>&1') err = out;
      else if (r === '>/dev/null' || r === '1>/dev/null') out = discard();
      else if (r === '2>/dev/null') err = discard();
      else {
        await write(io.stderr, `sh: can't create ${r.replace(/^[12]?>/, '')}: Read-only file system\n`);
        words = [];
        status = 1;
        skip = true;
      }
    } else {
      if (!skip) {
        const result = await runCommand();
        if (result === 'exit') return status;
        status = result;
      }
      words = [];
      skip = (token.op === '&&' && status !== 0) || (token.op === '||' && status === 0);
    }
  }
  return status;
}
