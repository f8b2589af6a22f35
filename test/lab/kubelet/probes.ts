// Readiness and liveness probes with the kubelet's result messages. HTTP and TCP probes connect
// from the host to the pod's IP (its own on the lab bridge, or 127.0.0.1 on the host network; see
// kubelet.ts), or to the probe's `host`.
import { connect } from 'node:net';
import type { Container, Probe } from './pod-types.ts';

export type ProbeResult = { ok: true } | { ok: false; output: string };

function resolvePort(port: number | string, c: Container): number {
  if (typeof port === 'number') return port;
  if (/^\d+$/.test(port)) return Number(port);
  const named = c.ports?.find((p) => p.name === port);
  return named ? named.containerPort : NaN;
}

async function httpProbe(p: NonNullable<Probe['httpGet']>, c: Container, ip: string, timeoutMs: number): Promise<ProbeResult> {
  const host = p.host ?? ip;
  const url = `${(p.scheme ?? 'HTTP').toLowerCase()}://${host}:${resolvePort(p.port, c)}${p.path ?? '/'}`;
  try {
    const res = await fetch(url, {
      signal: AbortSignal.timeout(timeoutMs),
      headers: Object.fromEntries([['User-Agent', 'kube-probe/1.33'], ...(p.httpHeaders ?? []).map((h) => [h.name, h.value])]),
      redirect: 'manual',
    });
    await res.arrayBuffer();
    if (res.status >= 200 && res.status < 400) return { ok: true };
    return { ok: false, output: `HTTP probe failed with statuscode: ${res.status}` };
  } catch (err) {
    const cause = (err as { cause?: { code?: string } }).cause;
    const target = `${host}:${resolvePort(p.port, c)}`;
    if (cause?.code === 'ECONNREFUSED') return { ok: false, output: `Get "${url}": dial tcp ${target}: connect: connection refused` };
    if ((err as Error).name === 'TimeoutError') return { ok: false, output: `Get "${url}": context deadline exceeded (Client.Timeout exceeded while awaiting headers)` };
    return { ok: false, output: `Get "${url}": ${(err as Error).message}` };
  }
}

function tcpProbe(p: NonNullable<Probe['tcpSocket']>, c: Container, ip: string, timeoutMs: number): Promise<ProbeResult> {
  const host = p.host ?? ip;
  const port = resolvePort(p.port, c);
  return new Promise((resolve) => {
    const socket = connect({ host, port, timeout: timeoutMs });
    socket.once('connect', () => {
      socket.destroy();
      resolve({ ok: true });
    });
    socket.once('timeout', () => {
      socket.destroy();
      resolve({ ok: false, output: `dial tcp ${host}:${port}: i/o timeout` });
    });
    socket.once('error', (err: NodeJS.ErrnoException) => {
      resolve({ ok: false, output: `dial tcp ${host}:${port}: connect: ${err.code === 'ECONNREFUSED' ? 'connection refused' : err.message}` });
    });
  });
}

/** Runs one probe; `exec` runs a command in the container and returns its exit code and combined output. */
export async function runProbe(
  probe: Probe,
  c: Container,
  ip: string,
  exec: (argv: string[], timeoutMs: number) => Promise<{ exitCode: number; output: string }>,
): Promise<ProbeResult> {
  const timeoutMs = (probe.timeoutSeconds ?? 1) * 1000;
  if (probe.httpGet) return httpProbe(probe.httpGet, c, ip, timeoutMs);
  if (probe.tcpSocket) return tcpProbe(probe.tcpSocket, c, ip, timeoutMs);
  if (probe.exec) {
    const r = await exec(probe.exec.command, timeoutMs);
    return r.exitCode === 0 ? { ok: true } : { ok: false, output: r.output };
  }
  return { ok: true };
}
