// Which uid/gid/groups a container process runs as, decided the way kubelet + containerd do:
// container securityContext, then pod securityContext, then the image's `User`, else root. Names and
// primary groups come from the image's own /etc/passwd and /etc/group.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { PodSecurityContext, SecurityContext } from './pod-types.ts';

export interface ProcessUser {
  uid: number;
  gid: number;
  /** Supplementary groups: the image's /etc/group memberships, then fsGroup and supplementalGroups. */
  additionalGids: number[];
}

interface PasswdEntry {
  name: string;
  uid: number;
  gid: number;
}

function readColonFile(rootfs: string, file: string): string[][] {
  try {
    return readFileSync(join(rootfs, file), 'utf8')
      .split('\n')
      .filter((l) => l && !l.startsWith('#'))
      .map((l) => l.split(':'));
  } catch {
    return [];
  }
}

const passwd = (rootfs: string): PasswdEntry[] =>
  readColonFile(rootfs, 'etc/passwd').map(([name, , uid, gid]) => ({ name: name!, uid: Number(uid), gid: Number(gid) }));

const groups = (rootfs: string) =>
  readColonFile(rootfs, 'etc/group').map(([name, , gid, members]) => ({ name: name!, gid: Number(gid), members: (members ?? '').split(',').filter(Boolean) }));

const isNumeric = (s: string) => /^\d+$/.test(s);

export class UnknownUserError extends Error {}

/** Resolves an image config `User` ("1000", "app", "app:grp", "1000:1000") against the image. */
function imageUser(user: string, rootfs: string): { uid: number; gid?: number; name?: string } {
  const [u, g] = user.split(':') as [string, string | undefined];
  const entries = passwd(rootfs);
  const entry = isNumeric(u) ? entries.find((e) => e.uid === Number(u)) : entries.find((e) => e.name === u);
  if (!entry && !isNumeric(u)) throw new UnknownUserError(`unable to find user ${u}: no matching entries in passwd file`);
  const uid = entry?.uid ?? Number(u);
  if (g === undefined) return { uid, gid: entry?.gid, name: entry?.name };
  if (isNumeric(g)) return { uid, gid: Number(g), name: entry?.name };
  const group = groups(rootfs).find((x) => x.name === g);
  if (!group) throw new UnknownUserError(`unable to find group ${g}: no matching entries in group file`);
  return { uid, gid: group.gid, name: entry?.name };
}

export function resolveUser(
  container: SecurityContext | undefined,
  pod: PodSecurityContext | undefined,
  imageUserSpec: string | undefined,
  rootfs: string,
): ProcessUser {
  const runAsUser = container?.runAsUser ?? pod?.runAsUser;
  const runAsGroup = container?.runAsGroup ?? pod?.runAsGroup;
  let uid: number;
  let gid: number | undefined;
  let name: string | undefined;
  if (runAsUser !== undefined) {
    uid = runAsUser;
    const entry = passwd(rootfs).find((e) => e.uid === uid);
    gid = entry?.gid;
    name = entry?.name;
  } else if (imageUserSpec) {
    ({ uid, gid, name } = imageUser(imageUserSpec, rootfs));
  } else {
    uid = 0;
    gid = 0;
    name = passwd(rootfs).find((e) => e.uid === 0)?.name;
  }
  if (runAsGroup !== undefined) gid = runAsGroup;
  gid ??= 0;
  const memberships = name ? groups(rootfs).filter((g) => g.members.includes(name)).map((g) => g.gid) : [];
  const podGroups = [...(pod?.fsGroup !== undefined ? [pod.fsGroup] : []), ...(pod?.supplementalGroups ?? [])];
  const additionalGids = [...new Set([...memberships, ...podGroups])].filter((g) => g !== gid);
  return { uid, gid, additionalGids };
}
