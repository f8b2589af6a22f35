// Serving stored objects at the group/version a request names: events are stored as core/v1 and
// converted for events.k8s.io/v1; custom resources only change apiVersion (no conversion webhooks).
import type { KObject } from '../types.ts';
import type { Entry } from './store.ts';
import { apiVersionOf } from './resources.ts';

type Obj = Record<string, unknown>;

export function toEventsV1(ev: KObject): KObject {
  const e = ev as Obj;
  return {
    apiVersion: 'events.k8s.io/v1',
    kind: 'Event',
    metadata: ev.metadata,
    eventTime: e.eventTime ?? null,
    ...(e.series ? { series: e.series } : {}),
    reportingController: e.reportingComponent ?? '',
    reportingInstance: e.reportingInstance ?? '',
    ...(e.action ? { action: e.action } : {}),
    reason: e.reason,
    regarding: e.involvedObject,
    ...(e.related ? { related: e.related } : {}),
    note: e.message,
    type: e.type,
    deprecatedSource: e.source,
    deprecatedFirstTimestamp: e.firstTimestamp,
    deprecatedLastTimestamp: e.lastTimestamp,
    deprecatedCount: e.count,
  };
}

export function fromEventsV1(ev: KObject): KObject {
  const e = ev as Obj;
  return {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: ev.metadata,
    involvedObject: e.regarding ?? {},
    ...(e.related ? { related: e.related } : {}),
    reason: e.reason,
    message: e.note,
    source: e.deprecatedSource ?? {},
    firstTimestamp: e.deprecatedFirstTimestamp ?? null,
    lastTimestamp: e.deprecatedLastTimestamp ?? null,
    count: e.deprecatedCount,
    type: e.type,
    eventTime: e.eventTime ?? null,
    ...(e.series ? { series: e.series } : {}),
    ...(e.action ? { action: e.action } : {}),
    reportingComponent: e.reportingController ?? '',
    reportingInstance: e.reportingInstance ?? '',
  };
}

/** The object as served at group/version. */
export function present(obj: KObject, group: string, version: string): KObject {
  if (obj.kind === 'Event' && group === 'events.k8s.io') return toEventsV1(obj);
  const apiVersion = apiVersionOf(group, version);
  return obj.apiVersion === apiVersion ? obj : { ...obj, apiVersion };
}

/** UTF-8 JSON of an entry as served at group/version, from the entry's cache when no conversion
 *  applies: lists are then a concatenation of cached buffers, with no encoding per request. */
export function presentJson(entry: Entry, group: string, version: string): Buffer {
  const obj = entry.obj;
  if (obj.apiVersion === apiVersionOf(group, version) && !(obj.kind === 'Event' && group === 'events.k8s.io')) {
    entry.json ??= Buffer.from(JSON.stringify(obj));
    return entry.json;
  }
  return Buffer.from(JSON.stringify(present(obj, group, version)));
}
