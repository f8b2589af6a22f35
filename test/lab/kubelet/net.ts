// The pod network, as a bridge CNI plugin with host-local IPAM would make it: one host bridge
// `labbr0` (10.213.0.1/16) shared by every lab on this machine, and per pod a veth pair whose host
// side is a bridge port and whose other side is `eth0` in the pod's own network namespace.
//
// Every kubelet leases a /24 of 10.213.0.0/16 for its pods (10.213.<block>.2-254), so labs side by
// side never hand out one address twice. Leases are files in RUN_DIR (one per user, with its pid);
// the bridge is created by the first user and deleted by the last one to leave, under a lock
// directory. A lease whose process is gone is reaped by the next user that takes the lock.
//
// Traffic stays on this machine: pods get no default route, only the on-link 10.213.0.0/16, so they
// reach each other and the host through the bridge address, and nothing else. The host reaches them
// the same way (the kubelet's probes). The veth pair goes with the pod's netns when its last
// process exits; the netns is runc's (the pause container gets a new one), so nothing is pinned.
import { execa } from 'execa';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
import { join } from 'node:path';
import { sleep } from './node-context.ts';

export const POD_BRIDGE = 'labbr0';
/** The bridge's address: what pods reach the host by. */
export const POD_GATEWAY = '10.213.0.1';
const PREFIX = '10.213';
const PREFIX_LENGTH = 16;
/** Where the leases are (tmpfs: gone with a reboot, as the bridge is). */
export const RUN_DIR = '/run/kubectl-modelcar-lab-net';
const LOCK = join(RUN_DIR, 'lock');
/** A lock older than this belongs to a process that died holding it. */
const STALE_LOCK_MS = 15_000;

async function withLock<T>(fn: () => Promise<T>): Promise<T> {
  mkdirSync(RUN_DIR, { recursive: true });
  for (;;) {
    try {
      mkdirSync(LOCK);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      try {
        if (Date.now() - statSync(LOCK).mtimeMs > STALE_LOCK_MS) rmdirSync(LOCK);
      } catch {
        // released meanwhile
      }
      await sleep(10 + Math.random() * 20);
    }
  }
  try {
    return await fn();
  } finally {
    try {
      rmdirSync(LOCK);
    } catch {
      // taken for a stale one and removed
    }
  }
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
};

interface LeaseFile {
  name: string;
  pid: number;
  owner: string;
}

/** The lease files, with those of dead processes removed. */
function liveLeases(): LeaseFile[] {
  const out: LeaseFile[] = [];
  for (const name of readdirSync(RUN_DIR)) {
    if (name === 'lock') continue;
    const path = join(RUN_DIR, name);
    let pid = 0;
    let owner = '';
    try {
      [pid, owner] = ((s) => [Number(s[0]), s[1] ?? ''] as const)(readFileSync(path, 'utf8').trim().split(' '));
    } catch {
      continue;
    }
    if (pid > 0 && alive(pid)) out.push({ name, pid, owner });
    else rmSync(path, { force: true });
  }
  return out;
}

/** Whether the bridge is up with its address (no process started: this runs for every lease). */
function bridgeReady(): boolean {
  try {
    const up = (Number(readFileSync(`/sys/class/net/${POD_BRIDGE}/flags`, 'utf8').trim()) & 1) === 1;
    return up && (networkInterfaces()[POD_BRIDGE] ?? []).some((a) => a.address === POD_GATEWAY);
  } catch {
    return false;
  }
}

async function ensureBridge(): Promise<void> {
  if (bridgeReady()) return;
  const script = [
    `{ [ -e /sys/class/net/${POD_BRIDGE} ] || ip link add ${POD_BRIDGE} type bridge; }`,
    `ip addr replace ${POD_GATEWAY}/${PREFIX_LENGTH} dev ${POD_BRIDGE}`,
    `ip link set ${POD_BRIDGE} up`,
  ].join(' && ');
  const r = await execa('/bin/sh', ['-c', script], { reject: false, all: true });
  if (r.exitCode !== 0) throw new Error(`cannot create the bridge ${POD_BRIDGE}: ${(r.all ?? '').trim() || `exit code ${r.exitCode}`}`);
}

async function deleteBridge(): Promise<void> {
  if (existsSync(`/sys/class/net/${POD_BRIDGE}`)) await execa('ip', ['link', 'del', POD_BRIDGE], { reject: false });
}

export interface BridgeLease {
  /** The /24 this lease owns (10.213.<block>.0/24), for leases that asked for one. */
  block?: number;
  /** Gives the lease back; the last one out deletes the bridge. */
  release(): Promise<void>;
}

/** Takes a share of the bridge (creating it if needed), and with `block` a /24 of addresses for
 *  `owner`'s pods. A block an earlier process of the same owner held is taken over (a lab restarted
 *  on its state directory). Throws, with the reason, when the bridge cannot be made here. */
export async function leaseBridge(owner: string, opts: { block: boolean }): Promise<BridgeLease> {
  if (process.getuid?.() !== 0) throw new Error('the pod network needs root');
  return withLock(async () => {
    const leases = liveLeases();
    let name: string;
    let block: number | undefined;
    const mine = leases.find((l) => l.owner === owner && l.name.startsWith('block-'));
    if (opts.block && mine) {
      block = Number(mine.name.slice('block-'.length));
      name = mine.name;
    } else if (opts.block) {
      const taken = new Set(leases.filter((l) => l.owner !== owner).map((l) => l.name));
      const start = createHash('sha256').update(owner).digest().readUInt16BE(0) % 254;
      for (let i = 0; i < 254 && block === undefined; i++) {
        const b = ((start + i) % 254) + 1;
        if (!taken.has(`block-${b}`)) block = b;
      }
      if (block === undefined) throw new Error('every /24 of the pod network is leased');
      name = `block-${block}`;
    } else {
      name = `user-${process.pid}-${Math.random().toString(16).slice(2, 10)}`;
    }
    writeFileSync(join(RUN_DIR, name), `${process.pid} ${owner}\n`);
    try {
      await ensureBridge();
    } catch (err) {
      rmSync(join(RUN_DIR, name), { force: true });
      if (!liveLeases().length) await deleteBridge();
      throw err;
    }
    let released: Promise<void> | undefined;
    const release = () =>
      (released ??= withLock(async () => {
        rmSync(join(RUN_DIR, name), { force: true });
        if (!liveLeases().length) await deleteBridge();
      }));
    return { ...(block !== undefined ? { block } : {}), release };
  });
}

/** One pod's place on the bridge. */
export interface PodAddress {
  ip: string;
  /** The host side of its veth pair. */
  veth: string;
}

/** The host-side veth names of a block: `lv-<block>-<host>`. */
export const vethPrefix = (block: number) => `lv-${block}-`;

/** The links of this host whose names start with `prefix`. */
export function linksNamed(prefix: string): string[] {
  try {
    return readdirSync('/sys/class/net').filter((n) => n.startsWith(prefix));
  } catch {
    return [];
  }
}

/** A kubelet's addresses: host-local IPAM over its /24, round-robin so a freed address is not
 *  handed out again at once. */
export class PodNetwork {
  readonly block: number;
  private readonly lease: BridgeLease;
  private readonly used = new Set<number>();
  private last = 1;

  constructor(lease: BridgeLease & { block: number }) {
    this.lease = lease;
    this.block = lease.block;
  }

  allocate(): PodAddress | undefined {
    for (let i = 0; i < 253; i++) {
      const host = ((this.last - 1 + i) % 253) + 2;
      if (this.used.has(host)) continue;
      this.used.add(host);
      this.last = host;
      return { ip: `${PREFIX}.${this.block}.${host}`, veth: `${vethPrefix(this.block)}${host}` };
    }
    return undefined;
  }

  free(addr: PodAddress): void {
    this.used.delete(Number(addr.ip.split('.')[3]));
  }

  /** Deletes host-side veths left over (normally they go with their pods' network namespaces). */
  async removeLeftovers(): Promise<void> {
    const left = linksNamed(vethPrefix(this.block));
    if (left.length) await execa('ip', ['-force', '-batch', '-'], { input: left.map((l) => `link del ${l}`).join('\n'), reject: false });
  }

  release(): Promise<void> {
    return this.lease.release();
  }
}

/** The OCI createRuntime hook that wires a new pause container's network namespace: runc runs it in
 *  the host's namespaces once the container's exist, with the container state (its pid) on stdin.
 *  One shell and four small `ip`/`nsenter` processes, instead of forks of this (large) process. */
export function podNetworkHook(addr: PodAddress): { path: string; args: string[]; timeout: number } {
  const v = addr.veth;
  const script = [
    'IFS= read -r state',
    'pid=${state#*\\"pid\\":}',
    'pid=${pid%%[!0-9]*}',
    '[ -n "$pid" ] || { echo "no pid in the container state" >&2; exit 1; }',
    // A veth of this name left by a netns something else still holds.
    `[ -e /sys/class/net/${v} ] && ip link del ${v}`,
    `ip link add ${v} type veth peer name eth0 netns "$pid" || exit 1`,
    `ip link set ${v} master ${POD_BRIDGE} up || exit 1`,
    `printf '%s\\n' 'link set lo up' 'addr add ${addr.ip}/${PREFIX_LENGTH} dev eth0' 'link set eth0 up' | nsenter --net=/proc/$pid/ns/net ip -batch - || exit 1`,
  ].join('\n');
  return { path: '/bin/sh', args: ['sh', '-c', script], timeout: 10 };
}
