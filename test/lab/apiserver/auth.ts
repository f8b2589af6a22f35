// Authentication by bearer token and impersonation, as kube-apiserver's token-file authenticator and
// impersonation filter do it. Tokens are random, made once per state dir and kept in `tokens.json`
// (mode 0600); only the kubeconfig and the SSO credential plugin hand them out.
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import type { IncomingHttpHeaders } from 'node:http';
import { join } from 'node:path';
import type { KObject, UserInfo } from '../types.ts';
import { ApiError } from './errors.ts';
import { forbiddenError, type AuthzAttributes, type AuthzDecision } from './rbac.ts';

export interface TokenEntry {
  user: UserInfo;
  /** Epoch milliseconds after which the token is rejected (issue 5's expiring tokens). */
  expiresAt?: number;
}

/** Token -> who presents it. */
export type TokenTable = Map<string, TokenEntry>;

/** The lab's built-in users. `sso-user` gets its token from the exec credential plugin, not the kubeconfig. */
export const LAB_USERS: readonly UserInfo[] = [
  { username: 'admin', groups: ['system:masters', 'system:authenticated'] },
  { username: 'support', groups: ['system:authenticated'] },
  { username: 'sso-user', groups: ['sso:engineers', 'system:authenticated'] },
];

export const TOKENS_FILE = 'tokens.json';

/** Loads the built-in users' tokens from `stateDir/tokens.json`, creating any that are missing. */
export async function loadTokens(stateDir: string): Promise<TokenTable> {
  const file = join(stateDir, TOKENS_FILE);
  let byUser: Record<string, string> = {};
  try {
    byUser = JSON.parse(await readFile(file, 'utf8')) as Record<string, string>;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const missing = LAB_USERS.filter((u) => !byUser[u.username]);
  for (const u of missing) byUser[u.username] = newToken();
  if (missing.length > 0) {
    await mkdir(stateDir, { recursive: true });
    await writeFile(file, `${JSON.stringify(byUser, null, 2)}\n`, { mode: 0o600 });
  }
  const table: TokenTable = new Map();
  for (const user of LAB_USERS) table.set(byUser[user.username]!, { user });
  return table;
}

function newToken(): string {
  return randomBytes(24).toString('base64url');
}

/** Adds a token for `user`, valid for `ttlSeconds` when given; returns the token. */
export function issueToken(tokens: TokenTable, user: UserInfo, ttlSeconds?: number, now = Date.now()): string {
  const token = newToken();
  tokens.set(token, ttlSeconds === undefined ? { user } : { user, expiresAt: now + ttlSeconds * 1000 });
  return token;
}

/** The (first non-expiring) token of a built-in user, for writing the kubeconfig. */
export function tokenOf(tokens: TokenTable, username: string): string {
  for (const [token, entry] of tokens) {
    if (entry.user.username === username && entry.expiresAt === undefined) return token;
  }
  throw new Error(`no token for user "${username}"`);
}

// Browsers cannot set headers on WebSockets, so Kubernetes also accepts the token as a subprotocol.
const WS_TOKEN_PROTOCOL = 'base64url.bearer.authorization.k8s.io.';

/** Who a request without a bearer token is: kube-apiserver runs with --anonymous-auth=true by default,
 *  so such requests reach RBAC as system:anonymous (403 Forbidden), not 401. */
export const ANONYMOUS: UserInfo = { username: 'system:anonymous', groups: ['system:unauthenticated'] };

/** The user a request's bearer token names; ANONYMOUS without a token; null for a token that is
 *  unknown or expired (the server then answers 401 Unauthorized). */
export function authenticate(headers: IncomingHttpHeaders, tokens: TokenTable, now = Date.now()): UserInfo | null {
  const token = bearerToken(headers);
  if (token === undefined) return ANONYMOUS;
  const entry = tokens.get(token);
  if (!entry) return null;
  if (entry.expiresAt !== undefined && now >= entry.expiresAt) return null;
  return entry.user;
}

function bearerToken(headers: IncomingHttpHeaders): string | undefined {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(headers.authorization ?? '');
  if (match) return match[1];
  for (const protocol of splitHeader(headers['sec-websocket-protocol'])) {
    if (protocol.startsWith(WS_TOKEN_PROTOCOL)) {
      return Buffer.from(protocol.slice(WS_TOKEN_PROTOCOL.length), 'base64url').toString('utf8');
    }
  }
  return undefined;
}

/** Splits a header Node has joined with ", " (or that comes as an array from `headersDistinct`). */
function splitHeader(value: string | string[] | undefined): string[] {
  if (value === undefined) return [];
  const values = Array.isArray(value) ? value : [value];
  return values.flatMap((v) => v.split(',')).map((v) => v.trim()).filter((v) => v !== '');
}

export type AuthorizeFn = (user: UserInfo, attrs: AuthzAttributes) => AuthzDecision;

const SERVICE_ACCOUNT_PREFIX = 'system:serviceaccount:';

/**
 * Applies Impersonate-User / Impersonate-Group / Impersonate-Uid / Impersonate-Extra-*: checks that `user`
 * may `impersonate` each of them and returns the impersonated user, or `user` when there are no such headers.
 * Accepts `req.headersDistinct` too, so repeated Impersonate-Group headers stay separate.
 */
export function impersonate(
  user: UserInfo,
  headers: IncomingHttpHeaders | NodeJS.Dict<string[]>,
  authorizeFn: AuthorizeFn,
): UserInfo {
  const one = (name: string) => splitHeader(headers[name])[0];
  const username = one('impersonate-user');
  const groups = splitHeader(headers['impersonate-group']);
  const uid = one('impersonate-uid');
  const extraKeys = Object.keys(headers).filter((h) => h.toLowerCase().startsWith('impersonate-extra-'));
  if (username === undefined) {
    if (groups.length > 0 || uid !== undefined || extraKeys.length > 0) {
      throw new ApiError('InternalError', 'Internal error occurred: requested impersonation of groups, a uid or extras without impersonating a user');
    }
    return user;
  }

  const check = (attrs: AuthzAttributes) => {
    const decision = authorizeFn(user, attrs);
    if (!decision.allowed) throw forbiddenError(user, attrs, decision.reason);
  };

  const impersonated: UserInfo = { username, groups: [] };
  if (username.startsWith(SERVICE_ACCOUNT_PREFIX)) {
    const [namespace, name] = username.slice(SERVICE_ACCOUNT_PREFIX.length).split(':');
    check({ verb: 'impersonate', apiGroup: '', resource: 'serviceaccounts', namespace, name });
    impersonated.groups.push('system:serviceaccounts', `system:serviceaccounts:${namespace}`);
  } else {
    check({ verb: 'impersonate', apiGroup: '', resource: 'users', name: username });
  }
  for (const group of groups) {
    check({ verb: 'impersonate', apiGroup: '', resource: 'groups', name: group });
    if (!impersonated.groups.includes(group)) impersonated.groups.push(group);
  }
  if (uid !== undefined) {
    check({ verb: 'impersonate', apiGroup: 'authentication.k8s.io', resource: 'uids', name: uid });
    impersonated.uid = uid;
  }
  for (const key of extraKeys) {
    const extra = key.toLowerCase().slice('impersonate-extra-'.length);
    for (const value of splitHeader(headers[key])) {
      check({ verb: 'impersonate', apiGroup: 'authentication.k8s.io', resource: 'userextras', subresource: extra, name: value });
    }
  }
  // As kube-apiserver does: an impersonated user is authenticated unless it is anonymous or says otherwise.
  const saysAuthenticated = impersonated.groups.some((g) => g === 'system:authenticated' || g === 'system:unauthenticated');
  if (username !== 'system:anonymous' && !saysAuthenticated) {
    impersonated.groups.push('system:authenticated');
  }
  return impersonated;
}

/** The answer to a SelfSubjectReview (`kubectl auth whoami`): who the request was authenticated as. */
export function selfSubjectReview(user: UserInfo): KObject {
  return {
    apiVersion: 'authentication.k8s.io/v1',
    kind: 'SelfSubjectReview',
    metadata: {},
    status: { userInfo: { username: user.username, ...(user.uid ? { uid: user.uid } : {}), groups: user.groups } },
  };
}
