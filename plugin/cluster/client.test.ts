import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

// The first test loads client-node (a second or more on a busy machine).
vi.setConfig({ testTimeout: 30_000 });
import { apiPath, closestName, getInferenceServiceOrExplain, KubeClient, retryDelayMs, type Logger } from './client.ts';
import { ConnectionError, ForbiddenError, NotFoundError, UnauthorizedError, exitCodeFor, rbacRule, redact } from './errors.ts';
import { mergeKubeconfigs, resolveConnection, type ResolvedConnection } from './kubeconfig.ts';

const TOKEN = 'sekret-token-value-123';

function connFor(server: string, extra: Partial<ResolvedConnection> = {}): ResolvedConnection {
  const merged = mergeKubeconfigs([
    [
      '/x/config',
      `current-context: t\nclusters:\n- name: c\n  cluster: {server: "${server}"}\nusers:\n- name: u\n  user: {token: ${TOKEN}}\ncontexts:\n- name: t\n  context: {cluster: c, user: u}\n`,
    ],
  ]);
  return { ...resolveConnection(merged, { 'request-timeout': '2s' }), ...extra };
}

function status(code: number, reason: string, message: string): string {
  return JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', message, reason, code });
}

type Handler = (req: http.IncomingMessage, res: http.ServerResponse) => void;

describe('KubeClient against a local HTTP server', () => {
  let server: http.Server;
  let base: string;
  let handler: Handler = () => {};
  const seen: http.IncomingMessage[] = [];

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      seen.push(req);
      handler(req, res);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => {
    server.closeAllConnections();
    return new Promise<void>((r) => server.close(() => r()));
  });

  function client(logLines?: string[], verbosity = 0, extra: Partial<ResolvedConnection> = {}): KubeClient {
    const log: Logger = { verbosity, write: (l) => logLines?.push(l) };
    const conn = connFor(base, extra);
    return new KubeClient(conn, undefined as never, log, { attempts: 4, baseDelayMs: 5, maxDelayMs: 50 });
  }

  async function connected(logLines?: string[], verbosity = 0, extra: Partial<ResolvedConnection> = {}): Promise<KubeClient> {
    const c = client(logLines, verbosity, extra);
    return KubeClient.connect(c.conn, c.log, c.retry);
  }

  it('sends the bearer token and impersonation headers, lists with pagination and restores kinds', async () => {
    seen.length = 0;
    handler = (req, res) => {
      const url = new URL(req.url!, base);
      const page = url.searchParams.get('continue');
      res.setHeader('content-type', 'application/json');
      res.end(
        JSON.stringify({
          items: [{ metadata: { name: page ? 'p2' : 'p1' } }],
          metadata: { continue: page ? '' : 'next' },
        }),
      );
    };
    const c = await connected([], 0, { impersonate: { user: 'jane', groups: ['g1', 'g2'], uid: '7' } });
    const pods = await c.listPods('ns1', 'a=b');
    expect(pods.map((p) => [p.metadata.name, p.kind, p.apiVersion])).toEqual([
      ['p1', 'Pod', 'v1'],
      ['p2', 'Pod', 'v1'],
    ]);
    expect(seen[0]!.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(seen[0]!.headers['impersonate-user']).toBe('jane');
    expect(seen[0]!.headers['impersonate-group']).toBe('g1, g2');
    expect(seen[0]!.headers['impersonate-uid']).toBe('7');
    expect(seen[0]!.url).toBe('/api/v1/namespaces/ns1/pods?labelSelector=a%3Db&limit=500');
  });

  it('retries 429 with Retry-After and 503, then succeeds', async () => {
    let calls = 0;
    handler = (_req, res) => {
      calls++;
      if (calls === 1) {
        res.writeHead(429, { 'retry-after': '0' });
        res.end(status(429, 'TooManyRequests', 'slow down'));
      } else if (calls === 2) {
        res.writeHead(503);
        res.end(status(503, 'ServiceUnavailable', 'busy'));
      } else {
        res.end(JSON.stringify({ metadata: { name: 'cm' }, data: { a: '1' } }));
      }
    };
    const lines: string[] = [];
    const c = await connected(lines, 6);
    const cm = await c.getConfigMap('kserve', 'inferenceservice-config');
    expect(cm.data).toEqual({ a: '1' });
    expect(calls).toBe(3);
    expect(lines.filter((l) => /retrying after (429|503)/.test(l))).toHaveLength(2);
  });

  it('gives up after the bounded number of attempts on 500', async () => {
    let calls = 0;
    handler = (_req, res) => {
      calls++;
      res.writeHead(500);
      res.end(status(500, 'InternalError', 'etcd is down'));
    };
    const c = await connected();
    await expect(c.listNodes()).rejects.toThrow(/answered 500 InternalError .*etcd is down.*try again later/);
    expect(calls).toBe(4);
  });

  it('classifies 401 as exit 3 with what to do, naming the context but not the token', async () => {
    handler = (_req, res) => {
      res.writeHead(401);
      res.end(status(401, 'Unauthorized', 'Unauthorized'));
    };
    const c = await connected();
    const err = await c.listNodes().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnauthorizedError);
    expect(exitCodeFor(err)).toBe(3);
    expect((err as Error).message).toBe('the server rejected the credentials (Unauthorized): log in again or check the token for context "t", user "u"');
    expect((err as Error).message).not.toContain(TOKEN);
  });

  it('classifies 403 with the verb, resource, namespace and the Role rule', async () => {
    handler = (_req, res) => {
      res.writeHead(403);
      res.end(status(403, 'Forbidden', 'limitranges is forbidden: User "support" cannot list resource "limitranges" in API group "" in the namespace "kserve-test"'));
    };
    const c = await connected();
    const err = (await c.listLimitRanges('kserve-test').catch((e: unknown) => e)) as ForbiddenError;
    expect(err).toBeInstanceOf(ForbiddenError);
    expect(err.access).toMatchObject({ verb: 'list', group: '', resource: 'limitranges', namespace: 'kserve-test' });
    expect(err.message).toContain('user "support" may not list limitranges in namespace "kserve-test"');
    expect(err.message).toContain('- apiGroups: [""]\n  resources: ["limitranges"]\n  verbs: ["list"]');
  });

  it('says the InferenceService is missing, with a did-you-mean, and a namespace typo with its own', async () => {
    handler = (req, res) => {
      const u = req.url!;
      if (u.startsWith('/apis/serving.kserve.io/v1beta1/namespaces/kserve-test/inferenceservices?')) {
        res.end(JSON.stringify({ items: [{ metadata: { name: 'sklearn-iris-oci' } }, { metadata: { name: 'other' } }] }));
      } else if (u === '/api/v1/namespaces/kserve-test') {
        res.end(JSON.stringify({ metadata: { name: 'kserve-test' } }));
      } else if (u.startsWith('/api/v1/namespaces?')) {
        res.end(JSON.stringify({ items: [{ metadata: { name: 'kserve-test' } }, { metadata: { name: 'kserve' } }] }));
      } else {
        res.writeHead(404);
        res.end(status(404, 'NotFound', 'not found'));
      }
    };
    const c = await connected();
    const e1 = await getInferenceServiceOrExplain(c, 'kserve-test', 'sklearn-iris-ocii').catch((e: unknown) => e);
    expect(e1).toBeInstanceOf(NotFoundError);
    expect(exitCodeFor(e1)).toBe(2);
    expect((e1 as Error).message).toBe('InferenceService "sklearn-iris-ocii" not found in namespace "kserve-test"; did you mean "sklearn-iris-oci"?');
    const e2 = await getInferenceServiceOrExplain(c, 'kserve-tset', 'sklearn-iris-oci').catch((e: unknown) => e);
    expect((e2 as Error).message).toBe('namespace "kserve-tset" not found: did you mean -n kserve-test?');
  });

  it('says when the cluster does not serve InferenceServices at all (KServe not installed)', async () => {
    handler = (req, res) => {
      if (req.url === '/api/v1/namespaces/kserve-test') return res.end(JSON.stringify({ metadata: { name: 'kserve-test' } }));
      res.writeHead(404);
      res.end(status(404, 'NotFound', 'the server could not find the requested resource'));
    };
    const c = await connected();
    const err = await getInferenceServiceOrExplain(c, 'kserve-test', 'x').catch((e: unknown) => e);
    expect(exitCodeFor(err)).toBe(2);
    expect((err as Error).message).toMatch(/^this cluster does not serve InferenceServices \(serving.kserve.io\/v1beta1\): is KServe installed/);
  });

  it('logs requests at -v 6 and bodies at -v 8 without credentials', async () => {
    handler = (_req, res) => res.end(JSON.stringify({ items: [{ metadata: { name: 'n1' }, token: 'leaked-in-body' }] }));
    const lines: string[] = [];
    const c = await connected(lines, 8);
    await c.listNodes();
    const text = lines.join('\n');
    expect(text).toMatch(/GET http:\/\/127\.0\.0\.1:\d+\/api\/v1\/nodes\?limit=500 200 OK in \d+ milliseconds/);
    expect(text).toContain('Response Body:');
    expect(text).toContain('Authorization: Bearer <redacted>');
    expect(text).not.toContain(TOKEN);
    expect(text).not.toContain('leaked-in-body');
  });

  it('runs an exec credential plugin as kubectl does (relative path, KUBERNETES_EXEC_INFO) and sends its token', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'execplugin-'));
    writeFileSync(
      path.join(dir, 'login.sh'),
      '#!/bin/sh\necho "$KUBERNETES_EXEC_INFO" > "$(dirname "$0")/info.json"\necho \'{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"exec-token-42"}}\'\n',
      { mode: 0o755 },
    );
    writeFileSync(path.join(dir, 'fail.sh'), '#!/bin/sh\necho "login expired: run sso login" >&2\nexit 1\n', { mode: 0o755 });
    const kubeconfigText = (cmd: string, hint = '') =>
      `current-context: t\nclusters:\n- name: c\n  cluster: {server: "${base}"}\nusers:\n- name: u\n  user:\n    exec: {apiVersion: client.authentication.k8s.io/v1, command: ${cmd}${hint}}\ncontexts:\n- name: t\n  context: {cluster: c, user: u}\n`;
    seen.length = 0;
    handler = (_req, res) => res.end(JSON.stringify({ items: [] }));
    const ok = resolveConnection(mergeKubeconfigs([[path.join(dir, 'config'), kubeconfigText('./login.sh')]]), {});
    const c = await KubeClient.connect(ok, { verbosity: 0, write: () => {} });
    await c.listNodes();
    expect(seen[0]!.headers.authorization).toBe('Bearer exec-token-42');
    expect(JSON.parse(readFileSync(path.join(dir, 'info.json'), 'utf8'))).toEqual({ kind: 'ExecCredential', apiVersion: 'client.authentication.k8s.io/v1', spec: { interactive: false } });

    const failing = resolveConnection(mergeKubeconfigs([[path.join(dir, 'config'), kubeconfigText('./fail.sh')]]), {});
    const e1 = await (await KubeClient.connect(failing, { verbosity: 0, write: () => {} })).listNodes().catch((e: unknown) => e);
    expect(e1).toBeInstanceOf(UnauthorizedError);
    expect((e1 as Error).message).toBe(`the exec credential plugin "${dir}/fail.sh" of context "t", user "u" failed: login expired: run sso login; log in again or fix the plugin`);

    const missing = resolveConnection(mergeKubeconfigs([[path.join(dir, 'config'), kubeconfigText('no-such-login-tool', ', installHint: "install it with: brew install no-such-login-tool"')]]), {});
    const e2 = await (await KubeClient.connect(missing, { verbosity: 0, write: () => {} })).listNodes().catch((e: unknown) => e);
    expect((e2 as Error).message).toBe('the exec credential plugin "no-such-login-tool" of context "t", user "u" was not found: install it with: brew install no-such-login-tool');
    expect(exitCodeFor(e2)).toBe(3);
  });

  it('sends the id-token of an OIDC auth-provider user', async () => {
    const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
    const idToken = `${b64({ alg: 'none' })}.${b64({ exp: Math.floor(Date.now() / 1000) + 3600, sub: 'jane' })}.sig`;
    const text = `current-context: t\nclusters:\n- name: c\n  cluster: {server: "${base}"}\nusers:\n- name: u\n  user:\n    auth-provider:\n      name: oidc\n      config: {client-id: kubectl, id-token: "${idToken}", idp-issuer-url: "https://idp.example"}\ncontexts:\n- name: t\n  context: {cluster: c, user: u}\n`;
    seen.length = 0;
    handler = (_req, res) => res.end(JSON.stringify({ items: [] }));
    const c = await KubeClient.connect(resolveConnection(mergeKubeconfigs([['/x/config', text]]), {}), { verbosity: 0, write: () => {} });
    await c.listNodes();
    expect(seen[0]!.headers.authorization).toBe(`Bearer ${idToken}`);
  });

  it('times out with --request-timeout and says what to do (exit 3)', async () => {
    handler = () => {}; // never answers
    const c = await connected([], 0, { requestTimeoutMs: 200 });
    const err = await c.listNodes().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConnectionError);
    expect((err as Error).message).toMatch(/no answer from the API server at .* within 0\.2s .*raise --request-timeout/);
  });
});

describe('unreachable server', () => {
  it('connection refused -> exit 3 and what to check', async () => {
    const probe = http.createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const port = (probe.address() as AddressInfo).port;
    await new Promise<void>((r) => probe.close(() => r()));
    const conn = connFor(`https://127.0.0.1:${port}`);
    const c = await KubeClient.connect(conn, { verbosity: 0, write: () => {} });
    const err = await c.listNodes().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConnectionError);
    expect(exitCodeFor(err)).toBe(3);
    expect((err as Error).message).toContain(`cannot reach the API server at https://127.0.0.1:${port} (context "t"): connection refused`);
  });
});

describe('helpers', () => {
  it('builds API paths for core, grouped, cluster-scoped and subresources', () => {
    expect(apiPath({ verb: 'get', group: '', version: 'v1', resource: 'pods/log', namespace: 'a', name: 'p', query: { container: 'c', previous: true, x: undefined } })).toBe(
      '/api/v1/namespaces/a/pods/p/log?container=c&previous=true',
    );
    expect(apiPath({ verb: 'list', group: 'apps', version: 'v1', resource: 'replicasets', namespace: 'n' })).toBe('/apis/apps/v1/namespaces/n/replicasets');
    expect(apiPath({ verb: 'get', group: '', version: 'v1', resource: 'nodes' })).toBe('/api/v1/nodes');
  });

  it('backs off with jitter within bounds and honours Retry-After', () => {
    const policy = { attempts: 4, baseDelayMs: 200, maxDelayMs: 4000 };
    expect(retryDelayMs(0, undefined, policy, () => 0.999)).toBeLessThan(200);
    expect(retryDelayMs(5, undefined, policy, () => 0.999)).toBeLessThan(4000);
    expect(retryDelayMs(5, undefined, policy, () => 0)).toBe(0);
    expect(retryDelayMs(0, '2', policy, () => 0)).toBe(2000);
    expect(retryDelayMs(0, '3600', policy, () => 0)).toBe(4000);
  });

  it('prints the RBAC rule as YAML', () => {
    expect(rbacRule({ verb: 'create', group: '', resource: 'pods/exec' })).toBe('- apiGroups: [""]\n  resources: ["pods/exec"]\n  verbs: ["create"]');
    expect(rbacRule({ verb: 'get', group: 'serving.kserve.io', resource: 'inferenceservices' })).toContain('apiGroups: ["serving.kserve.io"]');
  });

  it('redacts tokens in headers, JSON and YAML', () => {
    expect(redact('Authorization: Bearer abc.def')).toBe('Authorization: Bearer <redacted>');
    expect(redact('{"status":{"token":"abc","expirationTimestamp":"x"}}')).toBe('{"status":{"token":"<redacted>","expirationTimestamp":"x"}}');
    expect(redact('  token: abc\n  id-token: xyz')).not.toMatch(/abc|xyz/);
  });

  it('suggests close names only', () => {
    expect(closestName('sklearn-iris', ['sklearn-iris-oci', 'zzz'])).toBe('sklearn-iris-oci');
    expect(closestName('kserve-tst', ['kserve-test', 'default'])).toBe('kserve-test');
    expect(closestName('abc', ['default', 'kube-system'])).toBeUndefined();
  });
});
