// MC6xx: native image volumes (oci+native:// or ociModelMode native, Kubernetes ImageVolume).
import type { CheckResult } from '../report.ts';
import type { Pod } from '../snapshot.ts';
import { DEFAULT_MODEL_PATH, runtimeContainers } from '../kserve/pod.ts';
import { parseVersion, compareVersions } from '../kserve/version.ts';
import { podRef, result, skip, type Context, type TargetView } from './context.ts';

const SINCE_ALPHA = parseVersion('v1.31.0')!;
const ON_BY_DEFAULT = parseVersion('v1.35.0')!;

function nativeSources(t: TargetView) {
  return t.sources.filter((s) => s.mode === 'native').map((s) => ({ ...s, modelPath: s.mountPath ?? DEFAULT_MODEL_PATH }));
}

/** Whether the pod carries an image volume for `image` mounted read-only at `modelPath` (subPath models). */
function mountProblem(pod: Pod, image: string, modelPath: string): string | null {
  const volume = pod.spec.volumes?.find((v) => v.image?.reference === image);
  if (!volume) return `no image volume for ${image} in spec.volumes`;
  for (const c of runtimeContainers(pod.spec).slice(0, 1)) {
    const m = c.volumeMounts?.find((x) => x.name === volume.name);
    if (!m) return `${c.name} does not mount volume ${volume.name}`;
    if (m.mountPath !== modelPath) return `${c.name} mounts ${volume.name} at ${m.mountPath}, not ${modelPath}`;
    if (m.readOnly !== true) return `${c.name} mounts ${volume.name} read-write`;
  }
  return null;
}

function mc601(ctx: Context, t: TargetView): CheckResult {
  const sources = nativeSources(t);
  if (sources.length === 0) return skip('MC601', t.object, 'no native-mode OCI source');
  const server = parseVersion(ctx.snapshot.cluster.serverVersion);
  const gate = ctx.snapshot.cluster.featureGates?.['ImageVolume'];
  const oldNodes = ctx.snapshot.nodes.filter((n) => {
    const v = parseVersion(n.status?.nodeInfo?.kubeletVersion);
    return v !== null && compareVersions(v, SINCE_ALPHA) < 0;
  });
  const dropped = t.pods.filter((p) => sources.some((s) => mountProblem(p, s.image, s.modelPath)?.startsWith('no image volume')));
  const ev = {
    namespace: t.ref.namespace, isvc: t.ref.name, serverVersion: ctx.snapshot.cluster.serverVersion, featureGateImageVolume: gate ?? 'unknown',
    kubeletVersions: ctx.snapshot.nodes.map((n) => `${n.metadata.name}=${n.status?.nodeInfo?.kubeletVersion ?? '?'}`), reference: sources[0]!.image,
  };
  if (server && compareVersions(server, SINCE_ALPHA) < 0) return result('MC601', 'fail', t.object, `Kubernetes ${ctx.snapshot.cluster.serverVersion} has no image volumes (alpha from 1.31)`, ev);
  if (oldNodes.length) return result('MC601', 'fail', t.object, `nodes ${oldNodes.map((n) => n.metadata.name).join(', ')} run kubelets older than 1.31, without image volumes`, ev);
  if (gate === false) return result('MC601', 'fail', t.object, 'the ImageVolume feature gate is off', ev);
  if (dropped.length) {
    return result('MC601', 'fail', t.object, `pod ${dropped[0]!.metadata.name} has no image volume although ${t.ref.name} uses native mode: the API server dropped it, so the ImageVolume feature gate is off`, { ...ev, podsWithoutVolume: dropped.map((p) => p.metadata.name) });
  }
  if (gate === true || (server && compareVersions(server, ON_BY_DEFAULT) >= 0) || t.pods.length > 0) return result('MC601', 'pass', t.object, 'image volumes are supported', ev);
  return result('MC601', 'warn', t.object, `Kubernetes ${ctx.snapshot.cluster.serverVersion ?? '(version unknown)'}: whether the ImageVolume feature gate is on cannot be read through the API, and no pod shows it`, ev);
}

function mc602(t: TargetView, pod: Pod): CheckResult[] {
  return nativeSources(t).map((s) => {
    const problem = mountProblem(pod, s.image, s.modelPath);
    const ev = { namespace: pod.metadata.namespace, pod: pod.metadata.name, isvc: t.ref.name, reference: s.image, modelPath: s.modelPath, volumes: (pod.spec.volumes ?? []).map((v) => v.name) };
    return problem ? result('MC602', 'fail', podRef(pod), problem, ev) : result('MC602', 'pass', podRef(pod), `image volume for ${s.image} mounted read-only at ${s.modelPath}`, ev);
  });
}

export function checkNative(ctx: Context): CheckResult[] {
  return ctx.targets.flatMap((t) => {
    if (nativeSources(t).length === 0) return [mc601(ctx, t)];
    if (t.pods.length === 0) return [mc601(ctx, t), skip('MC602', t.object, t.noPodsReason ?? 'no pods')];
    return [mc601(ctx, t), ...t.pods.flatMap((p) => mc602(t, p))];
  });
}
