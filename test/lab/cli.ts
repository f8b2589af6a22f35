// `npm run lab -- <command>`: a dispatcher over test/lab/cli/<command>.ts. To add a command, add a
// module exporting `describe` and `run(argv): Promise<number>`, and one line below.
import { enableCompileCache } from 'node:module';

// The subcommands below load through Node's compile cache (type stripping and compilation reused).
enableCompileCache();

interface Command { describe: string; run(argv: string[]): Promise<number> }

const COMMANDS: Record<string, () => Promise<Command>> = {
  up: () => import('./cli/up.ts'),
  down: () => import('./cli/down.ts'),
  status: () => import('./cli/status.ts'),
  image: () => import('./cli/image.ts'),
  populate: () => import('./cli/populate.ts'),
  fault: () => import('./cli/fault.ts'),
};

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  const load = name ? COMMANDS[name] : undefined;
  if (!load) {
    const lines = await Promise.all(Object.entries(COMMANDS).map(async ([n, l]) => `  ${n.padEnd(12)} ${(await l()).describe}`));
    console.error(`usage: npm run lab -- <command> [options]\n\ncommands:\n${lines.join('\n')}`);
    return name ? 2 : 0;
  }
  return (await load()).run(rest);
}

main(process.argv.slice(2)).then((code) => { process.exitCode = code; }, (err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exitCode = 1;
});
