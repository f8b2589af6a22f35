// OpenShift's SecurityContextConstraints admission, as far as modelcars meet it: in a namespace with
// the `openshift.io/sa.scc.uid-range` annotation (what OpenShift puts on every project), pods run
// under restricted-v2: containers without a runAsUser get the range's first uid, and a runAsUser
// outside the range makes every SCC refuse the pod, with OpenShift's message.
import type { ApiError } from '../apiserver/errors.ts';
import type { AdmissionPlugin, KObject } from '../types.ts';
import { podForbidden, podSpec } from './pod-view.ts';

export const UID_RANGE_ANNOTATION = 'openshift.io/sa.scc.uid-range';

/** The SCCs a default OpenShift 4 install has, in the order the admission tries them; only
 *  restricted-v2 is usable by a namespace's service accounts. */
const OTHER_SCCS = ['anyuid', 'restricted', 'nonroot-v2', 'nonroot', 'hostmount-anyuid', 'machine-api-termination-handler', 'hostnetwork-v2', 'hostnetwork', 'hostaccess', 'privileged'];

/** "1000660000/10000" -> [1000660000, 1000669999]. */
export function parseUidRange(value: string): [number, number] | undefined {
  const m = /^(\d+)\/(\d+)$/.exec(value.trim());
  return m ? [Number(m[1]), Number(m[1]) + Number(m[2]) - 1] : undefined;
}

export function sccAdmission(): AdmissionPlugin {
  return {
    name: 'security.openshift.io/SecurityContextConstraint',
    admit(req) {
      if (req.operation !== 'CREATE' || req.resource !== 'pods') return req.object;
      const ns = req.store.get('namespaces', undefined, req.namespace ?? '');
      const range = parseUidRange(ns?.metadata.annotations?.[UID_RANGE_ANNOTATION] ?? '');
      if (!range) return req.object;
      const pod = req.object;
      const spec = podSpec(pod);
      const [lo, hi] = range;
      const problems: string[] = [];
      const check = (field: string, uid: number | undefined) => {
        if (uid !== undefined && (uid < lo || uid > hi)) problems.push(`${field}.runAsUser: Invalid value: ${uid}: must be in the ranges: [${lo}, ${hi}]`);
      };
      check('.spec.securityContext', spec.securityContext?.runAsUser);
      (spec.initContainers ?? []).forEach((c, i) => check(`.initContainers[${i}]`, c.securityContext?.runAsUser));
      spec.containers.forEach((c, i) => check(`.containers[${i}]`, c.securityContext?.runAsUser));
      if (problems.length) throw refused(pod, problems);
      // MustRunAsRange: whoever sets no uid runs as the range's first one.
      if (spec.securityContext?.runAsUser === undefined) {
        for (const c of [...(spec.initContainers ?? []), ...spec.containers]) {
          if (c.securityContext?.runAsUser === undefined) c.securityContext = { ...c.securityContext, runAsUser: lo };
        }
      }
      return pod;
    },
  };
}

function refused(pod: KObject, problems: string[]): ApiError {
  const reasons = [
    `provider "${OTHER_SCCS[0]}": Forbidden: not usable by user or serviceaccount`,
    ...problems.map((p) => `provider restricted-v2: ${p}`),
    ...OTHER_SCCS.slice(1).map((scc) => `provider "${scc}": Forbidden: not usable by user or serviceaccount`),
  ];
  return podForbidden(pod, `unable to validate against any security context constraint: [${reasons.join(', ')}]`, true);
}
