// kubectl's connection flags and kubeconfig loading, done the way kubectl (client-go's clientcmd) does it:
// KUBECONFIG files are merged with "first file that sets a value wins" (current-context included, missing
// files skipped, duplicate names keep the first), relative paths resolve against the file that holds them,
// and command-line flags override the chosen context. client-node's loadFromDefault merges differently
// (last current-context wins, duplicates throw), so the result is handed to it as a finished config.
// No client-node import here: this module is pure apart from reading the files.
import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { UsageError } from './errors.ts';
import type { KubeFlags } from './flags.ts';

export type { KubeFlags } from './flags.ts';

/** kubectl's --request-timeout: "0" means no timeout, a bare number is seconds, else a Go-style duration. */
export function parseDuration(text: string): number {
  const s = text.trim();
  if (/^\d+$/.test(s)) return Number(s) * 1000;
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h)/y;
  let ms = 0;
  let pos = 0;
  while (pos < s.length) {
    re.lastIndex = pos;
    const m = re.exec(s);
    if (!m) throw new UsageError(`invalid --request-timeout "${text}": use a number of seconds or a duration such as 30s, 2m, 1h`);
    const n = Number(m[1]);
    ms += m[2] === 'ms' ? n : m[2] === 's' ? n * 1000 : m[2] === 'm' ? n * 60_000 : n * 3_600_000;
    pos = re.lastIndex;
  }
  if (s.length === 0) throw new UsageError('empty --request-timeout: use a number of seconds or a duration such as 30s');
  return ms;
}

// ---- the kubeconfig file format (the subset kubectl reads) ----

export interface ClusterEntry {
  server?: string;
  'certificate-authority'?: string;
  'certificate-authority-data'?: string;
  'insecure-skip-tls-verify'?: boolean;
  'tls-server-name'?: string;
  'proxy-url'?: string;
  [k: string]: unknown;
}

export interface ExecConfig {
  apiVersion?: string;
  command: string;
  args?: string[];
  env?: Array<{ name: string; value: string }> | null;
  installHint?: string;
  provideClusterInfo?: boolean;
  interactiveMode?: string;
  [k: string]: unknown;
}

export interface UserEntry {
  token?: string;
  tokenFile?: string;
  'token-file'?: string;
  'client-certificate'?: string;
  'client-certificate-data'?: string;
  'client-key'?: string;
  'client-key-data'?: string;
  username?: string;
  password?: string;
  as?: string;
  'as-groups'?: string[];
  'as-uid'?: string;
  exec?: ExecConfig;
  'auth-provider'?: { name: string; config?: Record<string, string> };
  [k: string]: unknown;
}

export interface ContextEntry {
  cluster?: string;
  user?: string;
  namespace?: string;
  [k: string]: unknown;
}

/** The merged view of all kubeconfig files, keyed by name (first file wins). */
export interface MergedKubeconfig {
  currentContext?: string;
  clusters: Map<string, ClusterEntry>;
  users: Map<string, UserEntry>;
  contexts: Map<string, ContextEntry>;
  /** The files that were read, in order, for error messages. */
  files: string[];
}

/** Which files kubectl reads: --kubeconfig alone (must exist), else $KUBECONFIG's list, else ~/.kube/config. */
export function kubeconfigFiles(flagPath: string | undefined, env: NodeJS.ProcessEnv = process.env): { files: string[]; explicit: boolean } {
  if (flagPath) return { files: [flagPath], explicit: true };
  const list = env.KUBECONFIG;
  if (list && list.length > 0) {
    const seen = new Set<string>();
    const files: string[] = [];
    for (const f of list.split(path.delimiter)) {
      if (f && !seen.has(f)) {
        seen.add(f);
        files.push(f);
      }
    }
    return { files, explicit: false };
  }
  const home = env.HOME || os.homedir();
  return { files: [path.join(home, '.kube', 'config')], explicit: false };
}

interface NamedList<T> {
  name?: unknown;
  [k: string]: unknown;
  value?: T;
}

function namedEntries<T>(list: unknown, field: string, file: string): Array<[string, T]> {
  if (list == null) return [];
  if (!Array.isArray(list)) throw new UsageError(`invalid kubeconfig ${file}: "${field}s" must be a list; fix the file or point --kubeconfig at another one`);
  const out: Array<[string, T]> = [];
  for (const item of list as Array<NamedList<T>>) {
    if (!item || typeof item.name !== 'string' || item.name === '') {
      throw new UsageError(`invalid kubeconfig ${file}: a ${field} entry has no name; fix the file or point --kubeconfig at another one`);
    }
    const body = (item as Record<string, unknown>)[field];
    out.push([item.name, (body ?? {}) as T]);
  }
  return out;
}

/** kubectl resolves relative file references against the directory of the kubeconfig that names them. */
function resolvePaths<T extends Record<string, unknown>>(entry: T, keys: string[], dir: string): T {
  const out: Record<string, unknown> = { ...entry };
  for (const k of keys) {
    const v = out[k];
    if (typeof v === 'string' && v !== '' && !path.isAbsolute(v)) out[k] = path.join(dir, v);
  }
  return out as T;
}

function resolveUserPaths(user: UserEntry, dir: string): UserEntry {
  const out = resolvePaths(user, ['client-certificate', 'client-key', 'tokenFile', 'token-file'], dir);
  // An exec command with a slash is relative to the kubeconfig; a bare name is looked up on PATH.
  if (out.exec && typeof out.exec.command === 'string' && out.exec.command.includes('/') && !path.isAbsolute(out.exec.command)) {
    out.exec = { ...out.exec, command: path.join(dir, out.exec.command) };
  }
  return out;
}

/** Merges kubeconfig documents the kubectl way. `docs` are [file path, YAML text] in KUBECONFIG order. */
export function mergeKubeconfigs(docs: Array<[string, string]>): MergedKubeconfig {
  const merged: MergedKubeconfig = { clusters: new Map(), users: new Map(), contexts: new Map(), files: [] };
  for (const [file, text] of docs) {
    merged.files.push(file);
    let doc: unknown;
    try {
      doc = parseYaml(text);
    } catch (err) {
      throw new UsageError(`cannot parse kubeconfig ${file}: ${(err as Error).message.split('\n')[0]}; fix the file or point --kubeconfig at another one`);
    }
    if (doc == null) continue; // an empty file is allowed, as in kubectl
    if (typeof doc !== 'object' || Array.isArray(doc)) throw new UsageError(`invalid kubeconfig ${file}: not a YAML mapping`);
    const d = doc as Record<string, unknown>;
    const dir = path.dirname(path.resolve(file));
    if (merged.currentContext === undefined && typeof d['current-context'] === 'string' && d['current-context'] !== '') {
      merged.currentContext = d['current-context'];
    }
    for (const [name, c] of namedEntries<ClusterEntry>(d.clusters, 'cluster', file)) {
      if (!merged.clusters.has(name)) merged.clusters.set(name, resolvePaths(c, ['certificate-authority'], dir));
    }
    for (const [name, u] of namedEntries<UserEntry>(d.users, 'user', file)) {
      if (!merged.users.has(name)) merged.users.set(name, resolveUserPaths(u, dir));
    }
    for (const [name, c] of namedEntries<ContextEntry>(d.contexts, 'context', file)) {
      if (!merged.contexts.has(name)) merged.contexts.set(name, c);
    }
  }
  return merged;
}

/** Reads and merges the files kubectl would read. A missing file in $KUBECONFIG is skipped; a missing --kubeconfig is an error. */
export function loadKubeconfigFiles(flagPath: string | undefined, env: NodeJS.ProcessEnv = process.env): MergedKubeconfig {
  const { files, explicit } = kubeconfigFiles(flagPath, env);
  const docs: Array<[string, string]> = [];
  for (const f of files) {
    if (!existsSync(f)) {
      if (explicit) throw new UsageError(`kubeconfig ${f} does not exist: check the --kubeconfig path`);
      continue;
    }
    try {
      docs.push([f, readFileSync(f, 'utf8')]);
    } catch (err) {
      throw new UsageError(`cannot read kubeconfig ${f}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}; check its permissions`);
    }
  }
  return mergeKubeconfigs(docs);
}

// ---- the resolved connection: one context after the command-line overrides ----

export interface Impersonation {
  user?: string;
  groups: string[];
  uid?: string;
}

/** Everything needed to talk to one API server. Holds secrets: never print it. */
export interface ResolvedConnection {
  contextName: string;
  clusterName: string;
  userName: string;
  namespace: string;
  /** True when -n/--namespace was given (or the context sets one), for messages. */
  namespaceExplicit: boolean;
  server: string;
  cluster: ClusterEntry;
  user: UserEntry;
  impersonate: Impersonation;
  /** 0 = no timeout, as kubectl. */
  requestTimeoutMs: number;
}

/** Applies kubectl's overrides to the merged config and picks the context, cluster and user. */
export function resolveConnection(merged: MergedKubeconfig, flags: KubeFlags): ResolvedConnection {
  const where = merged.files.length > 0 ? merged.files.join(path.delimiter) : 'no kubeconfig file';
  const contextName = flags.context || merged.currentContext || '';
  let context: ContextEntry = {};
  if (contextName) {
    const found = merged.contexts.get(contextName);
    if (!found) {
      const names = [...merged.contexts.keys()];
      throw new UsageError(
        `context "${contextName}" not found in ${where}` +
          (names.length ? ` (contexts: ${names.join(', ')}); pick one with --context` : '; set KUBECONFIG or --kubeconfig to a file that has it'),
      );
    }
    context = found;
  }
  const clusterName = flags.cluster || context.cluster || '';
  const userName = flags.user || context.user || '';
  let cluster: ClusterEntry = {};
  if (clusterName) {
    const found = merged.clusters.get(clusterName);
    if (!found && !flags.server) throw new UsageError(`cluster "${clusterName}" not found in ${where}: check the context or pass --server`);
    cluster = { ...(found ?? {}) };
  }
  let user: UserEntry = {};
  if (userName) {
    const found = merged.users.get(userName);
    if (!found && !flags.token) throw new UsageError(`user "${userName}" not found in ${where}: check the context or pass --token`);
    user = { ...(found ?? {}) };
  }
  if (flags.server) cluster.server = flags.server;
  if (!cluster.server) {
    throw new UsageError(
      merged.files.length === 0 && !contextName
        ? 'no kubeconfig found: set KUBECONFIG, pass --kubeconfig, or pass --server and --token'
        : `no server set for context "${contextName || '(none)'}" in ${where}: pick a context with --context or pass --server`,
    );
  }
  if (flags['certificate-authority']) {
    cluster['certificate-authority'] = flags['certificate-authority'];
    delete cluster['certificate-authority-data'];
  }
  if (flags['insecure-skip-tls-verify'] !== undefined) cluster['insecure-skip-tls-verify'] = flags['insecure-skip-tls-verify'];
  if (flags['tls-server-name']) cluster['tls-server-name'] = flags['tls-server-name'];
  if (flags.token) {
    // A token on the command line replaces every other credential, as kubectl --token does.
    user = { token: flags.token, 'client-certificate': user['client-certificate'], 'client-certificate-data': user['client-certificate-data'], 'client-key': user['client-key'], 'client-key-data': user['client-key-data'] };
  }
  if (flags['client-certificate']) {
    user['client-certificate'] = flags['client-certificate'];
    delete user['client-certificate-data'];
  }
  if (flags['client-key']) {
    user['client-key'] = flags['client-key'];
    delete user['client-key-data'];
  }
  const impersonate: Impersonation = {
    user: flags.as || user.as || undefined,
    groups: asList(flags['as-group']).length ? asList(flags['as-group']) : (user['as-groups'] ?? []),
    uid: flags['as-uid'] || user['as-uid'] || undefined,
  };
  if ((impersonate.groups.length > 0 || impersonate.uid) && !impersonate.user) {
    throw new UsageError('--as-group and --as-uid need --as: name the user to impersonate');
  }
  const namespace = flags.namespace || context.namespace || 'default';
  return {
    contextName,
    clusterName,
    userName,
    namespace,
    namespaceExplicit: Boolean(flags.namespace || context.namespace),
    server: cluster.server.replace(/\/+$/, ''),
    cluster,
    user,
    impersonate,
    requestTimeoutMs: parseDuration(flags['request-timeout'] ?? '0'),
  };
}

/** A repeatable flag's values: yargs gives a string for one and an array for several. */
export function asList(v: string | string[] | undefined): string[] {
  return v === undefined ? [] : Array.isArray(v) ? v : [v];
}

/** Flags -> connection, reading the files kubectl would read. */
export function connectionFromFlags(flags: KubeFlags, env: NodeJS.ProcessEnv = process.env): ResolvedConnection {
  return resolveConnection(loadKubeconfigFiles(flags.kubeconfig, env), flags);
}

/** A name for the credentials in messages ("context sso", "user support"), never the credentials. */
export function describeCredentials(conn: ResolvedConnection): string {
  const parts = [];
  if (conn.contextName) parts.push(`context "${conn.contextName}"`);
  if (conn.userName) parts.push(`user "${conn.userName}"`);
  return parts.join(', ') || `server ${conn.server}`;
}
