// Events expire: kube-apiserver stores each event with an etcd lease of --event-ttl (1h by default),
// renewed on every update, so an event is gone an hour after it was last seen. The sweeper deletes
// events whose last write is older than the TTL; tests shorten it through /lab/actions.
import type { MemoryStore } from '../apiserver/store.ts';
import type { KObject } from '../types.ts';
import { SYSTEM_USER } from '../types.ts';

export const DEFAULT_EVENT_TTL_SECONDS = 3600;

const ttls = new WeakMap<object, number>();

export function setEventTtl(store: object, seconds: number): void {
  ttls.set(store, seconds);
}

const lastWrite = (e: KObject) =>
  Date.parse(String(e['lastTimestamp'] ?? e['eventTime'] ?? e['firstTimestamp'] ?? e.metadata.creationTimestamp ?? ''));

/** Sweeps every second (TTLs are whole seconds); returns the stop function. */
export function startEventTtl(store: MemoryStore): () => void {
  const timer = setInterval(() => {
    const ttlMs = (ttls.get(store) ?? DEFAULT_EVENT_TTL_SECONDS) * 1000;
    const cutoff = Date.now() - ttlMs;
    for (const e of store.listEntries('events')) {
      if (lastWrite(e.obj) <= cutoff) void store.delete('events', e.obj.metadata.namespace, e.obj.metadata.name!, SYSTEM_USER).catch(() => undefined);
    }
  }, 1000);
  timer.unref();
  return () => clearInterval(timer);
}
