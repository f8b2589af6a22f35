import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { UsageError } from './errors.ts';
import { kubeconfigFiles, loadKubeconfigFiles, mergeKubeconfigs, parseDuration, resolveConnection } from './kubeconfig.ts';

function kubeconfig(opts: { current?: string; clusters?: Record<string, string>; users?: Record<string, object>; contexts?: Record<string, object> }): string {
  const lines = ['apiVersion: v1', 'kind: Config'];
  if (opts.current) lines.push(`current-context: ${opts.current}`);
  lines.push('clusters:');
  for (const [n, server] of Object.entries(opts.clusters ?? {})) lines.push(`- name: ${n}`, `  cluster:`, `    server: ${server}`);
  lines.push('users:');
  for (const [n, u] of Object.entries(opts.users ?? {})) lines.push(`- name: ${n}`, `  user: ${JSON.stringify(u)}`);
  lines.push('contexts:');
  for (const [n, c] of Object.entries(opts.contexts ?? {})) lines.push(`- name: ${n}`, `  context: ${JSON.stringify(c)}`);
  return lines.join('\n') + '\n';
}

function tmpFiles(files: Record<string, string>): { dir: string; paths: Record<string, string> } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'kc-'));
  const paths: Record<string, string> = {};
  for (const [name, text] of Object.entries(files)) {
    paths[name] = path.join(dir, name);
    writeFileSync(paths[name], text);
  }
  return { dir, paths };
}

describe('KUBECONFIG merging the kubectl way', () => {
  const a = kubeconfig({
    current: 'ctx-a',
    clusters: { shared: 'https://a.example:6443', onlyA: 'https://only-a:6443' },
    users: { u: { token: 'token-a' } },
    contexts: { 'ctx-a': { cluster: 'shared', user: 'u', namespace: 'ns-a' }, both: { cluster: 'shared', user: 'u' } },
  });
  const b = kubeconfig({
    current: 'ctx-b',
    clusters: { shared: 'https://b.example:6443', onlyB: 'https://only-b:6443' },
    users: { u: { token: 'token-b' }, ub: { token: 'token-ub' } },
    contexts: { 'ctx-b': { cluster: 'onlyB', user: 'ub' }, both: { cluster: 'onlyB', user: 'ub' } },
  });

  it('takes current-context and duplicate names from the first file that sets them', () => {
    const m = mergeKubeconfigs([
      ['/x/a', a],
      ['/x/b', b],
    ]);
    expect(m.currentContext).toBe('ctx-a');
    expect(m.clusters.get('shared')?.server).toBe('https://a.example:6443');
    expect(m.users.get('u')?.token).toBe('token-a');
    expect(m.contexts.get('both')?.cluster).toBe('shared');
    // Names only in the later file are still there.
    expect(m.clusters.get('onlyB')?.server).toBe('https://only-b:6443');
    expect([...m.contexts.keys()].sort()).toEqual(['both', 'ctx-a', 'ctx-b']);
  });

  it('order matters: b first gives b its values', () => {
    const m = mergeKubeconfigs([
      ['/x/b', b],
      ['/x/a', a],
    ]);
    expect(m.currentContext).toBe('ctx-b');
    expect(m.clusters.get('shared')?.server).toBe('https://b.example:6443');
  });

  it('a file without current-context does not stop a later one from setting it', () => {
    const noCurrent = kubeconfig({ clusters: { c: 'https://c:1' } });
    const m = mergeKubeconfigs([
      ['/x/n', noCurrent],
      ['/x/b', b],
    ]);
    expect(m.currentContext).toBe('ctx-b');
  });

  it('skips missing files listed in KUBECONFIG and reads the rest from disk', () => {
    const { paths } = tmpFiles({ a, b });
    const env = { KUBECONFIG: [path.join(os.tmpdir(), 'does-not-exist-kc'), paths.b, paths.a].join(path.delimiter) };
    const m = loadKubeconfigFiles(undefined, env);
    expect(m.files).toEqual([paths.b, paths.a]);
    expect(m.currentContext).toBe('ctx-b');
    const conn = resolveConnection(m, {});
    expect(conn.server).toBe('https://only-b:6443');
    expect(conn.user.token).toBe('token-ub');
  });

  it('--kubeconfig alone is read, and a missing one is an error that says so', () => {
    const { paths } = tmpFiles({ a, b });
    const m = loadKubeconfigFiles(paths.a, { KUBECONFIG: paths.b });
    expect(m.files).toEqual([paths.a]);
    expect(() => loadKubeconfigFiles('/nonexistent/kubeconfig', {})).toThrow(/does not exist: check the --kubeconfig path/);
  });

  it('deduplicates KUBECONFIG entries and falls back to ~/.kube/config', () => {
    expect(kubeconfigFiles(undefined, { KUBECONFIG: `/a${path.delimiter}${path.delimiter}/a${path.delimiter}/b` }).files).toEqual(['/a', '/b']);
    expect(kubeconfigFiles(undefined, { HOME: '/home/x' }).files).toEqual(['/home/x/.kube/config']);
  });

  it('resolves relative certificate, key and exec command paths against the file that names them', () => {
    const text = [
      'clusters:',
      '- name: c',
      '  cluster: {server: "https://c:6443", certificate-authority: ca.crt}',
      'users:',
      '- name: u',
      '  user:',
      '    client-certificate: certs/u.crt',
      '    client-key: /abs/u.key',
      '    exec: {command: ./bin/login, apiVersion: client.authentication.k8s.io/v1}',
      '- name: v',
      '  user:',
      '    exec: {command: aws, apiVersion: client.authentication.k8s.io/v1}',
      'contexts:',
      '- name: x',
      '  context: {cluster: c, user: u}',
    ].join('\n');
    const m = mergeKubeconfigs([['/etc/kube/config', text]]);
    expect(m.clusters.get('c')?.['certificate-authority']).toBe('/etc/kube/ca.crt');
    expect(m.users.get('u')?.['client-certificate']).toBe('/etc/kube/certs/u.crt');
    expect(m.users.get('u')?.['client-key']).toBe('/abs/u.key');
    expect(m.users.get('u')?.exec?.command).toBe('/etc/kube/bin/login');
    expect(m.users.get('v')?.exec?.command).toBe('aws');
  });

  it('reports an unparsable file by name', () => {
    expect(() => mergeKubeconfigs([['/x/bad', 'clusters: [unclosed']])).toThrow(/cannot parse kubeconfig \/x\/bad/);
    expect(() => mergeKubeconfigs([['/x/bad', 'clusters: {a: 1}']])).toThrow(UsageError);
  });
});

describe('command-line overrides', () => {
  const merged = mergeKubeconfigs([
    [
      '/x/config',
      kubeconfig({
        current: 'admin',
        clusters: { lab: 'https://127.0.0.1:6443/', other: 'https://other:6443' },
        users: { admin: { token: 'admin-token' }, sso: { exec: { command: 'login', apiVersion: 'client.authentication.k8s.io/v1' } } },
        contexts: { admin: { cluster: 'lab', user: 'admin', namespace: 'kserve-test' }, sso: { cluster: 'lab', user: 'sso' } },
      }),
    ],
  ]);

  it('uses the current context and its namespace; -n overrides it', () => {
    const c = resolveConnection(merged, {});
    expect(c).toMatchObject({ contextName: 'admin', namespace: 'kserve-test', server: 'https://127.0.0.1:6443' });
    expect(resolveConnection(merged, { namespace: 'other' }).namespace).toBe('other');
    expect(resolveConnection(merged, { context: 'sso' }).namespace).toBe('default');
  });

  it('--context, --cluster, --user, --server pick and override', () => {
    const c = resolveConnection(merged, { context: 'sso', cluster: 'other', user: 'admin' });
    expect(c.server).toBe('https://other:6443');
    expect(c.user.token).toBe('admin-token');
    expect(resolveConnection(merged, { server: 'https://s:1' }).server).toBe('https://s:1');
  });

  it('--token replaces an exec plugin, as kubectl --token does', () => {
    const c = resolveConnection(merged, { context: 'sso', token: 'flag-token' });
    expect(c.user.token).toBe('flag-token');
    expect(c.user.exec).toBeUndefined();
  });

  it('TLS flags replace the file values', () => {
    const c = resolveConnection(merged, { 'certificate-authority': '/ca.pem', 'insecure-skip-tls-verify': true, 'tls-server-name': 'api.internal' });
    expect(c.cluster).toMatchObject({ 'certificate-authority': '/ca.pem', 'insecure-skip-tls-verify': true, 'tls-server-name': 'api.internal' });
    expect(c.cluster['certificate-authority-data']).toBeUndefined();
  });

  it('impersonation needs --as for groups and uid', () => {
    expect(resolveConnection(merged, { as: 'jane', 'as-group': ['g1', 'g2'], 'as-uid': '42' }).impersonate).toEqual({ user: 'jane', groups: ['g1', 'g2'], uid: '42' });
    expect(() => resolveConnection(merged, { 'as-group': ['g1'] })).toThrow(/need --as/);
  });

  it('names the known contexts when --context is wrong', () => {
    expect(() => resolveConnection(merged, { context: 'admn' })).toThrow(/context "admn" not found .*\(contexts: admin, sso\); pick one with --context/);
  });

  it('says what to do without any kubeconfig', () => {
    const empty = mergeKubeconfigs([]);
    expect(() => resolveConnection(empty, {})).toThrow(/no kubeconfig found: set KUBECONFIG, pass --kubeconfig/);
    expect(resolveConnection(empty, { server: 'https://x:1', token: 't' }).user.token).toBe('t');
  });
});

describe('--request-timeout', () => {
  it('parses kubectl durations', () => {
    expect(parseDuration('0')).toBe(0);
    expect(parseDuration('5')).toBe(5000);
    expect(parseDuration('1m30s')).toBe(90_000);
    expect(parseDuration('250ms')).toBe(250);
    expect(parseDuration('1h')).toBe(3_600_000);
    expect(() => parseDuration('soon')).toThrow(/invalid --request-timeout "soon"/);
  });
});
