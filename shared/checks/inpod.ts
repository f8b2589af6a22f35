// MC4xx: what the runtime container sees at the model path, from the exec probe gather ran
// (readlink, lstat, the target pid's cmdline and ids, a listing). No probe: skip with the reason.
import type { CheckResult } from '../report.ts';
import type { ExecProbe, ExecResult, ExecSkipped, Pod } from '../snapshot.ts';
import { DEFAULT_MODEL_PATH, modelcarContainers, runtimeContainers, type ModelcarContainer } from '../kserve/pod.ts';
import { containerStatus, patchEvidence, podRef, result, skip, type Context, type TargetView } from './context.ts';

/** The probe of `container` in `pod` for `modelPath` (any path when null). */
export function exec(ctx: Context, pod: Pod, container: string, modelPath: string | null): ExecResult | undefined {
  const path = modelPath ?? DEFAULT_MODEL_PATH;
  const mine = ctx.snapshot.execs.filter((e) => e.pod === pod.metadata.name && e.namespace === pod.metadata.namespace && e.container === container);
  return mine.find((e) => e.outcome === 'probed' && e.modelPath === path) ?? mine.find((e) => e.outcome === 'skipped');
}

const PROC_ROOT = /^\/proc\/(\d+)\/root\/models\/?$/;

function looksLikeModelcar(cmdline: string[] | null): boolean {
  const text = (cmdline ?? []).join(' ');
  return /ln -sf? \/proc\/.*\/root\/models/.test(text) || /\bsleep infinity\b/.test(text);
}

/** The effective uid/gid of the runtime and of the modelcar process as the probe read them from
 *  /proc/<pid>/status; null unless the link's target process is the modelcar. */
export function probedIds(p: ExecResult | undefined): { runtime: { uid: number; gid: number }; modelcar: { uid: number; gid: number }; pid: number } | null {
  if (p?.outcome !== 'probed' || !p.self.ids || !p.targetProcess?.ids || p.targetPid === null) return null;
  if (!p.modelcarPids.includes(p.targetPid) && !looksLikeModelcar(p.targetProcess.cmdline)) return null;
  return {
    runtime: { uid: p.self.ids.uids[1]!, gid: p.self.ids.gids[1]! },
    modelcar: { uid: p.targetProcess.ids.uids[1]!, gid: p.targetProcess.ids.gids[1]! },
    pid: p.targetPid,
  };
}

const IN_POD = ['MC401', 'MC402', 'MC403', 'MC404', 'MC405', 'MC406', 'MC407'] as const;

/** How long after its start a modelcar may still be on its way to the link (second-granularity
 *  timestamps, a loaded node): a missing path that young is no finding yet. */
const LINK_GRACE_MS = 5_000;

/** Why a missing model path says nothing yet: the modelcar never ran, or started just now. */
function modelcarNotThereYet(pod: Pod, mc: ModelcarContainer, now: number): string | null {
  const s = containerStatus(pod, mc.container.name);
  if (!s) return `${mc.container.name} has no status yet`;
  const since = s.state?.running?.startedAt;
  if (since) {
    const age = now - Date.parse(since);
    return age < LINK_GRACE_MS && s.restartCount === 0 ? `${mc.container.name} started ${Math.max(0, Math.round(age / 1000))}s before the probe and may not have linked yet: inspect again` : null;
  }
  const neverRan = s.restartCount === 0 && !s.lastState?.terminated && !s.state?.terminated;
  return neverRan ? `${mc.container.name} has not started yet (${s.state?.waiting?.reason ?? 'waiting'}): MC301` : null;
}

function judgeProbe(pod: Pod, container: string, mc: ModelcarContainer, p: ExecProbe, hintVars: Record<string, unknown>, now: number): CheckResult[] {
  const object = podRef(pod);
  const base = { namespace: pod.metadata.namespace, pod: pod.metadata.name, container, modelcarContainer: mc.container.name, modelPath: p.modelPath, modelDir: p.modelPath.replace(/\/[^/]*$/, '') || '/', tool: p.tool, ...hintVars };
  const r = (id: (typeof IN_POD)[number], status: 'pass' | 'fail' | 'warn', message: string, ev: Record<string, unknown> = {}) => result(id, status, object, message, { ...base, ...ev }, container);
  const s = (id: (typeof IN_POD)[number], reason: string) => skip(id, object, reason, base, container);
  const out: CheckResult[] = [];
  const exists = p.lstatType !== 'missing';
  const notYet = exists ? null : modelcarNotThereYet(pod, mc, now);
  if (notYet) {
    for (const id of IN_POD) out.push(s(id, notYet));
    return out;
  }
  out.push(exists ? r('MC401', 'pass', `${p.modelPath} exists (${p.lstatType})`, { lstatType: p.lstatType }) : r('MC401', 'fail', `${p.modelPath} does not exist in ${container}`, { lstatType: p.lstatType }));
  if (!exists) {
    for (const id of IN_POD.slice(1)) out.push(s(id, `${p.modelPath} does not exist (MC401)`));
    return out;
  }
  if (p.lstatType !== 'symlink') {
    out.push(r('MC402', 'warn', `${p.modelPath} is a ${p.lstatType}, not the modelcar's symlink`, { lstatType: p.lstatType }));
    for (const id of ['MC403', 'MC404'] as const) out.push(s(id, `${p.modelPath} is not a symlink (MC402)`));
  } else {
    out.push(r('MC402', 'pass', `${p.modelPath} is a symlink to ${p.readlink}`, { readlink: p.readlink }));
    const m = PROC_ROOT.exec(p.readlink ?? '');
    const pid = m ? Number(m[1]) : null;
    const visible = p.targetProcess !== null;
    const isModelcar = pid !== null && (p.modelcarPids.includes(pid) || (visible && looksLikeModelcar(p.targetProcess!.cmdline)));
    const linkEv = { readlink: p.readlink, targetPid: pid, targetCmdline: p.targetProcess?.cmdline ?? null, modelcarPids: p.modelcarPids };
    if (pid === null) out.push(r('MC403', 'fail', `${p.modelPath} points at ${p.readlink}, not /proc/<pid>/root/models`, linkEv));
    else if (visible && !isModelcar) out.push(r('MC403', 'fail', `${p.modelPath} points at pid ${pid}, which is not the modelcar process seen from ${container} (cmdline: ${(p.targetProcess!.cmdline ?? []).join(' ') || 'unknown'})`, linkEv));
    else if (!visible) out.push(skip('MC403', object, `pid ${pid} is not visible from ${container} (MC404)`, { ...base, ...linkEv }, container));
    else out.push(r('MC403', 'pass', `${p.modelPath} points at the modelcar process ${pid}`, linkEv));
    out.push(p.targetResolves
      ? r('MC404', 'pass', `${p.readlink} resolves`, linkEv)
      : r('MC404', 'fail', `${p.modelPath} -> ${p.readlink} does not resolve${visible ? '' : ` (no process ${pid} is visible: modelcar restarted or the process namespace is not shared)`}`, linkEv));
  }
  if (!p.targetResolves) {
    for (const id of ['MC405', 'MC406', 'MC407'] as const) out.push(s(id, 'the model path does not resolve'));
    return out;
  }
  const ids = { runtimeUid: p.self.ids?.uids[1] ?? null, runtimeGid: p.self.ids?.gids[1] ?? null, modelcarUid: p.targetProcess?.ids?.uids[1] ?? null, modelcarGid: p.targetProcess?.ids?.gids[1] ?? null };
  if (!p.listing.ok) {
    const denied = p.listing.errno === 'EACCES' || p.listing.errno === 'EPERM';
    out.push(denied
      ? r('MC405', 'fail', `listing ${p.modelPath} fails with ${p.listing.errno}: runtime uid ${ids.runtimeUid ?? '?'} vs modelcar uid ${ids.modelcarUid ?? '?'} (the kernel refuses /proc/<pid>/root across users)`, { ...ids, errno: p.listing.errno, output: p.listing.message, suggestedUid: ids.runtimeUid })
      : skip('MC405', object, `listing failed with ${p.listing.errno}: ${p.listing.message}`, base, container));
    for (const id of ['MC406', 'MC407'] as const) out.push(s(id, `listing ${p.modelPath} failed (${p.listing.errno})`));
    return out;
  }
  const l = p.listing;
  out.push(r('MC405', 'pass', `${container} lists ${p.modelPath}`, ids));
  out.push(l.fileCount === 0 ? r('MC406', 'fail', `${p.modelPath} is empty`, { fileCount: 0 }) : r('MC406', 'pass', `${p.modelPath} holds ${l.fileCount} files, ${l.totalBytes} bytes`, { fileCount: l.fileCount, totalBytes: l.totalBytes }));
  out.push(l.unreadable.length
    ? r('MC407', 'fail', `${l.unreadable.length} model files are not readable by uid ${ids.runtimeUid ?? '?'}: ${l.unreadable.slice(0, 5).join(', ')}`, { unreadable: l.unreadable, runtimeUid: ids.runtimeUid })
    : r('MC407', 'pass', `all ${l.fileCount} files are readable`, { fileCount: l.fileCount }));
  return out;
}

const SKIP_REASON: Record<ExecSkipped['reason'], string> = {
  offline: 'offline',
  forbidden: 'exec forbidden',
  'no-shell': 'no shell in the runtime container',
  'pod-not-running': 'pod not running',
  'not-requested': 'exec not requested',
  error: 'exec failed',
};

function checkPod(ctx: Context, t: TargetView, pod: Pod): CheckResult[] {
  const object = podRef(pod);
  const mcs = modelcarContainers(pod.spec);
  const skipAll = (reason: string) => [...IN_POD, 'MC408' as const].map((id) => skip(id, object, reason));
  if (mcs.length === 0) return skipAll(t.sources.every((s) => s.mode === 'native') ? 'native mode: no link to check (MC602)' : 'no modelcar container (MC202)');
  const [main, ...others] = runtimeContainers(pod.spec);
  if (!main) return skipAll('no runtime container');
  // The main runtime always; a transformer only when gather probed it.
  const probed = [main, ...others.filter((c) => ctx.snapshot.execs.some((e) => e.pod === pod.metadata.name && e.container === c.name))];
  const out: CheckResult[] = [];
  const failedExecs: CheckResult[] = [];
  const passedExecs: CheckResult[] = [];
  const skippedExecs: CheckResult[] = [];
  for (const runtime of probed) {
    for (const mc of mcs) {
      const ev = { namespace: pod.metadata.namespace, pod: pod.metadata.name, container: runtime.name, isvc: t.ref.name, modelPath: mc.modelPath };
      const probe = exec(ctx, pod, runtime.name, mc.modelPath);
      if (probe?.outcome === 'probed') {
        out.push(...judgeProbe(pod, runtime.name, mc, probe, { isvc: t.ref.name, ...patchEvidence(ctx, { uidModelcar: probedIds(probe)?.runtime.uid ?? probe.self.ids?.uids[1] }) }, ctx.now));
        const how = probe.via
          ? `probed ${runtime.name} through ephemeral container ${probe.via.ephemeral} (image ${probe.via.image}, ${probe.tool})`
          : probe.tool === 'sh' ? `probed ${runtime.name} with sh` : `probed ${runtime.name} without a shell (${probe.tool} run directly)`;
        passedExecs.push(result('MC408', 'pass', object, how, { ...ev, tool: probe.tool, ...(probe.via ? { via: `ephemeral ${probe.via.ephemeral}`, ephemeralImage: probe.via.image } : {}) }, runtime.name));
        continue;
      }
      const reason = probe
        ? probe.reason === 'forbidden' && probe.rbac?.resource === 'pods/ephemeralcontainers' ? 'ephemeral container forbidden' : SKIP_REASON[probe.reason]
        : ctx.snapshot.source === 'file' ? 'offline' : 'not probed';
      const detail = { ...ev, reason, ...(probe?.detail ? { detail: probe.detail } : {}), ...(probe?.rbac ? { rbac: probe.rbac } : {}) };
      out.push(...IN_POD.map((id) => skip(id, object, reason, detail, runtime.name)));
      if (probe && (probe.reason === 'forbidden' || probe.reason === 'no-shell' || probe.reason === 'error')) {
        const hintKey = probe.reason === 'forbidden' ? (probe.rbac?.resource === 'pods/ephemeralcontainers' ? 'forbiddenEphemeral' : 'forbidden') : probe.reason === 'no-shell' ? 'noShell' : 'default';
        failedExecs.push(result('MC408', 'warn', object, `cannot exec into ${runtime.name}: ${reason}${probe.detail ? ` (${probe.detail})` : ''}; in-pod checks skipped`, { ...detail, hintKey }, runtime.name));
      } else {
        skippedExecs.push(skip('MC408', object, reason, { ...detail, ...(reason === 'offline' ? { hintKey: 'offline' } : {}) }, runtime.name));
      }
    }
  }
  // One MC408 per pod: a failed exec outweighs a working one, which outweighs a skip.
  return [...out, (failedExecs[0] ?? passedExecs[0] ?? skippedExecs[0])!];
}

export function checkInPod(ctx: Context): CheckResult[] {
  return ctx.targets.flatMap((t) => {
    if (t.pods.length === 0) return [...IN_POD, 'MC408' as const].map((id) => skip(id, t.object, t.noPodsReason ?? 'no pods'));
    return t.pods.flatMap((pod) => checkPod(ctx, t, pod));
  });
}
