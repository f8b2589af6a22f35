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

/** Sweeps a quarter TTL apart (between 1 and 10 s): an expired event lingers at most that long. */
export function startEventTtl(store: MemoryStore): () => void {
  let timer: ReturnType<typeof setTimeout>;
  const sweep = () => {
    const ttlSeconds = ttls.get(store) ?? DEFAULT_EVENT_TTL_SECONDS;
    const cutoff = Date.now() - ttlSeconds * 1000;
    for (const e of store.listEntries('events')) {
      if (lastWrite(e.obj) <= cutoff) void store.delete('events', e.obj.metadata.namespace, e.obj.metadata.name!, SYSTEM_USER).catch(() => undefined);
    }
    timer = setTimeout(sweep, Math.min(10, Math.max(1, ttlSeconds / 4)) * 1000);
    timer.unref();
  };
  sweep();
  return () => clearTimeout(timer);
}
