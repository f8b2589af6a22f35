// A lab of a test's own (another KServe version, or one to take down), in a temporary state dir,
// and what of it is left on the host: runc containers, mounts, processes.
import { mkdtemp, readdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { up, type UpOptions } from '../lab/cli/up.ts';
import { down } from '../lab/cli/down.ts';
import { readServerInfo } from '../lab/cli/state.ts';
import { runcList, type RuncState } from '../lab/kubelet/runc.ts';
import { kubectlWith, type Kubectl } from './isvc.ts';

export interface OwnLab { state: string; env: Record<string, string>; kubectl: Kubectl; serverPid: number; down(): Promise<void> }

export async function startOwnLab(opts: Omit<UpOptions, 'state'>): Promise<OwnLab> {
  const state = await mkdtemp(join(tmpdir(), 'own-lab-'));
  let env: Record<string, string>;
  try {
    env = { KUBECONFIG: await up({ ...opts, state }), KUBECACHEDIR: join(state, 'kubecache') };
  } catch (err) {
    // `up` gave up waiting (a loaded machine) but its server may still be starting: take it down.
    await down({ state }).catch(() => undefined);
    throw err;
  }
  const info = await readServerInfo(state);
  return { state, env, kubectl: kubectlWith(env), serverPid: info!.pid, down: async () => { await down({ state }); } };
}

/** The runc containers whose bundles live under `dir`. */
export async function runcContainersUnder(dir: string): Promise<RuncState[]> {
  return (await runcList()).filter((c) => c.bundle.startsWith(dir));
}

/** Lines of /proc/mounts that name a path under `dir`. */
export async function mountsUnder(dir: string): Promise<string[]> {
  return (await readFile('/proc/mounts', 'utf8')).split('\n').filter((l) => l.includes(dir));
}

/** Processes whose command line names `dir` (the server, registries, shims), as `pid cmdline`. */
export async function processesNaming(dir: string): Promise<string[]> {
  const found: string[] = [];
  for (const pid of (await readdir('/proc')).filter((d) => /^\d+$/.test(d))) {
    const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
    if (cmdline.includes(dir)) found.push(`${pid} ${cmdline.replaceAll('\0', ' ').trim()}`);
  }
  return found;
}

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
