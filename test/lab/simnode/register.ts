// The simulated nodes' one-line registration in the lab's composition root (server.ts main), after
// the kubelet: it adds the Node objects, starts the simulated kubelet and routes exec and logs of
// pods on those nodes to it.
import { join } from 'node:path';
import type { Runtime } from '../apiserver/handler.ts';
import type { MemoryStore } from '../apiserver/store.ts';
import type { ExecRunner, LogSource } from '../types.ts';
import { startSimKubelet } from './kubelet.ts';
import { DEFAULT_SIM_NODE, simulatedNode } from './node.ts';

export interface SimNodeHost {
  store: MemoryStore;
  runtime: Runtime;
  setExecRunner(runner: ExecRunner): void;
  setLogSource(source: LogSource): void;
  onShutdown(hook: () => Promise<void> | void): void;
}

export async function registerSimNodes(lab: SimNodeHost, opts: { stateDir: string; nodes?: string[] }): Promise<void> {
  for (const name of opts.nodes ?? [DEFAULT_SIM_NODE]) {
    if (lab.store.get('nodes', undefined, name)) continue;
    const node = simulatedNode(name);
    const created = await lab.store.create('nodes', node);
    await lab.store.updateStatus('nodes', { ...created, status: node.status });
  }
  const sim = startSimKubelet(lab.store, { logDir: join(opts.stateDir, 'simnode') });
  lab.setExecRunner(sim.execRunner(lab.runtime.exec));
  lab.setLogSource(sim.logSource(lab.runtime.logs));
  lab.onShutdown(() => sim.stop());
}
