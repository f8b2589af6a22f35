// kubectl's global connection flags as a yargs option group shared by every command that talks to a
// cluster. Kept apart from kubeconfig.ts so that registering commands loads nothing else.
import type { Argv } from 'yargs';

/** kubectl's global connection flags, as parsed by yargs. */
export interface KubeFlags {
  kubeconfig?: string;
  context?: string;
  cluster?: string;
  user?: string;
  namespace?: string;
  server?: string;
  token?: string;
  as?: string;
  /** Repeatable; yargs gives a string for one and an array for several. */
  'as-group'?: string | string[];
  'as-uid'?: string;
  'certificate-authority'?: string;
  'client-certificate'?: string;
  'client-key'?: string;
  'insecure-skip-tls-verify'?: boolean;
  'tls-server-name'?: string;
  'request-timeout'?: string;
}

const GROUP = 'Kubernetes connection flags (as in kubectl):';

/** Adds kubectl's flag set to a command. */
export function withKubeFlags<T>(y: Argv<T>): Argv<T & KubeFlags> {
  return y
    .option('kubeconfig', { type: 'string', describe: 'Path to the kubeconfig file (default: $KUBECONFIG, else ~/.kube/config)', group: GROUP })
    .option('context', { type: 'string', describe: 'The kubeconfig context to use', group: GROUP })
    .option('cluster', { type: 'string', describe: 'The kubeconfig cluster to use', group: GROUP })
    .option('user', { type: 'string', describe: 'The kubeconfig user to use', group: GROUP })
    .option('namespace', { alias: 'n', type: 'string', describe: 'Namespace of the InferenceService', group: GROUP })
    .option('server', { alias: 's', type: 'string', describe: 'Address and port of the Kubernetes API server', group: GROUP })
    .option('token', { type: 'string', describe: 'Bearer token for authentication to the API server', group: GROUP })
    .option('as', { type: 'string', describe: 'Username to impersonate', group: GROUP })
    .option('as-group', { type: 'string', describe: 'Group to impersonate (repeatable: --as-group a --as-group b)', group: GROUP })
    .option('as-uid', { type: 'string', describe: 'UID to impersonate', group: GROUP })
    .option('certificate-authority', { type: 'string', describe: 'Path to a CA certificate file', group: GROUP })
    .option('client-certificate', { type: 'string', describe: 'Path to a client certificate file for TLS', group: GROUP })
    .option('client-key', { type: 'string', describe: 'Path to a client key file for TLS', group: GROUP })
    .option('insecure-skip-tls-verify', { type: 'boolean', describe: "Don't verify the server's certificate", group: GROUP })
    .option('tls-server-name', { type: 'string', describe: 'Server name for certificate validation', group: GROUP })
    .option('request-timeout', { type: 'string', describe: 'Time to wait for one API request (1s, 2m, 3h; 0 = no limit; default 30s, where kubectl waits forever)', default: '30s', group: GROUP }) as unknown as Argv<T & KubeFlags>;
}

