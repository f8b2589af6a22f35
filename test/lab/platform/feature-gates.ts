// kube-apiserver feature gates the lab can turn off at run time (/lab/actions {action: 'feature-gate'}).
// ImageVolume: with the gate off the API server drops image volumes and the mounts that name them
// when it prepares a pod (or a pod template) for storage, unless the old object already used image
// volumes: pkg/api/pod/util.go dropImageVolumes, called from dropDisabledPodFields for pods and
// templates. Nothing is rejected: the pod is admitted without them. The lab keeps the gate on by
// default (its other scenarios use native mode); Kubernetes 1.33 ships it off (beta).
import type { AdmissionPlugin, KObject } from '../types.ts';

export const FEATURE_GATES = ['ImageVolume'] as const;
export type FeatureGate = (typeof FEATURE_GATES)[number];

const DEFAULTS: Record<FeatureGate, boolean> = { ImageVolume: true };
const gates = new WeakMap<object, Partial<Record<FeatureGate, boolean>>>();

export function setFeatureGate(store: object, gate: FeatureGate, enabled: boolean): void {
  gates.set(store, { ...gates.get(store), [gate]: enabled });
}

export function featureGateEnabled(store: object, gate: FeatureGate): boolean {
  return gates.get(store)?.[gate] ?? DEFAULTS[gate];
}

interface Mount { name: string }
interface Spec { volumes?: Array<{ name: string; image?: unknown }>; containers?: Array<{ volumeMounts?: Mount[] }>; initContainers?: Array<{ volumeMounts?: Mount[] }>; ephemeralContainers?: Array<{ volumeMounts?: Mount[] }> }

const TEMPLATED = new Set(['deployments.apps', 'replicasets.apps', 'daemonsets.apps', 'replicationcontrollers']);

function podSpecOf(resource: string, obj: KObject | undefined): Spec | undefined {
  const spec = obj?.spec as { template?: { spec?: Spec } } | undefined;
  if (resource === 'pods') return spec as Spec | undefined;
  return TEMPLATED.has(resource) ? spec?.template?.spec : undefined;
}

const imageVolumesInUse = (spec: Spec | undefined) => (spec?.volumes ?? []).some((v) => v.image != null);

/** dropImageVolumes: the image volumes out, and every mount of one of them. */
export function dropImageVolumes(spec: Spec): void {
  const names = new Set((spec.volumes ?? []).filter((v) => v.image != null).map((v) => v.name));
  if (names.size === 0) return;
  spec.volumes = spec.volumes!.filter((v) => !names.has(v.name));
  if (spec.volumes.length === 0) delete spec.volumes;
  for (const list of [spec.containers, spec.initContainers, spec.ephemeralContainers]) {
    for (const c of list ?? []) {
      if (!c.volumeMounts) continue;
      c.volumeMounts = c.volumeMounts.filter((m) => !names.has(m.name));
      if (c.volumeMounts.length === 0) delete c.volumeMounts;
    }
  }
}

/** Runs after the mutating webhooks (KServe's adds the image volume), as PrepareForCreate/Update does. */
export function imageVolumeGate(): AdmissionPlugin {
  return {
    name: 'FeatureGate/ImageVolume',
    admit: ({ operation, resource, object, oldObject, store }) => {
      if (featureGateEnabled(store, 'ImageVolume') || (operation !== 'CREATE' && operation !== 'UPDATE')) return object;
      const spec = podSpecOf(resource, object);
      if (!spec || imageVolumesInUse(podSpecOf(resource, oldObject))) return object;
      const copy = structuredClone(object);
      dropImageVolumes(podSpecOf(resource, copy)!);
      return copy;
    },
  };
}
