// `lab down [--state DIR]`: stops the lab server (its shutdown hooks stop what it started) and
// waits until the process is gone.
import { readFile, rm } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { execa } from 'execa';
import { commandOnPath } from '../host.ts';
import { runcDelete, runcList } from '../kubelet/runc.ts';
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
  // `up` starts the server detached, so it leads its own process group, which its children
  // (registries, HTTP servers) share: after a SIGKILL their shutdown hooks never ran. A pid is not
  // reused while its group has members, so this reaches only what the server left behind.
  if (pid > 0) killGroup(pid);
  // Containers of its pods are runc's, outside that group: remove the ones whose bundles are ours.
  if (commandOnPath('runc')) {
    for (const c of await runcList()) if (c.bundle.startsWith(`${dir}/`)) await runcDelete(c.id);
  }
  // And their root filesystems (overlay mounts), deepest first, so the state dir can be removed.
  for (const mountPoint of await mountPointsUnder(dir)) await execa('umount', ['-l', mountPoint], { reject: false });
  await rm(files.pid, { force: true });
  await rm(files.info, { force: true });
  return true;
}

async function mountPointsUnder(dir: string): Promise<string[]> {
  const mounts = await readFile('/proc/mounts', 'utf8').catch(() => '');
  return mounts
    .split('\n')
    .map((line) => (line.split(' ')[1] ?? '').replace(/\\040/g, ' '))
    .filter((point) => point.startsWith(`${dir}/`))
    .sort((a, b) => b.length - a.length);
}

function killGroup(pgid: number): void {
  try {
    process.kill(-pgid, 'SIGKILL');
  } catch {
    // ESRCH: nothing of the group is left.
  }
}

export async function run(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { state: { type: 'string' } } });
  const stopped = await down(values);
  console.log(stopped ? 'lab stopped' : 'no lab running');
  return 0;
}
