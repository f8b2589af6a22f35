// The lab's API server process. `startLabServer` is the API server alone; `main` is the
// composition root: it installs the controllers, the runtime parts and the admission plugins,
// bootstraps the cluster and then announces itself in <stateDir>/server.json.
import { createServer, type Server } from 'node:https';
import { writeFile, rename } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { AdmissionPlugin, ExecRunner, LogSource } from './types.ts';
import type { TokenTable } from './apiserver/auth.ts';
import { loadTokens } from './apiserver/auth.ts';
import { ensurePki, type Pki } from './apiserver/certs.ts';
import { createHandlers, type RequestFilter, type Runtime } from './apiserver/handler.ts';
import { inProcessRunner } from './apiserver/inproc-runner.ts';
import { MemoryStore } from './apiserver/store.ts';
import { bootstrap, DEFAULT_KSERVE_VERSION } from './bootstrap.ts';
import { startDeploymentController } from './controllers/deployment.ts';
import { startNamespaceController } from './controllers/namespace.ts';
import { startReplicaSetController } from './controllers/replicaset.ts';
import { startScheduler } from './controllers/scheduler.ts';
import { registerKubelet, removeKubeletLeftovers } from './kubelet/register.ts';
import { registerRegistries } from './registry/register.ts';
import { registerSimNodes } from './simnode/register.ts';
import { registerFaults } from './faults/register.ts';
import { registerPlatform } from './platform/register.ts';
import { startKServeController } from './kserve/controller.ts';
import { kservePodWebhook } from './kserve/webhook.ts';
import { kserveInferenceServiceDefaulter } from './kserve/isvc-defaulter.ts';

export interface LabServerOptions {
  stateDir: string;
  pki: Pki;
  tokens: TokenTable;
  port?: number;
}

export interface LabServer {
  url: string;
  store: MemoryStore;
  /** The exec runner and log source now in place, for parts that wrap them (simulated nodes, faults). */
  readonly runtime: Runtime;
  addAdmission(plugin: AdmissionPlugin): void;
  setExecRunner(runner: ExecRunner): void;
  setLogSource(source: LogSource): void;
  /** Adds a filter that sees every authorised resource request first (fault injection). */
  addRequestFilter(filter: RequestFilter): void;
  /** Runs on close (and so on SIGTERM), last registered first: the kubelet stops its containers here. */
  onShutdown(hook: () => Promise<void> | void): void;
  close(): Promise<void>;
}

export async function startLabServer(opts: LabServerOptions): Promise<LabServer> {
  const store = new MemoryStore();
  const runtime: Runtime = { filters: [] };
  const handlers = createHandlers({ store, tokens: opts.tokens, runtime });
  const server: Server = createServer({ cert: opts.pki.serverCertPem, key: opts.pki.serverKeyPem, keepAlive: true }, handlers.request);
  server.on('upgrade', handlers.upgrade);
  // Watches and follows stay open for long; Node's default timeouts would cut them.
  server.requestTimeout = 0;
  server.headersTimeout = 60_000;
  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(opts.port ?? 0, '127.0.0.1', () => ok());
  });
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('lab server has no TCP address');
  const hooks: Array<() => Promise<void> | void> = [];
  let closing: Promise<void> | undefined;
  return {
    url: `https://127.0.0.1:${address.port}`,
    store,
    runtime,
    addAdmission: (plugin) => store.addAdmission(plugin),
    setExecRunner: (runner) => { runtime.exec = runner; },
    setLogSource: (source) => { runtime.logs = source; },
    addRequestFilter: (filter) => { runtime.filters.push(filter); },
    onShutdown: (hook) => { hooks.push(hook); },
    close: () => {
      closing ??= (async () => {
        for (const hook of hooks.reverse()) {
          try { await hook(); } catch (err) { console.error('lab shutdown hook failed:', err); }
        }
        server.closeAllConnections();
        await new Promise<void>((ok) => server.close(() => ok()));
      })();
      return closing;
    },
  };
}

/** The lab's process: `node test/lab/server.ts --state DIR [--kserve-version vX] [--time-scale N]`. */
async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      state: { type: 'string' },
      port: { type: 'string' },
      'kserve-version': { type: 'string', default: DEFAULT_KSERVE_VERSION },
      'time-scale': { type: 'string', default: '1' },
    },
  });
  if (!values.state) throw new Error('--state DIR is required');
  // Start-up steps in ms since the process started (module loading is the first), for server.log.
  const steps: string[] = [`modules ${Math.round(performance.now())}`];
  let mark = performance.now();
  const step = (name: string): void => { const now = performance.now(); steps.push(`${name} ${Math.round(now - mark)}`); mark = now; };
  const stateDir = resolve(values.state);
  const timeScale = Number(values['time-scale']);
  // The registries (two processes to start, storage to copy) and the PKI (two openssl runs on a new
  // state dir) do not depend on each other: made side by side, the slower one sets the pace.
  // Built images are kept in the repository's .lab/cache (what `lab image prepare` fills), so a lab in a
  // temporary state dir (tests, benchmarks) does not rebuild them.
  const registryHooks: Array<() => Promise<void> | void> = [];
  // What a kubelet that died on this state dir left goes meanwhile too (registerKubelet waits for it).
  const kubeletLeftoversRemoved = removeKubeletLeftovers(stateDir);
  const [, [pki, tokens]] = await Promise.all([
    registerRegistries({ onShutdown: (hook) => registryHooks.push(hook) }, { stateDir, cacheDir: fileURLToPath(new URL('../../.lab/cache/images', import.meta.url)) }),
    Promise.all([ensurePki(stateDir), loadTokens(stateDir)]),
  ]);
  step('registries+pki');
  const lab = await startLabServer({ stateDir, pki, tokens, port: values.port ? Number(values.port) : undefined });
  for (const hook of registryHooks) lab.onShutdown(hook);
  step('listen');

  // Composition root: every part of the lab registers itself here, one line each.
  lab.setExecRunner(inProcessRunner());
  await registerKubelet(lab, { stateDir, timeScale, ...(kubeletLeftoversRemoved ? { leftoversRemoved: kubeletLeftoversRemoved } : {}) }); // runc pods when root with runc; else the in-process runner stays
  step('kubelet');
  await registerSimNodes(lab, { stateDir }); // sim-node-1: pods with statuses and events but no processes
  registerFaults(lab); // the fault switchboard: API request filter, pod-fault admission, hanging exec
  for (const stop of [
    startNamespaceController(lab.store, pki.caCertPem),
    startScheduler(lab.store),
    startReplicaSetController(lab.store),
    startDeploymentController(lab.store, { timeScale }),
    startKServeController(lab.store, { version: values['kserve-version']!, timeScale }),
  ]) lab.onShutdown(stop);
  lab.addAdmission(kservePodWebhook({ version: values['kserve-version']! }));
  lab.addAdmission(kserveInferenceServiceDefaulter({ version: values['kserve-version']! }));
  registerPlatform(lab, { timeScale }); // SCC, Pod Security, LimitRanger after KServe's webhook; event TTL; ODH-like operator

  step('simnodes+controllers');
  await bootstrap(lab.store, { kserveVersion: values['kserve-version'] });
  step('bootstrap');

  const shutdown = (): void => { void lab.close().then(() => process.exit(0)); };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
  const info = join(stateDir, 'server.json');
  await writeFile(`${info}.tmp`, JSON.stringify({ url: lab.url, pid: process.pid, kserveVersion: values['kserve-version'], timeScale }));
  await rename(`${info}.tmp`, info);
  console.log(`lab API server listening on ${lab.url} (start-up ms: ${steps.join(', ')}, total ${Math.round(performance.now())})`);
}

if (import.meta.main) {
  main().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
