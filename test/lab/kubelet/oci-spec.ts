// OCI runtime configs (config.json) for the pod's containers, with the defaults containerd's CRI
// plugin uses: runc's default mounts and masked paths, Docker's default capability set.
import { readFileSync } from 'node:fs';
import type { ProcessUser } from './user.ts';
import type { SecurityContext } from './pod-types.ts';

export interface OciMount {
  destination: string;
  type: string;
  source: string;
  options?: string[];
}

export interface OciNamespace {
  type: 'pid' | 'ipc' | 'uts' | 'network' | 'mount';
  path?: string;
}

/** containerd's default capabilities (the same set Docker grants). CAP_SYS_PTRACE is not among them,
 *  which is why even root cannot read /proc/<pid>/root of a process with another uid. */
export const DEFAULT_CAPABILITIES = [
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_FSETID', 'CAP_FOWNER', 'CAP_MKNOD', 'CAP_NET_RAW', 'CAP_SETGID',
  'CAP_SETUID', 'CAP_SETFCAP', 'CAP_SETPCAP', 'CAP_NET_BIND_SERVICE', 'CAP_SYS_CHROOT', 'CAP_KILL', 'CAP_AUDIT_WRITE',
];

const withPrefix = (c: string) => (c.startsWith('CAP_') ? c : `CAP_${c}`).toUpperCase();

/** Applies securityContext.capabilities: `drop: [ALL]` empties the set first, then `add` wins over `drop`. */
export function capabilitiesFor(sc: SecurityContext | undefined): string[] {
  const drop = (sc?.capabilities?.drop ?? []).map(withPrefix);
  const add = (sc?.capabilities?.add ?? []).map(withPrefix);
  const base = drop.includes('CAP_ALL') ? [] : DEFAULT_CAPABILITIES.filter((c) => !drop.includes(c));
  return [...new Set([...base, ...add.filter((c) => c !== 'CAP_ALL')])];
}

const DEFAULT_MOUNTS: OciMount[] = [
  { destination: '/proc', type: 'proc', source: 'proc', options: ['nosuid', 'noexec', 'nodev'] },
  { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
  { destination: '/dev/pts', type: 'devpts', source: 'devpts', options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'] },
  { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: ['nosuid', 'noexec', 'nodev'] },
  { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', 'ro'] },
  { destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup', options: ['nosuid', 'noexec', 'nodev', 'relatime', 'ro'] },
];

/** The open-files limit containers get: containerd's 1048576 where this process may grant it. */
function nofileLimit(): number {
  try {
    const hard = /^Max open files\s+\S+\s+(\S+)/m.exec(readFileSync('/proc/self/limits', 'utf8'))?.[1];
    return hard === undefined || hard === 'unlimited' ? 1048576 : Math.min(1048576, Number(hard));
  } catch {
    return 1024;
  }
}

/** An OCI hook: runc runs `path` with `args`, the container's state JSON on stdin. */
export interface OciHook {
  path: string;
  args: string[];
  timeout?: number;
}

export interface ContainerConfigInput {
  rootfs: string;
  readonlyRootfs: boolean;
  argv: string[];
  env: string[];
  cwd: string;
  user: ProcessUser;
  hostname?: string;
  capabilities: string[];
  noNewPrivileges: boolean;
  namespaces: OciNamespace[];
  /** Bind mounts for volumes, /etc/hosts, the termination log and the pod's /dev/shm. */
  mounts: OciMount[];
  cgroupsPath: string;
  memoryLimitBytes?: number;
  cpuMillis?: number;
  /** createRuntime hooks: run in the host's namespaces once the container's exist (the pod network). */
  createRuntimeHooks?: OciHook[];
}

export function containerConfig(input: ContainerConfigInput): Record<string, unknown> {
  const caps = input.capabilities;
  const resources: Record<string, unknown> = { devices: [{ allow: false, access: 'rwm' }] };
  // memory.swap equal to the limit keeps swap out of it, as the kubelet does (no swap for Burstable/Guaranteed).
  if (input.memoryLimitBytes !== undefined) resources['memory'] = { limit: input.memoryLimitBytes, swap: input.memoryLimitBytes };
  if (input.cpuMillis !== undefined) resources['cpu'] = { quota: Math.max(1000, input.cpuMillis * 100), period: 100000 };
  return {
    ociVersion: '1.0.2-dev',
    process: {
      terminal: false,
      user: { uid: input.user.uid, gid: input.user.gid, additionalGids: input.user.additionalGids },
      args: input.argv,
      env: input.env,
      cwd: input.cwd || '/',
      capabilities: { bounding: caps, effective: caps, permitted: caps },
      rlimits: [{ type: 'RLIMIT_NOFILE', hard: nofileLimit(), soft: nofileLimit() }],
      noNewPrivileges: input.noNewPrivileges,
    },
    root: { path: input.rootfs, readonly: input.readonlyRootfs },
    ...(input.hostname ? { hostname: input.hostname } : {}),
    mounts: [...DEFAULT_MOUNTS, ...input.mounts],
    ...(input.createRuntimeHooks?.length ? { hooks: { createRuntime: input.createRuntimeHooks } } : {}),
    linux: {
      namespaces: input.namespaces,
      resources,
      cgroupsPath: input.cgroupsPath,
      maskedPaths: [
        '/proc/acpi', '/proc/asound', '/proc/kcore', '/proc/keys', '/proc/latency_stats', '/proc/timer_list',
        '/proc/timer_stats', '/proc/sched_debug', '/sys/firmware', '/proc/scsi',
      ],
      readonlyPaths: ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'],
    },
  };
}
