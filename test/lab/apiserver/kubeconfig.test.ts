import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadTokens, tokenOf } from './auth.ts';
import { CONTEXTS, SSO_CREDENTIAL_PLUGIN, writeKubeconfig } from './kubeconfig.ts';

describe('writeKubeconfig', async () => {
  const stateDir = await mkdtemp(join(tmpdir(), 'lab-kubeconfig-'));
  afterAll(() => rm(stateDir, { recursive: true, force: true }));
  const tokens = await loadTokens(stateDir);
  const caCertPem = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
  const path = await writeKubeconfig(stateDir, 'https://127.0.0.1:6443', caCertPem, tokens);

  it('writes a private kubeconfig with the CA, the three users and lab-admin current', async () => {
    expect(path).toBe(join(stateDir, 'kubeconfig'));
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    const kc = new KubeConfig();
    kc.loadFromFile(path);
    expect(kc.getCurrentContext()).toBe(CONTEXTS.admin);
    expect(kc.getContexts().map((c) => [c.name, c.user, c.namespace])).toEqual([
      ['lab-admin', 'admin', 'default'],
      ['lab-support', 'support', 'default'],
      ['lab-sso', 'sso', 'default'],
    ]);
    expect(kc.getCurrentCluster()).toMatchObject({ name: 'lab', server: 'https://127.0.0.1:6443', caData: Buffer.from(caCertPem).toString('base64') });
    expect(kc.getUser('support')?.token).toBe(tokenOf(tokens, 'support'));
  });

  it('gives the SSO user no token of its own, only the exec plugin', async () => {
    const sso = (parse(await readFile(path, 'utf8')) as { users: Array<{ name: string; user: Record<string, unknown> }> }).users.find((u) => u.name === 'sso')!;
    expect(sso.user.token).toBeUndefined();
    expect(sso.user.exec).toMatchObject({ apiVersion: 'client.authentication.k8s.io/v1', command: SSO_CREDENTIAL_PLUGIN, args: [stateDir], interactiveMode: 'Never' });
  });

  it('has a credential plugin that prints an ExecCredential with the sso-user token and a future expiry', async () => {
    const { stdout } = await execa(SSO_CREDENTIAL_PLUGIN, [stateDir]);
    const credential = JSON.parse(stdout);
    expect(credential).toMatchObject({ apiVersion: 'client.authentication.k8s.io/v1', kind: 'ExecCredential', status: { token: tokenOf(tokens, 'sso-user') } });
    expect(Date.parse(credential.status.expirationTimestamp)).toBeGreaterThan(Date.now() + 30 * 60_000);
  });

  it('makes client-node send the plugin\'s token for the lab-sso context', async () => {
    const kc = new KubeConfig();
    kc.loadFromFile(path);
    kc.setCurrentContext(CONTEXTS.sso);
    const opts: { headers?: Record<string, string> } = {};
    await kc.applyToHTTPSOptions(opts);
    expect(opts.headers?.Authorization).toBe(`Bearer ${tokenOf(tokens, 'sso-user')}`);
  });

  it('fails the plugin with a clear message when the lab has no tokens', async () => {
    const result = await execa(SSO_CREDENTIAL_PLUGIN, [join(stateDir, 'nowhere')], { reject: false });
    expect(result.exitCode).not.toBe(0);
    expect(result.stdout).toBe('');
  });
});
