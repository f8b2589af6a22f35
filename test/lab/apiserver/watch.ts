// `?watch=true`: a chunked stream of JSON watch events, filtered by selectors (an object leaving
// the selection is reported DELETED, one entering it ADDED), with bookmarks and a timeout.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { KObject } from '../types.ts';
import { ApiError } from './errors.ts';
import type { Change, MemoryStore } from './store.ts';
import type { ResourceRoute } from './routes.ts';
import { matchesFields, matchesLabels, type FieldSelector, type LabelSelector } from './selectors.ts';
import { toTable } from './table.ts';
import { present } from './versions.ts';

export interface WatchParams {
  labels: LabelSelector;
  fields: FieldSelector;
  resourceVersion?: string;
  allowBookmarks: boolean;
  sendInitialEvents: boolean;
  timeoutSeconds?: number;
  table: boolean;
  includeObject: string;
}

/** Real servers end a watch after a random 30-60 minutes; the lab uses the lower bound. */
const DEFAULT_TIMEOUT_SECONDS = 1800;
const BOOKMARK_INTERVAL_MS = 10_000;

export function serveWatch(req: IncomingMessage, res: ServerResponse, store: MemoryStore, route: ResourceRoute, p: WatchParams): void {
  const matches = (o: KObject): boolean => matchesLabels(p.labels, o.metadata.labels) && matchesFields(p.fields, o);
  let headerWritten = false;
  const write = (type: string, obj: KObject): void => {
    if (!headerWritten) {
      res.writeHead(200, { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked', 'Cache-Control': 'no-cache, private' });
      headerWritten = true;
    }
    let object: unknown = type === 'ERROR' || type === 'BOOKMARK' ? obj : present(obj, route.group, route.version);
    if (p.table && type !== 'ERROR' && type !== 'BOOKMARK') object = toTable(route.type, [object as KObject], { resourceVersion: obj.metadata.resourceVersion }, p.includeObject);
    res.write(`${JSON.stringify({ type, object })}\n`);
  };
  const bookmark = (extra: Record<string, string> = {}): void => {
    write('BOOKMARK', { apiVersion: route.group ? `${route.group}/${route.version}` : route.version, kind: route.type.kind,
      metadata: { resourceVersion: String(store.resourceVersion), ...(Object.keys(extra).length ? { annotations: extra } : {}) } });
  };

  const onChange = (c: Change): void => {
    if (route.name && c.obj.metadata.name !== route.name) return;
    const now = matches(c.obj);
    if (c.type === 'MODIFIED' && c.old) {
      const before = matches(c.old);
      if (before && !now) write('DELETED', c.obj);
      else if (!before && now) write('ADDED', c.obj);
      else if (now) write('MODIFIED', c.obj);
      return;
    }
    if (now) write(c.type, c.obj);
  };

  const rv = p.resourceVersion;
  let from = store.resourceVersion;
  const initial = rv === undefined || rv === '' || rv === '0' || p.sendInitialEvents;
  if (initial) {
    for (const e of store.listEntries(route.type.key, route.namespace)) {
      if ((!route.name || e.obj.metadata.name === route.name) && matches(e.obj)) write('ADDED', e.obj);
    }
    if (p.sendInitialEvents && p.allowBookmarks) bookmark({ 'k8s.io/initial-events-end': 'true' });
  } else {
    from = Number(rv);
    if (!Number.isInteger(from) || from < 0) {
      const err = new ApiError('BadRequest', `resourceVersion: Invalid value: "${rv}": must be a non-negative integer`);
      res.writeHead(err.code, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify(err.toStatus()));
      return;
    }
  }

  let stop: () => void = () => {};
  try {
    stop = store.watchFrom(route.type.key, route.namespace, from, onChange);
  } catch (err) {
    // An expired resourceVersion is reported inside the stream, as the watch cache does.
    if (err instanceof ApiError) { write('ERROR', err.toStatus() as unknown as KObject); res.end(); return; }
    throw err;
  }
  if (!headerWritten) {
    res.writeHead(200, { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked', 'Cache-Control': 'no-cache, private' });
    headerWritten = true;
    res.flushHeaders();
  }
  const timers: NodeJS.Timeout[] = [];
  const finish = (): void => {
    stop();
    for (const t of timers) clearTimeout(t);
    if (!res.writableEnded) res.end();
  };
  timers.push(setTimeout(finish, (p.timeoutSeconds ?? DEFAULT_TIMEOUT_SECONDS) * 1000));
  if (p.allowBookmarks) timers.push(setInterval(() => bookmark(), BOOKMARK_INTERVAL_MS));
  req.on('close', finish);
  res.on('close', finish);
}
