import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { UserInfo } from '../types.ts';
import { authenticate, impersonate, issueToken, loadTokens, selfSubjectReview, tokenOf, TOKENS_FILE, type AuthorizeFn } from './auth.ts';
import { ApiError } from './errors.ts';
import type { AuthzAttributes } from './rbac.ts';

describe('tokens', async () => {
  const stateDir = await mkdtemp(join(tmpdir(), 'lab-auth-'));
  afterAll(() => rm(stateDir, { recursive: true, force: true }));
  const tokens = await loadTokens(stateDir);
  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

  it('gives each built-in user its own token, kept private in the state dir and reused', async () => {
    const admin = tokenOf(tokens, 'admin');
    expect(new Set(['admin', 'support', 'sso-user'].map((u) => tokenOf(tokens, u))).size).toBe(3);
    expect((await stat(join(stateDir, TOKENS_FILE))).mode & 0o777).toBe(0o600);
    expect(JSON.parse(await readFile(join(stateDir, TOKENS_FILE), 'utf8')).admin).toBe(admin);
    expect(tokenOf(await loadTokens(stateDir), 'admin')).toBe(admin);
  });

  it('authenticates a bearer token as its user with the user\'s groups', () => {
    expect(authenticate(bearer(tokenOf(tokens, 'admin')), tokens)).toEqual({ username: 'admin', groups: ['system:masters', 'system:authenticated'] });
    expect(authenticate(bearer(tokenOf(tokens, 'sso-user')), tokens)?.groups).toContain('sso:engineers');
  });

  it('rejects an unknown token', () => {
    expect(authenticate(bearer('wrong'), tokens)).toBeNull();
  });

  it('treats a request without a bearer token as system:anonymous, as --anonymous-auth does', () => {
    expect(authenticate({}, tokens)).toEqual({ username: 'system:anonymous', groups: ['system:unauthenticated'] });
    expect(authenticate({ authorization: `Basic ${tokenOf(tokens, 'admin')}` }, tokens)?.username).toBe('system:anonymous');
  });

  it('accepts the token as a WebSocket subprotocol, as kube-apiserver does for browsers', () => {
    const encoded = Buffer.from(tokenOf(tokens, 'support')).toString('base64url');
    const headers = { 'sec-websocket-protocol': `v5.channel.k8s.io, base64url.bearer.authorization.k8s.io.${encoded}` };
    expect(authenticate(headers, tokens)?.username).toBe('support');
  });

  it('stops accepting a token once its lifetime is over', () => {
    const start = Date.now();
    const token = issueToken(tokens, { username: 'temp', groups: ['system:authenticated'] }, 30, start);
    expect(authenticate(bearer(token), tokens, start + 29_999)?.username).toBe('temp');
    expect(authenticate(bearer(token), tokens, start + 30_000)).toBeNull();
  });
});

describe('impersonate', () => {
  const boss: UserInfo = { username: 'boss', groups: ['system:authenticated'] };
  const asked: AuthzAttributes[] = [];
  // Allows impersonating anything but the user "root" and the group "wheel".
  const authorizeFn: AuthorizeFn = (_user, attrs) => {
    asked.push(attrs);
    const name = 'resource' in attrs ? attrs.name : undefined;
    return { allowed: name !== 'root' && name !== 'wheel', reason: '' };
  };

  it('returns the requester unchanged without impersonation headers', () => {
    expect(impersonate(boss, {}, authorizeFn)).toBe(boss);
  });

  it('becomes the named user with the named groups, authenticated, after checking each', () => {
    asked.length = 0;
    const user = impersonate(boss, { 'impersonate-user': 'alice', 'impersonate-group': 'devs, ops', 'impersonate-uid': 'u-1' }, authorizeFn);
    expect(user).toEqual({ username: 'alice', groups: ['devs', 'ops', 'system:authenticated'], uid: 'u-1' });
    expect(asked).toEqual([
      { verb: 'impersonate', apiGroup: '', resource: 'users', name: 'alice' },
      { verb: 'impersonate', apiGroup: '', resource: 'groups', name: 'devs' },
      { verb: 'impersonate', apiGroup: '', resource: 'groups', name: 'ops' },
      { verb: 'impersonate', apiGroup: 'authentication.k8s.io', resource: 'uids', name: 'u-1' },
    ]);
  });

  it('keeps repeated group headers apart when given headersDistinct', () => {
    expect(impersonate(boss, { 'impersonate-user': ['alice'], 'impersonate-group': ['a', 'b'] }, authorizeFn).groups).toEqual(['a', 'b', 'system:authenticated']);
  });

  it('checks service accounts in their namespace and adds their groups', () => {
    asked.length = 0;
    const user = impersonate(boss, { 'impersonate-user': 'system:serviceaccount:kserve:ctrl' }, authorizeFn);
    expect(asked).toEqual([{ verb: 'impersonate', apiGroup: '', resource: 'serviceaccounts', namespace: 'kserve', name: 'ctrl' }]);
    expect(user.groups).toEqual(['system:serviceaccounts', 'system:serviceaccounts:kserve', 'system:authenticated']);
  });

  it('refuses with the real Forbidden message', () => {
    const attempt = (headers: Record<string, string>) => {
      try {
        impersonate(boss, headers, authorizeFn);
      } catch (err) {
        return err as ApiError;
      }
      throw new Error('impersonation was allowed');
    };
    const err = attempt({ 'impersonate-user': 'root' });
    expect(err).toBeInstanceOf(ApiError);
    expect(err.code).toBe(403);
    expect(err.message).toBe('users "root" is forbidden: User "boss" cannot impersonate resource "users" in API group "" at the cluster scope');
    expect(attempt({ 'impersonate-user': 'alice', 'impersonate-group': 'wheel' }).message).toBe(
      'groups "wheel" is forbidden: User "boss" cannot impersonate resource "groups" in API group "" at the cluster scope',
    );
  });

  it('refuses groups without a user', () => {
    expect(() => impersonate(boss, { 'impersonate-group': 'devs' }, authorizeFn)).toThrow(ApiError);
  });
});

it('answers kubectl auth whoami with the authenticated user', () => {
  expect(selfSubjectReview({ username: 'alice', groups: ['devs', 'system:authenticated'], uid: 'u-1' })).toEqual({
    apiVersion: 'authentication.k8s.io/v1',
    kind: 'SelfSubjectReview',
    metadata: {},
    status: { userInfo: { username: 'alice', uid: 'u-1', groups: ['devs', 'system:authenticated'] } },
  });
});
