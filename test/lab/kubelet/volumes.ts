// Pod volumes on the node: emptyDir (0777 directories, or tmpfs for medium Memory / a sizeLimit),
// configMap, secret, projected and downwardAPI files written the kubelet's atomic way (`..data`
// symlinks), and image volumes (K8s ImageVolume) as the image's rootfs mounted read-only.
import { execa } from 'execa';
import { chmodSync, chownSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { KObject, LabStore } from '../types.ts';
import type { KeyToPath, Pod, Volume } from './pod-types.ts';
import { fieldValue } from './env.ts';
import { parseQuantity } from './quantity.ts';

export interface PreparedVolume {
  hostPath: string;
  /** Image volumes are always read-only. */
  readOnly: boolean;
}

/** A volume that cannot be set up yet (missing ConfigMap/Secret): the kubelet retries and reports FailedMount. */
export class MountError extends Error {}

type FileSet = Array<{ path: string; data: Buffer; mode?: number }>;

/** Writes files the kubelet's AtomicWriter way: `..<ts>/` holds the data, `..data` points at it, and each top-level name links through `..data`. */
function writeAtomic(dir: string, files: FileSet, defaultMode: number): void {
  mkdirSync(dir, { recursive: true });
  const stamp = `..${new Date().toISOString().replace(/[-:]/g, '_').replace('T', '_').replace('Z', '')}${Math.floor(Math.random() * 1e9)}`;
  const dataDir = join(dir, stamp);
  for (const f of files) {
    const target = join(dataDir, f.path);
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, f.data);
    chmodSync(target, f.mode ?? defaultMode);
  }
  mkdirSync(dataDir, { recursive: true });
  symlinkSync(stamp, join(dir, '..data'));
  for (const top of new Set(files.map((f) => f.path.split('/')[0]!))) symlinkSync(join('..data', top), join(dir, top));
}

function keyedFiles(data: Record<string, Buffer>, items: KeyToPath[] | undefined, kind: 'configmap' | 'secret'): FileSet {
  if (!items) return Object.entries(data).map(([path, d]) => ({ path, data: d }));
  return items.map((it) => {
    const d = data[it.key];
    if (!d) throw new MountError(`${kind} references non-existent ${kind === 'secret' ? 'secret' : 'config'} key: ${it.key}`);
    return { path: it.path, data: d, mode: it.mode };
  });
}

function configMapData(cm: KObject): Record<string, Buffer> {
  const out: Record<string, Buffer> = {};
  for (const [k, v] of Object.entries((cm['data'] as Record<string, string>) ?? {})) out[k] = Buffer.from(v);
  for (const [k, v] of Object.entries((cm['binaryData'] as Record<string, string>) ?? {})) out[k] = Buffer.from(v, 'base64');
  return out;
}

function secretData(secret: KObject): Record<string, Buffer> {
  const out: Record<string, Buffer> = {};
  for (const [k, v] of Object.entries((secret['data'] as Record<string, string>) ?? {})) out[k] = Buffer.from(v, 'base64');
  for (const [k, v] of Object.entries((secret['stringData'] as Record<string, string>) ?? {})) out[k] = Buffer.from(v);
  return out;
}

export interface VolumeContext {
  store: LabStore;
  pod: Pod;
  podDir: string;
  /** Pulls an image volume's image and returns its rootfs. */
  imageRootfs: (reference: string, volume: Volume) => Promise<string>;
}

async function prepareOne(v: Volume, ctx: VolumeContext): Promise<PreparedVolume> {
  const ns = ctx.pod.metadata.namespace!;
  const dir = join(ctx.podDir, 'volumes', v.name);
  const fsGroup = ctx.pod.spec.securityContext?.fsGroup;
  if (v.emptyDir) {
    mkdirSync(dir, { recursive: true });
    const limit = v.emptyDir.sizeLimit ? parseQuantity(v.emptyDir.sizeLimit) : undefined;
    // A tmpfs makes a sizeLimit hard (ENOSPC) where the real kubelet would evict the pod.
    if (v.emptyDir.medium === 'Memory' || limit !== undefined) {
      await execa('mount', ['-t', 'tmpfs', '-o', `mode=0777${limit !== undefined ? `,size=${limit}` : ''}`, 'tmpfs', dir]);
    }
    chmodSync(dir, 0o777);
    if (fsGroup !== undefined) {
      chownSync(dir, 0, fsGroup);
      chmodSync(dir, 0o2777);
    }
    return { hostPath: dir, readOnly: false };
  }
  if (v.configMap) {
    const cm = ctx.store.get('configmaps', ns, v.configMap.name);
    if (!cm && !v.configMap.optional) throw new MountError(`MountVolume.SetUp failed for volume "${v.name}" : configmap "${v.configMap.name}" not found`);
    writeAtomic(dir, cm ? keyedFiles(configMapData(cm), v.configMap.items, 'configmap') : [], v.configMap.defaultMode ?? 0o644);
    return { hostPath: dir, readOnly: true };
  }
  if (v.secret) {
    const s = ctx.store.get('secrets', ns, v.secret.secretName);
    if (!s && !v.secret.optional) throw new MountError(`MountVolume.SetUp failed for volume "${v.name}" : secret "${v.secret.secretName}" not found`);
    writeAtomic(dir, s ? keyedFiles(secretData(s), v.secret.items, 'secret') : [], v.secret.defaultMode ?? 0o644);
    return { hostPath: dir, readOnly: true };
  }
  if (v.downwardAPI) {
    const files = v.downwardAPI.items.map((it) => ({ path: it.path, data: Buffer.from(it.fieldRef ? fieldValue(ctx.pod, it.fieldRef.fieldPath) : '') }));
    writeAtomic(dir, files, v.downwardAPI.defaultMode ?? 0o644);
    return { hostPath: dir, readOnly: true };
  }
  if (v.projected) {
    const files: FileSet = [];
    for (const src of v.projected.sources) {
      if (src.serviceAccountToken) files.push({ path: src.serviceAccountToken.path, data: Buffer.from(labServiceAccountToken(ctx.pod)) });
      if (src.configMap) {
        const cm = ctx.store.get('configmaps', ns, src.configMap.name);
        if (!cm && !src.configMap.optional) throw new MountError(`MountVolume.SetUp failed for volume "${v.name}" : configmap "${src.configMap.name}" not found`);
        if (cm) files.push(...keyedFiles(configMapData(cm), src.configMap.items, 'configmap'));
      }
      if (src.secret) {
        const s = ctx.store.get('secrets', ns, src.secret.name);
        if (!s && !src.secret.optional) throw new MountError(`MountVolume.SetUp failed for volume "${v.name}" : secret "${src.secret.name}" not found`);
        if (s) files.push(...keyedFiles(secretData(s), src.secret.items, 'secret'));
      }
      for (const it of src.downwardAPI?.items ?? []) files.push({ path: it.path, data: Buffer.from(it.fieldRef ? fieldValue(ctx.pod, it.fieldRef.fieldPath) : '') });
    }
    writeAtomic(dir, files, v.projected.defaultMode ?? 0o644);
    return { hostPath: dir, readOnly: true };
  }
  if (v.image) return { hostPath: await ctx.imageRootfs(v.image.reference, v), readOnly: true };
  // hostPath, persistentVolumeClaim, ...: not part of the lab; an empty directory keeps such pods runnable.
  mkdirSync(dir, { recursive: true });
  return { hostPath: dir, readOnly: false };
}

/** Sets up every volume of the pod; throws MountError for the first one that cannot be set up yet. */
export async function prepareVolumes(ctx: VolumeContext): Promise<Map<string, PreparedVolume>> {
  const out = new Map<string, PreparedVolume>();
  for (const v of ctx.pod.spec.volumes ?? []) {
    if (out.has(v.name)) continue;
    out.set(v.name, await prepareOne(v, ctx));
  }
  return out;
}

/** Not a signed token: the lab API server does not verify service account tokens from pods. */
function labServiceAccountToken(pod: Pod): string {
  const part = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const sub = `system:serviceaccount:${pod.metadata.namespace}:${pod.spec.serviceAccountName ?? 'default'}`;
  return `${part({ alg: 'none', typ: 'JWT' })}.${part({ iss: 'https://kubernetes.default.svc.cluster.local', sub, 'kubernetes.io': { namespace: pod.metadata.namespace, pod: { name: pod.metadata.name, uid: pod.metadata.uid } } })}.`;
}
