// The lab's fault switchboard: faults that tests switch on through `lab fault add` or POST /lab/faults.
// Each is scoped (verb, resource, namespace, user, name) and fires on a reproducible schedule: the
// first `skip` matching requests pass, then each fires with `probability` drawn from a generator
// seeded by `seed` (so one seed gives the same sequence every run), at most `count` times.

export type FaultAction =
  /** Answer with this status instead of serving: 429 (with Retry-After), 500, 503. */
  | { type: 'status'; code: 429 | 500 | 503; retryAfterSeconds?: number }
  | { type: 'latency'; ms: number }
  /** Reset the connection before answering (the client sees ECONNRESET). */
  | { type: 'reset' }
  /** A watch ends after this many seconds, as kube-apiserver ends watches at a random timeout. */
  | { type: 'watch-close'; afterSeconds: number }
  /** Drop the exec WebSocket's TCP connection after this many bytes went that way. */
  | { type: 'exec-drop'; direction: 'stdin' | 'stdout'; afterBytes: number }
  /** The exec command never finishes: no status frame, the socket stays open. */
  | { type: 'exec-hang' }
  /** New pods matching the scope are changed at admission (see pod-faults.ts). */
  | { type: 'pod'; change: 'readonly-rootfs' | 'full-volume' | 'no-shell' | 'noexec-tmp'; container?: string; path?: string; sizeLimit?: string };

export interface FaultScope {
  verb?: string;
  /** As in RBAC rules: `pods`, `pods/exec`, `inferenceservices`. */
  resource?: string;
  namespace?: string;
  name?: string;
  user?: string;
}

export interface FaultSchedule {
  seed?: number;
  probability?: number;
  skip?: number;
  count?: number;
}

export interface FaultSpec { action: FaultAction; scope?: FaultScope; schedule?: FaultSchedule }

export interface Fault {
  id: string;
  action: FaultAction;
  scope: FaultScope;
  schedule: Required<FaultSchedule>;
  /** Requests that matched the scope so far, and how many of them the fault hit. */
  matched: number;
  fired: number;
}

export interface RequestAttributes { verb: string; resource: string; namespace?: string; name?: string; user: string }

/** mulberry32: a tiny seeded generator; the same seed yields the same sequence on every run. */
function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const VALID: Record<FaultAction['type'], (a: FaultAction) => boolean> = {
  status: (a) => a.type === 'status' && [429, 500, 503].includes(a.code),
  latency: (a) => a.type === 'latency' && a.ms >= 0,
  reset: () => true,
  'watch-close': (a) => a.type === 'watch-close' && a.afterSeconds >= 0,
  'exec-drop': (a) => a.type === 'exec-drop' && ['stdin', 'stdout'].includes(a.direction) && a.afterBytes >= 0,
  'exec-hang': () => true,
  pod: (a) => a.type === 'pod' && ['readonly-rootfs', 'full-volume', 'no-shell', 'noexec-tmp'].includes(a.change),
};

export class FaultSwitchboard {
  private faults: Array<Fault & { random: () => number }> = [];
  private nextId = 1;

  add(spec: FaultSpec): Fault {
    const check = VALID[spec.action?.type];
    if (!check?.(spec.action)) throw new Error(`not a fault this lab knows: ${JSON.stringify(spec.action)}`);
    const schedule: Required<FaultSchedule> = { seed: 1, probability: 1, skip: 0, count: Number.MAX_SAFE_INTEGER, ...spec.schedule };
    const fault = { id: `f${this.nextId++}`, action: spec.action, scope: spec.scope ?? {}, schedule, matched: 0, fired: 0, random: seededRandom(schedule.seed) };
    this.faults.push(fault);
    return this.view(fault);
  }

  list(): Fault[] {
    return this.faults.map((f) => this.view(f));
  }

  clear(id?: string): number {
    const before = this.faults.length;
    this.faults = id ? this.faults.filter((f) => f.id !== id) : [];
    return before - this.faults.length;
  }

  /** The faults of these types that fire for this request, each advancing its schedule once. */
  fire(req: RequestAttributes, types: Array<FaultAction['type']>): FaultAction[] {
    const out: FaultAction[] = [];
    for (const f of this.faults) {
      if (!types.includes(f.action.type) || !matches(f.scope, req)) continue;
      const n = f.matched++;
      const { skip, probability, count } = f.schedule;
      // Draw on every match after `skip`, fired or not, so the sequence depends only on the seed.
      if (n < skip) continue;
      const hit = f.random() < probability;
      if (hit && f.fired < count) {
        f.fired++;
        out.push(f.action);
      }
    }
    return out;
  }

  private view(f: Fault): Fault {
    return { id: f.id, action: f.action, scope: f.scope, schedule: f.schedule, matched: f.matched, fired: f.fired };
  }
}

function matches(scope: FaultScope, req: RequestAttributes): boolean {
  return (!scope.verb || scope.verb === req.verb)
    && (!scope.resource || scope.resource === req.resource)
    && (!scope.namespace || scope.namespace === req.namespace)
    && (!scope.name || scope.name === req.name)
    && (!scope.user || scope.user === req.user);
}

/** One switchboard per lab store (the API server's handlers and the composition root share it). */
const boards = new WeakMap<object, FaultSwitchboard>();
export function switchboardOf(store: object): FaultSwitchboard {
  let b = boards.get(store);
  if (!b) { b = new FaultSwitchboard(); boards.set(store, b); }
  return b;
}
