// `lab up [--state DIR] [--kserve-version vX] [--time-scale N]`: starts the lab server detached,
// waits until it answers, writes DIR/kubeconfig and prints the export line. A live lab is reused.
import { spawn } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mkdir, open, readFile, rm, writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { loadTokens } from '../apiserver/auth.ts';
import { ensurePki } from '../apiserver/certs.ts';
import { writeKubeconfig } from '../apiserver/kubeconfig.ts';
import { serverScript } from './server-bundle.ts';
import { isReady, processAlive, readServerInfo, runningLab, stateDirFrom, stateFiles, type ServerInfo } from './state.ts';

export const describe = 'start the lab (API server, controllers) and print `export KUBECONFIG=...`';

const SERVER_MAIN = fileURLToPath(new URL('../server.ts', import.meta.url));
const START_TIMEOUT_MS = 30_000;

export interface UpOptions { state?: string; kserveVersion?: string; timeScale?: string }

/** Starts (or finds) the lab in the state dir; returns the kubeconfig path. */
export async function up(opts: UpOptions): Promise<string> {
  const dir = stateDirFrom(opts);
  const files = stateFiles(dir);
  await mkdir(dir, { recursive: true });
  let info: ServerInfo | undefined = await runningLab(dir);
  if (!info) {
    await rm(files.info, { force: true });
    const log = await open(files.log, 'a');
    const args = [await serverScript(SERVER_MAIN), '--state', dir];
    if (opts.kserveVersion) args.push('--kserve-version', opts.kserveVersion);
    if (opts.timeScale) args.push('--time-scale', opts.timeScale);
    // Node's compile cache keeps the type-stripped, compiled modules: it halves the server's start.
    const env = { ...process.env, NODE_COMPILE_CACHE: process.env.NODE_COMPILE_CACHE ?? join(tmpdir(), 'node-compile-cache') };
    const child = spawn(process.execPath, args, { detached: true, stdio: ['ignore', log.fd, log.fd], env });
    child.unref();
    await log.close();
    await writeFile(files.pid, `${child.pid}\n`);
    info = await waitForServer(dir, child.pid!);
  }
  // The server made the PKI (on a new state dir) before it announced itself: this only reads it.
  const [pki, tokens] = await Promise.all([ensurePki(dir), loadTokens(dir)]);
  return writeKubeconfig(dir, info.url, pki.caCertPem, tokens);
}

/** Waits for server.json, then for /readyz over TLS with the CA the server made (it writes
 *  server.json only after its PKI is in place). */
async function waitForServer(dir: string, pid: number): Promise<ServerInfo> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    const info = await readServerInfo(dir);
    const ca = info && (await readFile(stateFiles(dir).ca, 'utf8').catch(() => undefined));
    if (info && ca && (await isReady(info.url, ca))) return info;
    if (!processAlive(pid)) throw new Error(`lab server exited during start; see ${stateFiles(dir).log}`);
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`lab server did not become ready within ${START_TIMEOUT_MS / 1000}s; see ${stateFiles(dir).log}`);
}

export async function run(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: { state: { type: 'string' }, 'kserve-version': { type: 'string' }, 'time-scale': { type: 'string' } },
  });
  const kubeconfig = await up({ state: values.state, kserveVersion: values['kserve-version'], timeScale: values['time-scale'] });
  console.log(`export KUBECONFIG=${kubeconfig}`);
  return 0;
}
