#!/usr/bin/env node
// The CLI: parses kubectl-style flags, dispatches to one module per command, maps errors to exit codes.
import yargs, { type Argv } from 'yargs';
import { hideBin } from 'yargs/helpers';
import * as inspect from './commands/inspect.ts';
import * as version from './commands/version.ts';

const EXIT_USAGE = 2;

/** An error the CLI prints as one line (plus the RBAC rule for Forbidden) with its own exit code. */
interface CliError {
  message: string;
  exitCode?: number;
}

function hasExitCode(err: unknown): err is CliError & { exitCode: number } {
  return err instanceof Error && typeof (err as CliError).exitCode === 'number';
}

/** yargs renders the whole help text (cliui layout, string widths: a tenth of `inspect`'s start-up)
 *  each time a command handler starts, and keeps it for a later showHelp(), which only a fail() that
 *  prints help would call. Ours throws instead, so the text is never used: don't make it. `--help`
 *  itself does not go through this. */
function skipHelpCacheOnCommands(cli: Argv): void {
  const internals = (cli as unknown as { getInternalMethods?: () => { getUsageInstance?: () => { cacheHelpMessage?: () => void } } }).getInternalMethods?.();
  const usage = internals?.getUsageInstance?.();
  if (usage && typeof usage.cacheHelpMessage === 'function') usage.cacheHelpMessage = () => {};
}

export async function main(argv: string[]): Promise<number> {
  let cli = yargs(argv)
    .scriptName('kubectl modelcar')
    .usage(
      '$0 <command> [flags]\n\nDiagnose KServe InferenceServices that serve their model from an OCI image (modelcars): what is wrong, and the command that fixes it.',
    )
    .strict()
    .demandCommand(1, 'Name a command: see `kubectl modelcar --help`.')
    .recommendCommands()
    .help()
    .alias('h', 'help')
    .version(false)
    .example('kubectl modelcar inspect sklearn-iris-oci -n kserve-test', 'Diagnose one InferenceService')
    .example('kubectl modelcar inspect sklearn-iris-oci --from-file dump.yaml', 'Diagnose it offline from a dump')
    .example('kubectl modelcar version', 'Print the plugin version')
    .epilogue('Run `kubectl modelcar <command> --help` for the flags of a command. Permissions: docs/permissions.md.')
    .wrap(Math.min(110, process.stdout.columns || 100))
    // Parse errors and handler errors both land in main's catch, which picks the exit code.
    .fail((msg, err) => {
      if (err) throw err;
      throw Object.assign(new Error(`${msg} (see kubectl modelcar --help)`), { exitCode: EXIT_USAGE });
    });
  cli = inspect.register(cli);
  cli = version.register(cli);
  skipHelpCacheOnCommands(cli);
  await cli.parseAsync();
  return Number(process.exitCode ?? 0);
}

// `kubectl modelcar inspect x | head` closes the pipe early: that is not an error.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});

// process.exit() drops what is still queued for a pipe (writes to a pipe are asynchronous), which cut
// a large -o json report short: exit once everything written before has been flushed.
const exitAfterFlush = (code: number) => process.stdout.write('', () => process.exit(code));

main(hideBin(process.argv)).then(
  (code) => exitAfterFlush(code),
  (err: unknown) => {
    if (hasExitCode(err)) {
      process.stderr.write(`error: ${err.message}\n`);
      process.exit(err.exitCode);
    }
    // Not an error we anticipated: a bug. Say so, and how to get the details.
    const message = err instanceof Error ? err.message : String(err);
    process.stderr.write(`error: internal error: ${message} (rerun with KUBECTL_MODELCAR_DEBUG=1 for the stack trace, and please report it)\n`);
    if (process.env.KUBECTL_MODELCAR_DEBUG && err instanceof Error) process.stderr.write(`${err.stack}\n`);
    process.exit(EXIT_USAGE);
  },
);
