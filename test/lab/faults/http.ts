// Where the switchboard meets the API server: a request filter for authorised resource requests
// (statuses, latency, resets, short watches); one call in front of upgrades (exec drops) and in front
// of requests (the admin endpoint below) in apiserver/handler.ts.
//   GET /lab/faults            the faults and how often each matched and fired
//   POST /lab/faults           add one: {action, scope?, schedule?}
//   DELETE /lab/faults[/<id>]  clear all, or one
//   POST /lab/actions          act now: {action: 'delete-pod'|'kill-container', namespace, pod, container?},
//                              {action: 'issue-token', user, ttlSeconds}, {action: 'event-ttl', seconds}
//                              {action: 'feature-gate', gate: 'ImageVolume', enabled} (kube-apiserver drops image volumes when off)
//                              or {action: 'manage-config', enabled?} (the ODH-like operator takes inferenceservice-config, or gives it back)
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { authenticate, issueToken, LAB_USERS } from '../apiserver/auth.ts';
import { ApiError, badRequest } from '../apiserver/errors.ts';
import type { ApiContext, RequestFilter, RequestInfo } from '../apiserver/handler.ts';
import { parseBody, readBody, sendError, sendJson } from '../apiserver/http.ts';
import { authorize, forbiddenError } from '../apiserver/rbac.ts';
import { parseResourcePath } from '../apiserver/routes.ts';
import type { UserInfo } from '../types.ts';
import { setEventTtl } from '../platform/event-ttl.ts';
import { FEATURE_GATES, setFeatureGate, type FeatureGate } from '../platform/feature-gates.ts';
import { manageInferenceServiceConfig } from '../platform/operator.ts';
import { deletePodNow, killContainerNow } from './pod-actions.ts';
import { switchboardOf, type FaultAction, type FaultSpec, type RequestAttributes } from './switchboard.ts';

const ADMIN_PREFIX = '/lab/';

/** Serves /lab/* (admin only, by RBAC on the non-resource URL) and passes everything else to `next`. */
export async function interceptRequest(ctx: ApiContext, req: IncomingMessage, res: ServerResponse, next: () => void): Promise<void> {
  const url = new URL(req.url ?? '/', 'https://lab');
  if (!url.pathname.startsWith(ADMIN_PREFIX)) return next();
  await serveAdmin(ctx, req, res, url).catch((err: unknown) => sendError(res, err instanceof ApiError ? err : badRequest(String((err as Error).message ?? err))));
}

const attributesOf = (info: RequestInfo): RequestAttributes => ({
  verb: info.verb,
  resource: info.subresource ? `${info.resource}/${info.subresource}` : info.resource,
  namespace: info.namespace,
  name: info.name,
  user: info.user.username,
});

/** The API server's request filter (LabServer.addRequestFilter): applies the faults that fire. */
export function faultFilter(store: object): RequestFilter {
  return async (req, res, info) => {
    const fired = switchboardOf(store).fire(attributesOf(info), ['latency', 'status', 'reset', 'watch-close']);
    for (const f of fired) if (f.type === 'latency') await new Promise((r) => setTimeout(r, f.ms));
    for (const f of fired) {
      if (f.type === 'reset') {
        // A TLS socket cannot send a TCP RST itself (resetAndDestroy wants a plain TCP handle): the
        // connection just goes, and Node and Go clients report it as a reset or an unexpected EOF.
        req.socket.destroy();
        return true;
      }
      if (f.type === 'status') {
        if (f.code === 429) res.setHeader('Retry-After', String(f.retryAfterSeconds ?? 1));
        sendError(res, statusError(f));
        return true;
      }
      // Ended cleanly, as kube-apiserver ends a watch at its (randomised) timeout; clients watch again.
      if (f.type === 'watch-close' && info.verb === 'watch') {
        res.on('error', () => undefined); // a change arriving between end and close must not crash the server
        setTimeout(() => { if (!res.writableEnded) res.end(); }, f.afterSeconds * 1000).unref();
      }
    }
    return false;
  };
}

/** What kube-apiserver's filters answer: max-in-flight 429 with Retry-After, a panic's 500, an unavailable 503. */
function statusError(f: Extract<FaultAction, { type: 'status' }>): ApiError {
  if (f.code === 429) return new ApiError('TooManyRequests', 'Too many requests, please try again later.', { retryAfterSeconds: f.retryAfterSeconds ?? 1 });
  if (f.code === 503) return new ApiError('ServiceUnavailable', 'the server is currently unable to handle the request');
  return new ApiError('InternalError', 'Internal error occurred: the lab\'s fault switchboard answered 500');
}

/** In front of exec/attach upgrades: arms the WebSocket drops that fire, then calls `next`. */
export function interceptUpgrade(ctx: ApiContext, req: IncomingMessage, socket: Duplex, next: () => void): void {
  const url = new URL(req.url ?? '/', 'https://lab');
  const user = authenticate(req.headers, ctx.tokens);
  const route = parseResourcePath(url.pathname, ctx.store.registry);
  const drops = user && route
    ? switchboardOf(ctx.store).fire({ verb: 'create', resource: `pods/${route.subresource}`, namespace: route.namespace, name: route.name, user: user.username }, ['exec-drop'])
    : [];
  for (const f of drops) if (f.type === 'exec-drop') dropAfter(socket, f.direction, f.afterBytes);
  next();
}

/** Destroys the connection once `limit` bytes of WebSocket frames went that way (the handshake not counted). */
function dropAfter(socket: Duplex, direction: 'stdin' | 'stdout', limit: number): void {
  let bytes = 0;
  if (direction === 'stdin') {
    socket.prependListener('data', (chunk: Buffer) => {
      bytes += chunk.length;
      if (bytes > limit) socket.destroy();
    });
    return;
  }
  const write = socket.write.bind(socket) as (chunk: unknown, ...rest: unknown[]) => boolean;
  let handshake = true;
  socket.write = ((chunk: Buffer | string, ...rest: unknown[]) => {
    if (handshake) { handshake = false; return write(chunk, ...rest); }
    bytes += Buffer.byteLength(chunk);
    if (bytes > limit) { socket.destroy(); return false; }
    return write(chunk, ...rest);
  }) as Duplex['write'];
}

async function serveAdmin(ctx: ApiContext, req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
  const user = authenticate(req.headers, ctx.tokens);
  if (!user) throw new ApiError('Unauthorized', 'Unauthorized');
  const verb = req.method === 'GET' ? 'get' : req.method === 'DELETE' ? 'delete' : 'create';
  const decision = authorize(ctx.store, user, { verb, nonResourceURL: url.pathname });
  if (!decision.allowed) throw forbiddenError(user, { verb, nonResourceURL: url.pathname }, decision.reason);
  const board = switchboardOf(ctx.store);
  const body = async () => (parseBody(await readBody(req), 'application/json') ?? {}) as Record<string, unknown>;
  const faultId = /^\/lab\/faults\/([^/]+)$/.exec(url.pathname)?.[1];
  if (url.pathname === '/lab/faults' && req.method === 'GET') return sendJson(res, 200, { faults: board.list() });
  if (url.pathname === '/lab/faults' && req.method === 'POST') return sendJson(res, 201, board.add((await body()) as unknown as FaultSpec));
  if ((url.pathname === '/lab/faults' || faultId) && req.method === 'DELETE') return sendJson(res, 200, { cleared: board.clear(faultId) });
  if (url.pathname === '/lab/actions' && req.method === 'POST') return sendJson(res, 200, await act(ctx, await body()));
  throw new ApiError('NotFound', 'the server could not find the requested resource');
}

async function act(ctx: ApiContext, a: Record<string, unknown>): Promise<Record<string, unknown>> {
  const str = (k: string) => {
    if (typeof a[k] !== 'string' || !a[k]) throw badRequest(`${String(a['action'])} needs "${k}"`);
    return a[k] as string;
  };
  switch (a['action']) {
    case 'delete-pod': return deletePodNow(ctx.store, str('namespace'), str('pod'));
    case 'kill-container': return killContainerNow(ctx.store, str('namespace'), str('pod'), str('container'));
    case 'issue-token': {
      const user: UserInfo | undefined = LAB_USERS.find((u) => u.username === str('user'));
      if (!user) throw badRequest(`no lab user "${String(a['user'])}"`);
      const ttl = Number(a['ttlSeconds']);
      if (!(ttl > 0)) throw badRequest('issue-token needs "ttlSeconds" > 0');
      return { token: issueToken(ctx.tokens, user, ttl), expiresInSeconds: ttl };
    }
    case 'event-ttl': {
      const seconds = Number(a['seconds']);
      if (!(seconds > 0)) throw badRequest('event-ttl needs "seconds" > 0');
      setEventTtl(ctx.store, seconds);
      return { eventTtlSeconds: seconds };
    }
    case 'feature-gate': {
      const gate = str('gate') as FeatureGate;
      if (!FEATURE_GATES.includes(gate)) throw badRequest(`feature-gate: no gate "${gate}" (${FEATURE_GATES.join(', ')})`);
      if (typeof a['enabled'] !== 'boolean') throw badRequest('feature-gate needs "enabled": true or false');
      setFeatureGate(ctx.store, gate, a['enabled']);
      return { featureGates: { [gate]: a['enabled'] } };
    }
    case 'manage-config': {
      const enabled = a['enabled'] !== false;
      return { [enabled ? 'managed' : 'released']: (await manageInferenceServiceConfig(ctx.store, enabled)).metadata.name };
    }
    default: throw badRequest(`unknown action ${JSON.stringify(a['action'])}: delete-pod, kill-container, issue-token, event-ttl, feature-gate or manage-config`);
  }
}
