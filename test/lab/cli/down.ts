// `lab down [--state DIR]`: stops the lab server (its shutdown hooks stop what it started) and
// waits until the process is gone.
import { readFile, rm } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { processAlive, stateDirFrom, stateFiles } from './state.ts';

export const describe = 'stop the lab and everything it started';

const GRACE_MS = 15_000;

export async function down(opts: { state?: string }): Promise<boolean> {
  const dir = stateDirFrom(opts);
  const files = stateFiles(dir);
  let pid: number;
  try {
    pid = Number((await readFile(files.pid, 'utf8')).trim());
  } catch {
    return false;
  }
  if (pid > 0 && processAlive(pid)) {
    process.kill(pid, 'SIGTERM');
    const deadline = Date.now() + GRACE_MS;
    while (processAlive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
    if (processAlive(pid)) process.kill(pid, 'SIGKILL');
    while (processAlive(pid)) await new Promise((r) => setTimeout(r, 10));
  }
  await rm(files.pid, { force: true });
  await rm(files.info, { force: true });
  return true;
}

export async function run(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { state: { type: 'string' } } });
  const stopped = await down(values);
  console.log(stopped ? 'lab stopped' : 'no lab running');
  return 0;
}
