// `npm run bench -- <name>` runs bench/<name>.ts; with no name, lists them.
import { readdir } from 'node:fs/promises';
import path from 'node:path';

const dir = import.meta.dirname;
const benches = (await readdir(dir)).filter((f) => f.endsWith('.ts') && !['run.ts', 'stats.ts'].includes(f)).map((f) => f.slice(0, -3));
const name = process.argv[2];
if (!name || !benches.includes(name)) {
  console.log(`usage: npm run bench -- <${benches.join('|')}> [options]`);
  process.exit(name ? 2 : 0);
}
process.argv.splice(2, 1);
await import(path.join(dir, `${name}.ts`));
