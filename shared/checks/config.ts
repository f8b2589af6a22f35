// MC1xx: the cluster configuration (ConfigMap inferenceservice-config, the controller version).
import type { CheckResult } from '../report.ts';
import type { LimitRange, Pod } from '../snapshot.ts';
import { editedExampleKeys, effectiveOciMode, modelcarResources } from '../kserve/config.ts';
import { behaviours, effectiveIds, mainRuntimeContainer, modelcarContainers } from '../kserve/pod.ts';
import { parseQuantity } from '../kserve/quantity.ts';
import { atLeast, SINCE } from '../kserve/version.ts';
import { exec, probedIds } from './inpod.ts';
import {
  findLogLine, noSourceReason, patchEvidence, podRef, result, skip, targetEvidence, usesModelcar,
  type Context, type TargetView,
} from './context.ts';



function mc101(ctx: Context): CheckResult {
  const k = ctx.snapshot.kserve;
  const ev = { kserveNamespace: k.namespace, namespaceSource: k.namespaceSource };
  if (!k.configMap) {
    if (k.configMapAbsence === 'not-found') return result('MC101', 'fail', ctx.configObject, `ConfigMap inferenceservice-config not found in namespace ${k.namespace}`, ev);
    return skip('MC101', ctx.configObject, k.configMapAbsence === 'forbidden' ? 'not allowed to read the ConfigMap' : k.configMapAbsence === 'not-in-input' ? 'the ConfigMap is not in the input' : 'the ConfigMap could not be read', ev);
  }
  if (!ctx.config.present) return result('MC101', 'fail', ctx.configObject, 'ConfigMap inferenceservice-config has no storageInitializer key', { ...ev, field: 'data.storageInitializer' });
  return result('MC101', 'pass', ctx.configObject, 'ConfigMap inferenceservice-config has a storageInitializer key', ev);
}

function mc102(ctx: Context): CheckResult {
  if (!ctx.config.present) return skip('MC102', ctx.configObject, 'no storageInitializer to parse');
  const refusals = ctx.targets.flatMap((t) => t.refusals).filter((e) => /storageInitializer|inferenceservice-config|webhook/i.test(e.message));
  if (ctx.config.ok) return result('MC102', 'pass', ctx.configObject, 'storageInitializer parses with correctly typed modelcar keys', { field: 'data.storageInitializer' });
  const problems = ctx.config.problems.map((p) => p.message);
  return result('MC102', 'fail', ctx.configObject, `storageInitializer is invalid: ${problems.join('; ')}; KServe's pod webhook refuses every new pod until it is fixed`, {
    field: 'data.storageInitializer',
    problem: problems.join('; '),
    problems,
    kserveNamespace: ctx.snapshot.kserve.namespace,
    ...(refusals.length ? { refusals } : {}),
  });
}

function mc103(ctx: Context, t: TargetView): CheckResult {
  const bare = t.sources.filter((s) => s.uri.startsWith('oci://'));
  if (bare.length === 0) return skip('MC103', t.object, noSourceReason(t, 'no oci:// source (explicit oci+<mode>:// URIs do not depend on the config)'));
  if (!ctx.validConfig) return skip('MC103', t.object, 'the storageInitializer config is missing or invalid (MC101/MC102)');
  const c = ctx.validConfig;
  const mode = effectiveOciMode(c, ctx.version);
  const ev = {
    ...targetEvidence(t),
    sources: bare.map((s) => `${s.field}=${s.uri}`),
    ociModelMode: c.ociModelMode || null,
    enableModelcar: c.enableModelcar,
    enableOciModelSupport: c.enableOciModelSupport,
    controllerVersion: ctx.versionEvidence,
  };
  if (mode) return result('MC103', 'pass', t.object, `effective OCI mode is ${mode}`, { ...ev, mode });
  return result('MC103', 'fail', t.object, `${t.ref.name} uses oci:// but the effective OCI mode is off (enableModelcar is not true and ociModelMode is empty)`, {
    ...ev,
    ...patchEvidence(ctx, { enableModelcar: true }),
  });
}

function mc104(ctx: Context): CheckResult {
  if (!ctx.snapshot.kserve.configMap) return skip('MC104', ctx.configObject, 'no ConfigMap');
  const edited = editedExampleKeys(ctx.snapshot.kserve.configMap);
  const top = ctx.config.present && ctx.config.config ? ctx.config.config.raw : {};
  const onlyThere = Object.fromEntries(Object.entries(edited).filter(([k]) => !(k in top)));
  const keys = Object.keys(onlyThere);
  if (keys.length === 0) return result('MC104', 'pass', ctx.configObject, 'the _example block has no edited modelcar keys missing from the top level', { edited });
  return result('MC104', 'warn', ctx.configObject, `modelcar keys ${keys.join(', ')} were edited in the _example block, which KServe never reads; the top level of storageInitializer lacks them`, {
    field: 'data._example',
    exampleValues: onlyThere,
    keys,
    ...patchEvidence(ctx, onlyThere),
  });
}

/** Latest time the storageInitializer key was written, from managedFields (or creation). */
function configChangedAt(ctx: Context): { at: string; how: string } | null {
  const cm = ctx.snapshot.kserve.configMap;
  if (!cm) return null;
  const writes = (cm.metadata.managedFields ?? []).filter((m) => {
    if (!m.time) return false;
    const fields = JSON.stringify(m['fieldsV1'] ?? null);
    return fields === 'null' || fields.includes('f:storageInitializer');
  });
  const latest = writes.map((m) => m.time!).sort().at(-1);
  if (latest) return { at: latest, how: 'metadata.managedFields (storageInitializer written)' };
  return cm.metadata.creationTimestamp ? { at: cm.metadata.creationTimestamp, how: 'metadata.creationTimestamp' } : null;
}

/** Where a pod's injected modelcar differs from what the current config would inject. */
function injectedDifferences(ctx: Context, pod: Pod): string[] {
  const c = ctx.validConfig;
  const mc = modelcarContainers(pod.spec)[0];
  if (!c || !mc) return [];
  const want = modelcarResources(c);
  const diffs: string[] = [];
  const limits = mc.container.resources?.limits ?? {};
  for (const [res, key, value] of [['memory', 'memoryModelcar', want.memory], ['cpu', 'cpuModelcar', want.cpu]] as const) {
    const have = limits[res];
    if (have !== undefined && parseQuantity(have) !== parseQuantity(value)) diffs.push(`${mc.container.name} limits.${res} is ${have}, config ${key} is ${value}`);
  }
  const uid = mc.container.securityContext?.runAsUser ?? null;
  if (uid !== c.uidModelcar) diffs.push(`${mc.container.name} runAsUser is ${uid ?? 'unset'}, config uidModelcar is ${c.uidModelcar ?? 'unset'}`);
  return diffs;
}

function mc105(ctx: Context, t: TargetView): CheckResult[] {
  const pods = t.sources.some((s) => s.mode !== 'native') ? t.pods : [];
  if (pods.length === 0) return [skip('MC105', t.object, t.noPodsReason ?? 'no oci:// pods')];
  if (!ctx.validConfig) return [skip('MC105', t.object, 'the storageInitializer config is missing or invalid')];
  const changed = configChangedAt(ctx);
  return pods.map((pod) => {
    const diffs = injectedDifferences(ctx, pod);
    // A pod admitted while modelcars were off keeps its storage-initializer after they are turned on.
    if (modelcarContainers(pod.spec).length === 0 && usesModelcar(t)) diffs.push('the pod has no modelcar, but the current config injects one (effective OCI mode modelcar)');
    const created = pod.metadata.creationTimestamp;
    const newer = changed && created && changed.how.startsWith('metadata.managedFields') && Date.parse(changed.at) > Date.parse(created);
    const ev = { ...targetEvidence(t), pod: pod.metadata.name, podCreated: created ?? null, configChanged: changed?.at ?? null, configChangedFrom: changed?.how ?? null, differences: diffs };
    if (diffs.length || newer) {
      const why = diffs.length ? diffs.join('; ') : `storageInitializer changed at ${changed!.at}, after the pod was created at ${created}`;
      return result('MC105', 'warn', podRef(pod), `pod ${pod.metadata.name} was admitted with an older storageInitializer: ${why}`, ev);
    }
    return result('MC105', 'pass', podRef(pod), `pod ${pod.metadata.name} has the current modelcar settings`, ev);
  });
}

interface Bound {
  limitRange: string;
  resource: 'cpu' | 'memory';
  kind: 'min' | 'max';
  bound: string;
}

function limitRangeViolations(lrs: readonly LimitRange[], cpu: string, memory: string): Bound[] {
  const out: Bound[] = [];
  const value = { cpu: parseQuantity(cpu), memory: parseQuantity(memory) };
  for (const lr of lrs) {
    for (const item of lr.spec?.limits ?? []) {
      if (item.type !== 'Container') continue;
      for (const resource of ['cpu', 'memory'] as const) {
        const v = value[resource];
        const min = item.min?.[resource];
        const max = item.max?.[resource];
        if (v !== null && min !== undefined && v < parseQuantity(min)!) out.push({ limitRange: lr.metadata.name, resource, kind: 'min', bound: String(min) });
        if (v !== null && max !== undefined && v > parseQuantity(max)!) out.push({ limitRange: lr.metadata.name, resource, kind: 'max', bound: String(max) });
      }
    }
  }
  return out;
}

function mc106(ctx: Context, t: TargetView): CheckResult {
  if (!usesModelcar(t)) return skip('MC106', t.object, noSourceReason(t, 'no modelcar-mode oci:// source'));
  if (!ctx.validConfig) return skip('MC106', t.object, 'the storageInitializer config is missing or invalid');
  const { cpu, memory } = modelcarResources(ctx.validConfig);
  const lrs = ctx.snapshot.limitRanges.filter((l) => l.metadata.namespace === t.ref.namespace);
  const violations = limitRangeViolations(lrs, cpu, memory);
  const refusals = t.refusals.filter((e) => /LimitRange|per Container|exceeded quota|forbidden: exceeded/i.test(e.message));
  const ev = { ...targetEvidence(t), cpuModelcar: cpu, memoryModelcar: memory, limitRanges: lrs.map((l) => l.metadata.name), ...(refusals.length ? { refusals } : {}) };
  if (violations.length) {
    const v = violations[0]!;
    // One change per resource: the bound it breaks (a min to reach, a max to stay under).
    const changes = Object.fromEntries(violations.map((x) => [`${x.resource}Modelcar`, x.bound]));
    const said = violations.map((x) => `${x.resource} ${x.resource === 'cpu' ? cpu : memory} is ${x.kind === 'min' ? 'below the minimum' : 'above the maximum'} ${x.bound}`);
    return result('MC106', 'fail', t.object, `the modelcar's ${said.join(', ')} of LimitRange ${v.limitRange}: every modelcar pod is refused`, {
      ...ev,
      violations,
      resource: v.resource,
      limitRange: v.limitRange,
      allowed: violations.map((x) => `${x.resource} ${x.kind} ${x.bound}`).join(', '),
      changes: Object.entries(changes).map(([k, val]) => `${k}=${val}`).join(', '),
      ...patchEvidence(ctx, changes),
    });
  }
  const quota = refusals.find((e) => /exceeded quota/i.test(e.message));
  if (quota) {
    const name = /exceeded quota: ([\w.-]+)/.exec(quota.message)?.[1];
    return result('MC106', 'fail', t.object, `pods are refused by a ResourceQuota: ${quota.message}`, { ...ev, hintKey: 'quota', quota: name, resource: 'cpu/memory', needed: `${cpu} CPU, ${memory} memory` });
  }
  if (refusals.length) return result('MC106', 'fail', t.object, `pods are refused by a LimitRange: ${refusals[0]!.message}`, { ...ev, resource: 'memory', limitRange: lrs[0]?.metadata.name });
  return result('MC106', 'pass', t.object, `modelcar ${cpu} CPU / ${memory} memory fit the namespace LimitRanges`, ev);
}

/** The uids of runtime and modelcar of a pod: from the in-pod probe when there is one, else the spec. */
export function podUids(ctx: Context, pod: Pod): { runtime: number | null; modelcar: number | null; source: string } | null {
  const runtime = mainRuntimeContainer(pod.spec);
  const mc = modelcarContainers(pod.spec)[0];
  if (!runtime || !mc) return null;
  const ids = probedIds(exec(ctx, pod, runtime.name, mc.modelPath));
  if (ids) return { runtime: ids.runtime.uid, modelcar: ids.modelcar.uid, source: `exec: /proc/${ids.pid}/status` };
  return { runtime: effectiveIds(pod.spec, runtime).uid.value, modelcar: effectiveIds(pod.spec, mc.container).uid.value, source: 'pod spec' };
}

function mc107(ctx: Context, t: TargetView): CheckResult {
  if (!ctx.validConfig) return skip('MC107', ctx.configObject, 'the storageInitializer config is missing or invalid');
  if (ctx.validConfig.uidModelcar !== null) return result('MC107', 'pass', ctx.configObject, `uidModelcar is ${ctx.validConfig.uidModelcar}`, { uidModelcar: ctx.validConfig.uidModelcar });
  const seen = t.pods.map((p) => ({ pod: p.metadata.name, ...podUids(ctx, p) })).filter((u) => u.runtime !== undefined);
  const differing = seen.find((u) => u.runtime !== null && u.modelcar !== null && u.runtime !== u.modelcar);
  if (differing) {
    return result('MC107', 'warn', ctx.configObject, `uidModelcar is unset and in pod ${differing.pod} the runtime runs as ${differing.runtime}, modelcar as ${differing.modelcar}`, {
      ...targetEvidence(t), uids: differing, suggestedUid: differing.runtime, ...patchEvidence(ctx, { uidModelcar: differing.runtime }),
    });
  }
  if (seen.some((u) => u.runtime === null || u.modelcar === null) || seen.length === 0) return skip('MC107', ctx.configObject, 'uidModelcar is unset and the users of the containers are not known (image users are not in the spec)', { uidModelcar: null });
  return result('MC107', 'pass', ctx.configObject, 'uidModelcar is unset but modelcar and runtime run as the same user', { uids: seen });
}

/** One known bug that matches: which (names a hint variant), what was seen, whether it already bit. */
interface KnownBug {
  bug: 'storageUris' | 'native' | 'lnS' | 'securityContext';
  text: string;
  hit?: boolean;
  evidence: Record<string, unknown>;
}

function mc108(ctx: Context, t: TargetView): CheckResult[] {
  const v = ctx.version;
  const uid = ctx.validConfig?.uidModelcar ?? null;
  const storageUrisOci = t.sources.filter((s) => s.field.includes('storageUris'));
  const issues = (pod: Pod | undefined): KnownBug[] => {
    const out: KnownBug[] = [];
    if (storageUrisOci.length && v && !atLeast(v, SINCE.storageUrisOci)) {
      out.push({ bug: 'storageUris', text: `storageUris with oci:// are ignored before ${SINCE.storageUrisOci} (controller ${ctx.versionEvidence.version})`, evidence: { sources: storageUrisOci.map((s) => s.field) } });
    }
    const native = t.sources.filter((s) => s.mode === 'native');
    if (native.length && v && !atLeast(v, SINCE.severalSourcesAndNative)) {
      out.push({ bug: 'native', text: `native image volumes (${native[0]!.uri.split('://')[0]}://) need KServe ${SINCE.severalSourcesAndNative}; controller ${ctx.versionEvidence.version} does not know them`, evidence: { sources: native.map((s) => s.field) } });
    }
    if (!pod) return out;
    const b = behaviours(pod, t.isvc, v, uid, ctx.snapshot.servingRuntimes);
    const mc = modelcarContainers(pod.spec)[0];
    if (mc && b.lnForce.value === false) {
      const seen = findLogLine(ctx, pod, mc.container.name, /File exists/);
      const status = pod.status?.containerStatuses?.find((s) => s.name === mc.container.name);
      const terminated = [status?.state?.terminated, status?.lastState?.terminated].find((x) => x?.message?.includes('File exists'));
      const hit = seen !== null || terminated !== undefined;
      out.push({
        bug: 'lnS',
        hit,
        text: hit
          ? `modelcar's "ln -s" failed with "File exists" after a restart (fixed by ln -sf in v0.15, #4274)`
          : `modelcar links with "ln -s", which fails with "File exists" after a modelcar restart (fixed in v0.15, #4274)`,
        evidence: { lnForce: b.lnForce, args: mc.container.args, ...(seen ? { logLine: seen.line, log: seen.log } : {}), ...(terminated ? { terminatedMessage: terminated.message } : {}) },
      });
    }
    if (b.securityContextReplaced.value) {
      const runtime = mainRuntimeContainer(pod.spec);
      out.push({
        bug: 'securityContext',
        text: `the runtime's securityContext was replaced by {runAsUser: ${runtime?.securityContext?.runAsUser ?? uid}} at admission (#5166, fixed in v0.18.0)${b.securityContextReplaced.lost?.length ? `; lost: ${b.securityContextReplaced.lost.join(', ')}` : ''}`,
        evidence: { securityContextReplaced: b.securityContextReplaced, securityContext: runtime?.securityContext ?? null },
      });
    }
    return out;
  };
  const judge = (object: string, found: KnownBug[], extra: Record<string, unknown>, canTell: boolean): CheckResult => {
    const ev = { ...targetEvidence(t), controllerVersion: ctx.versionEvidence, ...extra };
    if (found.length === 0) {
      return canTell
        ? result('MC108', 'pass', object, 'no known modelcar bug of this KServe version matches', ev)
        : skip('MC108', object, 'the KServe version is unknown and the pod spec does not show the behaviour', ev);
    }
    // The bug that already bit leads: its hint is the one to follow first.
    const lead = found.find((f) => f.hit) ?? found[0]!;
    return result('MC108', lead.hit ? 'fail' : 'warn', object, found.map((f) => f.text).join('; '), {
      ...ev,
      hintKey: lead.bug,
      bugs: found.map((f) => ({ bug: f.bug, ...f.evidence })),
      ...Object.assign({}, ...found.map((f) => f.evidence)),
    });
  };
  const modelcarPods = t.pods.filter((p) => modelcarContainers(p.spec).length > 0);
  if (modelcarPods.length === 0) return [judge(t.object, issues(undefined), {}, v !== null)];
  return modelcarPods.map((pod) => judge(podRef(pod), issues(pod), { pod: pod.metadata.name }, true));
}

export function checkConfig(ctx: Context): CheckResult[] {
  const out: CheckResult[] = [mc101(ctx), mc102(ctx), mc104(ctx)];
  for (const t of ctx.targets) {
    out.push(mc103(ctx, t), ...mc105(ctx, t), mc106(ctx, t), mc107(ctx, t), ...mc108(ctx, t));
  }
  return out;
}

