// The REST layer: authentication, impersonation and RBAC in front of the store, then the verb.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { parse as parseYaml } from 'yaml';
import type { ExecRunner, KObject, LogSource, UserInfo } from '../types.ts';
import { authenticate, impersonate, selfSubjectReview, type TokenTable } from './auth.ts';
import { ApiError, badRequest, methodNotAllowed, notFound } from './errors.ts';
import { handleExecUpgrade, rejectUpgrade } from './exec.ts';
import { parseBody, readBody, sendError, sendJson, sendRaw, successStatus, toApiError, wantsTable } from './http.ts';
import { resolveContainer, serveLogs } from './logs.ts';
import { aggregatedDiscovery, aggregatedVersion, apiGroup, apiGroupList, apiResourceList, apiVersions, AGGREGATED_V2, AGGREGATED_V2BETA1 } from './discovery.ts';
import { OPENAPI_V2_PROTOBUF, openApiV2Json, openApiV3GroupVersion, openApiV3Index } from './openapi.ts';
import { applyJsonPatch, applyMergePatch, applyStrategicMergePatch, PATCH_TYPES } from './patch.ts';
import { authorize, forbiddenError, selfSubjectAccessReview, selfSubjectRulesReview, type AuthzAttributes, type ResourceAttributes } from './rbac.ts';
import { parseResourcePath, type ResourceRoute } from './routes.ts';
import { matchesFields, matchesLabels, parseFieldSelector, parseLabelSelector } from './selectors.ts';
import { entryKey, refOf, type DeleteOptions, type MemoryStore } from './store.ts';
import { toTable } from './table.ts';
import { fromEventsV1, present, presentJson } from './versions.ts';
import { serveWatch } from './watch.ts';
import { SERVER_VERSION } from './version.ts';
import { interceptRequest, interceptUpgrade } from '../faults/http.ts';


/** An authorised resource request, as request filters see it. */
export interface RequestInfo extends ResourceAttributes {
  user: UserInfo;
}

/** Sees each authorised resource request before it is served (issue 5's API faults: delays,
 *  429/5xx, resets); returns true when it has answered (or dropped) the request itself. */
export type RequestFilter = (req: IncomingMessage, res: ServerResponse, info: RequestInfo) => boolean | Promise<boolean>;

/** What the API server delegates to other parts of the lab; set once they are registered. */
export interface Runtime {
  exec?: ExecRunner;
  logs?: LogSource;
  filters: RequestFilter[];
}

export interface ApiContext {
  store: MemoryStore;
  tokens: TokenTable;
  runtime: Runtime;
}

const PUBLIC_PATHS = new Set(['/healthz', '/readyz', '/livez', '/version']);

export function createHandlers(ctx: ApiContext): {
  request: (req: IncomingMessage, res: ServerResponse) => void;
  upgrade: (req: IncomingMessage, socket: Duplex, head: Buffer) => void;
} {
  return {
    request: (req, res) => { void interceptRequest(ctx, req, res, () => { handle(ctx, req, res).catch((err) => sendError(res, err)); }); },
    upgrade: (req, socket, head) => { interceptUpgrade(ctx, req, socket, () => { handleUpgrade(ctx, req, socket, head).catch((err) => rejectUpgrade(socket, toApiError(err))); }); },
  };
}

function who(ctx: ApiContext, req: IncomingMessage): UserInfo {
  const user = authenticate(req.headers, ctx.tokens);
  if (!user) throw new ApiError('Unauthorized', 'Unauthorized');
  return impersonate(user, req.headersDistinct, (u, a) => authorize(ctx.store, u, a));
}

function check(ctx: ApiContext, user: UserInfo, attrs: AuthzAttributes): void {
  const decision = authorize(ctx.store, user, attrs);
  if (!decision.allowed) throw forbiddenError(user, attrs, decision.reason);
}

async function handle(ctx: ApiContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'https://lab');
  const path = url.pathname.replace(/\/+$/, '') || '/';
  if (PUBLIC_PATHS.has(path) || path.startsWith('/readyz/') || path.startsWith('/healthz/') || path.startsWith('/livez/')) {
    if (path === '/version') sendJson(res, 200, SERVER_VERSION);
    else sendRaw(res, 200, 'ok', 'text/plain; charset=utf-8');
    return;
  }
  const user = who(ctx, req);
  const route = parseResourcePath(path, ctx.store.registry);
  if (!route) {
    check(ctx, user, { verb: (req.method ?? 'GET').toLowerCase(), nonResourceURL: path });
    serveNonResource(ctx, req, res, path);
    return;
  }
  await serveResource(ctx, req, res, user, route, url.searchParams);
}

// ---- discovery, OpenAPI ----

function serveNonResource(ctx: ApiContext, req: IncomingMessage, res: ServerResponse, path: string): void {
  const reg = ctx.store.registry;
  const agg = aggregatedVersion(req.headers.accept);
  if (req.method !== 'GET') throw methodNotAllowed();
  if (path === '/api' || path === '/apis') {
    if (agg) { sendJson(res, 200, aggregatedDiscovery(reg, path === '/api', agg), agg === 'v2' ? AGGREGATED_V2 : AGGREGATED_V2BETA1); return; }
    sendJson(res, 200, path === '/api' ? apiVersions() : apiGroupList(reg));
    return;
  }
  if (path === '/openapi/v2') {
    if ((req.headers.accept ?? '').includes('protobuf')) sendRaw(res, 200, '', OPENAPI_V2_PROTOBUF);
    else sendJson(res, 200, openApiV2Json());
    return;
  }
  if (path === '/openapi/v3') { sendJson(res, 200, openApiV3Index(reg)); return; }
  let m = /^\/openapi\/v3\/(?:api\/(v1)|apis\/([^/]+)\/([^/]+))$/.exec(path);
  if (m) {
    const doc = openApiV3GroupVersion(reg, m[2] ?? '', m[1] ?? m[3]!);
    if (!doc) throw new ApiError('NotFound', 'the server could not find the requested resource');
    sendJson(res, 200, doc);
    return;
  }
  if (path === '/api/v1') { sendJson(res, 200, apiResourceList(reg, '', 'v1')); return; }
  m = /^\/apis\/([^/]+)(?:\/([^/]+))?$/.exec(path);
  if (m) {
    const gv = reg.groupVersions().find((g) => g.group === m![1]);
    if (!gv || (m[2] && !gv.versions.includes(m[2]))) throw new ApiError('NotFound', 'the server could not find the requested resource');
    sendJson(res, 200, m[2] ? apiResourceList(reg, m[1]!, m[2]) : apiGroup(gv.group, gv.versions));
    return;
  }
  throw new ApiError('NotFound', 'the server could not find the requested resource');
}

// ---- resources ----

export function verbOf(method: string | undefined, route: ResourceRoute, q: URLSearchParams): string {
  switch (method) {
    case 'GET': return route.name ? (isTrue(q.get('watch')) ? 'watch' : 'get') : isTrue(q.get('watch')) ? 'watch' : 'list';
    case 'POST': return 'create';
    case 'PUT': return 'update';
    case 'PATCH': return 'patch';
    case 'DELETE': return route.name ? 'delete' : 'deletecollection';
    default: throw methodNotAllowed();
  }
}

function isTrue(v: string | null): boolean {
  return v === 'true' || v === '1';
}

async function serveResource(ctx: ApiContext, req: IncomingMessage, res: ServerResponse, user: UserInfo, route: ResourceRoute, q: URLSearchParams): Promise<void> {
  const verb = verbOf(req.method, route, q);
  const t = route.type;
  const info: RequestInfo = { user, verb, apiGroup: t.group, resource: t.plural, subresource: route.subresource, namespace: route.namespace, name: route.name };
  check(ctx, user, info);
  for (const filter of ctx.runtime.filters) if (await filter(req, res, info)) return;
  if (!t.verbs.includes(verb) && !route.subresource) throw methodNotAllowed();
  const sub = route.subresource;
  if (sub === 'exec' || sub === 'attach') throw badRequest('Upgrade request required');
  if (sub === 'log') { await serveLogs(req, res, mustGet(ctx, route), q, ctx.runtime.logs); return; }
  if (sub === 'scale') { await serveScale(ctx, req, res, user, route, verb); return; }

  switch (verb) {
    case 'get': {
      const entry = ctx.store.getEntry(t.key, route.namespace, route.name!);
      if (!entry) throw notFound(refOf(t), route.name!);
      if (wantsTable(req.headers.accept)) sendJson(res, 200, toTable(t, [present(entry.obj, route.group, route.version)], { resourceVersion: entry.obj.metadata.resourceVersion }, q.get('includeObject') ?? 'Metadata'));
      else sendRaw(res, 200, presentJson(entry, route.group, route.version), 'application/json');
      return;
    }
    case 'list': serveList(ctx, req, res, route, q); return;
    case 'watch':
      serveWatch(req, res, ctx.store, route, {
        labels: parseLabelSelector(q.get('labelSelector') ?? undefined),
        fields: parseFieldSelector(q.get('fieldSelector') ?? undefined, t.key),
        resourceVersion: q.get('resourceVersion') ?? undefined,
        allowBookmarks: isTrue(q.get('allowWatchBookmarks')),
        sendInitialEvents: isTrue(q.get('sendInitialEvents')),
        timeoutSeconds: q.has('timeoutSeconds') ? Number(q.get('timeoutSeconds')) : undefined,
        table: wantsTable(req.headers.accept),
        includeObject: q.get('includeObject') ?? 'Metadata',
      });
      return;
    case 'create': await serveCreate(ctx, req, res, user, route, q); return;
    case 'update': await serveUpdate(ctx, req, res, user, route, q); return;
    case 'patch': await servePatch(ctx, req, res, user, route, q); return;
    case 'delete': await serveDelete(ctx, req, res, user, route, q); return;
    case 'deletecollection': await serveDeleteCollection(ctx, req, res, user, route, q); return;
  }
}

function mustGet(ctx: ApiContext, route: ResourceRoute): KObject {
  const e = ctx.store.getEntry(route.type.key, route.namespace, route.name!);
  if (!e) throw notFound(refOf(route.type), route.name!);
  return e.obj;
}

interface ContinueToken { rv: number; start: string }

const COMMA = Buffer.from(',');
const LIST_END = Buffer.from(']}');

function serveList(ctx: ApiContext, req: IncomingMessage, res: ServerResponse, route: ResourceRoute, q: URLSearchParams): void {
  const t = route.type;
  const labels = parseLabelSelector(q.get('labelSelector') ?? undefined);
  const fields = parseFieldSelector(q.get('fieldSelector') ?? undefined, t.key);
  const limit = Number(q.get('limit') ?? 0);
  let start = '';
  let rv = ctx.store.resourceVersion;
  const cont = q.get('continue');
  if (cont) {
    try {
      const token = JSON.parse(Buffer.from(cont, 'base64url').toString('utf8')) as ContinueToken;
      start = token.start;
      rv = token.rv;
    } catch {
      throw badRequest('continue key is not valid: illegal base64 data at input byte 0');
    }
  }
  const items = [];
  let more = false;
  let remaining = 0;
  for (const e of ctx.store.listEntries(t.key, route.namespace)) {
    if (start && entryKey(e) <= start) continue;
    if (!matchesLabels(labels, e.obj.metadata.labels) || !matchesFields(fields, e.obj)) continue;
    if (limit > 0 && items.length >= limit) { more = true; remaining++; continue; }
    items.push(e);
  }
  const meta: Record<string, unknown> = { resourceVersion: String(rv) };
  if (more) {
    meta.continue = Buffer.from(JSON.stringify({ rv, start: entryKey(items[items.length - 1]!) } satisfies ContinueToken)).toString('base64url');
    if (!labels.length && !fields.length) meta.remainingItemCount = remaining;
  }
  if (wantsTable(req.headers.accept)) {
    sendJson(res, 200, toTable(t, items.map((e) => present(e.obj, route.group, route.version)), meta, q.get('includeObject') ?? 'Metadata'));
    return;
  }
  const apiVersion = route.group ? `${route.group}/${route.version}` : route.version;
  const head = JSON.stringify({ kind: `${t.kind}List`, apiVersion, metadata: meta });
  const parts: Buffer[] = [Buffer.from(`${head.slice(0, -1)},"items":[`)];
  items.forEach((e, i) => { if (i) parts.push(COMMA); parts.push(presentJson(e, route.group, route.version)); });
  parts.push(LIST_END);
  sendRaw(res, 200, Buffer.concat(parts), 'application/json');
}

function dryRun(q: URLSearchParams): boolean {
  return q.getAll('dryRun').includes('All');
}

async function bodyObject(req: IncomingMessage): Promise<KObject> {
  const body = parseBody(await readBody(req), req.headers['content-type']);
  if (!body || typeof body !== 'object' || Array.isArray(body)) throw badRequest('the body of the request was in an unknown format - accepted media types include: application/json, application/yaml');
  return body as KObject;
}

/** The object to store, from a body addressed to `route` (events.k8s.io events are stored as core/v1). */
function incoming(route: ResourceRoute, body: KObject): KObject {
  const obj = route.type.key === 'events' && route.group === 'events.k8s.io' ? fromEventsV1(body) : body;
  obj.metadata ??= {};
  if (route.namespace !== undefined) {
    if (obj.metadata.namespace && obj.metadata.namespace !== route.namespace) {
      throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
    }
    obj.metadata.namespace = route.namespace;
  }
  return obj;
}

function respond(res: ServerResponse, code: number, obj: KObject, route: ResourceRoute): void {
  sendJson(res, code, present(obj, route.group, route.version));
}

async function serveCreate(ctx: ApiContext, req: IncomingMessage, res: ServerResponse, user: UserInfo, route: ResourceRoute, q: URLSearchParams): Promise<void> {
  const t = route.type;
  const body = await bodyObject(req);
  if (t.key === 'selfsubjectaccessreviews.authorization.k8s.io') { sendJson(res, 201, selfSubjectAccessReview(ctx.store, user, body)); return; }
  if (t.key === 'selfsubjectrulesreviews.authorization.k8s.io') { sendJson(res, 201, selfSubjectRulesReview(ctx.store, user, body)); return; }
  if (t.key === 'selfsubjectreviews.authentication.k8s.io') { sendJson(res, 201, selfSubjectReview(user)); return; }
  if (route.name || route.subresource) throw methodNotAllowed();
  const created = await ctx.store.create(t.key, incoming(route, body), user, { dryRun: dryRun(q) });
  respond(res, 201, created, route);
}

async function serveUpdate(ctx: ApiContext, req: IncomingMessage, res: ServerResponse, user: UserInfo, route: ResourceRoute, q: URLSearchParams): Promise<void> {
  const obj = incoming(route, await bodyObject(req));
  if (obj.metadata.name && obj.metadata.name !== route.name) {
    throw badRequest(`the name of the object (${obj.metadata.name}) does not match the name on the URL (${route.name})`);
  }
  obj.metadata.name = route.name;
  const sub = route.subresource === 'finalize' ? undefined : route.subresource;
  const updated = await ctx.store.update(route.type.key, obj, user, { dryRun: dryRun(q), subresource: sub });
  respond(res, 200, updated, route);
}

function applyPatch(route: ResourceRoute, current: KObject, contentType: string, patch: unknown): KObject {
  switch (contentType) {
    case PATCH_TYPES.json: return applyJsonPatch(current, patch);
    case PATCH_TYPES.merge: return applyMergePatch(current, patch);
    case PATCH_TYPES.strategic:
      if (route.type.custom) throw unsupportedPatch();
      return applyStrategicMergePatch(current, patch);
    case PATCH_TYPES.apply:
      // Server-side apply, basically: the applied configuration merged into the live object.
      return route.type.custom ? applyMergePatch(current, patch) : applyStrategicMergePatch(current, patch);
    default: throw unsupportedPatch();
  }
}

/** 415 for strategic merge patches of custom resources (kubectl then suggests --type merge). */
function unsupportedPatch(): ApiError {
  return new ApiError('UnsupportedMediaType', 'the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml');
}

async function servePatch(ctx: ApiContext, req: IncomingMessage, res: ServerResponse, user: UserInfo, route: ResourceRoute, q: URLSearchParams): Promise<void> {
  const t = route.type;
  const contentType = (req.headers['content-type'] ?? '').split(';')[0]!.trim();
  if (!Object.values(PATCH_TYPES).includes(contentType as never) || (contentType === PATCH_TYPES.strategic && t.custom)) throw unsupportedPatch();
  const raw = await readBody(req);
  const patch = contentType === PATCH_TYPES.apply ? parseYaml(raw.toString('utf8')) : parseBody(raw, 'application/json');
  const existing = ctx.store.getEntry(t.key, route.namespace, route.name!);
  if (!existing) {
    if (contentType !== PATCH_TYPES.apply) throw notFound(refOf(t), route.name!);
    const created = await ctx.store.create(t.key, incoming(route, { ...(patch as KObject), metadata: { ...(patch as KObject).metadata, name: route.name } }), user, { dryRun: dryRun(q) });
    respond(res, 201, created, route);
    return;
  }
  const sub = route.subresource;
  // Conflicts between reading and writing (admission is async) are retried, as the real server does.
  for (let attempt = 0; ; attempt++) {
    const current = structuredClone(present(ctx.store.getEntry(t.key, route.namespace, route.name!)?.obj ?? existing.obj, route.group, route.version));
    const patched = incoming(route, applyPatch(route, current, contentType, patch));
    if (patched.metadata.name !== route.name) throw badRequest(`the name of the object (${patched.metadata.name}) does not match the name on the URL (${route.name})`);
    try {
      const updated = await ctx.store.update(t.key, patched, user, { dryRun: dryRun(q), subresource: sub });
      respond(res, 200, updated, route);
      return;
    } catch (err) {
      const explicitRv = typeof patch === 'object' && patch !== null && 'metadata' in patch && (patch as KObject).metadata?.resourceVersion;
      if (!(err instanceof ApiError) || err.reason !== 'Conflict' || explicitRv || attempt >= 4) throw err;
    }
  }
}

async function deleteOptions(req: IncomingMessage, q: URLSearchParams): Promise<DeleteOptions> {
  const body = (parseBody(await readBody(req), 'application/json') ?? {}) as { propagationPolicy?: string; gracePeriodSeconds?: number; dryRun?: string[]; preconditions?: DeleteOptions['preconditions']; orphanDependents?: boolean };
  const policy = (q.get('propagationPolicy') ?? body.propagationPolicy ?? (body.orphanDependents ? 'Orphan' : undefined)) as DeleteOptions['propagationPolicy'];
  const grace = q.has('gracePeriodSeconds') ? Number(q.get('gracePeriodSeconds')) : body.gracePeriodSeconds;
  return { propagationPolicy: policy, gracePeriodSeconds: grace, dryRun: dryRun(q) || (body.dryRun ?? []).includes('All'), preconditions: body.preconditions };
}

async function serveDelete(ctx: ApiContext, req: IncomingMessage, res: ServerResponse, user: UserInfo, route: ResourceRoute, q: URLSearchParams): Promise<void> {
  const t = route.type;
  const opts = await deleteOptions(req, q);
  const deleted = await ctx.store.delete(t.key, route.namespace, route.name!, user, opts);
  const still = ctx.store.getEntry(t.key, route.namespace, route.name!);
  if (still && !opts.dryRun) { respond(res, 200, still.obj, route); return; }
  if (deleted && (t.key === 'pods' || t.custom || opts.dryRun)) { respond(res, 200, deleted, route); return; }
  sendJson(res, 200, successStatus({ name: route.name, group: t.group, kind: t.plural, uid: deleted?.metadata.uid }));
}

async function serveDeleteCollection(ctx: ApiContext, req: IncomingMessage, res: ServerResponse, user: UserInfo, route: ResourceRoute, q: URLSearchParams): Promise<void> {
  const t = route.type;
  const opts = await deleteOptions(req, q);
  const labels = parseLabelSelector(q.get('labelSelector') ?? undefined);
  const fields = parseFieldSelector(q.get('fieldSelector') ?? undefined, t.key);
  const items: KObject[] = [];
  for (const e of ctx.store.listEntries(t.key, route.namespace)) {
    if (!matchesLabels(labels, e.obj.metadata.labels) || !matchesFields(fields, e.obj)) continue;
    const gone = await ctx.store.delete(t.key, e.obj.metadata.namespace, e.obj.metadata.name!, user, opts);
    if (gone) items.push(present(gone, route.group, route.version));
  }
  const apiVersion = route.group ? `${route.group}/${route.version}` : route.version;
  sendJson(res, 200, { kind: `${t.kind}List`, apiVersion, metadata: { resourceVersion: String(ctx.store.resourceVersion) }, items });
}

// ---- scale subresource ----

function toScale(obj: KObject): KObject {
  const spec = obj.spec as { replicas?: number; selector?: { matchLabels?: Record<string, string> } };
  const status = (obj.status ?? {}) as { replicas?: number };
  return {
    kind: 'Scale',
    apiVersion: 'autoscaling/v1',
    metadata: { name: obj.metadata.name, namespace: obj.metadata.namespace, uid: obj.metadata.uid, resourceVersion: obj.metadata.resourceVersion, creationTimestamp: obj.metadata.creationTimestamp },
    spec: { replicas: spec.replicas ?? 0 },
    status: { replicas: status.replicas ?? 0, selector: Object.entries(spec.selector?.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`).join(',') },
  };
}

async function serveScale(ctx: ApiContext, req: IncomingMessage, res: ServerResponse, user: UserInfo, route: ResourceRoute, verb: string): Promise<void> {
  const t = route.type;
  const current = mustGet(ctx, route);
  if (verb === 'get') { sendJson(res, 200, toScale(current)); return; }
  let scale: KObject;
  if (verb === 'update') scale = await bodyObject(req);
  else if (verb === 'patch') {
    const contentType = (req.headers['content-type'] ?? '').split(';')[0]!.trim();
    const patch = parseBody(await readBody(req), contentType === PATCH_TYPES.apply ? 'yaml' : 'application/json');
    scale = contentType === PATCH_TYPES.json ? applyJsonPatch(toScale(current), patch) : applyMergePatch(toScale(current), patch);
  } else throw methodNotAllowed();
  const replicas = (scale.spec as { replicas?: number } | undefined)?.replicas;
  if (typeof replicas !== 'number' || replicas < 0) throw badRequest('spec.replicas: Invalid value: must be greater than or equal to 0');
  const next = structuredClone(current);
  (next.spec as { replicas: number }).replicas = replicas;
  if (scale.metadata?.resourceVersion) next.metadata.resourceVersion = scale.metadata.resourceVersion;
  const updated = await ctx.store.update(t.key, next, user);
  sendJson(res, 200, toScale(updated));
}

// ---- exec / attach (WebSocket upgrades) ----

async function handleUpgrade(ctx: ApiContext, req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
  const url = new URL(req.url ?? '/', 'https://lab');
  const user = who(ctx, req);
  const route = parseResourcePath(url.pathname, ctx.store.registry);
  if (!route || route.type.key !== 'pods' || (route.subresource !== 'exec' && route.subresource !== 'attach')) {
    throw badRequest('upgrade is only supported for pods/exec and pods/attach');
  }
  // A WebSocket exec is a GET, but it needs `create` on pods/exec (as kube-apiserver 1.30+ checks).
  check(ctx, user, { verb: 'create', apiGroup: '', resource: 'pods', subresource: route.subresource, namespace: route.namespace, name: route.name });
  const pod = mustGet(ctx, route);
  const q = url.searchParams;
  const container = resolveContainer(pod, q.get('container'));
  if (!ctx.runtime.exec) throw badRequest(`container "${container}" in pod "${pod.metadata.name}" is waiting to start: ContainerCreating`);
  handleExecUpgrade(req, socket, head, {
    namespace: route.namespace!,
    pod,
    container,
    command: route.subresource === 'exec' ? q.getAll('command') : [],
    stdin: isTrue(q.get('stdin')),
    stdout: isTrue(q.get('stdout')),
    stderr: isTrue(q.get('stderr')),
    tty: isTrue(q.get('tty')),
  }, ctx.runtime.exec);
}
