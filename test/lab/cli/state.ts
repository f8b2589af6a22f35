// Where a lab keeps its state, and how to tell whether its server is alive.
import { readFile } from 'node:fs/promises';
import { request } from 'node:https';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const DEFAULT_STATE_DIR = join(REPO_ROOT, '.lab');

export interface ServerInfo { url: string; pid: number; kserveVersion: string; timeScale: number }

export const stateFiles = (dir: string) => ({
  pid: join(dir, 'pid'),
  info: join(dir, 'server.json'),
  log: join(dir, 'server.log'),
  kubeconfig: join(dir, 'kubeconfig'),
  ca: join(dir, 'pki', 'ca.crt'),
});

/** `--state DIR` from argv, else the default. */
export function stateDirFrom(args: { state?: string }): string {
  return resolve(args.state ?? DEFAULT_STATE_DIR);
}

export async function readServerInfo(dir: string): Promise<ServerInfo | undefined> {
  try {
    return JSON.parse(await readFile(stateFiles(dir).info, 'utf8')) as ServerInfo;
  } catch {
    return undefined;
  }
}

export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** True when the server answers /readyz with 200, trusting only the lab's CA. */
export async function isReady(url: string, caPem: string, timeoutMs = 1000): Promise<boolean> {
  return new Promise((ok) => {
    const req = request(`${url}/readyz`, { ca: caPem, timeout: timeoutMs }, (res) => {
      res.resume();
      ok(res.statusCode === 200);
    });
    req.on('timeout', () => { req.destroy(); ok(false); });
    req.on('error', () => ok(false));
    req.end();
  });
}

/** The running lab in `dir`, if its process is alive and answering. */
export async function runningLab(dir: string): Promise<ServerInfo | undefined> {
  const info = await readServerInfo(dir);
  if (!info || !processAlive(info.pid)) return undefined;
  let ca: string;
  try { ca = await readFile(stateFiles(dir).ca, 'utf8'); } catch { return undefined; }
  return (await isReady(info.url, ca)) ? info : undefined;
}
