// The kubelet's one-line registration in the lab's composition root (server.ts main): pods run with
// runc when this process may do it (root, runc installed, a lab registry recorded); otherwise the
// lab keeps its in-process exec runner and pods stay Pending, and the reason is printed once.
import { createHash } from 'node:crypto';
import { join, resolve } from 'node:path';
import { LAB_NODE } from '../bootstrap.ts';
import { createImageStore } from '../images/store.ts';
import { registryInfo } from '../registry/lab-registries.ts';
import type { ExecRunner, ImageStore, LabStore, LogSource } from '../types.ts';
import { canRunPods, removeLeftovers, startKubelet, type Kubelet } from './kubelet.ts';

export interface KubeletHost {
  store: LabStore & { gracefulPodDeletion: boolean };
  setExecRunner(runner: ExecRunner): void;
  setLogSource(source: LogSource): void;
  onShutdown(hook: () => Promise<void> | void): void;
}

/** The node's image store over the registries `lab up` recorded in `stateDir`, if any. */
function nodeImages(stateDir: string): ImageStore | string {
  try {
    const info = registryInfo(stateDir);
    return createImageStore({
      dir: join(stateDir, 'node-images'),
      registryHost: info.host,
      privateRegistryHost: info.privateHost,
    });
  } catch (err) {
    return (err as Error).message;
  }
}

// One prefix per lab state directory: labs side by side never touch each other's containers,
// and a lab restarted on the same directory cleans up what a crashed run left.
const namePrefixFor = (stateDir: string) => `lab${createHash('sha256').update(resolve(stateDir)).digest('hex').slice(0, 8)}`;

/** Starts removing what a kubelet that died on this state dir left (runc containers, mounts, cgroups,
 *  pod files), for registerKubelet's `leftoversRemoved`: it then overlaps the registries' start
 *  (`runc list` alone takes 0.1-0.5 s on a busy machine). Undefined when pods cannot run here. */
export function removeKubeletLeftovers(stateDir: string): Promise<void> | undefined {
  if (!canRunPods().ok) return undefined;
  const removal = removeLeftovers(namePrefixFor(stateDir), join(stateDir, 'kubelet'));
  removal.catch(() => undefined); // awaited (and its error raised) by startKubelet
  return removal;
}

/** Starts the kubelet for node `lab-node` and plugs its exec and logs into the API server; undefined when pods cannot run here. */
export async function registerKubelet(lab: KubeletHost, opts: { stateDir: string; timeScale: number; images?: ImageStore; leftoversRemoved?: Promise<void> }): Promise<Kubelet | undefined> {
  const can = canRunPods();
  const images = opts.images ?? (can.ok ? nodeImages(opts.stateDir) : undefined);
  const reason = !can.ok ? can.reason : typeof images === 'string' ? images : undefined;
  if (reason || !images || typeof images === 'string') {
    console.error(`lab: pods will not run (${reason}); exec uses the in-process runner`);
    return undefined;
  }
  const kubelet = await startKubelet(lab.store, {
    nodeName: LAB_NODE,
    stateDir: join(opts.stateDir, 'kubelet'),
    images,
    timeScale: opts.timeScale,
    namePrefix: namePrefixFor(opts.stateDir),
    ...(opts.leftoversRemoved ? { leftoversRemoved: opts.leftoversRemoved } : {}),
  });
  // With a kubelet, deleting a pod makes it Terminating; the kubelet confirms the delete when its containers are gone.
  lab.store.gracefulPodDeletion = true;
  lab.setExecRunner(kubelet.execRunner);
  lab.setLogSource(kubelet.logSource);
  lab.onShutdown(() => kubelet.stop());
  return kubelet;
}
