// A keyed work queue like client-go's: a key queued while being processed is processed again
// afterwards, never concurrently; failures and timed rechecks come back after a delay.
export class WorkQueue {
  private readonly pending = new Set<string>();
  private readonly active = new Set<string>();
  private readonly again = new Set<string>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private stopped = false;
  private readonly work: (key: string) => Promise<void>;
  private readonly onError: (key: string, err: unknown) => void;

  constructor(work: (key: string) => Promise<void>, onError: (key: string, err: unknown) => void = () => {}) {
    this.work = work;
    this.onError = onError;
  }

  add(key: string): void {
    if (this.stopped) return;
    if (this.active.has(key)) { this.again.add(key); return; }
    if (this.pending.has(key)) return;
    this.pending.add(key);
    setImmediate(() => void this.run(key));
  }

  addAfter(key: string, ms: number): void {
    if (this.stopped || this.timers.has(key)) return;
    this.timers.set(key, setTimeout(() => { this.timers.delete(key); this.add(key); }, ms));
  }

  stop(): void {
    this.stopped = true;
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
  }

  /** Resolves once nothing is queued or running (for tests and orderly shutdown). */
  async idle(): Promise<void> {
    while (this.pending.size || this.active.size) await new Promise((r) => setTimeout(r, 5));
  }

  private async run(key: string): Promise<void> {
    this.pending.delete(key);
    if (this.stopped) return;
    this.active.add(key);
    try {
      await this.work(key);
    } catch (err) {
      this.onError(key, err);
      this.addAfter(key, 500);
    } finally {
      this.active.delete(key);
      if (this.again.delete(key)) this.add(key);
    }
  }
}

export function nsKey(namespace: string | undefined, name: string): string {
  return `${namespace ?? ''}/${name}`;
}

export function splitKey(key: string): [string, string] {
  const i = key.indexOf('/');
  return [key.slice(0, i), key.slice(i + 1)];
}
