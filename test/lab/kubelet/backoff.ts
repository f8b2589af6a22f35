// The kubelet's per-container back-off (flowcontrol.Backoff): 10 s doubling to 5 min, forgotten
// after twice the maximum without failures. Durations are real ones; `timeScale` only shortens the
// waits, so messages still say "back-off 10s".
export const INITIAL_BACKOFF_MS = 10_000;
export const MAX_BACKOFF_MS = 300_000;

interface Entry {
  backoffMs: number;
  lastUpdate: number;
}

export class Backoff {
  private readonly entries = new Map<string, Entry>();
  private readonly timeScale: number;

  /** The back-off clock runs `timeScale` times faster than real time. */
  constructor(timeScale: number) {
    this.timeScale = timeScale;
  }

  private scaledNow(): number {
    return Date.now() * this.timeScale;
  }

  private live(key: string, at: number): Entry | undefined {
    const e = this.entries.get(key);
    if (e && at - e.lastUpdate > 2 * MAX_BACKOFF_MS) {
      this.entries.delete(key);
      return undefined;
    }
    return e;
  }

  /** The real-time milliseconds still to wait after an event at `eventTime` (epoch ms), 0 if none. */
  remainingMs(key: string, eventTime: number): number {
    const at = eventTime * this.timeScale;
    const e = this.live(key, at);
    if (!e) return 0;
    return Math.max(0, (at + e.backoffMs - this.scaledNow()) / this.timeScale);
  }

  /** The current back-off as the kubelet prints it ("10s", "5m0s"). */
  current(key: string): string {
    const ms = this.entries.get(key)?.backoffMs ?? INITIAL_BACKOFF_MS;
    return ms >= 60_000 ? `${Math.floor(ms / 60_000)}m${(ms % 60_000) / 1000}s` : `${ms / 1000}s`;
  }

  /** Records a restart (or pull attempt) at `eventTime`: the next wait doubles. */
  next(key: string, eventTime: number): void {
    const at = eventTime * this.timeScale;
    const e = this.live(key, at);
    this.entries.set(key, { backoffMs: e ? Math.min(e.backoffMs * 2, MAX_BACKOFF_MS) : INITIAL_BACKOFF_MS, lastUpdate: at });
  }
}

/** Go's time.Duration.String() for a duration truncated to milliseconds, as kubelet events print it. */
export function goDuration(ms: number): string {
  ms = Math.floor(ms);
  if (ms === 0) return '0s';
  if (ms < 1000) return `${ms}ms`;
  const h = Math.floor(ms / 3_600_000);
  const m = Math.floor((ms % 3_600_000) / 60_000);
  const s = (ms % 60_000) / 1000;
  const sec = `${Number.isInteger(s) ? s : s.toFixed(3).replace(/0+$/, '')}s`;
  if (h) return `${h}h${m}m${sec}`;
  if (m) return `${m}m${sec}`;
  return sec;
}
