// Pod faults that shape the pod itself: an admission step that changes new pods in a fault's scope,
// so the kubelet then runs them as such a pod would run on a hardened or broken node.
//   readonly-rootfs: securityContext.readOnlyRootFilesystem on the container(s): writes give EROFS.
//   full-volume:     a size-limited emptyDir (tmpfs, default 1Mi) at `path` (default /tmp): ENOSPC.
//   no-shell:        the container's image becomes one without sh or ls (distroless-like).
//   noexec-tmp:      /tmp is a tmpfs mounted noexec (the kubelet's fault annotation): copied binaries cannot run.
// Pods made by controllers are created by the lab's system user: scope them by namespace or name.
import { LAB_IMAGES } from '../images/catalog.ts';
import { FAULT_ANNOTATIONS } from '../kubelet/faults.ts';
import type { Container, Pod } from '../kubelet/pod-types.ts';
import type { AdmissionPlugin, KObject } from '../types.ts';
import { switchboardOf, type FaultAction } from './switchboard.ts';

const FULL_VOLUME = 'lab-fault-full-volume';

export function podFaultAdmission(): AdmissionPlugin {
  return {
    name: 'LabPodFaults',
    admit(req) {
      if (req.operation !== 'CREATE' || req.resource !== 'pods') return req.object;
      const pod = req.object as Pod;
      const fired = switchboardOf(req.store).fire(
        { verb: 'create', resource: 'pods', namespace: req.namespace, name: pod.metadata.name ?? pod.metadata.generateName, user: req.user.username },
        ['pod'],
      );
      for (const f of fired) if (f.type === 'pod') applyChange(pod, f);
      return pod as KObject;
    },
  };
}

function applyChange(pod: Pod, f: Extract<FaultAction, { type: 'pod' }>): void {
  const targets = pod.spec.containers.filter((c) => !f.container || c.name === f.container);
  for (const c of targets) {
    if (f.change === 'readonly-rootfs') c.securityContext = { ...c.securityContext, readOnlyRootFilesystem: true };
    if (f.change === 'no-shell') c.image = LAB_IMAGES.sklearnServerWithoutShell;
    if (f.change === 'full-volume') mountFullVolume(pod, c, f.path ?? '/tmp', f.sizeLimit ?? '1Mi');
  }
  if (f.change === 'noexec-tmp') {
    const key = FAULT_ANNOTATIONS.noexecTmp;
    const names = new Set([...(pod.metadata.annotations?.[key] ?? '').split(',').filter(Boolean), ...targets.map((c) => c.name)]);
    pod.metadata.annotations = { ...pod.metadata.annotations, [key]: [...names].join(',') };
  }
}

function mountFullVolume(pod: Pod, c: Container, path: string, sizeLimit: string): void {
  if (!pod.spec.volumes?.some((v) => v.name === FULL_VOLUME)) {
    pod.spec.volumes = [...(pod.spec.volumes ?? []), { name: FULL_VOLUME, emptyDir: { sizeLimit } }];
  }
  c.volumeMounts = [...(c.volumeMounts ?? []).filter((m) => m.mountPath !== path), { name: FULL_VOLUME, mountPath: path }];
}
