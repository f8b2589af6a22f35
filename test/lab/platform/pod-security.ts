// Pod Security admission (k8s.io/pod-security-admission) for the `enforce` label of a namespace:
// baseline and restricted, the checks that KServe pods can meet, in the policy's check order, with
// its messages: `pods "x" is forbidden: violates PodSecurity "restricted:latest": ...`.
import type { AdmissionPlugin } from '../types.ts';
import { allContainers, joinQuote, podForbidden, podSpec, type AdmittedContainer, type AdmittedPodSpec } from './pod-view.ts';

export const ENFORCE_LABEL = 'pod-security.kubernetes.io/enforce';
const LEVELS = ['privileged', 'baseline', 'restricted'] as const;
type Level = (typeof LEVELS)[number];

/** Capabilities baseline allows adding (the container runtime's defaults). */
const BASELINE_CAPABILITIES = new Set(['AUDIT_WRITE', 'CHOWN', 'DAC_OVERRIDE', 'FOWNER', 'FSETID', 'KILL', 'MKNOD', 'NET_BIND_SERVICE', 'SETFCAP', 'SETGID', 'SETPCAP', 'SETUID', 'SYS_CHROOT']);

interface Check { level: Level; run(spec: AdmittedPodSpec): string | undefined }

const named = (containers: AdmittedContainer[]) => containers.map((c) => c.name);
const containersPhrase = (names: string[]) => `${names.length === 1 ? 'container' : 'containers'} ${joinQuote(names)}`;

// The policy's checks, ordered by ID as it reports them.
const CHECKS: Check[] = [
  { level: 'restricted', run: (s) => { // allowPrivilegeEscalation
    const bad = named(allContainers(s).filter((c) => c.securityContext?.allowPrivilegeEscalation !== false));
    return bad.length ? `allowPrivilegeEscalation != false (${containersPhrase(bad)} must set securityContext.allowPrivilegeEscalation=false)` : undefined;
  } },
  { level: 'baseline', run: (s) => { // capabilities_baseline
    const adds = allContainers(s).flatMap((c) => (c.securityContext?.capabilities?.add ?? []).filter((cap) => !BASELINE_CAPABILITIES.has(cap)).map((cap) => ({ c: c.name, cap })));
    if (!adds.length) return undefined;
    const byContainer = [...new Set(adds.map((a) => a.c))].map((c) => `${containersPhrase([c])} must not include ${joinQuote(adds.filter((a) => a.c === c).map((a) => a.cap))} in securityContext.capabilities.add`);
    return `non-default capabilities (${byContainer.join('; ')})`;
  } },
  { level: 'restricted', run: (s) => { // capabilities_restricted
    const noDrop = named(allContainers(s).filter((c) => !(c.securityContext?.capabilities?.drop ?? []).includes('ALL')));
    const adds = allContainers(s).filter((c) => (c.securityContext?.capabilities?.add ?? []).some((cap) => cap !== 'NET_BIND_SERVICE'));
    const parts = [
      ...(noDrop.length ? [`${containersPhrase(noDrop)} must set securityContext.capabilities.drop=["ALL"]`] : []),
      ...adds.map((c) => `${containersPhrase([c.name])} must not include ${joinQuote((c.securityContext?.capabilities?.add ?? []).filter((cap) => cap !== 'NET_BIND_SERVICE'))} in securityContext.capabilities.add`),
    ];
    return parts.length ? `unrestricted capabilities (${parts.join('; ')})` : undefined;
  } },
  { level: 'baseline', run: (s) => { // hostNamespaces
    const set = (['hostNetwork', 'hostPID', 'hostIPC'] as const).filter((k) => s[k]).map((k) => `${k}=true`);
    return set.length ? `host namespaces (${set.join(', ')})` : undefined;
  } },
  { level: 'baseline', run: (s) => { // hostPathVolumes
    const bad = (s.volumes ?? []).filter((v) => v.hostPath).map((v) => v.name);
    return bad.length ? `hostPath volumes (${bad.length === 1 ? 'volume' : 'volumes'} ${joinQuote(bad)})` : undefined;
  } },
  { level: 'baseline', run: (s) => { // privileged
    const bad = named(allContainers(s).filter((c) => c.securityContext?.privileged));
    return bad.length ? `privileged (${containersPhrase(bad)} must not set securityContext.privileged=true)` : undefined;
  } },
  { level: 'restricted', run: (s) => { // runAsNonRoot
    const podSetsFalse = s.securityContext?.runAsNonRoot === false;
    const explicitFalse = named(allContainers(s).filter((c) => c.securityContext?.runAsNonRoot === false));
    const unset = s.securityContext?.runAsNonRoot === true ? [] : named(allContainers(s).filter((c) => c.securityContext?.runAsNonRoot === undefined));
    const parts = [
      ...(podSetsFalse ? ['pod must not set securityContext.runAsNonRoot=false'] : []),
      ...(explicitFalse.length ? [`${containersPhrase(explicitFalse)} must not set securityContext.runAsNonRoot=false`] : []),
      ...(!podSetsFalse && unset.length ? [`pod or ${containersPhrase(unset)} must set securityContext.runAsNonRoot=true`] : []),
    ];
    return parts.length ? `runAsNonRoot != true (${parts.join('; ')})` : undefined;
  } },
  { level: 'restricted', run: (s) => { // runAsUser
    const bad = named(allContainers(s).filter((c) => c.securityContext?.runAsUser === 0));
    const pod = s.securityContext?.runAsUser === 0 ? ['pod must not set runAsUser=0'] : [];
    const parts = [...pod, ...(bad.length ? [`${containersPhrase(bad)} must not set runAsUser=0`] : [])];
    return parts.length ? `runAsUser=0 (${parts.join('; ')})` : undefined;
  } },
  { level: 'restricted', run: (s) => { // seccompProfile_restricted
    const ok = (t?: string) => t === 'RuntimeDefault' || t === 'Localhost';
    const podOk = ok(s.securityContext?.seccompProfile?.type);
    const bad = named(allContainers(s).filter((c) => (c.securityContext?.seccompProfile?.type === undefined ? !podOk : !ok(c.securityContext.seccompProfile.type))));
    return bad.length ? `seccompProfile (pod or ${containersPhrase(bad)} must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost")` : undefined;
  } },
];

/** The violations of `level` (empty when the pod is allowed). */
export function podSecurityViolations(spec: AdmittedPodSpec, level: Level): string[] {
  const rank = LEVELS.indexOf(level);
  return CHECKS.filter((c) => LEVELS.indexOf(c.level) <= rank && LEVELS.indexOf(c.level) > 0).map((c) => c.run(spec)).filter((v): v is string => Boolean(v));
}

export function podSecurityAdmission(): AdmissionPlugin {
  return {
    name: 'PodSecurity',
    admit(req) {
      if (req.operation !== 'CREATE' || req.resource !== 'pods') return req.object;
      const level = req.store.get('namespaces', undefined, req.namespace ?? '')?.metadata.labels?.[ENFORCE_LABEL] as Level | undefined;
      if (!level || level === 'privileged' || !LEVELS.includes(level)) return req.object;
      const violations = podSecurityViolations(podSpec(req.object), level);
      if (violations.length) throw podForbidden(req.object, `violates PodSecurity "${level}:latest": ${violations.join(', ')}`);
      return req.object;
    },
  };
}
