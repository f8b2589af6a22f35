// The fault switchboard's registration in the lab's composition root (server.ts main): the pod-fault
// request filter, admission step and the exec runner that can hang.
import type { RequestFilter, Runtime } from '../apiserver/handler.ts';
import type { MemoryStore } from '../apiserver/store.ts';
import type { AdmissionPlugin, ExecRunner } from '../types.ts';
import { faultFilter } from './http.ts';
import { podFaultAdmission } from './pod-faults.ts';
import { switchboardOf } from './switchboard.ts';

export interface FaultHost {
  store: MemoryStore;
  runtime: Runtime;
  addAdmission(plugin: AdmissionPlugin): void;
  addRequestFilter(filter: RequestFilter): void;
  setExecRunner(runner: ExecRunner): void;
}

/** An exec that never finishes: no status frame; it ends only when the client goes away. Exec
 *  requests carry no user here, so exec-hang is scoped by namespace and pod name. */
function hangingExec(store: MemoryStore, inner: ExecRunner | undefined): ExecRunner {
  return {
    exec(req) {
      const hang = switchboardOf(store).fire({ verb: 'create', resource: 'pods/exec', namespace: req.namespace, name: req.pod.metadata.name, user: '' }, ['exec-hang']);
      if (!hang.length) {
        if (!inner) return Promise.reject(new Error('no exec runner'));
        return inner.exec(req);
      }
      return new Promise((_, reject) => {
        const gone = () => reject(new Error('exec client went away'));
        (req.stdout ?? req.stderr)?.once('close', gone);
        req.stdin?.once('close', gone);
      });
    },
  };
}

export function registerFaults(lab: FaultHost): void {
  lab.addRequestFilter(faultFilter(lab.store));
  lab.addAdmission(podFaultAdmission());
  lab.setExecRunner(hangingExec(lab.store, lab.runtime.exec));
}
