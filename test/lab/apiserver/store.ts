// The in-memory object store: what etcd plus the generic registry do in a real API server.
// Objects are stored as immutable snapshots (replaced, never mutated), indexed by resource and
// namespace; the LabStore methods hand out copies, the HTTP layer reads entries directly.
import type { AdmissionPlugin, KObject, LabStore, ListOptions, ResourceName, UserInfo, WatchEvent } from '../types.ts';
import { SYSTEM_USER } from '../types.ts';
import { ApiError, alreadyExists, conflict, notFound, type ResourceRef } from './errors.ts';
import { DEFAULTERS, defaultCrd, defaultNamespace, defaultPodOnCreate } from './defaults.ts';
import { generateName, newUid, nowTimestamp } from './names.ts';
import { ResourceRegistry, typeFromCrd, type ResourceType } from './resources.ts';
import { matchesFields, matchesLabels, parseFieldSelector, parseLabelSelector } from './selectors.ts';
import { validateName, validatePod, validatePodUpdate } from './validation.ts';

export interface Entry {
  obj: KObject;
  /** UTF-8 JSON of `obj`, computed once when first served. */
  json?: Buffer;
}

export interface Change {
  rv: number;
  resource: ResourceName;
  namespace: string;
  type: 'ADDED' | 'MODIFIED' | 'DELETED';
  obj: KObject;
  old?: KObject;
}

export interface WriteOptions {
  dryRun?: boolean;
  /** `status` or `ephemeralcontainers`: only that part of the object changes. */
  subresource?: string;
}

export interface DeleteOptions {
  dryRun?: boolean;
  propagationPolicy?: 'Background' | 'Foreground' | 'Orphan';
  gracePeriodSeconds?: number;
  preconditions?: { uid?: string; resourceVersion?: string };
}

const CRDS = 'customresourcedefinitions.apiextensions.k8s.io';
/** Namespaces the real server refuses to delete. */
const PROTECTED_NAMESPACES = new Set(['default', 'kube-system', 'kube-public']);

export function refOf(t: ResourceType): ResourceRef {
  return { plural: t.plural, group: t.group, kind: t.kind };
}

export class MemoryStore implements LabStore {
  readonly registry: ResourceRegistry;
  readonly admission: AdmissionPlugin[] = [];
  /** When true (a kubelet is running), deleting a scheduled pod marks it Terminating and the kubelet
   *  finishes the delete; otherwise pods go at once, as for pods no kubelet has started. */
  gracefulPodDeletion = false;

  private readonly data = new Map<ResourceName, Map<string, Map<string, Entry>>>();
  private rv = 1;
  private readonly history: Change[] = [];
  private readonly watchers = new Set<{ resource: ResourceName; namespace?: string; send: (c: Change) => void }>();
  /** owner uid -> dependents, for garbage collection. */
  private readonly dependents = new Map<string, Set<string>>();
  /** Event aggregation: key -> event name and namespace. */
  private readonly eventKeys = new Map<string, { namespace: string; name: string }>();
  /** Makes event names unique when several are recorded while an admission is in flight (same ms, same rv). */
  private eventSeq = 0;

  /** How many changes watches can resume from; older resourceVersions get 410 Expired. */
  private readonly historyLimit: number;

  constructor(registry = new ResourceRegistry(), opts: { historyLimit?: number } = {}) {
    this.registry = registry;
    this.historyLimit = opts.historyLimit ?? 50_000;
  }

  get resourceVersion(): number {
    return this.rv;
  }

  typeOf(resource: ResourceName): ResourceType {
    const t = this.registry.get(resource);
    if (!t) throw new ApiError('NotFound', 'the server could not find the requested resource');
    return t;
  }

  // ---- reads ----

  getEntry(resource: ResourceName, namespace: string | undefined, name: string): Entry | undefined {
    return this.data.get(resource)?.get(namespace ?? '')?.get(name);
  }

  /** Entries sorted by `namespace/name`, the order of etcd keys (and of continue tokens). */
  listEntries(resource: ResourceName, namespace?: string): Entry[] {
    const byNs = this.data.get(resource);
    if (!byNs) return [];
    if (namespace !== undefined) return [...(byNs.get(namespace)?.values() ?? [])].sort(byName);
    const out: Entry[] = [];
    for (const names of byNs.values()) for (const e of names.values()) out.push(e);
    return out.sort(byKey);
  }

  get(resource: ResourceName, namespace: string | undefined, name: string): KObject | undefined {
    const e = this.getEntry(resource, namespace, name);
    return e ? copyOf(e) : undefined;
  }

  list(resource: ResourceName, namespace?: string, opts: ListOptions = {}): KObject[] {
    const labels = parseLabelSelector(opts.labelSelector);
    const fields = parseFieldSelector(opts.fieldSelector, resource);
    return this.listEntries(resource, namespace)
      .filter((e) => matchesLabels(labels, e.obj.metadata.labels) && matchesFields(fields, e.obj))
      .map(copyOf);
  }

  // ---- writes ----

  async create(resource: ResourceName, input: KObject, user: UserInfo = SYSTEM_USER, opts: WriteOptions = {}): Promise<KObject> {
    const t = this.typeOf(resource);
    const obj = structuredClone(input);
    obj.metadata ??= {};
    const ns = t.namespaced ? (obj.metadata.namespace ?? 'default') : undefined;
    if (t.namespaced) obj.metadata.namespace = ns;
    else delete obj.metadata.namespace;
    if (ns !== undefined) this.assertNamespaceWritable(t, ns, obj.metadata.name ?? '');
    if (!obj.metadata.name && obj.metadata.generateName) obj.metadata.name = generateName(obj.metadata.generateName);
    validateName({ ...refOf(t), key: t.key }, obj);
    obj.apiVersion = t.group ? `${t.group}/${t.version}` : t.version;
    obj.kind = t.kind;
    const now = nowTimestamp();
    obj.metadata.creationTimestamp = now;
    obj.metadata.uid = newUid();
    delete obj.metadata.deletionTimestamp;
    delete obj.metadata.resourceVersion;
    if (t.generation) obj.metadata.generation = 1;
    else delete obj.metadata.generation;
    this.applyCreateDefaults(t, obj);
    const admitted = await this.admit('CREATE', t, obj, undefined, user);
    if (t.key === 'pods') validatePod(refOf(t), admitted);
    if (this.getEntry(resource, ns, admitted.metadata.name!)) throw alreadyExists(refOf(t), admitted.metadata.name!);
    if (opts.dryRun) return admitted;
    admitted.metadata.resourceVersion = String(++this.rv);
    this.put(t, admitted);
    this.emit({ rv: this.rv, resource, namespace: ns ?? '', type: 'ADDED', obj: admitted });
    if (resource === CRDS) this.registry.add(typeFromCrd(admitted));
    return structuredClone(admitted);
  }

  async update(resource: ResourceName, input: KObject, user: UserInfo = SYSTEM_USER, opts: WriteOptions = {}): Promise<KObject> {
    const t = this.typeOf(resource);
    const ns = t.namespaced ? (input.metadata?.namespace ?? 'default') : undefined;
    const name = input.metadata?.name ?? '';
    const current = this.getEntry(resource, ns, name);
    if (!current) throw notFound(refOf(t), name);
    const old = current.obj;
    if (input.metadata.resourceVersion && input.metadata.resourceVersion !== old.metadata.resourceVersion) throw conflict(refOf(t), name);
    if (input.metadata.uid && input.metadata.uid !== old.metadata.uid) {
      throw new ApiError('Conflict', `Precondition failed: UID in precondition: ${input.metadata.uid}, UID in object meta: ${old.metadata.uid}`);
    }
    let next = this.mergeForSubresource(t, old, structuredClone(input), opts.subresource);
    next.apiVersion = old.apiVersion;
    next.kind = old.kind;
    // Identity and server-owned metadata survive any update.
    for (const k of ['uid', 'creationTimestamp', 'deletionTimestamp', 'deletionGracePeriodSeconds', 'namespace', 'name', 'generation'] as const) {
      const meta = next.metadata as Record<string, unknown>;
      if (old.metadata[k] === undefined) delete meta[k];
      else meta[k] = old.metadata[k];
    }
    if (!opts.subresource) DEFAULTERS[t.key]?.(next);
    if (t.key === 'namespaces') defaultNamespace(next);
    if (t.generation && specOf(next) !== specOf(old)) next.metadata.generation = (old.metadata.generation ?? 0) + 1;
    if (!opts.subresource) next = await this.admit('UPDATE', t, next, old, user);
    if (t.key === 'pods' && !opts.subresource) validatePodUpdate(refOf(t), next, old);
    next.metadata.resourceVersion = old.metadata.resourceVersion;
    if (JSON.stringify(next) === JSON.stringify(old)) return structuredClone(old);
    if (opts.dryRun) return next;
    next.metadata.resourceVersion = String(++this.rv);
    this.put(t, next);
    this.emit({ rv: this.rv, resource, namespace: ns ?? '', type: 'MODIFIED', obj: next, old });
    if (resource === CRDS) this.registry.add(typeFromCrd(next));
    return structuredClone(next);
  }

  updateStatus(resource: ResourceName, obj: KObject): Promise<KObject> {
    return this.update(resource, obj, SYSTEM_USER, { subresource: 'status' });
  }

  async delete(resource: ResourceName, namespace: string | undefined, name: string, user: UserInfo = SYSTEM_USER, opts: DeleteOptions = {}): Promise<KObject | undefined> {
    const t = this.typeOf(resource);
    const ns = t.namespaced ? (namespace ?? 'default') : undefined;
    const current = this.getEntry(resource, ns, name);
    if (!current) throw notFound(refOf(t), name);
    const old = current.obj;
    if (opts.preconditions?.uid && opts.preconditions.uid !== old.metadata.uid) {
      throw new ApiError('Conflict', `Precondition failed: UID in precondition: ${opts.preconditions.uid}, UID in object meta: ${old.metadata.uid}`, { name, group: t.group, kind: t.plural });
    }
    if (opts.preconditions?.resourceVersion && opts.preconditions.resourceVersion !== old.metadata.resourceVersion) {
      throw new ApiError('Conflict', `Precondition failed: ResourceVersion in precondition: ${opts.preconditions.resourceVersion}, ResourceVersion in object meta: ${old.metadata.resourceVersion}`, { name, group: t.group, kind: t.plural });
    }
    if (resource === 'namespaces') return this.deleteNamespace(t, old, opts);
    if (opts.dryRun) return structuredClone(old);
    if (resource === 'pods' && this.shouldTerminateGracefully(old, opts)) {
      const grace = opts.gracePeriodSeconds ?? ((old.spec as { terminationGracePeriodSeconds?: number }).terminationGracePeriodSeconds ?? 30);
      const next = structuredClone(old);
      next.metadata.deletionTimestamp = nowTimestamp(Date.now() + grace * 1000);
      next.metadata.deletionGracePeriodSeconds = grace;
      next.metadata.resourceVersion = String(++this.rv);
      this.put(t, next);
      this.emit({ rv: this.rv, resource, namespace: ns ?? '', type: 'MODIFIED', obj: next, old });
      return structuredClone(next);
    }
    this.remove(t, old);
    this.collectDependents(old.metadata.uid!, opts.propagationPolicy ?? 'Background');
    return structuredClone(old);
  }

  watch(resource: ResourceName, namespace: string | undefined, onEvent: (ev: WatchEvent) => void): () => void {
    return this.watchFrom(resource, namespace, this.rv, (c) => onEvent({ type: c.type, object: structuredClone(c.obj) }));
  }

  /** Replays changes after `fromRv` (410 Expired when they are no longer held), then follows. */
  watchFrom(resource: ResourceName, namespace: string | undefined, fromRv: number, send: (c: Change) => void): () => void {
    if (fromRv < this.rv) {
      const oldest = this.history[0]?.rv ?? this.rv + 1;
      if (fromRv < oldest - 1) throw new ApiError('Expired', `too old resource version: ${fromRv} (${oldest - 1})`);
      for (const c of this.history) {
        if (c.rv > fromRv && c.resource === resource && (namespace === undefined || c.namespace === namespace)) send(c);
      }
    }
    const w = { resource, namespace, send };
    this.watchers.add(w);
    return () => { this.watchers.delete(w); };
  }

  async recordEvent(involved: KObject, type: 'Normal' | 'Warning', reason: string, message: string, source: { component: string; host?: string }, opts: { fieldPath?: string } = {}): Promise<void> {
    const ns = involved.metadata.namespace ?? 'default';
    const involvedObject = {
      kind: involved.kind,
      namespace: involved.metadata.namespace,
      name: involved.metadata.name,
      uid: involved.metadata.uid,
      apiVersion: involved.apiVersion,
      resourceVersion: involved.metadata.resourceVersion,
      ...(opts.fieldPath ? { fieldPath: opts.fieldPath } : {}),
    };
    const key = JSON.stringify([involvedObject.kind, ns, involvedObject.name, involvedObject.uid, opts.fieldPath ?? '', type, reason, message, source.component, source.host ?? '']);
    const now = nowTimestamp();
    const seen = this.eventKeys.get(key);
    const existing = seen && this.getEntry('events', seen.namespace, seen.name);
    if (existing) {
      const ev = structuredClone(existing.obj);
      ev.count = ((ev.count as number | undefined) ?? 1) + 1;
      ev.lastTimestamp = now;
      ev.involvedObject = involvedObject;
      await this.update('events', ev);
      return;
    }
    const name = `${involved.metadata.name}.${(BigInt(Date.now()) * 1_000_000n + BigInt(++this.eventSeq % 1_000_000)).toString(16)}`;
    await this.create('events', {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name, namespace: ns },
      involvedObject,
      reason,
      message,
      source: { component: source.component, ...(source.host ? { host: source.host } : {}) },
      firstTimestamp: now,
      lastTimestamp: now,
      count: 1,
      type,
      eventTime: null,
      reportingComponent: source.component,
      reportingInstance: source.host ?? '',
    });
    this.eventKeys.set(key, { namespace: ns, name });
  }

  addAdmission(plugin: AdmissionPlugin): void {
    this.admission.push(plugin);
  }

  // ---- internals ----

  private assertNamespaceWritable(t: ResourceType, ns: string, name: string): void {
    const nsEntry = this.getEntry('namespaces', undefined, ns);
    if (!nsEntry) throw notFound({ plural: 'namespaces', group: '' }, ns);
    if (nsEntry.obj.metadata.deletionTimestamp) {
      throw new ApiError('Forbidden', `${t.group ? `${t.plural}.${t.group}` : t.plural} "${name}" is forbidden: unable to create new content in namespace ${ns} because it is being terminated`, { name, group: t.group, kind: t.plural });
    }
  }

  private applyCreateDefaults(t: ResourceType, obj: KObject): void {
    if (t.key === 'pods') defaultPodOnCreate(obj);
    else if (t.key === 'namespaces') { delete obj.status; defaultNamespace(obj); }
    else if (t.key === CRDS) defaultCrd(obj);
    else if (t.subresources.some((s) => s.name === 'status') && t.key !== 'services') delete obj.status;
    DEFAULTERS[t.key]?.(obj);
  }

  /** What an update may change: the main resource keeps the old status (when status is a
   *  subresource), `status` keeps everything but status, `ephemeralcontainers` only that list. */
  private mergeForSubresource(t: ResourceType, old: KObject, next: KObject, sub: string | undefined): KObject {
    const hasStatus = t.subresources.some((s) => s.name === 'status');
    if (sub === 'status') return { ...structuredClone(old), status: next.status, metadata: { ...structuredClone(old.metadata), resourceVersion: next.metadata.resourceVersion } };
    if (sub === 'binding') {
      // What POST pods/binding does: the node is set once, with the PodScheduled condition.
      const bound = structuredClone(old);
      const spec = bound.spec as { nodeName?: string };
      if (spec.nodeName) throw new ApiError('Conflict', `pod ${old.metadata.name} is already assigned to node "${spec.nodeName}"`);
      spec.nodeName = (next.spec as { nodeName?: string }).nodeName;
      const status = (bound.status ?? {}) as { conditions?: Array<Record<string, unknown>> };
      status.conditions = [...(status.conditions ?? []).filter((c) => c.type !== 'PodScheduled'),
        { type: 'PodScheduled', status: 'True', lastProbeTime: null, lastTransitionTime: nowTimestamp() }];
      bound.status = status;
      return bound;
    }
    if (sub === 'ephemeralcontainers') {
      const spec = { ...(old.spec as object), ephemeralContainers: (next.spec as { ephemeralContainers?: unknown }).ephemeralContainers };
      return { ...structuredClone(old), spec: structuredClone(spec) };
    }
    if (hasStatus && t.key !== 'namespaces') next.status = structuredClone(old.status);
    if (t.key === 'pods') {
      // Ephemeral containers change only through their subresource.
      const spec = next.spec as { ephemeralContainers?: unknown } | undefined;
      const oldEc = (old.spec as { ephemeralContainers?: unknown }).ephemeralContainers;
      if (spec) { if (oldEc === undefined) delete spec.ephemeralContainers; else spec.ephemeralContainers = structuredClone(oldEc); }
    }
    return next;
  }

  private async admit(operation: 'CREATE' | 'UPDATE', t: ResourceType, obj: KObject, old: KObject | undefined, user: UserInfo): Promise<KObject> {
    let cur = obj;
    for (const p of this.admission) {
      cur = await p.admit({ operation, resource: t.key, namespace: cur.metadata.namespace, object: cur, oldObject: old, user, store: this });
    }
    return cur;
  }

  private put(t: ResourceType, obj: KObject): void {
    let byNs = this.data.get(t.key);
    if (!byNs) { byNs = new Map(); this.data.set(t.key, byNs); }
    const ns = obj.metadata.namespace ?? '';
    let names = byNs.get(ns);
    if (!names) { names = new Map(); byNs.set(ns, names); }
    const prev = names.get(obj.metadata.name!);
    if (prev) this.unindexOwners(t.key, prev.obj);
    names.set(obj.metadata.name!, { obj });
    for (const ref of obj.metadata.ownerReferences ?? []) {
      let deps = this.dependents.get(ref.uid);
      if (!deps) { deps = new Set(); this.dependents.set(ref.uid, deps); }
      deps.add(depKey(t.key, ns, obj.metadata.name!));
    }
  }

  private unindexOwners(resource: ResourceName, obj: KObject): void {
    for (const ref of obj.metadata.ownerReferences ?? []) {
      this.dependents.get(ref.uid)?.delete(depKey(resource, obj.metadata.namespace ?? '', obj.metadata.name!));
    }
  }

  private remove(t: ResourceType, old: KObject): void {
    const ns = old.metadata.namespace ?? '';
    this.data.get(t.key)?.get(ns)?.delete(old.metadata.name!);
    this.unindexOwners(t.key, old);
    const gone = structuredClone(old);
    gone.metadata.resourceVersion = String(++this.rv);
    this.emit({ rv: this.rv, resource: t.key, namespace: ns, type: 'DELETED', obj: gone, old });
    if (t.key === CRDS) {
      const crdType = typeFromCrd(old);
      this.registry.remove(crdType.key);
      for (const e of this.listEntries(crdType.key)) this.remove(crdType, e.obj);
      this.data.delete(crdType.key);
    }
  }

  private shouldTerminateGracefully(pod: KObject, opts: DeleteOptions): boolean {
    if (!this.gracefulPodDeletion || opts.gracePeriodSeconds === 0) return false;
    if (pod.metadata.deletionTimestamp) return false;
    return Boolean((pod.spec as { nodeName?: string }).nodeName);
  }

  /** The garbage collector: dependents whose owners are all gone are deleted (orphaned with
   *  policy Orphan), a moment after the owner, as the real controller does it asynchronously. */
  private collectDependents(ownerUid: string, policy: 'Background' | 'Foreground' | 'Orphan'): void {
    const deps = this.dependents.get(ownerUid);
    this.dependents.delete(ownerUid);
    if (!deps?.size) return;
    setImmediate(() => {
      for (const key of deps) {
        const [resource, ns, name] = key.split('\0') as [string, string, string];
        const e = this.getEntry(resource, ns || undefined, name);
        if (!e) continue;
        const remaining = (e.obj.metadata.ownerReferences ?? []).filter((r) => r.uid !== ownerUid && this.ownerExists(r.uid));
        const run = policy !== 'Orphan' && remaining.length === 0
          ? this.delete(resource, ns || undefined, name, SYSTEM_USER, { propagationPolicy: policy })
          : this.update(resource, { ...e.obj, metadata: { ...e.obj.metadata, resourceVersion: undefined, ownerReferences: remaining.length ? remaining : undefined } });
        run.catch(() => { /* already gone or changed: the next pass sees the new state */ });
      }
    });
  }

  private ownerExists(uid: string): boolean {
    for (const byNs of this.data.values()) {
      for (const names of byNs.values()) for (const e of names.values()) if (e.obj.metadata.uid === uid) return true;
    }
    return false;
  }

  /** Namespace deletion: Terminating first, then its contents go, then the namespace. */
  private async deleteNamespace(t: ResourceType, old: KObject, opts: DeleteOptions): Promise<KObject> {
    const name = old.metadata.name!;
    if (PROTECTED_NAMESPACES.has(name)) {
      throw new ApiError('Forbidden', `namespaces "${name}" is forbidden: this namespace may not be deleted`, { name, group: '', kind: 'namespaces' });
    }
    if (opts.dryRun) return structuredClone(old);
    if (old.metadata.deletionTimestamp) return structuredClone(old);
    const terminating = structuredClone(old);
    terminating.metadata.deletionTimestamp = nowTimestamp();
    terminating.status = { phase: 'Terminating' };
    terminating.metadata.resourceVersion = String(++this.rv);
    this.put(t, terminating);
    this.emit({ rv: this.rv, resource: 'namespaces', namespace: '', type: 'MODIFIED', obj: terminating, old });
    setImmediate(() => {
      for (const rt of this.registry.all()) {
        if (!rt.namespaced) continue;
        for (const e of this.listEntries(rt.key, name)) this.remove(rt, e.obj);
      }
      const still = this.getEntry('namespaces', undefined, name);
      if (still) this.remove(t, still.obj);
    });
    return structuredClone(terminating);
  }

  private emit(c: Change): void {
    this.history.push(c);
    if (this.history.length > this.historyLimit) this.history.splice(0, this.history.length - Math.ceil(this.historyLimit / 2));
    for (const w of this.watchers) {
      if (w.resource === c.resource && (w.namespace === undefined || w.namespace === c.namespace)) {
        try { w.send(c); } catch { /* a failing watcher must not break writes */ }
      }
    }
  }
}

/** A private copy of a stored object, parsed from the entry's cached JSON (entries are immutable
 *  snapshots): several times faster than structuredClone, which matters with thousands of pods. */
function copyOf(e: Entry): KObject {
  return JSON.parse((e.json ??= Buffer.from(JSON.stringify(e.obj))).toString()) as KObject;
}

function byName(a: Entry, b: Entry): number {
  const x = a.obj.metadata.name!;
  const y = b.obj.metadata.name!;
  return x < y ? -1 : x > y ? 1 : 0;
}

export function entryKey(e: Entry): string {
  return `${e.obj.metadata.namespace ?? ''}/${e.obj.metadata.name}`;
}

function byKey(a: Entry, b: Entry): number {
  const x = entryKey(a);
  const y = entryKey(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

function depKey(resource: string, ns: string, name: string): string {
  return `${resource}\0${ns}\0${name}`;
}

/** What counts as the spec for generation: everything but metadata and status. */
function specOf(o: KObject): string {
  const { metadata: _m, status: _s, ...rest } = o;
  return JSON.stringify(rest);
}
