// MC3xx: the pod at run time, from container statuses, events and logs.
import type { CheckResult } from '../report.ts';
import type { ContainerStatus, Pod } from '../snapshot.ts';
import { mainRuntimeContainer, modelcarContainers, modelcarInitContainers, STORAGE_INITIALIZER } from '../kserve/pod.ts';
import {
  containerStatus, eventsOf, podEvidence, suggestedModelcarMemory, findLogLine, logOf, noEventsReason, patchEvidence, podRef, registryOf, result, skip,
  type Context, type EventView, type TargetView,
} from './context.ts';

const PULL_FAILURE = /ErrImagePull|ImagePullBackOff|InvalidImageName|ErrImageNeverPull/;
const AUTH_FAILURE = /401 Unauthorized|pull access denied|unauthorized|authentication required|403 Forbidden/i;


/** Events of a pod about one container (fieldPath spec.containers{name} / spec.initContainers{name}). */
function containerEvents(ctx: Context, pod: Pod, name: string): EventView[] {
  return eventsOf(ctx, 'Pod', pod.metadata.namespace, pod.metadata.name).items.filter((e) => e.fieldPath?.endsWith(`{${name}}`));
}

function stateText(s: ContainerStatus | undefined): string {
  if (!s?.state) return 'no status';
  if (s.state.running) return 'running';
  if (s.state.waiting) return `waiting: ${s.state.waiting.reason ?? ''}${s.state.waiting.message ? ` (${s.state.waiting.message})` : ''}`;
  const t = s.state.terminated!;
  return `terminated: ${t.reason ?? ''} exit ${t.exitCode}`;
}

/** Pull failure evidence of a container: status message and Failed events; names the missing
 *  imagePullSecret when the registry refused the credentials. */
function pullFailure(ctx: Context, pod: Pod, name: string, s: ContainerStatus | undefined, image: string): Record<string, unknown> | null {
  const waiting = s?.state?.waiting;
  const events = containerEvents(ctx, pod, name).filter((e) => e.reason === 'Failed' || e.reason === 'BackOff' || e.reason === 'ErrImagePull');
  const pulling = (waiting && PULL_FAILURE.test(waiting.reason ?? '')) || events.some((e) => /pull/i.test(e.message));
  if (!pulling) return null;
  const texts = [waiting?.message ?? '', ...events.map((e) => e.message)];
  const auth = texts.some((m) => AUTH_FAILURE.test(m));
  const registry = registryOf(image);
  const secrets = (pod.spec.imagePullSecrets ?? []).map((x) => x.name);
  return {
    image,
    registry,
    waiting: waiting ?? null,
    events,
    imagePullSecrets: secrets,
    serviceAccount: pod.spec.serviceAccountName ?? 'default',
    ...(auth
      ? { hintKey: 'pullSecret', suggestedSecret: `${registry.replace(/[^a-z0-9]+/gi, '-').toLowerCase()}-pull`, authFailure: texts.find((m) => AUTH_FAILURE.test(m)) }
      : { hintKey: 'pull' }),
  };
}

/** Whether an init container of the pod has failed or cannot start (so PodInitializing will last). */
function initFailed(pod: Pod): boolean {
  return (pod.status?.initContainerStatuses ?? []).some((s) =>
    (s.state?.terminated && s.state.terminated.exitCode !== 0) ||
    (s.lastState?.terminated && s.lastState.terminated.exitCode !== 0 && !s.state?.terminated) ||
    /BackOff|ErrImagePull|InvalidImageName|CreateContainerError|RunContainerError/.test(s.state?.waiting?.reason ?? ''),
  );
}

function mc301(ctx: Context, t: TargetView, pod: Pod): CheckResult[] {
  return modelcarContainers(pod.spec).map(({ container }) => {
    const s = containerStatus(pod, container.name);
    const ev = { ...podEvidence(t, pod), container: container.name, state: s?.state ?? null, lastState: s?.lastState ?? null, restartCount: s?.restartCount ?? null };
    if (!s) return skip('MC301', podRef(pod), `no status for ${container.name} (pod ${pod.status?.phase ?? 'unknown'})`, ev, container.name);
    if (s.state?.running) return result('MC301', 'pass', podRef(pod), `${container.name} is running${s.restartCount ? ` (${s.restartCount} restarts)` : ''}`, ev, container.name);
    const pull = pullFailure(ctx, pod, container.name, s, container.image ?? '');
    const reason = s.state?.waiting?.reason ?? s.state?.terminated?.reason ?? '';
    const waitingForInit = reason === 'PodInitializing';
    // Still starting is not a failure: waiting for init containers that have not failed, or being created without a pull error.
    if (!pull && (reason === 'ContainerCreating' || (waitingForInit && !initFailed(pod)))) {
      return skip('MC301', podRef(pod), `${container.name} is still starting (${reason})`, ev, container.name);
    }
    const msg = `${container.name} is not running: ${stateText(s)}${pull?.['hintKey'] === 'pullSecret' ? `; the registry refused the credentials (no imagePullSecret for ${pull['registry']})` : ''}${waitingForInit ? ' (waiting for the init containers)' : ''}`;
    const said = findLogLine(ctx, pod, container.name, /\S/);
    return result('MC301', 'fail', podRef(pod), msg, { ...ev, ...(pull ?? {}), ...(said ? { logLine: said.line, log: said.log } : {}) }, container.name);
  });
}

function mc302(ctx: Context, t: TargetView, pod: Pod): CheckResult[] {
  const inits = modelcarInitContainers(pod.spec);
  if (inits.length === 0) return [skip('MC302', podRef(pod), 'no modelcar-init container')];
  return inits.map((c) => {
    const s = containerStatus(pod, c.name, true);
    const ev = { ...podEvidence(t, pod), container: c.name, image: c.image, state: s?.state ?? null, lastState: s?.lastState ?? null };
    if (!s) return skip('MC302', podRef(pod), `no status for ${c.name} (pod ${pod.status?.phase ?? 'unknown'})`, ev, c.name);
    const term = s.state?.terminated;
    if (term && term.exitCode === 0) {
      const ok = findLogLine(ctx, pod, c.name, /^OK /);
      return result('MC302', 'pass', podRef(pod), `${c.name} completed${ok ? `: ${ok.line}` : ''}`, ev, c.name);
    }
    // A run that failed before counts while the next one runs: the same check of the same image ends the same way.
    const failedRun = [s.state?.terminated, s.lastState?.terminated].find((x) => x && x.exitCode !== 0);
    if (s.state?.running && !failedRun) return result('MC302', 'pass', podRef(pod), `${c.name} is running`, ev, c.name);
    const pull = pullFailure(ctx, pod, c.name, s, c.image ?? '');
    if (pull) {
      const auth = pull['hintKey'] === 'pullSecret';
      return result('MC302', 'fail', podRef(pod), `${c.name} cannot pull ${c.image}: ${auth ? `the registry refused the credentials; the pod has no imagePullSecret for ${pull['registry']}` : stateText(s)}; the pod stays Pending and the InferenceService shows no reason`, { ...ev, ...pull }, c.name);
    }
    const nok = findLogLine(ctx, pod, c.name, /^NOK /) ?? (failedRun?.message?.includes('NOK') ? { line: failedRun.message.trim(), log: 'status.initContainerStatuses[].lastState.terminated.message' } : null);
    if (nok) return result('MC302', 'fail', podRef(pod), `${c.name} found no model: ${nok.line}`, { ...ev, hintKey: 'nok', logLine: nok.line, log: nok.log }, c.name);
    const noShellText = [s.state?.waiting?.message, failedRun?.message, failedRun?.reason].find((m) => m && /executable file not found|no such file or directory|exec: "sh"|StartError|ContainerCannotRun/i.test(m));
    if (noShellText) return result('MC302', 'fail', podRef(pod), `${c.name} cannot run its check: ${noShellText} (the model image has no sh)`, { ...ev, hintKey: 'noShell' }, c.name);
    if (failedRun || s.state?.waiting?.reason === 'CrashLoopBackOff') return result('MC302', 'fail', podRef(pod), `${c.name} failed: ${stateText(s)}`, ev, c.name);
    return skip('MC302', podRef(pod), `${c.name} is still starting (${stateText(s)})`, ev, c.name);
  });
}

/** Go durations as the kubelet prints them ("1.5s", "2m3.1s", "450ms"), in seconds. */
export function goDurationSeconds(text: string): number | null {
  const re = /(\d+(?:\.\d+)?)(h|ms|µs|us|ns|m|s)/g;
  let total = 0;
  let any = false;
  for (const m of text.matchAll(re)) {
    any = true;
    const v = Number(m[1]);
    total += v * { h: 3600, m: 60, s: 1, ms: 1e-3, µs: 1e-6, us: 1e-6, ns: 1e-9 }[m[2] as 'h']!;
  }
  return any ? total : null;
}

const PULLED = /^Successfully pulled image "([^"]+)" in ([^\s(]+)/;

function mc303(ctx: Context, t: TargetView, pod: Pod): CheckResult {
  const images = new Set([...modelcarContainers(pod.spec).map((m) => m.container.image), ...modelcarInitContainers(pod.spec).map((c) => c.image)]);
  const node = ctx.snapshot.nodes.find((n) => n.metadata.name === pod.spec.nodeName);
  const pressure = node?.status?.conditions?.find((c) => c.type === 'DiskPressure' && c.status === 'True');
  const deadline = t.deployments[0]?.spec?.progressDeadlineSeconds ?? 600;
  const events = eventsOf(ctx, 'Pod', pod.metadata.namespace, pod.metadata.name).items;
  const pulls = events.flatMap((e) => {
    const m = PULLED.exec(e.message);
    const seconds = m ? goDurationSeconds(m[2]!) : null;
    return m && images.has(m[1]) && seconds !== null ? [{ image: m[1], seconds, event: e.message, ageSeconds: e.ageSeconds }] : [];
  });
  const present = events.filter((e) => e.reason === 'Pulled' && /already present on machine/.test(e.message) && [...images].some((i) => e.message.includes(`"${i}"`)));
  const ev = { ...podEvidence(t, pod), node: pod.spec.nodeName ?? null, progressDeadlineSeconds: deadline, pulls, alreadyPresent: present.map((e) => e.message) };
  if (pressure) return result('MC303', 'warn', podRef(pod), `node ${pod.spec.nodeName} reports DiskPressure: ${pressure.message ?? ''}`, { ...ev, hintKey: 'diskPressure', diskPressure: pressure });
  // A pull still under way: "Pulling" with no "Pulled" after it, as old as the event says.
  const pending = events.filter((e) => e.reason === 'Pulling' && e.ageSeconds !== null && [...images].some((i) => e.message.includes(`"${i}"`)))
    .filter((e) => !events.some((p) => p.reason === 'Pulled' && p.fieldPath === e.fieldPath && p.ageSeconds !== null && p.ageSeconds <= e.ageSeconds!));
  const stuck = pending.find((e) => e.ageSeconds! > deadline / 2);
  if (stuck) return result('MC303', 'warn', podRef(pod), `${stuck.message} started ${stuck.ageSeconds}s ago and has not finished: more than half the ${deadline}s progress deadline`, { ...ev, pullSeconds: stuck.ageSeconds, pulling: stuck });
  const slow = pulls.find((p) => p.seconds > deadline / 2);
  if (slow) return result('MC303', 'warn', podRef(pod), `pulling ${slow.image} took ${slow.seconds.toFixed(0)}s, more than half the ${deadline}s progress deadline`, { ...ev, pullSeconds: Math.round(slow.seconds) });
  if (pulls.length || present.length) return result('MC303', 'pass', podRef(pod), pulls.length ? `modelcar image pulled in ${pulls.map((p) => `${p.seconds.toFixed(1)}s`).join(', ')}` : 'modelcar image already present on the node', ev);
  if (pending.length) return skip('MC303', podRef(pod), `the pull is under way (${pending[0]!.message}, ${pending[0]!.ageSeconds}s ago)`, ev);
  return skip('MC303', podRef(pod), noEventsReason(ctx, pod), ev);
}

// KServe's servers find the model with Storage.download, which raises "Cannot recognize storage type
// for /mnt/models" when the path does not exist (it tries os.path.exists before anything else).
const MODEL_MISSING = /No such file or directory|does not exist|not found|FileNotFoundError|no model|Cannot recognize storage type/i;

/** How long after the modelcar starts its link is surely there (it is made in milliseconds). */
export const LINK_SETTLED_MS = 30_000;

function mc304(ctx: Context, t: TargetView, pod: Pod): CheckResult {
  const runtime = mainRuntimeContainer(pod.spec);
  const mc = modelcarContainers(pod.spec)[0];
  if (!runtime || !mc) return skip('MC304', podRef(pod), 'no runtime and modelcar pair');
  const rs = containerStatus(pod, runtime.name);
  const ev = { ...podEvidence(t, pod), container: runtime.name, restartCount: rs?.restartCount ?? null, lastState: rs?.lastState ?? null };
  if (!rs || rs.restartCount === 0) return result('MC304', 'pass', podRef(pod), `${runtime.name} has not restarted`, ev, runtime.name);
  const modelPath = mc.modelPath ?? '/mnt/models';
  const previous = logOf(ctx, pod, runtime.name, true);
  const line = previous?.text?.split('\n').find((l) => l.includes(modelPath) && MODEL_MISSING.test(l)) ?? previous?.text?.split('\n').find((l) => l.includes(modelPath.replace(/\/[^/]*$/, '')) && MODEL_MISSING.test(l));
  const lastEnd = rs.lastState?.terminated?.finishedAt;
  const mcStart = containerStatus(pod, mc.container.name)?.state?.running?.startedAt;
  // Strictly before: timestamps have second granularity, and an exit in the same second proves nothing.
  const beforeModelcar = lastEnd && mcStart && Date.parse(lastEnd) < Date.parse(mcStart);
  // KServe's modelcar links the model with its first instruction, so a runtime run that began well after
  // the running modelcar began found the link in place: missing the model then is no race and a restart
  // will not cure it (the link is unreadable or dangling: MC205/MC405, MC201, MC404). The margin leaves
  // room for a modelcar slow to get there (a loaded node, an image whose shell is slow to start).
  const lastStart = rs.lastState?.terminated?.startedAt;
  if (line && lastStart && mcStart && Date.parse(lastStart) >= Date.parse(mcStart) + LINK_SETTLED_MS) {
    return result('MC304', 'fail', podRef(pod), `${runtime.name} restarted ${rs.restartCount}x and its last run, started at ${lastStart} after ${mc.container.name} (running since ${mcStart}) had linked ${modelPath}, still could not use the model: "${line.trim()}"; this is not a startup race`, {
      ...ev, hintKey: 'persistent', logLine: line.trim(), runtimeStartedAt: lastStart, modelcarStartedAt: mcStart, modelPath, log: `kubectl logs ${pod.metadata.name} -c ${runtime.name} --previous`,
    }, runtime.name);
  }
  if (line || beforeModelcar) {
    return result('MC304', 'warn', podRef(pod), `${runtime.name} restarted ${rs.restartCount}x: it started before ${mc.container.name} linked ${modelPath}${line ? `: "${line.trim()}"` : ` (it exited at ${lastEnd}, ${mc.container.name} started at ${mcStart})`}`, {
      ...ev, ...(line ? { logLine: line.trim(), log: `kubectl logs ${pod.metadata.name} -c ${runtime.name} --previous` } : { runtimeExitedAt: lastEnd, modelcarStartedAt: mcStart }),
    }, runtime.name);
  }
  if (!previous?.text) return skip('MC304', podRef(pod), `${runtime.name} restarted ${rs.restartCount}x but its previous log is ${previous?.absence ?? 'not available'}`, ev, runtime.name);
  return result('MC304', 'pass', podRef(pod), `${runtime.name} restarted ${rs.restartCount}x for another reason (its previous log does not show a missing model)`, ev, runtime.name);
}

function mc305(ctx: Context, t: TargetView, pod: Pod): CheckResult[] {
  return modelcarContainers(pod.spec).map(({ container }) => {
    const s = containerStatus(pod, container.name);
    const killed = [s?.state?.terminated, s?.lastState?.terminated].find((x) => x && (x.reason === 'OOMKilled' || x.exitCode === 137));
    const limit = container.resources?.limits?.['memory'] ?? null;
    const ev = { ...podEvidence(t, pod), container: container.name, limit, restartCount: s?.restartCount ?? null };
    if (!s) return skip('MC305', podRef(pod), `no status for ${container.name}`, ev, container.name);
    if (!killed) return result('MC305', 'pass', podRef(pod), `${container.name} was not OOMKilled`, ev, container.name);
    const field = s.state?.terminated === killed ? 'state.terminated' : 'lastState.terminated';
    const suggested = suggestedModelcarMemory(limit);
    return result('MC305', 'fail', podRef(pod), `${container.name} was OOMKilled (${field}: reason ${killed.reason ?? '-'}, exit ${killed.exitCode}) with memory limit ${limit ?? 'none'}`, {
      ...ev, field: `status.containerStatuses[${container.name}].${field}`, terminated: killed, suggested, ...patchEvidence(ctx, { memoryModelcar: suggested }),
    }, container.name);
  });
}

function mc306(ctx: Context, t: TargetView, pod: Pod): CheckResult {
  const si = pod.spec.initContainers?.find((c) => c.name === STORAGE_INITIALIZER);
  const uri = si?.args?.find((a) => /^oci(\+[a-z]+)?:\/\//.test(a));
  const ev = { ...podEvidence(t, pod), ...patchEvidence(ctx, { enableModelcar: true }) };
  if (!si) return result('MC306', 'pass', podRef(pod), 'no storage-initializer init container', ev);
  if (!uri) return result('MC306', 'pass', podRef(pod), `storage-initializer reads ${si.args?.[0] ?? 'a non-OCI URI'}`, ev);
  const s = containerStatus(pod, STORAGE_INITIALIZER, true);
  const line = findLogLine(ctx, pod, STORAGE_INITIALIZER, /Cannot recognize storage type/);
  return result('MC306', 'fail', podRef(pod), `storage-initializer got ${uri}, which it cannot read${line ? `: "${line.line.trim()}"` : ''}`, {
    ...ev, field: `spec.initContainers[${STORAGE_INITIALIZER}].args`, args: si.args, state: s?.state ?? null, ...(line ? { logLine: line.line, log: line.log } : {}),
  }, STORAGE_INITIALIZER);
}

const POD_CHECKS = ['MC301', 'MC302', 'MC303', 'MC304', 'MC305', 'MC306'] as const;

export function checkRuntime(ctx: Context): CheckResult[] {
  const out: CheckResult[] = [];
  for (const t of ctx.targets) {
    if (t.pods.length === 0) {
      out.push(...POD_CHECKS.map((id) => skip(id, t.object, t.noPodsReason ?? 'no pods')));
      continue;
    }
    for (const pod of t.pods) {
      out.push(mc306(ctx, t, pod));
      if (modelcarContainers(pod.spec).length === 0) {
        out.push(...(['MC301', 'MC302', 'MC303', 'MC304', 'MC305'] as const).map((id) => skip(id, podRef(pod), 'no modelcar container')));
        continue;
      }
      out.push(...mc301(ctx, t, pod), ...mc302(ctx, t, pod), mc303(ctx, t, pod), mc304(ctx, t, pod), ...mc305(ctx, t, pod));
    }
  }
  return out;
}
