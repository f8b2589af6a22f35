// Polling for lab tests: the lab is eventually consistent (controllers, the kubelet), as a cluster is.

/** Resolves with the first defined value `probe` returns; throws after `timeoutMs` naming `what`. */
export async function until<T>(what: string, probe: () => T | undefined | Promise<T | undefined>, timeoutMs = 30_000, intervalMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** `until` for probes that answer false (or another falsy value) while the wait goes on. */
export async function untilTruthy<T>(what: string, probe: () => T | undefined | null | false | Promise<T | undefined | null | false>, timeoutMs = 30_000, intervalMs = 100): Promise<T> {
  return until(what, async () => (await probe()) || undefined, timeoutMs, intervalMs) as Promise<T>;
}
