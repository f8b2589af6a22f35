// Server-side printing (`Accept: application/json;as=Table;v=v1;g=meta.k8s.io`): the columns and
// cells of k8s.io/kubernetes/pkg/printers/internalversion, CRD additionalPrinterColumns, and
// NAME/AGE for everything else. The server always fills the wide columns; kubectl hides priority 1.
import type { KObject } from '../types.ts';
import { evaluate } from './jsonpath.ts';
import type { PrinterColumn, ResourceType } from './resources.ts';

export interface Column { name: string; type: string; format: string; description: string; priority: number }
type Cell = string | number | boolean | null;
type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const col = (name: string, type = 'string', priority = 0, format = ''): Column => ({ name, type, format, description: name, priority });
const NAME = col('Name', 'string', 0, 'name');
const AGE = col('Age', 'string');

/** k8s.io/apimachinery/pkg/util/duration.HumanDuration. */
export function humanDuration(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  if (seconds < -1) return '<invalid>';
  if (seconds < 0) return '0s';
  if (seconds < 120) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 10) { const s = seconds % 60; return s === 0 ? `${minutes}m` : `${minutes}m${s}s`; }
  if (minutes < 180) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 8) { const m = minutes % 60; return m === 0 ? `${hours}h` : `${hours}h${m}m`; }
  if (hours < 48) return `${hours}h`;
  if (hours < 24 * 8) { const h = hours % 24; return h === 0 ? `${hours / 24 | 0}d` : `${Math.floor(hours / 24)}d${h}h`; }
  if (hours < 24 * 365 * 2) return `${Math.floor(hours / 24)}d`;
  if (hours < 24 * 365 * 8) { const dy = Math.floor(hours / 24) % 365; return dy === 0 ? `${Math.floor(hours / 24 / 365)}y` : `${Math.floor(hours / 24 / 365)}y${dy}d`; }
  return `${Math.floor(hours / 24 / 365)}y`;
}

export function age(ts: string | undefined, now = Date.now()): string {
  if (!ts) return '<unknown>';
  return humanDuration(now - Date.parse(ts));
}

// ---- pods ----

function isRestartableInit(c: Obj | undefined): boolean {
  return c?.restartPolicy === 'Always';
}

/** printPod: READY, STATUS and RESTARTS exactly as the real server computes them. */
export function podRow(pod: Obj, now = Date.now()): Cell[] {
  const spec = pod.spec ?? {};
  const status = pod.status ?? {};
  let restarts = 0;
  let restartableInitRestarts = 0;
  let totalContainers = (spec.containers ?? []).length;
  let readyContainers = 0;
  let lastRestart = 0;
  let lastRestartableInitRestart = 0;
  let reason: string = status.reason || status.phase || '';
  for (const c of status.conditions ?? []) if (c.type === 'PodScheduled' && c.reason === 'SchedulingGated') reason = 'SchedulingGated';

  const initSpecs = new Map<string, Obj>();
  for (const c of spec.initContainers ?? []) { initSpecs.set(c.name, c); if (isRestartableInit(c)) totalContainers++; }

  let initializing = false;
  const initStatuses: Obj[] = status.initContainerStatuses ?? [];
  for (let i = 0; i < initStatuses.length; i++) {
    const c = initStatuses[i]!;
    restarts += c.restartCount ?? 0;
    const finished = Date.parse(c.lastState?.terminated?.finishedAt ?? '') || 0;
    if (finished > lastRestart) lastRestart = finished;
    if (isRestartableInit(initSpecs.get(c.name))) {
      restartableInitRestarts += c.restartCount ?? 0;
      if (finished > lastRestartableInitRestart) lastRestartableInitRestart = finished;
    }
    const term = c.state?.terminated;
    const wait = c.state?.waiting;
    if (term && term.exitCode === 0) continue;
    if (isRestartableInit(initSpecs.get(c.name)) && c.started) { if (c.ready) readyContainers++; continue; }
    if (term) {
      reason = term.reason ? `Init:${term.reason}` : term.signal ? `Init:Signal:${term.signal}` : `Init:ExitCode:${term.exitCode}`;
    } else if (wait?.reason && wait.reason !== 'PodInitializing') {
      reason = `Init:${wait.reason}`;
    } else {
      reason = `Init:${i}/${(spec.initContainers ?? []).length}`;
    }
    initializing = true;
    break;
  }

  const initialized = (status.conditions ?? []).some((c: Obj) => c.type === 'Initialized' && c.status === 'True');
  if (!initializing || initialized) {
    restarts = restartableInitRestarts;
    lastRestart = lastRestartableInitRestart;
    let hasRunning = false;
    const cs: Obj[] = status.containerStatuses ?? [];
    for (let i = cs.length - 1; i >= 0; i--) {
      const c = cs[i]!;
      restarts += c.restartCount ?? 0;
      const finished = Date.parse(c.lastState?.terminated?.finishedAt ?? '') || 0;
      if (finished > lastRestart) lastRestart = finished;
      const wait = c.state?.waiting;
      const term = c.state?.terminated;
      if (wait?.reason) reason = wait.reason;
      else if (term?.reason) reason = term.reason;
      else if (term) reason = term.signal ? `Signal:${term.signal}` : `ExitCode:${term.exitCode}`;
      else if (c.ready && c.state?.running) { hasRunning = true; readyContainers++; }
    }
    if (reason === 'Completed' && hasRunning) {
      reason = (status.conditions ?? []).some((c: Obj) => c.type === 'Ready' && c.status === 'True') ? 'Running' : 'NotReady';
    }
  }

  const terminal = status.phase === 'Succeeded' || status.phase === 'Failed';
  if (pod.metadata.deletionTimestamp && status.reason === 'NodeLost') reason = 'Unknown';
  else if (pod.metadata.deletionTimestamp && !terminal) reason = 'Terminating';

  const restartsText = restarts !== 0 && lastRestart ? `${restarts} (${humanDuration(now - lastRestart)} ago)` : String(restarts);
  const ip = status.podIPs?.[0]?.ip || status.podIP || '<none>';
  let gates = '<none>';
  if ((spec.readinessGates ?? []).length) {
    const trueCount = spec.readinessGates.filter((g: Obj) => (status.conditions ?? []).some((c: Obj) => c.type === g.conditionType && c.status === 'True')).length;
    gates = `${trueCount}/${spec.readinessGates.length}`;
  }
  return [pod.metadata.name, `${readyContainers}/${totalContainers}`, reason, restartsText, age(pod.metadata.creationTimestamp, now),
    ip, spec.nodeName || '<none>', status.nominatedNodeName || '<none>', gates];
}

// ---- other built-in kinds ----

function containersAndImages(podSpec: Obj | undefined): [string, string] {
  const cs: Obj[] = podSpec?.containers ?? [];
  return [cs.map((c) => c.name).join(','), cs.map((c) => c.image).join(',')];
}

function selectorText(sel: Obj | undefined): string {
  if (!sel) return '<none>';
  const parts = Object.entries(sel.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`);
  for (const e of sel.matchExpressions ?? []) {
    const op = ({ In: 'in', NotIn: 'notin' } as Record<string, string>)[e.operator];
    if (op) parts.push(`${e.key} ${op} (${(e.values ?? []).join(',')})`);
    else parts.push(e.operator === 'Exists' ? e.key : `!${e.key}`);
  }
  return parts.length ? parts.join(',') : '<none>';
}

function servicePorts(spec: Obj): string {
  const ports: Obj[] = spec.ports ?? [];
  if (!ports.length) return '<none>';
  return ports.map((p) => (p.nodePort ? `${p.port}:${p.nodePort}/${p.protocol}` : `${p.port}/${p.protocol}`)).join(',');
}

function eventTime(ev: Obj): string | undefined {
  return ev.series?.lastObservedTime ?? ev.lastTimestamp ?? ev.eventTime ?? ev.metadata.creationTimestamp;
}

interface Printer { columns: Column[]; row: (o: Obj, now: number) => Cell[] }

const PRINTERS: Record<string, Printer> = {
  pods: {
    columns: [NAME, col('Ready'), col('Status'), col('Restarts', 'string'), AGE, col('IP', 'string', 1), col('Node', 'string', 1), col('Nominated Node', 'string', 1), col('Readiness Gates', 'string', 1)],
    row: podRow,
  },
  'deployments.apps': {
    columns: [NAME, col('Ready'), col('Up-to-date', 'integer'), col('Available', 'integer'), AGE, col('Containers', 'string', 1), col('Images', 'string', 1), col('Selector', 'string', 1)],
    row: (d, now) => [d.metadata.name, `${d.status?.readyReplicas ?? 0}/${d.spec?.replicas ?? 0}`, d.status?.updatedReplicas ?? 0, d.status?.availableReplicas ?? 0,
      age(d.metadata.creationTimestamp, now), ...containersAndImages(d.spec?.template?.spec), selectorText(d.spec?.selector)],
  },
  'replicasets.apps': {
    columns: [NAME, col('Desired', 'integer'), col('Current', 'integer'), col('Ready', 'integer'), AGE, col('Containers', 'string', 1), col('Images', 'string', 1), col('Selector', 'string', 1)],
    row: (rs, now) => [rs.metadata.name, rs.spec?.replicas ?? 0, rs.status?.replicas ?? 0, rs.status?.readyReplicas ?? 0, age(rs.metadata.creationTimestamp, now),
      ...containersAndImages(rs.spec?.template?.spec), selectorText(rs.spec?.selector)],
  },
  namespaces: {
    columns: [NAME, col('Status'), AGE],
    row: (ns, now) => [ns.metadata.name, ns.status?.phase ?? '', age(ns.metadata.creationTimestamp, now)],
  },
  configmaps: {
    columns: [NAME, col('Data', 'integer'), AGE],
    row: (cm, now) => [cm.metadata.name, Object.keys(cm.data ?? {}).length + Object.keys(cm.binaryData ?? {}).length, age(cm.metadata.creationTimestamp, now)],
  },
  secrets: {
    columns: [NAME, col('Type'), col('Data', 'integer'), AGE],
    row: (s, now) => [s.metadata.name, s.type ?? '', Object.keys(s.data ?? {}).length, age(s.metadata.creationTimestamp, now)],
  },
  events: {
    columns: [col('Last Seen'), col('Type'), col('Reason'), col('Object'), col('Subobject', 'string', 1), col('Source', 'string', 1), col('Message'),
      col('First Seen', 'string', 1), col('Count', 'string', 1), col('Name', 'string', 1, 'name')],
    row: (ev, now) => {
      const last = eventTime(ev);
      const count = ev.series?.count ?? ev.count ?? 1;
      const lastText = count > 1 && ev.firstTimestamp ? `${age(last, now)} (x${count} over ${age(ev.firstTimestamp, now)})` : age(last, now);
      const source = ev.source?.component ? (ev.source.host ? `${ev.source.component}, ${ev.source.host}` : ev.source.component) : (ev.reportingComponent ?? '');
      return [lastText, ev.type ?? '', ev.reason ?? '', `${String(ev.involvedObject?.kind ?? '').toLowerCase()}/${ev.involvedObject?.name ?? ''}`,
        ev.involvedObject?.fieldPath ?? '', source, ev.message ?? '', age(ev.firstTimestamp ?? ev.eventTime, now), String(count), ev.metadata.name];
    },
  },
  services: {
    columns: [NAME, col('Type'), col('Cluster-IP'), col('External-IP'), col('Port(s)'), AGE, col('Selector', 'string', 1)],
    row: (s, now) => [s.metadata.name, s.spec?.type ?? 'ClusterIP', s.spec?.clusterIP || '<none>', (s.spec?.externalIPs ?? []).join(',') || '<none>', servicePorts(s.spec ?? {}),
      age(s.metadata.creationTimestamp, now), Object.entries(s.spec?.selector ?? {}).map(([k, v]) => `${k}=${v}`).join(',') || '<none>'],
  },
  nodes: {
    columns: [NAME, col('Status'), col('Roles'), AGE, col('Version'), col('Internal-IP', 'string', 1), col('External-IP', 'string', 1), col('OS-Image', 'string', 1),
      col('Kernel-Version', 'string', 1), col('Container-Runtime', 'string', 1)],
    row: (n, now) => {
      const ready = (n.status?.conditions ?? []).find((c: Obj) => c.type === 'Ready');
      let st = ready?.status === 'True' ? 'Ready' : ready ? 'NotReady' : 'Unknown';
      if (n.spec?.unschedulable) st += ',SchedulingDisabled';
      const roles = Object.keys(n.metadata.labels ?? {}).filter((k) => k.startsWith('node-role.kubernetes.io/')).map((k) => k.slice('node-role.kubernetes.io/'.length));
      const addr = (type: string): string => (n.status?.addresses ?? []).find((a: Obj) => a.type === type)?.address ?? '<none>';
      const info = n.status?.nodeInfo ?? {};
      return [n.metadata.name, st, roles.join(',') || '<none>', age(n.metadata.creationTimestamp, now), info.kubeletVersion ?? '', addr('InternalIP'), addr('ExternalIP'),
        info.osImage ?? '<unknown>', info.kernelVersion ?? '<unknown>', info.containerRuntimeVersion ?? '<unknown>'];
    },
  },
  serviceaccounts: {
    columns: [NAME, col('Secrets', 'integer'), AGE],
    row: (sa, now) => [sa.metadata.name, (sa.secrets ?? []).length, age(sa.metadata.creationTimestamp, now)],
  },
  'customresourcedefinitions.apiextensions.k8s.io': {
    columns: [NAME, col('Created At', 'date')],
    row: (c) => [c.metadata.name, c.metadata.creationTimestamp],
  },
  limitranges: { columns: [NAME, col('Created At', 'date')], row: (o) => [o.metadata.name, o.metadata.creationTimestamp] },
  resourcequotas: {
    columns: [NAME, AGE, col('Request'), col('Limit')],
    row: (q, now) => {
      const used = q.status?.used ?? {};
      const hard = q.status?.hard ?? q.spec?.hard ?? {};
      const fmt = (keys: string[]): string => keys.sort().map((k) => `${k}: ${used[k] ?? '0'}/${hard[k]}`).join(', ');
      const keys = Object.keys(hard);
      return [q.metadata.name, age(q.metadata.creationTimestamp, now), fmt(keys.filter((k) => !k.startsWith('limits.'))), fmt(keys.filter((k) => k.startsWith('limits.')))];
    },
  },
  'roles.rbac.authorization.k8s.io': { columns: [NAME, col('Created At', 'date')], row: (o) => [o.metadata.name, o.metadata.creationTimestamp] },
  'clusterroles.rbac.authorization.k8s.io': { columns: [NAME, col('Created At', 'date')], row: (o) => [o.metadata.name, o.metadata.creationTimestamp] },
  'rolebindings.rbac.authorization.k8s.io': {
    columns: [NAME, col('Role'), AGE, col('Users', 'string', 1), col('Groups', 'string', 1), col('ServiceAccounts', 'string', 1)],
    row: bindingRow,
  },
  'clusterrolebindings.rbac.authorization.k8s.io': {
    columns: [NAME, col('Role'), AGE, col('Users', 'string', 1), col('Groups', 'string', 1), col('ServiceAccounts', 'string', 1)],
    row: bindingRow,
  },
};

function bindingRow(b: Obj, now: number): Cell[] {
  const subjects: Obj[] = b.subjects ?? [];
  const of = (kind: string): string => subjects.filter((s) => s.kind === kind).map((s) => (kind === 'ServiceAccount' ? `${s.namespace}/${s.name}` : s.name)).join(', ');
  return [b.metadata.name, `${b.roleRef?.kind}/${b.roleRef?.name}`, age(b.metadata.creationTimestamp, now), of('User'), of('Group'), of('ServiceAccount')];
}

/** apiextensions' cellForJSONValue: dates become ages, other types pass through. */
function crdCell(c: PrinterColumn, values: unknown[], now: number): Cell {
  if (!values.length) return null;
  const v = values[0];
  if (c.type === 'date') return typeof v === 'string' ? age(v, now) : null;
  if (c.type === 'string') return typeof v === 'object' ? JSON.stringify(v) : String(v);
  if (c.type === 'integer' || c.type === 'number') return typeof v === 'number' ? v : null;
  if (c.type === 'boolean') return typeof v === 'boolean' ? v : null;
  return typeof v === 'object' ? JSON.stringify(v) : (v as Cell);
}

export function printerFor(t: ResourceType): Printer {
  const builtin = PRINTERS[t.key];
  if (builtin) return builtin;
  if (t.custom && t.printerColumns?.length) {
    const cols = t.printerColumns;
    return {
      columns: [NAME, ...cols.map((c) => ({ name: c.name, type: c.type === 'date' ? 'date' : c.type, format: c.format ?? '', description: c.description ?? c.name, priority: c.priority ?? 0 }))],
      row: (o, now) => [o.metadata.name, ...cols.map((c) => crdCell(c, evaluate(c.jsonPath, o), now))],
    };
  }
  return { columns: [NAME, AGE], row: (o, now) => [o.metadata.name, age(o.metadata.creationTimestamp, now)] };
}

/** A meta.k8s.io/v1 Table of `objects`; rows carry the object or its PartialObjectMetadata. */
export function toTable(t: ResourceType, objects: KObject[], meta: Record<string, unknown>, includeObject: string, withColumns = true): Record<string, unknown> {
  const printer = printerFor(t);
  const now = Date.now();
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: meta,
    columnDefinitions: withColumns ? printer.columns : [],
    rows: objects.map((o) => ({
      cells: printer.row(o as Obj, now),
      object: includeObject === 'None' ? undefined
        : includeObject === 'Object' ? o
        : { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: o.metadata },
    })),
  };
}
