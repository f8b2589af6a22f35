// The exec endpoint's wire protocol, as kube-apiserver 1.30+ speaks it to kubectl and client-node:
// a WebSocket whose binary messages are one channel byte and then data (0 stdin, 1 stdout, 2 stderr,
// 3 status, 4 resize); v5.channel.k8s.io adds [255, channel] to close a stream (stdin EOF), which v4
// cannot express. The status channel carries a metav1.Status exactly as the kubelet writes it, so
// kubectl prints "command terminated with exit code N".
//
// SPDY (POST with `Upgrade: SPDY/3.1`, what kubectl before 1.30 uses) is refused with 400 and a
// Status; kubectl 1.29 then prints "Error from server (BadRequest): SPDY/3.1 upgrade is not supported
// by the lab API server: ... use kubectl 1.30 or newer". kubectl 1.30+ tries WebSocket first and falls
// back to SPDY only when the WebSocket upgrade itself fails, so against the lab it never sends SPDY.
import { STATUS_CODES, type IncomingMessage } from 'node:http';
import { randomBytes } from 'node:crypto';
import type { Duplex } from 'node:stream';
import { Readable, Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import type { ExecRunner, KObject } from '../types.ts';
import { ApiError, badRequest } from './errors.ts';

export interface ExecTarget {
  namespace: string;
  pod: KObject;
  container: string;
  command: string[];
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
  tty: boolean;
}

export interface ExecOptions {
  /** Subprotocols this server offers, most preferred first; defaults to all of STREAM_PROTOCOLS.
   *  Tests narrow it to behave like an older API server (v4 only). */
  protocols?: string[];
}

const CHANNEL = { stdin: 0, stdout: 1, stderr: 2, status: 3, resize: 4, close: 255 } as const;

interface StreamProtocol {
  /** Text frames with a '0'+channel prefix and base64 data instead of binary frames. */
  base64: boolean;
  /** v4+: the status channel carries a JSON metav1.Status (with the exit code) instead of plain text. */
  statusJson: boolean;
  /** v5: the client may close stdin with [255, 0]. */
  closeSignal: boolean;
}

export const STREAM_PROTOCOLS: Readonly<Record<string, StreamProtocol>> = {
  'v5.channel.k8s.io': { base64: false, statusJson: true, closeSignal: true },
  'v4.channel.k8s.io': { base64: false, statusJson: true, closeSignal: false },
  'v4.base64.channel.k8s.io': { base64: true, statusJson: true, closeSignal: false },
  'channel.k8s.io': { base64: false, statusJson: false, closeSignal: false },
  'base64.channel.k8s.io': { base64: true, statusJson: false, closeSignal: false },
};

const CLIENT_STREAM_SETUP_MS = 20;

/** Outgoing data queued beyond this waits for the socket to drain (the runner's writes then block). */
const HIGH_WATER_BYTES = 1 << 20;

/** Answers an exec upgrade request: negotiates the subprotocol, runs `target.command` with `runner`
 *  and streams its stdio and final status over the WebSocket. Never throws: failures before the
 *  upgrade become an HTTP Status response on `socket`. */
export function handleExecUpgrade(
  req: IncomingMessage,
  socket: Duplex,
  head: Buffer,
  target: ExecTarget,
  runner: ExecRunner,
  options: ExecOptions = {},
): void {
  if ((req.headers.upgrade ?? '').toLowerCase() !== 'websocket') {
    rejectUpgrade(socket, badRequest(`${req.headers.upgrade ?? 'this'} upgrade is not supported by the lab API server: exec needs WebSocket (${Object.keys(STREAM_PROTOCOLS)[0]}); use kubectl 1.30 or newer`));
    return;
  }
  if (!target.stdin && !target.stdout && !target.stderr) {
    rejectUpgrade(socket, badRequest('you must specify at least 1 of stdin, stdout, stderr'));
    return;
  }
  const supported = options.protocols ?? Object.keys(STREAM_PROTOCOLS);
  // Clients that name no subprotocol get the original binary one, as the kubelet allows.
  const offered = offeredProtocols(req);
  const chosen = offered.length === 0 ? 'channel.k8s.io' : offered.find((p) => supported.includes(p));
  if (!chosen || !STREAM_PROTOCOLS[chosen]) {
    rejectUpgrade(socket, badRequest(`requested protocol(s) are not supported: [${offered.join(' ')}]; supports [${supported.join(' ')}]`));
    return;
  }
  const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false, handleProtocols: () => (offered.length > 0 ? chosen : false) });
  wss.handleUpgrade(req, socket, head, (ws) => {
    wss.close();
    void runSession(ws, STREAM_PROTOCOLS[chosen]!, target, runner);
  });
}

function offeredProtocols(req: IncomingMessage): string[] {
  return (req.headers['sec-websocket-protocol'] ?? '')
    .split(',')
    .map((p) => p.trim())
    // The bearer token may travel as a subprotocol (see auth.ts); it is never selected.
    .filter((p) => p !== '' && !p.startsWith('base64url.bearer.authorization.k8s.io.'));
}

/** Writes an HTTP error response with a Status body to a socket that was not upgraded. */
export function rejectUpgrade(socket: Duplex, err: ApiError): void {
  const body = JSON.stringify(err.toStatus());
  socket.end(
    `HTTP/1.1 ${err.code} ${STATUS_CODES[err.code] ?? ''}\r\n` +
      'Content-Type: application/json\r\n' +
      `Content-Length: ${Buffer.byteLength(body)}\r\n` +
      'Connection: close\r\n\r\n' +
      body,
  );
}

async function runSession(ws: WebSocket, protocol: StreamProtocol, target: ExecTarget, runner: ExecRunner): Promise<void> {
  const send = (channel: number, data: Buffer, done?: (err?: Error) => void) => {
    if (ws.readyState !== ws.OPEN) {
      done?.(new Error('exec WebSocket closed by the client'));
      return;
    }
    const frame = protocol.base64
      ? String.fromCharCode(48 + channel) + data.toString('base64')
      : Buffer.concat([Buffer.of(channel), data]);
    ws.send(frame, { binary: !protocol.base64 }, done);
  };

  const stdin = target.stdin ? new Readable({ read: () => ws.isPaused && ws.resume() }) : null;
  // A TTY has no separate stderr: the terminal merges it into stdout.
  const wantStderr = target.stderr && !target.tty;
  const stdout = target.stdout ? channelWriter(CHANNEL.stdout, send, ws) : null;
  const stderr = wantStderr ? channelWriter(CHANNEL.stderr, send, ws) : null;

  ws.on('message', (data, isBinary) => {
    const { channel, payload } = decodeFrame(data, isBinary, protocol.base64);
    if (channel === CHANNEL.stdin && stdin && !stdin.readableEnded) {
      if (!stdin.push(payload)) ws.pause();
    } else if (channel === CHANNEL.close && protocol.closeSignal && payload[0] === CHANNEL.stdin) {
      stdin?.push(null);
    }
    // Resize messages (channel 4) need a terminal; neither runner has one, so they are dropped.
  });
  ws.on('close', () => {
    // The client is gone: stop the command's input and output so the runner can finish.
    stdin?.destroy();
    stdout?.destroy();
    stderr?.destroy();
  });
  ws.on('error', () => ws.terminate());

  // kubectl registers its streams only after the handshake and drops frames for streams it does not know
  // yet ("Unknown stream id 1, discarding message"). A real exec takes milliseconds to start (runc about
  // 20 ms), which hides that race; an in-process command would not, so give the client the same head start.
  await sleep(CLIENT_STREAM_SETUP_MS);
  // As the kubelet does: an empty message on the first output channel tells the client the streams are ready.
  const first = target.stdout ? CHANNEL.stdout : wantStderr ? CHANNEL.stderr : CHANNEL.status;
  send(first, Buffer.alloc(0));

  const status = await runner
    .exec({ namespace: target.namespace, pod: target.pod, container: target.container, command: target.command, tty: target.tty, stdin, stdout, stderr })
    .then((code) => exitStatus(code, target.command), (err: unknown) => errorStatus(err));
  // Everything the command wrote goes out before the status, which ends the session.
  await Promise.all([stdout, stderr].map((w) => (w ? endAndFlush(w) : undefined)));
  stdin?.destroy();
  // A socket paused for stdin backpressure would never read the client's close frame.
  if (ws.isPaused) ws.resume();
  if (ws.readyState !== ws.OPEN) return;
  const statusFrame = protocol.statusJson ? JSON.stringify(status) : status.status === 'Success' ? '' : (status.message ?? '');
  if (statusFrame !== '') send(CHANNEL.status, Buffer.from(statusFrame));
  ws.close(1000);
}

function decodeFrame(data: RawData, isBinary: boolean, base64: boolean): { channel: number; payload: Buffer } {
  const buf = Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(new Uint8Array(data));
  if (base64 && !isBinary) return { channel: buf[0]! - 48, payload: Buffer.from(buf.subarray(1).toString('latin1'), 'base64') };
  return { channel: buf[0] ?? -1, payload: buf.subarray(1) };
}

/** A Writable that sends each chunk on `channel` and holds the writer back while the socket is full.
 *  A socket the client closed destroys it without an error: runners need not listen for 'error'. */
function channelWriter(channel: number, send: (channel: number, data: Buffer, done?: (err?: Error) => void) => void, ws: WebSocket): Writable {
  return new Writable({
    write(chunk: Buffer, _encoding, callback) {
      const sent = (err?: Error) => err && this.destroy();
      if (ws.bufferedAmount + chunk.length <= HIGH_WATER_BYTES) {
        send(channel, chunk, sent);
        callback();
      } else {
        send(channel, chunk, (err) => {
          sent(err);
          callback();
        });
      }
    },
  });
}

async function endAndFlush(w: Writable): Promise<void> {
  if (!w.writableEnded && !w.destroyed) w.end();
  await finished(w).catch(() => undefined);
}

// --- the status channel ---

interface ExecStatus {
  metadata: Record<string, never>;
  status: 'Success' | 'Failure';
  message?: string;
  reason?: string;
  details?: { causes: Array<{ reason?: string; message: string }> };
  code?: number;
}

/** What the kubelet reports for an exit code (k8s.io/kubelet/pkg/cri/streaming/remotecommand). */
export function exitStatus(code: number, command: string[]): ExecStatus {
  if (code === 0) return { metadata: {}, status: 'Success' };
  return {
    metadata: {},
    status: 'Failure',
    message: `command terminated with non-zero exit code: error executing command [${command.join(' ')}], exit code ${code}`,
    reason: 'NonZeroExitCode',
    details: { causes: [{ reason: 'ExitCode', message: String(code) }] },
  };
}

function errorStatus(err: unknown): ExecStatus {
  const apiError = err instanceof ApiError ? err : execInternalError(err instanceof Error ? err.message : String(err));
  const { message, reason, details, code } = apiError.toStatus() as unknown as ExecStatus;
  return { metadata: {}, status: 'Failure', message, reason, ...(details ? { details } : {}), code };
}

/** The error a runner reports when a command cannot be started, as kube-apiserver wraps the CRI's
 *  (kubectl prints "error: Internal error occurred: <cause>"). */
export function execInternalError(cause: string): ApiError {
  return new ApiError('InternalError', `Internal error occurred: ${cause}`, { causes: [{ message: cause }] });
}

/** containerd's message when runc cannot start the exec'd process (missing binary, bad path). */
export function ociExecFailed(reason: string): ApiError {
  const execId = randomBytes(32).toString('hex');
  return execInternalError(
    `error executing command in container: failed to exec in container: failed to start exec "${execId}": OCI runtime exec failed: exec failed: unable to start container process: ${reason}: unknown`,
  );
}
