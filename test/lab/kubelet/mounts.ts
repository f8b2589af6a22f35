// Finding and removing the host mounts the kubelet made (container overlays, tmpfs volumes).
import { execa } from 'execa';
import { readFileSync } from 'node:fs';

/** Mount points at or below `dir`, deepest first (the order they must be unmounted in). */
export function mountsUnder(dir: string): string[] {
  const decode = (s: string) => s.replace(/\\(\d{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
  return readFileSync('/proc/self/mounts', 'utf8')
    .split('\n')
    .map((l) => decode(l.split(' ')[1] ?? ''))
    .filter((m) => m === dir || m.startsWith(`${dir}/`))
    .sort((a, b) => b.length - a.length);
}

/** Unmounts everything at or below `dir` (lazily if a mount is still busy). */
export async function unmountAll(dir: string): Promise<void> {
  for (const m of mountsUnder(dir)) {
    const r = await execa('umount', [m], { reject: false });
    if (r.exitCode !== 0) await execa('umount', ['-l', m], { reject: false });
  }
}
