import type { Argv } from 'yargs';
import { VERSION, COMMIT } from '../../shared/version.ts';

export interface VersionInfo {
  apiVersion: 'kubectl-modelcar/v1';
  kind: 'Version';
  version: string;
  commit: string;
  node: string;
  platform: string;
}

export function versionInfo(): VersionInfo {
  return {
    apiVersion: 'kubectl-modelcar/v1',
    kind: 'Version',
    version: VERSION,
    commit: COMMIT,
    node: process.versions.node,
    platform: `${process.platform}/${process.arch}`,
  };
}

export function register(cli: Argv): Argv {
  return cli.command(
    'version',
    'Print the plugin version',
    (y) => y.option('output', { alias: 'o', choices: ['text', 'json'] as const, default: 'text' as const }),
    (args) => {
      const info = versionInfo();
      if (args.output === 'json') process.stdout.write(JSON.stringify(info, null, 2) + '\n');
      else process.stdout.write(`kubectl-modelcar ${info.version} (commit ${info.commit}, node ${info.node}, ${info.platform})\n`);
    },
  );
}
