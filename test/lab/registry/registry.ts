// One OCI registry: Debian's `docker-registry` (distribution 2.8) with its own config on a free
// 127.0.0.1 port. Its storage lives under `stateDir`, so images pushed once survive `lab down`/`up`.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { get } from 'node:http';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { execa } from 'execa';
import type { RegistryCredentials } from '../types.ts';

export interface RunningRegistry {
  /** `127.0.0.1:PORT`, as it appears in image references. */
  host: string;
  stop(): Promise<void>;
}

export interface RegistryOptions {
  /** The registry's own directory: data/, config.yml, registry.log, htpasswd, registry.pid. */
  stateDir: string;
  /** Require these credentials (HTTP basic auth over htpasswd) for every request. */
  auth?: RegistryCredentials;
}

export async function startRegistry({ stateDir, auth }: RegistryOptions): Promise<RunningRegistry> {
  mkdirSync(join(stateDir, 'data'), { recursive: true });
  const configPath = join(stateDir, 'config.yml');
  stopStaleRegistry(stateDir, configPath);
  const host = `127.0.0.1:${await freePort()}`;
  const authBlock = auth ? await writeHtpasswd(stateDir, auth) : '';
  writeFileSync(
    configPath,
    [
      'version: 0.1',
      'log: {level: info, formatter: text, accesslog: {disabled: true}}',
      `storage: {filesystem: {rootdirectory: ${join(stateDir, 'data')}}, delete: {enabled: true}}`,
      `http: {addr: "${host}"}`,
      authBlock,
    ].join('\n'),
  );
  const log = { file: join(stateDir, 'registry.log'), append: true };
  const child = execa('docker-registry', ['serve', configPath], { stdin: 'ignore', stdout: log, stderr: log, reject: false });
  writeFileSync(join(stateDir, 'registry.pid'), String(child.pid));
  try {
    await waitUntilServing(host, child);
  } catch (err) {
    child.kill('SIGKILL');
    await child;
    throw err;
  }
  return {
    host,
    async stop() {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
      await child;
      clearTimeout(timer);
    },
  };
}

async function waitUntilServing(host: string, child: { exitCode: number | null }): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`docker-registry exited with ${child.exitCode} before serving ${host}`);
    // 401 is an answer too: the registry is up and asks for credentials.
    const status = await getStatus(`http://${host}/v2/`);
    if (status === 200 || status === 401) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`docker-registry did not answer on ${host} within 10 s`);
}

/** The status of a GET, 0 when nothing answers. node:http, not fetch: the first fetch of a process
 *  loads undici, 0.1 to 0.2 s of `lab up` on a busy machine. */
function getStatus(url: string): Promise<number> {
  return new Promise((resolve) => {
    const req = get(url, { agent: false }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.setTimeout(1000, () => req.destroy());
    req.on('error', () => resolve(0));
  });
}

/** A registry left running by a lab process that died: ours only if its command line names our config. */
function stopStaleRegistry(stateDir: string, configPath: string): void {
  const pidFile = join(stateDir, 'registry.pid');
  if (!existsSync(pidFile)) return;
  const pid = Number(readFileSync(pidFile, 'utf8'));
  try {
    if (readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').includes(configPath)) process.kill(pid, 'SIGKILL');
  } catch {
    // gone already
  }
}

/** docker-registry's htpasswd accepts bcrypt only; perl's crypt() reaches libxcrypt's bcrypt, so no
 *  extra package (apache2-utils) is needed. */
async function writeHtpasswd(stateDir: string, auth: RegistryCredentials): Promise<string> {
  const alphabet = './ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  // The 22nd salt character carries only 2 bits: keep it to one libxcrypt accepts unchanged.
  const salt = [...randomBytes(21)].map((b) => alphabet[b % 64]).join('') + '.';
  const { stdout: hash } = await execa('perl', ['-e', 'print crypt($ENV{PW}, $ENV{SALT})'], {
    env: { PW: auth.password, SALT: `$2b$05$${salt}` },
  });
  if (!hash.startsWith('$2b$05$')) throw new Error(`perl crypt() produced no bcrypt hash (${hash.slice(0, 7)})`);
  const path = join(stateDir, 'htpasswd');
  writeFileSync(path, `${auth.username}:${hash}\n`, { mode: 0o600 });
  return `auth: {htpasswd: {realm: lab-private-registry, path: ${path}}}`;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}
