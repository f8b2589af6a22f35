// Exec of read-only commands into a container, through client-node's Exec over WebSocket.
// client-node's own socket handler resolves as soon as the socket opens, forwards "close stream"
// frames to process.stdout/stderr (ending our own output) and throws from an event handler on a
// malformed status frame; so Exec gets a small socket adapter here that waits for the status channel
// or the close, with a timeout (the status frame may never come), and parses the status defensively.
import { Writable } from 'node:stream';
import type { IncomingMessage } from 'node:http';
import { z } from 'zod';
import type WebSocket from 'ws';
import type { KubeClient } from './client.ts';
import { classifyCredentialError, classifyHttpError, classifyNetworkError, type ApiRequest } from './client.ts';

export interface ExecResult {
  stdout: string;
  stderr: string;
  /** The command's exit code; null when it never ran (see `failure`) or the exec timed out. */
  exitCode: number | null;
  /** Why the command did not run or finish: the server's status message, or "timed out after N ms". */
  failure?: string;
  /** True when the container has no such executable (no shell, no `ls`). */
  commandNotFound: boolean;
  timedOut: boolean;
}

export interface ExecOptions {
  timeoutMs?: number;
}

/** Containers the plugin may never exec into: they hold the model, and the pod must not be changed. */
export function isModelcarContainer(name: string): boolean {
  return /^modelcar(-init)?(-\d+)?$/.test(name);
}

const StatusSchema = z
  .object({
    status: z.string().optional(),
    message: z.string().optional(),
    reason: z.string().optional(),
    details: z
      .object({ causes: z.array(z.object({ reason: z.string().optional(), message: z.string().optional() }).passthrough()).optional() })
      .passthrough()
      .optional(),
  })
  .passthrough();

/** The exit code and failure text of an exec status frame (channel 3), from any JSON the server sent. */
export function parseExecStatus(raw: string): { exitCode: number | null; failure?: string; commandNotFound: boolean } {
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    return { exitCode: null, failure: `unreadable exec status: ${raw.slice(0, 200)}`, commandNotFound: false };
  }
  const parsed = StatusSchema.safeParse(json);
  if (!parsed.success) return { exitCode: null, failure: `unexpected exec status: ${raw.slice(0, 200)}`, commandNotFound: false };
  const s = parsed.data;
  if (s.status === 'Success') return { exitCode: 0, commandNotFound: false };
  const cause = s.details?.causes?.find((c) => c.reason === 'ExitCode');
  if (s.reason === 'NonZeroExitCode' && cause?.message !== undefined && /^\d+$/.test(cause.message)) {
    return { exitCode: Number(cause.message), commandNotFound: false };
  }
  const message = s.message ?? 'exec failed';
  const commandNotFound = /executable file not found|no such file or directory|not found in \$PATH/i.test(message);
  return { exitCode: null, failure: message, commandNotFound };
}

class Collector extends Writable {
  readonly chunks: Buffer[] = [];
  _write(chunk: Buffer, _enc: BufferEncoding, cb: () => void): void {
    this.chunks.push(chunk);
    cb();
  }
  text(): string {
    return Buffer.concat(this.chunks).toString('utf8');
  }
}

/** An HTTP failure of the WebSocket upgrade (403, 404, 400, ...), with the body the server sent. */
class UpgradeError extends Error {
  readonly status: number;
  readonly body: string;
  constructor(status: number, body: string) {
    super(`HTTP ${status}`);
    this.status = status;
    this.body = body;
  }
}

const PROTOCOLS = ['v5.channel.k8s.io', 'v4.channel.k8s.io'];
const CLOSE_STREAM = 255;

/**
 * Runs `command` in `container` and waits for its end. Throws ForbiddenError (with the pods/exec
 * RBAC rule), NotFoundError, UnauthorizedError or ConnectionError when the exec cannot start.
 */
export async function execInContainer(
  client: KubeClient,
  namespace: string,
  pod: string,
  container: string,
  command: string[],
  opts: ExecOptions = {},
): Promise<ExecResult> {
  if (isModelcarContainer(container)) {
    throw new Error(`refusing to exec into the modelcar container "${container}": the plugin never runs commands there`);
  }
  const { Exec, WebSocket: WebSocketCtor } = await import('./k8s.ts');
  const timeoutMs = opts.timeoutMs ?? 20_000;
  const access: ApiRequest = { verb: 'create', group: '', version: 'v1', resource: 'pods/exec', namespace, name: pod };
  const stdout = new Collector();
  const stderr = new Collector();

  let socket: WebSocket | undefined;
  let statusFrame: string | undefined;
  let finish: () => void = () => {};
  const done = new Promise<void>((resolve) => {
    finish = resolve;
  });

  const adapter = {
    connect: async (path: string, _text: unknown, binaryHandler: ((stream: number, buff: Buffer) => boolean) | null): Promise<WebSocket> => {
      const url = client.conn.server.replace(/^http/, 'ws') + path;
      const wsOpts: Record<string, unknown> = {};
      try {
        await client.kubeConfig.applyToHTTPSOptions(wsOpts as never);
      } catch (err) {
        throw classifyCredentialError(client.conn, err as NodeJS.ErrnoException);
      }
      if (client.log.verbosity >= 6) {
        // The probe script is long: name it by its first line and size.
        const shown = command.map((a) => (a.length > 80 ? `<${a.split('\n')[0]!.slice(0, 40)}... ${a.length} bytes>` : a));
        client.log.write(`I${new Date().toISOString().slice(11, 23)} EXEC ${url.split('?')[0]} container=${container} command=${JSON.stringify(shown)}`);
      }
      return await new Promise<WebSocket>((resolve, reject) => {
        const ws = new WebSocketCtor(url, PROTOCOLS, wsOpts as WebSocket.ClientOptions);
        socket = ws;
        let opened = false;
        ws.on('unexpected-response', (req, res: IncomingMessage) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            reject(new UpgradeError(res.statusCode ?? 0, Buffer.concat(chunks).toString('utf8')));
            req.destroy();
          });
        });
        ws.on('open', () => {
          opened = true;
          resolve(ws);
        });
        ws.on('error', (err) => {
          if (!opened) reject(err);
          else finish();
        });
        ws.on('close', () => finish());
        ws.on('message', (data: Buffer, isBinary: boolean) => {
          const buf = isBinary ? data : Buffer.from(data.toString(), 'utf8');
          if (buf.length < 1) return;
          const channel = buf.readUInt8(0);
          if (channel === CLOSE_STREAM) return; // the end of one stream; the status frame or close follows
          if (channel === 3) statusFrame = (statusFrame ?? '') + buf.subarray(1).toString('utf8');
          try {
            // Exec's handler writes stdout/stderr; on the status frame it returns false: we are done.
            if (channel !== 3 && binaryHandler && !binaryHandler(channel, buf.subarray(1))) ws.close();
          } catch {
            // An unknown channel: ignore it rather than crash inside an event handler.
          }
          if (channel === 3) {
            ws.close();
            finish();
          }
        });
      });
    },
  };

  const exec = new Exec(client.kubeConfig, adapter as never);
  try {
    await exec.exec(namespace, pod, container, command, stdout, stderr, null, false);
  } catch (err) {
    if (err instanceof UpgradeError) throw classifyHttpError(client.conn, access, err.status, err.body);
    if (err instanceof Error && 'exitCode' in err) throw err;
    throw classifyNetworkError(client.conn, err as NodeJS.ErrnoException);
  }
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    socket?.terminate();
    finish();
  }, timeoutMs);
  await done;
  clearTimeout(timer);
  const out = { stdout: stdout.text(), stderr: stderr.text() };
  if (timedOut && statusFrame === undefined) {
    return { ...out, exitCode: null, failure: `timed out after ${timeoutMs} ms`, commandNotFound: false, timedOut: true };
  }
  if (statusFrame === undefined) {
    return { ...out, exitCode: null, failure: 'the connection closed without an exit status', commandNotFound: false, timedOut: false };
  }
  return { ...out, ...parseExecStatus(statusFrame), timedOut: false };
}
