// The lab's kubeconfig: one cluster reached over TLS with the lab CA, and three users as real clusters
// have them: a token admin, a read-only support user, and an SSO user whose token comes from an exec
// credential plugin (test/lab/sso-credential.sh), as EKS/GKE/AKS kubeconfigs work.
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { tokenOf, type TokenTable } from './auth.ts';

export const CLUSTER = 'lab';
export const CONTEXTS = { admin: 'lab-admin', support: 'lab-support', sso: 'lab-sso' } as const;

export const SSO_CREDENTIAL_PLUGIN = fileURLToPath(new URL('../sso-credential.sh', import.meta.url));

/** Writes `stateDir/kubeconfig` (mode 0600) and returns its absolute path. */
export async function writeKubeconfig(stateDir: string, serverUrl: string, caCertPem: string, tokens: TokenTable): Promise<string> {
  const absState = resolve(stateDir);
  const context = (name: string, user: string) => ({ name, context: { cluster: CLUSTER, user, namespace: 'default' } });
  const config = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: CLUSTER, cluster: { server: serverUrl, 'certificate-authority-data': Buffer.from(caCertPem).toString('base64') } }],
    users: [
      { name: 'admin', user: { token: tokenOf(tokens, 'admin') } },
      { name: 'support', user: { token: tokenOf(tokens, 'support') } },
      {
        name: 'sso',
        user: {
          exec: {
            apiVersion: 'client.authentication.k8s.io/v1',
            command: SSO_CREDENTIAL_PLUGIN,
            args: [absState],
            interactiveMode: 'Never',
            provideClusterInfo: false,
            installHint: 'The lab SSO plugin is test/lab/sso-credential.sh in the kubectl-modelcar repository.',
          },
        },
      },
    ],
    contexts: [context(CONTEXTS.admin, 'admin'), context(CONTEXTS.support, 'support'), context(CONTEXTS.sso, 'sso')],
    'current-context': CONTEXTS.admin,
    preferences: {},
  };
  await mkdir(absState, { recursive: true });
  const path = join(absState, 'kubeconfig');
  await writeFile(path, stringify(config), { mode: 0o600 });
  return path;
}
