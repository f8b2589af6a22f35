// MC2xx: the pod specification as admitted (static; works offline).
import type { CheckResult } from '../report.ts';
import type { Pod, PodSpec } from '../snapshot.ts';
import { modelcarResources } from '../kserve/config.ts';
import { effectiveIds, mainRuntimeContainer, modelcarContainers, parentDir, runtimeContainers, STORAGE_INITIALIZER, type ModelcarContainer } from '../kserve/pod.ts';
import { parseQuantity } from '../kserve/quantity.ts';
import { atLeast, SINCE } from '../kserve/version.ts';
import { exec, probedIds } from './inpod.ts';
import { containerStatus, noSourceReason, podEvidence, suggestedModelcarMemory, patchEvidence, podRef, repositoryOf, result, skip, tagOf, usesModelcar, type Context, type TargetView } from './context.ts';



/** The Deployment a pod comes from (via its ReplicaSet), for patch hints. */
function deploymentOf(t: TargetView, pod: Pod): string | undefined {
  const rsName = pod.metadata.ownerReferences?.find((o) => o.kind === 'ReplicaSet')?.name;
  const rs = t.replicaSets.find((r) => r.metadata.name === rsName);
  return rs?.metadata.ownerReferences?.find((o) => o.kind === 'Deployment')?.name ?? (rsName ? rsName.replace(/-[a-z0-9]+$/, '') : undefined);
}

function isKnative(pod: Pod): boolean {
  return pod.spec.containers.some((c) => c.name === 'queue-proxy') || pod.metadata.labels?.['serving.knative.dev/revision'] !== undefined;
}

function mc201(t: TargetView, pod: Pod, mcs: ModelcarContainer[]): CheckResult {
  const value = pod.spec.shareProcessNamespace;
  const ev = { ...podEvidence(t, pod), field: 'spec.shareProcessNamespace', value: value ?? null, deployment: deploymentOf(t, pod) ?? null };
  if (value === true) return result('MC201', 'pass', podRef(pod), 'spec.shareProcessNamespace is true', ev);
  return result('MC201', 'fail', podRef(pod), `spec.shareProcessNamespace is ${value ?? 'unset'} on a pod with ${mcs.map((m) => m.container.name).join(', ')}: the runtime cannot reach the modelcar's /proc/<pid>/root (every KServe path sets it, so the pod was made or edited outside KServe's webhook)`, {
    ...ev,
    hintKey: isKnative(pod) ? 'knative' : ev.deployment ? 'default' : 'pod',
  });
}

function mc202(t: TargetView, pod: Pod, mcs: ModelcarContainer[]): CheckResult {
  // Every oci:// source that is not native wants a modelcar, whatever the config says (MC103 judges that).
  const wanted = t.sources.filter((s) => s.mode !== 'native');
  const component = pod.metadata.labels?.['component'];
  const mine = wanted.filter((s) => !component || s.component === component);
  const inits = (pod.spec.initContainers ?? []).map((c) => c.name);
  const ev = { ...podEvidence(t, pod), sources: mine.map((s) => `${s.field}=${s.uri}`), containers: pod.spec.containers.map((c) => c.name), initContainers: inits };
  if (mine.length === 0) return skip('MC202', podRef(pod), noSourceReason(t, 'no oci:// source in modelcar mode for this component'), ev);
  if (mcs.length >= mine.length) return result('MC202', 'pass', podRef(pod), `${mcs.map((m) => m.container.name).join(', ')} present`, ev);
  const why = inits.includes(STORAGE_INITIALIZER) ? 'a storage-initializer was injected instead' : 'the webhook did not inject it';
  return result('MC202', 'fail', podRef(pod), `${t.ref.name} uses oci:// but pod ${pod.metadata.name} has ${mcs.length} modelcar container(s) for ${mine.length} source(s): ${why}`, ev);
}

function mc203(ctx: Context, t: TargetView, pod: Pod, mcs: ModelcarContainer[]): CheckResult[] {
  return mcs.map((mc) => {
    const ev = { ...podEvidence(t, pod), modelcar: mc.container.name, controllerVersion: ctx.versionEvidence };
    if (mc.init) return result('MC203', 'pass', podRef(pod), `${mc.init.name} pre-fetches the image`, ev);
    // Before v0.14 there was no modelcar-init; with the version unknown, `ln -s` (before v0.15) plus no init says the same.
    const old = ctx.version !== null ? !atLeast(ctx.version, SINCE.modelcarInit) : mc.lnForce === false;
    return old
      ? result('MC203', 'info', podRef(pod), `no modelcar-init: ${ctx.version ? `KServe ${ctx.versionEvidence.version}` : 'the pod spec (ln -s) shows a KServe that'} predates it (${SINCE.modelcarInit})`, { ...ev, hintKey: 'old', from: ctx.version ? 'controller version' : 'pod spec' })
      : result('MC203', 'warn', podRef(pod), `no modelcar-init init container for ${mc.container.name} (KServe adds it since ${SINCE.modelcarInit}): the pod was admitted by an older webhook or edited`, ev);
  });
}

function mc204(t: TargetView, pod: Pod, mcs: ModelcarContainer[]): CheckResult[] {
  return mcs.map((mc) => {
    const modelcarMount = mc.container.volumeMounts?.find((m) => m.name === mc.volume);
    const expected = mc.modelPath ? parentDir(mc.modelPath) : modelcarMount?.mountPath ?? null;
    const readers = runtimeContainers(pod.spec);
    const volume = pod.spec.volumes?.find((v) => v.name === mc.volume);
    const problems: string[] = [];
    if (!volume) problems.push(`volume ${mc.volume} is not in spec.volumes`);
    if (!modelcarMount || modelcarMount.mountPath !== expected) problems.push(`${mc.container.name} mounts ${mc.volume} at ${modelcarMount?.mountPath ?? 'nowhere'}`);
    for (const c of readers) {
      const m = c.volumeMounts?.find((x) => x.name === mc.volume);
      if (!m || m.mountPath !== expected) problems.push(`${c.name} mounts ${mc.volume} at ${m?.mountPath ?? 'nowhere'}`);
    }
    const ev = { ...podEvidence(t, pod), volume: mc.volume, expectedMountPath: expected, modelPath: mc.modelPath, containers: [mc.container.name, ...readers.map((c) => c.name)] };
    if (problems.length === 0) return result('MC204', 'pass', podRef(pod), `${ev.containers.join(' and ')} mount ${mc.volume} at ${expected}`, ev);
    return result('MC204', 'fail', podRef(pod), `${problems.join('; ')} (expected ${expected}, the parent of ${mc.modelPath ?? 'the model path'})`, { ...ev, problems });
  });
}

function mc205(ctx: Context, t: TargetView, pod: Pod, mcs: ModelcarContainer[]): CheckResult[] {
  const runtime = mainRuntimeContainer(pod.spec);
  if (!runtime) return [skip('MC205', podRef(pod), 'no runtime container')];
  return mcs.map((mc) => {
    const base = { ...podEvidence(t, pod), runtimeContainer: runtime.name, modelcarContainer: mc.container.name };
    const ids = probedIds(exec(ctx, pod, runtime.name, mc.modelPath));
    if (ids) {
      const { runtime: r, modelcar: m } = ids;
      const ev = { ...base, source: `exec: /proc/self/status in ${runtime.name}, /proc/${ids.pid}/status`, runtimeUid: r.uid, runtimeGid: r.gid, modelcarUid: m.uid, modelcarGid: m.gid };
      if (r.uid === m.uid && r.gid === m.gid) return result('MC205', 'pass', podRef(pod), `both run as ${r.uid}:${r.gid}`, ev, runtime.name);
      if (r.uid !== m.uid) return result('MC205', 'fail', podRef(pod), `${runtime.name} runs as uid ${r.uid}, ${mc.container.name} as uid ${m.uid}: the kernel refuses /proc/<pid>/root across users`, { ...ev, suggestedUid: r.uid, ...patchEvidence(ctx, { uidModelcar: r.uid }) }, runtime.name);
      return result('MC205', 'fail', podRef(pod), `${runtime.name} runs with gid ${r.gid}, ${mc.container.name} with gid ${m.gid}: the kernel compares gids too`, { ...ev, hintKey: 'gid', suggestedGid: r.gid }, runtime.name);
    }
    const ri = effectiveIds(pod.spec, runtime);
    const mi = effectiveIds(pod.spec, mc.container);
    const ev = { ...base, source: 'pod spec', runtimeUid: ri.uid, modelcarUid: mi.uid, runtimeGid: ri.gid, modelcarGid: mi.gid };
    if (ri.uid.value === null || mi.uid.value === null) {
      const unknown = ri.uid.value === null ? runtime.name : mc.container.name;
      if (ri.uid.value === null && mi.uid.value === null) {
        // Offline or without exec (docs/scenarios.md uid-mismatch note): the runtime is held to a
        // non-root user while nothing keeps the modelcar from its image's user, root in busybox-based
        // model images: a likely mismatch, which only the uids in /proc can confirm.
        const nonRoot = (c: typeof runtime) => c.securityContext?.runAsNonRoot ?? pod.spec.securityContext?.runAsNonRoot;
        if (nonRoot(runtime) === true && nonRoot(mc.container) !== true) {
          return result('MC205', 'warn', podRef(pod), `${runtime.name} must run as non-root, ${mc.container.name} runs as its image's user (root in busybox-based model images); neither user is in the spec, so they differ unless the model image's USER is the runtime's`, { ...ev, hintKey: 'unknown', unknownContainer: mc.container.name, runtimeRunAsNonRoot: true }, runtime.name);
        }
        return skip('MC205', podRef(pod), 'neither container sets a user; both run as their image users, which the spec does not show', ev, runtime.name);
      }
      return result('MC205', 'warn', podRef(pod), `${unknown} runs as its image's user, which the spec does not show; the other runs as ${ri.uid.value ?? mi.uid.value}`, { ...ev, hintKey: 'unknown', unknownContainer: unknown }, runtime.name);
    }
    if (ri.uid.value !== mi.uid.value) {
      return result('MC205', 'fail', podRef(pod), `${runtime.name} runs as uid ${ri.uid.value}, ${mc.container.name} as uid ${mi.uid.value}`, { ...ev, suggestedUid: ri.uid.value, ...patchEvidence(ctx, { uidModelcar: ri.uid.value }) }, runtime.name);
    }
    if (ri.gid.value !== null && mi.gid.value !== null && ri.gid.value !== mi.gid.value) {
      return result('MC205', 'fail', podRef(pod), `${runtime.name} runs with gid ${ri.gid.value}, ${mc.container.name} with gid ${mi.gid.value}`, { ...ev, hintKey: 'gid', suggestedGid: ri.gid.value }, runtime.name);
    }
    return result('MC205', 'pass', podRef(pod), `both run as uid ${ri.uid.value}${ri.gid.value !== null ? `, gid ${ri.gid.value}` : ''}`, ev, runtime.name);
  });
}

function mc206(t: TargetView): CheckResult[] {
  const sources = t.sources.filter((s) => s.mode === 'modelcar' || s.mode === 'fetch');
  if (sources.length === 0) return [skip('MC206', t.object, noSourceReason(t, 'no modelcar-mode oci:// source'))];
  return sources.map((s) => {
    const tag = tagOf(s.image);
    const always = t.pods.flatMap((p) => modelcarContainers(p.spec)).filter((m) => m.container.image === s.image && m.container.imagePullPolicy === 'Always');
    const ev = { namespace: t.ref.namespace, isvc: t.ref.name, field: s.field, uri: s.uri, repository: repositoryOf(s.image), tag };
    if (tag === 'latest' || tag === '') return result('MC206', 'warn', t.object, `${s.field} is ${s.uri}: ${tag ? 'tag latest' : 'no tag'} means imagePullPolicy Always, so every start pulls the model again`, ev);
    if (always.length) return result('MC206', 'warn', t.object, `${always[0]!.container.name} has imagePullPolicy Always: every start pulls the model again`, { ...ev, imagePullPolicy: 'Always' });
    return result('MC206', 'pass', t.object, `${s.uri} has ${tag === null ? 'a digest' : `tag ${tag}`}`, ev);
  });
}

function mc207(t: TargetView): CheckResult {
  const ids = new Map<string, string[]>();
  for (const pod of t.pods) {
    for (const mc of modelcarContainers(pod.spec)) {
      const id = containerStatus(pod, mc.container.name)?.imageID;
      if (id) ids.set(`${mc.container.name}=${id}`, [...(ids.get(`${mc.container.name}=${id}`) ?? []), pod.metadata.name]);
    }
  }
  if (ids.size === 0) return skip('MC207', t.object, t.pods.length ? 'no modelcar image IDs in the pod statuses (not started)' : t.noPodsReason ?? 'no pods');
  const byContainer = new Map<string, Array<[string, string[]]>>();
  for (const [key, pods] of ids) {
    const [name, id] = key.split(/=(.*)/s) as [string, string];
    byContainer.set(name, [...(byContainer.get(name) ?? []), [id, pods]]);
  }
  const drift = [...byContainer].find(([, v]) => v.length > 1);
  const ev = { namespace: t.ref.namespace, isvc: t.ref.name, imageIDs: Object.fromEntries([...byContainer].map(([k, v]) => [k, Object.fromEntries(v)])) };
  if (!drift) return result('MC207', 'pass', t.object, 'all pods run the same modelcar image', ev);
  const digest = /@(sha256:[0-9a-f]+)/.exec(drift[1][0]![0])?.[1];
  const image = t.pods.flatMap((p) => modelcarContainers(p.spec)).find((m) => m.container.name === drift[0])?.container.image ?? '';
  return result('MC207', 'warn', t.object, `pods run ${drift[0]} from ${drift[1].length} different images: ${drift[1].map(([id, pods]) => `${id} (${pods.join(', ')})`).join('; ')}`, { ...ev, repository: repositoryOf(image), digest });
}

const PSA_ENFORCE = 'pod-security.kubernetes.io/enforce';

function mc208(t: TargetView, ctx: Context): CheckResult {
  const ns = ctx.snapshot.namespaces.find((n) => n.metadata.name === t.ref.namespace);
  const object = `namespace/${t.ref.namespace}`;
  const level = ns?.metadata.labels?.[PSA_ENFORCE];
  const refusals = t.refusals.filter((e) => /violates PodSecurity/i.test(e.message));
  const ev = { namespace: t.ref.namespace, isvc: t.ref.name, label: level !== undefined ? `${PSA_ENFORCE}=${level}` : null, modes: t.sources.map((s) => `${s.mode || 'off'} (from ${s.modeFrom})`), ...(refusals.length ? { refusals } : {}) };
  if (!usesModelcar(t)) return skip('MC208', object, noSourceReason(t, 'no modelcar-mode oci:// source'), ev);
  if (refusals.length) return result('MC208', 'fail', object, `Pod Security refuses the pods: ${refusals[0]!.message}`, ev);
  if (level === 'restricted') return result('MC208', 'fail', object, `namespace ${t.ref.namespace} enforces Pod Security "restricted", which refuses modelcar and modelcar-init (KServe does not set runAsNonRoot, seccompProfile or drop capabilities on them)`, ev);
  if (!ns) return skip('MC208', object, 'the namespace object is not available', ev);
  return result('MC208', 'pass', object, `Pod Security level ${level ?? 'not enforced'} admits the modelcar containers`, ev);
}

function mc209(ctx: Context, t: TargetView, pod: Pod, mcs: ModelcarContainer[]): CheckResult[] {
  return mcs.map((mc) => {
    const limits = mc.container.resources?.limits ?? {};
    const mem = limits['memory'] !== undefined ? parseQuantity(limits['memory']) : null;
    const cpu = limits['cpu'] !== undefined ? parseQuantity(limits['cpu']) : null;
    const st = containerStatus(pod, mc.container.name);
    const oom = [st?.state?.terminated, st?.lastState?.terminated].find((x) => x?.reason === 'OOMKilled');
    const defaults = { memory: 15 * 2 ** 20, cpu: 0.01 };
    const suggested = suggestedModelcarMemory(limits['memory'] ?? null);
    const ev = { ...podEvidence(t, pod), container: mc.container.name, limits, suggested, ...patchEvidence(ctx, { memoryModelcar: suggested }) };
    const low: string[] = [];
    if (oom) low.push(`OOMKilled (exit ${oom.exitCode}) with memory limit ${limits['memory'] ?? 'none'}`);
    if (mem !== null && mem < defaults.memory) low.push(`memory limit ${limits['memory']} is below KServe's default 15Mi`);
    if (cpu !== null && cpu < defaults.cpu) low.push(`cpu limit ${limits['cpu']} is below KServe's default 10m`);
    if (low.length) return result('MC209', 'warn', podRef(pod), `${mc.container.name}: ${low.join('; ')}`, ev, mc.container.name);
    return result('MC209', 'pass', podRef(pod), `${mc.container.name} limits ${limits['cpu'] ?? '-'} CPU / ${limits['memory'] ?? '-'} memory`, ev, mc.container.name);
  });
}

const SCC_RANGE = 'openshift.io/sa.scc.uid-range';

function mc210(ctx: Context, t: TargetView): CheckResult {
  const ns = ctx.snapshot.namespaces.find((n) => n.metadata.name === t.ref.namespace);
  const object = `namespace/${t.ref.namespace}`;
  const range = ns?.metadata.annotations?.[SCC_RANGE];
  const refusals = t.refusals.filter((e) => /security context constraint/i.test(e.message));
  const uid = ctx.validConfig?.uidModelcar ?? null;
  const ev = { namespace: t.ref.namespace, isvc: t.ref.name, uidRange: range ?? null, uidModelcar: uid, ...(refusals.length ? { refusals } : {}) };
  const m = range ? /^(\d+)\/(\d+)$/.exec(range) : null;
  const start = m ? Number(m[1]) : null;
  const fix = start !== null ? { suggestedUid: start, ...patchEvidence(ctx, { uidModelcar: start }) } : { hintKey: 'unset', ...patchEvidence(ctx, { uidModelcar: undefined }) };
  if (refusals.length) return result('MC210', 'fail', object, `SecurityContextConstraints refuse the pods: ${refusals[0]!.message}`, { ...ev, ...fix });
  if (!usesModelcar(t)) return skip('MC210', object, noSourceReason(t, 'no modelcar-mode oci:// source'), ev);
  if (!range) return skip('MC210', object, `not OpenShift (no ${SCC_RANGE} annotation on the namespace)`, ev);
  if (uid !== null && m && (uid < start! || uid >= start! + Number(m[2]))) {
    return result('MC210', 'fail', object, `uidModelcar ${uid} is outside the namespace's UID range ${range}: the restricted SCC refuses the pod`, { ...ev, ...fix });
  }
  return result('MC210', 'pass', object, uid === null ? 'uidModelcar is unset: the SCC assigns a UID from the range' : `uidModelcar ${uid} is inside ${range}`, ev);
}

/** The pod template of the target's Deployment or Knative Revision, when there is no pod. */
function template(t: TargetView): { spec: PodSpec; from: string } | null {
  const d = t.deployments.find((x) => x.spec?.template?.spec);
  if (d) return { spec: d.spec!.template!.spec, from: `deployment/${d.metadata.namespace}/${d.metadata.name} spec.template` };
  const r = t.revisions.find((x) => x.spec?.containers);
  if (r) return { spec: r.spec as PodSpec, from: `revision/${r.metadata.namespace}/${r.metadata.name} spec` };
  return null;
}

/** Spec checks without a pod: KServe adds the modelcar at pod admission, so the template never
 *  shows it; what the config and the template together decide is still checked. */
function withoutPods(ctx: Context, t: TargetView): CheckResult[] {
  const reason = t.noPodsReason ?? 'no pods';
  const injected = `${reason}; KServe adds the modelcar at pod admission, so no template shows it`;
  const out = (['MC201', 'MC202', 'MC203', 'MC204'] as const).map((id) => skip(id, t.object, injected));
  const c = ctx.validConfig;
  if (!c || !usesModelcar(t)) return [...out, ...(['MC205', 'MC209'] as const).map((id) => skip(id, t.object, reason))];
  const { cpu, memory } = modelcarResources(c);
  const low = [parseQuantity(memory)! < 15 * 2 ** 20 ? `memoryModelcar ${memory} is below KServe's default 15Mi` : '', parseQuantity(cpu)! < 0.01 ? `cpuModelcar ${cpu} is below KServe's default 10m` : ''].filter(Boolean);
  const resEv = { namespace: t.ref.namespace, isvc: t.ref.name, source: 'storageInitializer (no pod)', cpuModelcar: cpu, memoryModelcar: memory, suggested: suggestedModelcarMemory(memory), ...patchEvidence(ctx, { memoryModelcar: suggestedModelcarMemory(memory) }) };
  out.push(low.length ? result('MC209', 'warn', t.object, low.join('; '), resEv) : result('MC209', 'pass', t.object, `modelcars will get ${cpu} CPU / ${memory} memory`, resEv));
  const tpl = template(t);
  const runtime = tpl ? mainRuntimeContainer(tpl.spec) : undefined;
  if (c.uidModelcar !== null) {
    out.push(result('MC205', 'pass', t.object, `uidModelcar ${c.uidModelcar}: KServe will run the runtime and modelcar as ${c.uidModelcar}`, { namespace: t.ref.namespace, isvc: t.ref.name, source: 'storageInitializer uidModelcar (no pod)', uidModelcar: c.uidModelcar }));
  } else if (tpl && runtime) {
    const uid = effectiveIds(tpl.spec, runtime).uid;
    out.push(result('MC205', 'warn', t.object, `uidModelcar is unset: ${runtime.name} will run as ${uid.value ?? "its image's user"}, the modelcar as its image's user, which the spec does not show`, {
      namespace: t.ref.namespace, isvc: t.ref.name, source: tpl.from, runtimeUid: uid, runtimeContainer: runtime.name, unknownContainer: 'modelcar',
      ...(uid.value !== null ? { suggestedUid: uid.value, ...patchEvidence(ctx, { uidModelcar: uid.value }) } : {}),
    }));
  } else {
    out.push(skip('MC205', t.object, reason));
  }
  return out;
}

export function checkSpec(ctx: Context): CheckResult[] {
  const out: CheckResult[] = [];
  for (const t of ctx.targets) {
    out.push(...mc206(t), mc207(t), mc208(t, ctx), mc210(ctx, t));
    if (t.pods.length === 0) {
      out.push(...withoutPods(ctx, t));
      continue;
    }
    for (const pod of t.pods) {
      const mcs = modelcarContainers(pod.spec);
      out.push(mc202(t, pod, mcs));
      if (mcs.length === 0) {
        const reason = usesModelcar(t) ? 'no modelcar container (MC202)' : noSourceReason(t, 'no modelcar-mode oci:// source');
        out.push(...(['MC201', 'MC203', 'MC204', 'MC205', 'MC209'] as const).map((id) => skip(id, podRef(pod), reason)));
        continue;
      }
      out.push(mc201(t, pod, mcs), ...mc203(ctx, t, pod, mcs), ...mc204(t, pod, mcs), ...mc205(ctx, t, pod, mcs), ...mc209(ctx, t, pod, mcs));
    }
  }
  return out;
}
