// `kubectl modelcar inspect <isvc>`: gather (or load) -> runChecks -> buildReport -> render -> exit code.
// The yargs wiring is thin; `inspect()` is the programmatic core. Everything heavy is imported when the
// command runs, so `--help` and `version` stay fast.
import type { Argv } from 'yargs';
import { withKubeFlags, type KubeFlags } from '../cluster/flags.ts';
import type { ColorMode } from '../render/color.ts';
import type { OutputFormat } from '../render/report.ts';

export interface InspectOptions extends KubeFlags {
  isvc: string;
  pod?: string;
  output: OutputFormat;
  quiet: boolean;
  failOn: 'fail' | 'warn';
  fromFile?: string[];
  dump?: string;
  kserveNamespace?: string;
  kserveVersion?: string;
  verbosity: number;
  color: ColorMode;
  /** `--ephemeral`: probe through an ephemeral debug container when exec into the runtime cannot. */
  ephemeral?: boolean;
  /** `--yes`: add it without asking. */
  yes?: boolean;
  ephemeralImage?: string;
}

/** Where output goes; tests pass their own. */
export interface Io {
  stdout(text: string): void;
  stderr(text: string): void;
  stdoutIsTTY: boolean;
  columns?: number;
  env: NodeJS.ProcessEnv;
  /** Whether a person can answer a question (stdin and stderr are terminals). */
  interactive?: boolean;
  /** Asks on stderr, answers the line read from stdin. */
  ask?: (question: string) => Promise<string>;
}

export const processIo = (): Io => ({
  stdout: (t) => process.stdout.write(t),
  stderr: (t) => process.stderr.write(t),
  stdoutIsTTY: process.stdout.isTTY === true,
  columns: process.stdout.columns,
  env: process.env,
  interactive: process.stdin.isTTY === true && process.stderr.isTTY === true,
  ask: async (question) => {
    // Not import(): the bundled plugin has no dynamic-import callback for builtins (ERR_VM_DYNAMIC_IMPORT_CALLBACK_MISSING).
    const { createInterface } = process.getBuiltinModule('node:readline/promises');
    const rl = createInterface({ input: process.stdin, output: process.stderr });
    try {
      return await rl.question(question);
    } finally {
      rl.close();
    }
  },
});

/** Runs the command and answers its exit code (0 ok, 1 a check failed, 4 incomplete). Errors that stop
 *  the run are thrown as PluginError with their own code (2 usage / missing object, 3 cluster). */
export async function inspect(opts: InspectOptions, io: Io): Promise<number> {
  const [{ runChecks }, { buildReport, exitCode }, { renderReport }, { useColor }] = await Promise.all([
    import('../../shared/checks/index.ts'),
    import('../../shared/report.ts'),
    import('../render/report.ts'),
    import('../render/color.ts'),
  ]);
  const snapshot = opts.fromFile?.length ? await loadOffline(opts) : await gatherLive(opts, io);
  const report = buildReport(snapshot, runChecks(snapshot));
  io.stdout(
    renderReport(report, {
      output: opts.output,
      quiet: opts.quiet,
      verbosity: opts.verbosity,
      color: useColor(opts.color, io.stdoutIsTTY, io.env),
      width: io.columns,
    }),
  );
  return exitCode(report, opts.failOn);
}

async function loadOffline(opts: InspectOptions) {
  const { UsageError } = await import('../cluster/errors.ts');
  if (opts.dump) throw new UsageError('--dump writes what a live cluster shows: drop --from-file, or drop --dump to inspect the file');
  if (opts.ephemeral) throw new UsageError('--ephemeral runs the in-pod checks on a live cluster: drop --from-file');
  const { loadSnapshot } = await import('../cluster/dump.ts');
  return loadSnapshot(opts.fromFile!, { namespace: opts.namespace, name: opts.isvc, pod: opts.pod }, { kserveNamespace: opts.kserveNamespace, kserveVersion: opts.kserveVersion });
}

async function gatherLive(opts: InspectOptions, io: Io) {
  const [{ connectionFromFlags }, { KubeClient }, { gather }, ephemeral] = await Promise.all([
    import('../cluster/kubeconfig.ts'),
    import('../cluster/client.ts'),
    import('../cluster/gather.ts'),
    opts.ephemeral ? import('../cluster/ephemeral.ts') : undefined,
  ]);
  const conn = connectionFromFlags(opts, io.env);
  const client = await KubeClient.connect(conn, { verbosity: opts.verbosity, write: (l) => io.stderr(`${l}\n`) });
  const started = performance.now();
  const snapshot = await gather(
    client,
    { namespace: conn.namespace, name: opts.isvc, pod: opts.pod },
    {
      kserveNamespace: opts.kserveNamespace,
      kserveVersion: opts.kserveVersion,
      progress: opts.verbosity >= 2 ? (l) => io.stderr(`${l}\n`) : undefined,
      ephemeral: ephemeral
        ? (pod, runtime, paths, why) =>
            ephemeral.probeViaEphemeral(client, pod, runtime, paths, why, {
              image: opts.ephemeralImage ?? ephemeral.DEFAULT_EPHEMERAL_IMAGE,
              yes: opts.yes === true,
              interactive: io.interactive === true,
              ask: io.ask ?? (async () => ''),
              timeoutMs: conn.requestTimeoutMs > 0 ? conn.requestTimeoutMs : 60_000,
              // Said on stderr even without -v: the pod is being changed.
              progress: (l) => io.stderr(`${l}\n`),
            })
        : undefined,
    },
  );
  client.close();
  if (opts.verbosity >= 6) io.stderr(`gathered in ${Math.round(performance.now() - started)} ms with ${client.requests} API requests\n`);
  if (opts.dump) {
    const { writeDump } = await import('../cluster/dump.ts');
    writeDump(snapshot, opts.dump);
    io.stderr(`wrote ${opts.dump} (Secrets left out, tokens and credentials redacted); read it back with: kubectl modelcar inspect ${opts.isvc} --from-file ${opts.dump}\n`);
  }
  return snapshot;
}

interface InspectArgv extends KubeFlags {
  isvc: string;
  pod?: string;
  output: OutputFormat;
  quiet: boolean;
  'fail-on': 'fail' | 'warn';
  'from-file'?: string | string[];
  dump?: string;
  'kserve-namespace'?: string;
  'kserve-version'?: string;
  v: number;
  color: ColorMode;
  ephemeral: boolean;
  yes: boolean;
  'ephemeral-image'?: string;
}

export function register(cli: Argv): Argv {
  return cli.command(
    'inspect <isvc>',
    'Diagnose one InferenceService that serves its model from an OCI image (modelcar)',
    (y) =>
      withKubeFlags(
        y
          .positional('isvc', { type: 'string', describe: 'Name of the InferenceService', demandOption: true })
          .option('pod', { type: 'string', describe: 'Inspect only this pod of the InferenceService' })
          .option('output', { alias: 'o', choices: ['table', 'json', 'yaml'] as const, default: 'table' as const, describe: 'Output format' })
          .option('quiet', { alias: 'q', type: 'boolean', default: false, describe: 'Print only the summary line' })
          .option('fail-on', { choices: ['fail', 'warn'] as const, default: 'fail' as const, describe: 'Exit 1 on failures only, or on warnings too' })
          .option('from-file', { alias: 'f', type: 'string', describe: 'Inspect offline: a dump, a YAML/JSON List, or a cluster-info dump directory (repeatable: -f a -f b; - for stdin)' })
          .option('dump', { type: 'string', describe: 'Also write what offline mode needs to this file (Secrets left out, credentials redacted)' })
          .option('kserve-namespace', { type: 'string', describe: 'Namespace of the KServe controller (default: found from its pods, else kserve)' })
          .option('kserve-version', { type: 'string', describe: 'KServe version to assume (default: the controller image tag)' })
          .option('v', { alias: 'verbosity', type: 'number', default: 0, describe: '1: passed checks and evidence; 6: API requests; 8: bodies (credentials redacted)' })
          .option('ephemeral', { type: 'boolean', default: false, describe: 'When exec into the runtime cannot run the checks (no shell, not running): run them in an ephemeral debug container added to the pod (asks first; it stays in the pod spec until the pod is deleted)' })
          .option('yes', { alias: 'y', type: 'boolean', default: false, describe: 'With --ephemeral: add the container without asking (needed without a terminal)' })
          .option('ephemeral-image', { type: 'string', describe: 'Image of the ephemeral container (default busybox:1.36; needs sh, ls, find, stat)' })
          .option('color', { choices: ['auto', 'always', 'never'] as const, default: 'auto' as const, describe: 'Colour the table (auto: only on a terminal, not with NO_COLOR)' })
          .example('kubectl modelcar inspect sklearn-iris-oci -n kserve-test', 'Check everything about one InferenceService')
          .example('kubectl modelcar inspect sklearn-iris-oci -n kserve-test -o json', 'The same as a JSON Report')
          .example('kubectl modelcar inspect sklearn-iris-oci -n kserve-test --dump case.yaml', 'Also write a redacted dump to send')
          .example('kubectl modelcar inspect sklearn-iris-oci --from-file case.yaml', 'Inspect that dump offline')
          .example('kubectl modelcar inspect sklearn-iris-oci --ephemeral', 'Runtime without a shell: check inside the pod through a debug container')
          .epilogue(
            'Exit codes: 0 nothing failed; 1 a check failed (--fail-on warn: or warned); 2 bad usage, unreadable input or no such InferenceService; 3 the cluster could not be reached or rejected the credentials; 4 nothing failed but the report is incomplete.\nPermissions needed: docs/permissions.md.',
          ),
      ),
    async (argv) => {
      const a = argv as unknown as InspectArgv;
      process.exitCode = await inspect(
        {
          ...a,
          isvc: a.isvc,
          failOn: a['fail-on'],
          fromFile: a['from-file'] === undefined ? undefined : ([] as string[]).concat(a['from-file']),
          kserveNamespace: a['kserve-namespace'],
          kserveVersion: a['kserve-version'],
          ephemeralImage: a['ephemeral-image'],
          verbosity: Number.isFinite(a.v) ? a.v : 0,
        },
        processIo(),
      );
    },
  );
}
