#!/usr/bin/env node
// The CLI: parses kubectl-style flags, dispatches to one module per command, maps errors to exit codes.
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import * as version from './commands/version.ts';

export async function main(argv: string[]): Promise<number> {
  let cli = yargs(argv)
    .scriptName('kubectl modelcar')
    .usage('$0 <command> [flags]\n\nDiagnose KServe InferenceServices that serve their model from an OCI image (modelcars).')
    .strict()
    .demandCommand(1, 'Name a command: see `kubectl modelcar --help`.')
    .help()
    .alias('h', 'help')
    .version(false)
    .wrap(Math.min(110, process.stdout.columns || 100));
  cli = version.register(cli);
  await cli.parseAsync();
  return Number(process.exitCode ?? 0);
}

main(hideBin(process.argv)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`error: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(2);
  },
);
