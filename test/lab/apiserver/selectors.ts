// Label and field selectors with the grammar of k8s.io/apimachinery/pkg/labels and .../fields.
import { badRequest } from './errors.ts';
import type { KObject } from '../types.ts';

type Requirement =
  | { key: string; op: 'in' | 'notin'; values: string[] }
  | { key: string; op: 'exists' | '!exists' };

export type LabelSelector = Requirement[];

/** Parses `a=b,c!=d,e in (x,y),f notin (z),g,!h`; throws BadRequest like the real server. */
export function parseLabelSelector(text: string | undefined): LabelSelector {
  const reqs: Requirement[] = [];
  if (!text || !text.trim()) return reqs;
  for (const term of splitTopLevel(text)) {
    const t = term.trim();
    if (!t) continue;
    let m = /^!\s*([\w./-]+)$/.exec(t);
    if (m) { reqs.push({ key: m[1]!, op: '!exists' }); continue; }
    m = /^([\w./-]+)\s+(in|notin)\s+\(([^)]*)\)$/.exec(t);
    if (m) {
      const values = m[3]!.split(',').map((v) => v.trim()).filter((v) => v !== '');
      reqs.push({ key: m[1]!, op: m[2] as 'in' | 'notin', values });
      continue;
    }
    m = /^([\w./-]+)\s*(==|=|!=)\s*([\w.-]*)$/.exec(t);
    if (m) {
      reqs.push({ key: m[1]!, op: m[2] === '!=' ? 'notin' : 'in', values: [m[3]!] });
      continue;
    }
    m = /^([\w./-]+)$/.exec(t);
    if (m) { reqs.push({ key: m[1]!, op: 'exists' }); continue; }
    throw badRequest(`unable to parse requirement: found '${t}', expected: identifier`);
  }
  return reqs;
}

/** Splits on commas that are not inside `in (...)` value lists. */
function splitTopLevel(text: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of text) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) { out.push(cur); cur = ''; } else cur += ch;
  }
  out.push(cur);
  return out;
}

export function matchesLabels(sel: LabelSelector, labels: Record<string, string> | undefined): boolean {
  for (const r of sel) {
    const has = labels !== undefined && Object.hasOwn(labels, r.key);
    switch (r.op) {
      case 'exists': if (!has) return false; break;
      case '!exists': if (has) return false; break;
      case 'in': if (!has || !r.values.includes(labels[r.key]!)) return false; break;
      case 'notin': if (has && r.values.includes(labels[r.key]!)) return false; break;
    }
  }
  return true;
}

/** A `matchLabels`/`matchExpressions` LabelSelector object (Deployment.spec.selector) as requirements. */
export function selectorFromObject(sel: { matchLabels?: Record<string, string>; matchExpressions?: Array<{ key: string; operator: string; values?: string[] }> } | undefined): LabelSelector {
  const reqs: Requirement[] = [];
  for (const [key, value] of Object.entries(sel?.matchLabels ?? {})) reqs.push({ key, op: 'in', values: [value] });
  for (const e of sel?.matchExpressions ?? []) {
    const op = ({ In: 'in', NotIn: 'notin', Exists: 'exists', DoesNotExist: '!exists' } as const)[e.operator as 'In'];
    if (op === 'in' || op === 'notin') reqs.push({ key: e.key, op, values: e.values ?? [] });
    else if (op) reqs.push({ key: e.key, op });
  }
  return reqs;
}

export interface FieldRequirement { path: string; value: string; negate: boolean }
export type FieldSelector = FieldRequirement[];

/** Field paths each resource supports, beyond metadata.name and metadata.namespace (which all do). */
const FIELD_PATHS: Record<string, string[]> = {
  pods: ['spec.nodeName', 'spec.restartPolicy', 'spec.schedulerName', 'spec.serviceAccountName', 'status.phase', 'status.podIP', 'status.nominatedNodeName'],
  events: ['involvedObject.kind', 'involvedObject.namespace', 'involvedObject.name', 'involvedObject.uid', 'involvedObject.apiVersion', 'involvedObject.resourceVersion', 'involvedObject.fieldPath', 'reason', 'reportingComponent', 'source', 'type'],
  namespaces: ['status.phase'],
  secrets: ['type'],
  replicasets: ['status.replicas'],
  nodes: ['spec.unschedulable'],
};

export function parseFieldSelector(text: string | undefined, resource: string): FieldSelector {
  const reqs: FieldRequirement[] = [];
  if (!text || !text.trim()) return reqs;
  const allowed = ['metadata.name', 'metadata.namespace', ...(FIELD_PATHS[resource.split('.')[0]!] ?? [])];
  for (const term of text.split(',')) {
    const m = /^\s*([\w.]+)\s*(==|=|!=)\s*(.*?)\s*$/.exec(term);
    if (!m) throw badRequest(`invalid selector: '${text}'; can't understand '${term}'`);
    const path = m[1]!;
    if (!allowed.includes(path)) {
      throw badRequest(`field label not supported: ${path}`);
    }
    reqs.push({ path, value: m[3]!, negate: m[2] === '!=' });
  }
  return reqs;
}

export function matchesFields(sel: FieldSelector, obj: KObject): boolean {
  for (const r of sel) {
    const actual = fieldValue(obj, r.path);
    if ((actual === r.value) === r.negate) return false;
  }
  return true;
}

function fieldValue(obj: KObject, path: string): string {
  if (path === 'source') return String((obj.source as { component?: string } | undefined)?.component ?? '');
  let cur: unknown = obj;
  for (const part of path.split('.')) {
    if (cur === null || typeof cur !== 'object') return '';
    cur = (cur as Record<string, unknown>)[part];
  }
  return cur === undefined || cur === null ? '' : String(cur);
}
