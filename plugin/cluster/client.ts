// The one module that talks to the Kubernetes API. client-node supplies the credentials (TLS material,
// tokens, exec credential plugins, OIDC) through its KubeConfig; requests are plain HTTPS GETs so that
// the timeout, the retries, the -v logging and the error wording are ours and the same for every call.
// client-node is imported lazily: `--help` and `version` never load it.
import http from 'node:http';
import https from 'node:https';
import type { KubeConfig } from '@kubernetes/client-node/dist/config.js';
import type {
  ConfigMap,
  Deployment,
  Event,
  InferenceService,
  KObject,
  LimitRange,
  Namespace,
  Node,
  Pod,
  ReplicaSet,
  ResourceQuota,
  Revision,
  ServingRuntime,
} from '../../shared/snapshot.ts';
import {
  ApiRequestError,
  ConnectionError,
  ForbiddenError,
  NotFoundError,
  UnauthorizedError,
  redact,
  type Access,
} from './errors.ts';
import { describeCredentials, type ResolvedConnection } from './kubeconfig.ts';

/** `-v N` as in kubectl: 6 logs requests with latency, 7 adds request headers, 8 response bodies. */
export interface Logger {
  verbosity: number;
  write(line: string): void;
}

export const stderrLogger = (verbosity: number): Logger => ({ verbosity, write: (line) => process.stderr.write(`${line}\n`) });

/** A request in the API's own terms: enough to build the URL and, on 403, the RBAC rule. */
export interface ApiRequest extends Access {
  version: string;
  query?: Record<string, string | number | boolean | undefined>;
  /** For paths outside the resource tree (/version). */
  rawPath?: string;
}

export interface RetryPolicy {
  /** Attempts in all, the first included. */
  attempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 4, baseDelayMs: 200, maxDelayMs: 4000 };

/** How long to wait before attempt `attempt + 1`: Retry-After when the server says (capped), else
 *  exponential backoff with full jitter. `random` is injectable for tests. */
export function retryDelayMs(attempt: number, retryAfterHeader: string | undefined, policy: RetryPolicy, random = Math.random): number {
  const retryAfter = retryAfterHeader !== undefined ? Number(retryAfterHeader) : NaN;
  if (Number.isFinite(retryAfter) && retryAfter >= 0) return Math.min(retryAfter * 1000, policy.maxDelayMs) + Math.floor(random() * 100);
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** attempt);
  return Math.floor(random() * ceiling);
}

export function isRetryableStatus(status: number): boolean {
  return status === 429 || status === 500 || status === 502 || status === 503 || status === 504;
}

const RETRYABLE_NET = new Set(['ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EAI_AGAIN']);

/** The URL path of a request: /api/v1/... for the core group, /apis/<group>/<version>/... otherwise. */
export function apiPath(req: ApiRequest): string {
  const [resource, subresource] = req.resource.split('/');
  let p = req.group ? `/apis/${req.group}/${req.version}` : `/api/${req.version}`;
  if (req.namespace) p += `/namespaces/${encodeURIComponent(req.namespace)}`;
  p += `/${resource}`;
  if (req.name) p += `/${encodeURIComponent(req.name)}`;
  if (subresource) p += `/${subresource}`;
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(req.query ?? {})) if (v !== undefined) q.set(k, String(v));
  const qs = q.toString();
  return qs ? `${p}?${qs}` : p;
}

/** The Status object the API server sends with errors (or what we can make of a non-JSON body). */
interface StatusBody {
  kind?: string;
  message?: string;
  reason?: string;
  code?: number;
}

function parseStatus(body: string): StatusBody {
  try {
    const s = JSON.parse(body) as StatusBody;
    return typeof s === 'object' && s !== null ? s : {};
  } catch {
    return { message: body.slice(0, 300) };
  }
}

/** The user the server names in a Forbidden message ("User \"support\" cannot ..."), for the error text. */
export function forbiddenSubject(message: string | undefined): string | undefined {
  const m = /User "([^"]+)" cannot/.exec(message ?? '');
  return m ? `user "${m[1]}"` : undefined;
}

/** Turns an HTTP failure into the error a person sees. */
export function classifyHttpError(conn: ResolvedConnection, req: ApiRequest, status: number, body: string): Error {
  const s = parseStatus(body);
  const serverMessage = s.message ?? `HTTP ${status}`;
  if (status === 401) {
    const how = conn.user.exec
      ? `run the login of your exec credential plugin (${conn.user.exec.command}) again`
      : conn.user['auth-provider']
        ? `log in again to refresh the ${conn.user['auth-provider'].name} token`
        : 'log in again or check the token';
    return new UnauthorizedError(`the server rejected the credentials (Unauthorized): ${how} for ${describeCredentials(conn)}`);
  }
  if (status === 403) {
    return new ForbiddenError(req, redact(serverMessage), forbiddenSubject(serverMessage) ?? describeCredentials(conn));
  }
  if (status === 404) {
    const what = req.name ? `${req.resource} "${req.name}"` : req.resource;
    return new NotFoundError(`${what} not found${req.namespace ? ` in namespace "${req.namespace}"` : ''}`, req);
  }
  return new ApiRequestError(
    `the API server answered ${status} ${s.reason ?? ''} for ${req.verb} ${req.resource}: ${redact(serverMessage)}` +
      (status >= 500 ? ' (after retries): the cluster may be overloaded; try again later' : ''),
    status,
    s.reason ?? '',
  );
}

const TLS_CODES = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'CERT_NOT_YET_VALID',
  'EPROTO',
  'ERR_SSL_WRONG_VERSION_NUMBER',
]);

/** Turns a failure to get any answer into a ConnectionError that says what to check. */
export function classifyNetworkError(conn: ResolvedConnection, err: NodeJS.ErrnoException): Error {
  const code = err.code ?? '';
  const ctx = conn.contextName ? ` (context "${conn.contextName}")` : '';
  if (code === 'ECONNREFUSED') {
    return new ConnectionError(`cannot reach the API server at ${conn.server}${ctx}: connection refused. Check that the cluster is running and the context points at it (kubectl cluster-info)`);
  }
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') {
    return new ConnectionError(`cannot reach the API server at ${conn.server}${ctx}: host name not found. Check the server address in the kubeconfig, your DNS and VPN`);
  }
  if (code === 'EHOSTUNREACH' || code === 'ENETUNREACH' || code === 'ECONNRESET') {
    return new ConnectionError(`cannot reach the API server at ${conn.server}${ctx}: ${code}. Check your network or VPN`);
  }
  if (TLS_CODES.has(code) || /certificate|TLS|SSL/i.test(err.message)) {
    return new ConnectionError(
      `TLS handshake with ${conn.server}${ctx} failed: ${err.message}. Check certificate-authority in the kubeconfig or pass --certificate-authority` +
        (code === 'ERR_TLS_CERT_ALTNAME_INVALID' ? ' or --tls-server-name' : ''),
    );
  }
  return new ConnectionError(`cannot reach the API server at ${conn.server}${ctx}: ${redact(err.message)}`);
}

class TimeoutError extends Error {
  readonly code = 'ETIMEDOUT';
}

/** Failures of exec credential plugins and token files happen before any request is sent. */
export function classifyCredentialError(conn: ResolvedConnection, err: NodeJS.ErrnoException): Error {
  const exec = conn.user.exec;
  if (exec) {
    if (err.code === 'ENOENT') {
      return new UnauthorizedError(
        `the exec credential plugin "${exec.command}" of ${describeCredentials(conn)} was not found` + (exec.installHint ? `: ${exec.installHint.trim()}` : ': install it or put it on PATH'),
      );
    }
    const detail = redact(err.message.trim().split('\n')[0] ?? '');
    return new UnauthorizedError(`the exec credential plugin "${exec.command}" of ${describeCredentials(conn)} failed${detail ? `: ${detail}` : ''}; log in again or fix the plugin`);
  }
  return new UnauthorizedError(`cannot load the credentials of ${describeCredentials(conn)}: ${redact(err.message)}; check the kubeconfig`);
}

function stamp(): string {
  return new Date().toISOString().slice(11, 23);
}

/** The kubeconfig as client-node needs it, plus impersonation headers client-node does not send
 *  (it knows only `as`; kubectl also sends --as-group and --as-uid). Used for requests and exec. */
export async function makeKubeConfig(conn: ResolvedConnection): Promise<KubeConfig> {
  const k8s = await import('./k8s.ts');
  const headers: Record<string, string | string[]> = {};
  if (conn.impersonate.user) headers['Impersonate-User'] = conn.impersonate.user;
  if (conn.impersonate.groups.length) headers['Impersonate-Group'] = conn.impersonate.groups;
  if (conn.impersonate.uid) headers['Impersonate-Uid'] = conn.impersonate.uid;

  class ModelcarKubeConfig extends k8s.KubeConfig {
    async applyToHTTPSOptions(opts: Parameters<KubeConfig['applyToHTTPSOptions']>[0]): Promise<void> {
      await super.applyToHTTPSOptions(opts);
      opts.headers = { ...(opts.headers as Record<string, string>), ...headers } as typeof opts.headers;
    }
  }
  const kc = new ModelcarKubeConfig();
  const u = conn.user;
  const c = conn.cluster;
  let token = u.token;
  const tokenFile = u.tokenFile ?? u['token-file'];
  if (!token && tokenFile) {
    const { readFileSync } = await import('node:fs');
    try {
      token = readFileSync(tokenFile, 'utf8').trim();
    } catch (err) {
      throw new UnauthorizedError(`cannot read the token file ${tokenFile} of ${describeCredentials(conn)}: ${(err as NodeJS.ErrnoException).code}; check the kubeconfig`);
    }
  }
  // kubectl tells exec plugins what it expects through KUBERNETES_EXEC_INFO; some plugins require it.
  const exec = u.exec
    ? {
        ...u.exec,
        env: [
          ...(u.exec.env ?? []),
          {
            name: 'KUBERNETES_EXEC_INFO',
            value: JSON.stringify({
              kind: 'ExecCredential',
              apiVersion: u.exec.apiVersion ?? 'client.authentication.k8s.io/v1beta1',
              spec: {
                interactive: false,
                ...(u.exec.provideClusterInfo ? { cluster: { server: conn.server, 'certificate-authority-data': c['certificate-authority-data'], 'insecure-skip-tls-verify': c['insecure-skip-tls-verify'] } } : {}),
              },
            }),
          },
        ],
      }
    : undefined;
  const name = conn.contextName || 'modelcar';
  kc.loadFromOptions({
    clusters: [
      {
        name: conn.clusterName || name,
        server: conn.server,
        caData: c['certificate-authority-data'],
        caFile: c['certificate-authority'],
        // client-node refuses plain http:// unless told to skip TLS verification, which is moot there.
        skipTLSVerify: c['insecure-skip-tls-verify'] === true || conn.server.startsWith('http:'),
        tlsServerName: c['tls-server-name'],
        proxyUrl: c['proxy-url'],
      },
    ],
    users: [
      {
        name: conn.userName || name,
        token,
        certData: u['client-certificate-data'],
        certFile: u['client-certificate'],
        keyData: u['client-key-data'],
        keyFile: u['client-key'],
        username: u.username,
        password: u.password,
        exec,
        authProvider: u['auth-provider'],
      },
    ],
    contexts: [{ name, cluster: conn.clusterName || name, user: conn.userName || name }],
    currentContext: name,
  });
  return kc;
}

function keepAliveAgent(url: string, tls: https.RequestOptions): http.Agent {
  if (!url.startsWith('https:')) return new http.Agent({ keepAlive: true });
  return new https.Agent({
    keepAlive: true,
    ca: tls.ca,
    cert: tls.cert,
    key: tls.key,
    servername: tls.servername,
    ...(tls.rejectUnauthorized !== undefined ? { rejectUnauthorized: tls.rejectUnauthorized } : {}),
  });
}

export interface KubeList<T> {
  items: T[];
  metadata?: { continue?: string; resourceVersion?: string };
}

/** Typed, logged, retried GETs against one API server. */
export class KubeClient {
  readonly conn: ResolvedConnection;
  readonly kubeConfig: KubeConfig;
  readonly log: Logger;
  readonly retry: RetryPolicy;
  /** How many HTTP requests were sent (for tests and the -v 6 summary). */
  requests = 0;
  private agent: http.Agent | undefined;

  constructor(conn: ResolvedConnection, kubeConfig: KubeConfig, log: Logger, retry: RetryPolicy = DEFAULT_RETRY) {
    this.conn = conn;
    this.kubeConfig = kubeConfig;
    this.log = log;
    this.retry = retry;
  }

  /** Closes kept-alive connections (the process may then exit without waiting for them). */
  close(): void {
    this.agent?.destroy();
    this.agent = undefined;
  }

  static async connect(conn: ResolvedConnection, log: Logger, retry?: RetryPolicy): Promise<KubeClient> {
    return new KubeClient(conn, await makeKubeConfig(conn), log, retry);
  }

  /** Sends one GET (with retries); resolves with the body of a 2xx answer, throws classified errors otherwise. */
  async getRaw(req: ApiRequest, accept = 'application/json'): Promise<string> {
    const url = this.conn.server + (req.rawPath ?? apiPath(req));
    for (let attempt = 0; ; attempt++) {
      const last = attempt + 1 >= this.retry.attempts;
      let res: { status: number; headers: http.IncomingHttpHeaders; body: string };
      try {
        res = await this.send(url, accept);
      } catch (err) {
        const e = err as NodeJS.ErrnoException;
        if (e instanceof UnauthorizedError) throw e;
        if (!last && e.code !== undefined && RETRYABLE_NET.has(e.code) && !(e instanceof TimeoutError)) {
          await sleep(retryDelayMs(attempt, undefined, this.retry));
          continue;
        }
        if (e instanceof TimeoutError) {
          throw new ConnectionError(
            `no answer from the API server at ${this.conn.server} within ${this.conn.requestTimeoutMs / 1000}s (${req.verb} ${req.resource}): check your network or VPN, or raise --request-timeout`,
          );
        }
        throw classifyNetworkError(this.conn, e);
      }
      if (res.status >= 200 && res.status < 300) return res.body;
      if (!last && isRetryableStatus(res.status)) {
        const ra = res.headers['retry-after'];
        const delay = retryDelayMs(attempt, Array.isArray(ra) ? ra[0] : ra, this.retry);
        if (this.log.verbosity >= 6) this.log.write(`I${stamp()} retrying after ${res.status} in ${delay} ms (attempt ${attempt + 2} of ${this.retry.attempts})`);
        await sleep(delay);
        continue;
      }
      throw classifyHttpError(this.conn, req, res.status, res.body);
    }
  }

  /** Sends one PATCH (no retries: it writes); resolves with the parsed 2xx answer, throws classified errors otherwise. */
  async patch<T>(req: ApiRequest, body: string, contentType: string): Promise<T> {
    const url = this.conn.server + (req.rawPath ?? apiPath(req));
    let res: { status: number; body: string };
    try {
      res = await this.send(url, 'application/json', { method: 'PATCH', body, contentType });
    } catch (err) {
      if (err instanceof UnauthorizedError) throw err;
      throw classifyNetworkError(this.conn, err as NodeJS.ErrnoException);
    }
    if (res.status >= 200 && res.status < 300) return JSON.parse(res.body) as T;
    throw classifyHttpError(this.conn, req, res.status, res.body);
  }

  private async send(url: string, accept: string, write?: { method: 'PATCH'; body: string; contentType: string }): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
    const method = write?.method ?? 'GET';
    const opts: https.RequestOptions = { method, headers: {} };
    try {
      await this.kubeConfig.applyToHTTPSOptions(opts);
    } catch (err) {
      throw classifyCredentialError(this.conn, err as NodeJS.ErrnoException);
    }
    opts.headers = { ...(opts.headers as Record<string, string>), Accept: accept, 'User-Agent': 'kubectl-modelcar', ...(write ? { 'Content-Type': write.contentType } : {}) };
    // client-node's agent opens a new TLS connection per request; one keep-alive agent per run saves
    // a handshake on every call after the first (not with a proxy, whose agent must stay).
    if (!this.conn.cluster['proxy-url']) opts.agent = this.agent ??= keepAliveAgent(url, opts);
    const mod = url.startsWith('https:') ? https : http;
    const started = performance.now();
    this.requests++;
    if (this.log.verbosity >= 7) {
      this.log.write(`I${stamp()} ${method} ${url}`);
      for (const [k, v] of Object.entries(opts.headers ?? {})) this.log.write(`I${stamp()}     ${k}: ${redact(`${k}: ${String(v)}`).slice(k.length + 2)}`);
    }
    return await new Promise((resolve, reject) => {
      const req = mod.request(url, opts, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          clearTimeout(timer);
          const body = Buffer.concat(chunks).toString('utf8');
          const ms = Math.round(performance.now() - started);
          if (this.log.verbosity >= 6) this.log.write(`I${stamp()} ${method} ${url} ${res.statusCode} ${res.statusMessage ?? ''} in ${ms} milliseconds`);
          if (this.log.verbosity >= 8) this.log.write(`I${stamp()} Response Body: ${redact(body.length > 10240 ? `${body.slice(0, 10240)} [truncated ${body.length - 10240} chars]` : body)}`);
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body });
        });
      });
      const timer =
        this.conn.requestTimeoutMs > 0
          ? setTimeout(() => req.destroy(new TimeoutError(`timeout after ${this.conn.requestTimeoutMs} ms`)), this.conn.requestTimeoutMs)
          : undefined;
      req.on('error', (err) => {
        clearTimeout(timer);
        if (this.log.verbosity >= 6) this.log.write(`I${stamp()} ${method} ${url} failed in ${Math.round(performance.now() - started)} milliseconds: ${(err as NodeJS.ErrnoException).code ?? err.message}`);
        reject(err);
      });
      req.end(write?.body);
    });
  }

  async get<T>(req: Omit<ApiRequest, 'verb'>): Promise<T> {
    return JSON.parse(await this.getRaw({ ...req, verb: 'get' })) as T;
  }

  /** A GET that answers undefined on 404 instead of throwing. */
  async getOptional<T>(req: Omit<ApiRequest, 'verb'>): Promise<T | undefined> {
    try {
      return await this.get<T>(req);
    } catch (err) {
      if (err instanceof NotFoundError) return undefined;
      throw err;
    }
  }

  /** Lists all pages (limit 500). Items get their kind back (lists drop it). */
  async list<T extends KObject>(req: Omit<ApiRequest, 'verb' | 'name'>, kind: string, maxPages = 20): Promise<T[]> {
    const items: T[] = [];
    let cont: string | undefined;
    for (let page = 0; page < maxPages; page++) {
      const body = JSON.parse(await this.getRaw({ ...req, verb: 'list', query: { ...req.query, limit: 500, continue: cont } })) as KubeList<T>;
      const apiVersion = req.group ? `${req.group}/${req.version}` : req.version;
      for (const it of body.items ?? []) items.push({ ...it, apiVersion: it.apiVersion ?? apiVersion, kind: it.kind ?? kind });
      cont = body.metadata?.continue || undefined;
      if (!cont) break;
    }
    return items;
  }

  // ---- typed calls ----

  /** The API server's /version (gitVersion such as "v1.33.1"). */
  async serverVersion(): Promise<{ gitVersion?: string; major?: string; minor?: string }> {
    return JSON.parse(await this.getRaw({ verb: 'get', group: '', version: 'v1', resource: 'version', rawPath: '/version' })) as { gitVersion?: string };
  }

  getInferenceService(namespace: string, name: string): Promise<InferenceService> {
    return this.get({ group: 'serving.kserve.io', version: 'v1beta1', resource: 'inferenceservices', namespace, name });
  }
  listInferenceServices(namespace: string): Promise<InferenceService[]> {
    return this.list({ group: 'serving.kserve.io', version: 'v1beta1', resource: 'inferenceservices', namespace }, 'InferenceService');
  }
  listPods(namespace: string, labelSelector?: string): Promise<Pod[]> {
    return this.list({ group: '', version: 'v1', resource: 'pods', namespace, query: { labelSelector } }, 'Pod');
  }
  listEvents(namespace: string, fieldSelector?: string): Promise<Event[]> {
    return this.list({ group: '', version: 'v1', resource: 'events', namespace, query: { fieldSelector } }, 'Event', 5);
  }
  getConfigMap(namespace: string, name: string): Promise<ConfigMap> {
    return this.get({ group: '', version: 'v1', resource: 'configmaps', namespace, name });
  }
  getNamespace(name: string): Promise<Namespace> {
    return this.get({ group: '', version: 'v1', resource: 'namespaces', name });
  }
  listNamespaces(): Promise<Namespace[]> {
    return this.list({ group: '', version: 'v1', resource: 'namespaces' }, 'Namespace');
  }
  listLimitRanges(namespace: string): Promise<LimitRange[]> {
    return this.list({ group: '', version: 'v1', resource: 'limitranges', namespace }, 'LimitRange');
  }
  listResourceQuotas(namespace: string): Promise<ResourceQuota[]> {
    return this.list({ group: '', version: 'v1', resource: 'resourcequotas', namespace }, 'ResourceQuota');
  }
  listReplicaSets(namespace: string, labelSelector?: string): Promise<ReplicaSet[]> {
    return this.list({ group: 'apps', version: 'v1', resource: 'replicasets', namespace, query: { labelSelector } }, 'ReplicaSet');
  }
  listDeployments(namespace: string, labelSelector?: string): Promise<Deployment[]> {
    return this.list({ group: 'apps', version: 'v1', resource: 'deployments', namespace, query: { labelSelector } }, 'Deployment');
  }
  listRevisions(namespace: string, labelSelector?: string): Promise<Revision[]> {
    return this.list({ group: 'serving.knative.dev', version: 'v1', resource: 'revisions', namespace, query: { labelSelector } }, 'Revision');
  }
  listServingRuntimes(namespace: string): Promise<ServingRuntime[]> {
    return this.list({ group: 'serving.kserve.io', version: 'v1alpha1', resource: 'servingruntimes', namespace }, 'ServingRuntime');
  }
  listClusterServingRuntimes(): Promise<ServingRuntime[]> {
    return this.list({ group: 'serving.kserve.io', version: 'v1alpha1', resource: 'clusterservingruntimes' }, 'ClusterServingRuntime');
  }
  listNodes(): Promise<Node[]> {
    return this.list({ group: '', version: 'v1', resource: 'nodes' }, 'Node');
  }
  getNode(name: string): Promise<Node> {
    return this.get({ group: '', version: 'v1', resource: 'nodes', name });
  }

  /** The last lines of a container's log (current or previous instance). */
  podLog(namespace: string, pod: string, container: string, opts: { previous?: boolean; tailLines?: number } = {}): Promise<string> {
    return this.getRaw(
      {
        verb: 'get',
        group: '',
        version: 'v1',
        resource: 'pods/log',
        namespace,
        name: pod,
        query: { container, previous: opts.previous ? true : undefined, tailLines: opts.tailLines ?? 200 },
      },
      'text/plain',
    );
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Edit distance, for "did you mean" suggestions. */
export function editDistance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0]!;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = prev[j]!;
      prev[j] = Math.min(prev[j]! + 1, prev[j - 1]! + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = up;
    }
  }
  return prev[b.length]!;
}

/** The closest name within a small distance (or sharing a prefix/substring), or undefined. */
export function closestName(name: string, candidates: string[]): string | undefined {
  let best: string | undefined;
  let bestScore = Infinity;
  for (const c of candidates) {
    const d = editDistance(name.toLowerCase(), c.toLowerCase());
    const close = d <= Math.max(2, Math.floor(name.length / 4)) || c.includes(name) || name.includes(c);
    if (close && d < bestScore) {
      best = c;
      bestScore = d;
    }
  }
  return best;
}

/** Fetches the InferenceService; on 404 says whether the namespace exists and suggests a close name. */
export async function getInferenceServiceOrExplain(client: KubeClient, namespace: string, name: string): Promise<InferenceService> {
  try {
    return await client.getInferenceService(namespace, name);
  } catch (err) {
    if (!(err instanceof NotFoundError)) throw err;
    // Both lookups are best effort: a support user may lack list permissions.
    const [ns, isvcs] = await Promise.all([
      client.getNamespace(namespace).then(
        () => 'exists' as const,
        (e: unknown) => (e instanceof NotFoundError ? ('missing' as const) : ('unknown' as const)),
      ),
      client.listInferenceServices(namespace).catch((e: unknown) => (e instanceof NotFoundError ? ('no-api' as const) : ([] as InferenceService[]))),
    ]);
    const access: Access = { verb: 'get', group: 'serving.kserve.io', resource: 'inferenceservices', namespace, name };
    if (ns === 'missing') {
      const names = await client.listNamespaces().then(
        (l) => l.map((n) => n.metadata.name),
        () => [] as string[],
      );
      const guess = closestName(namespace, names);
      throw new NotFoundError(
        `namespace "${namespace}" not found` + (guess ? `: did you mean -n ${guess}?` : ': check -n (kubectl get namespaces lists them)'),
        access,
      );
    }
    if (isvcs === 'no-api') {
      throw new NotFoundError(
        'this cluster does not serve InferenceServices (serving.kserve.io/v1beta1): is KServe installed, and is this the right context? (kubectl api-resources --api-group=serving.kserve.io)',
        access,
      );
    }
    const guess = closestName(
      name,
      isvcs.map((i) => i.metadata.name),
    );
    const hint = guess
      ? `; did you mean "${guess}"?`
      : isvcs.length
        ? `; InferenceServices there: ${isvcs
            .slice(0, 5)
            .map((i) => i.metadata.name)
            .join(', ')}`
        : `; kubectl get inferenceservices -A lists them all`;
    throw new NotFoundError(`InferenceService "${name}" not found in namespace "${namespace}"${hint}`, access);
  }
}
