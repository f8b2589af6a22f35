// The in-pod probe: what the runtime container sees at the model path. One `sh -c` script (POSIX sh
// and busybox tools, nothing written anywhere) prints a small key=value block; images without a shell
// get the same facts from `readlink`, `ls` and `cat` exec'd directly. Every output is parsed with zod
// and treated as untrusted text.
import { z } from 'zod';
import type { ExecProbe, ExecResult as ProbeResult, ExecSkipped, FileType, ProcessIds } from '../../shared/snapshot.ts';
import type { ExecResult } from './exec.ts';

export const PROBE_BEGIN = 'MODELCAR-PROBE-BEGIN v1';
export const PROBE_END = 'MODELCAR-PROBE-END';

/** At most this many files are walked, and this many unreadable ones named. */
const MAX_FILES = 20000;
const MAX_UNREADABLE = 20;

/**
 * Run as `sh -c PROBE_SCRIPT sh <modelPath>`. Only tests, reads of /proc and listings: it writes no file.
 * Cmdlines are printed with NUL bytes turned into \037 (unit separator) so arguments stay apart.
 */
export const PROBE_SCRIPT = `p="$1"
echo '${PROBE_BEGIN}'
echo "path=$p"
if [ -L "$p" ]; then t=symlink; elif [ -d "$p" ]; then t=directory; elif [ -f "$p" ]; then t=file; elif [ -e "$p" ]; then t=other; else t=missing; fi
echo "lstat=$t"
tgt=""
if [ "$t" = symlink ]; then tgt=$(readlink "$p" 2>/dev/null); echo "readlink=$tgt"; fi
ids() { while read -r k a b c d; do case "$k" in Uid:) echo "$1_uid=$a $b $c $d";; Gid:) echo "$1_gid=$a $b $c $d";; esac; done < "$2" 2>/dev/null; }
echo "self_pid=$$"
ids self /proc/$$/status
pid=$(echo "$tgt" | sed -n 's#^/proc/\\([0-9][0-9]*\\)/root.*#\\1#p' 2>/dev/null)
if [ -n "$pid" ]; then
  echo "target_pid=$pid"
  if [ -r "/proc/$pid/cmdline" ]; then
    echo "target_visible=yes"
    echo "target_cmdline=$(tr '\\000' '\\037' < "/proc/$pid/cmdline" 2>/dev/null)"
    ids target "/proc/$pid/status"
  else
    echo "target_visible=no"
  fi
fi
if command -v grep >/dev/null 2>&1; then cands=$(grep -l -e 'ln -s' -e '^sleep' /proc/[0-9]*/cmdline 2>/dev/null); else cands=$(echo /proc/[0-9]*/cmdline); fi
for f in $cands; do
  c=$(tr '\\000' ' ' < "$f" 2>/dev/null) || continue
  d=\${f%/cmdline}
  case "$c" in *"ln -s"*"/proc/"*|"sleep infinity"*) echo "modelcar_pid=\${d#/proc/}";; esac
done
err=$(ls -A "$p/" 2>&1 >/dev/null); rc=$?
echo "list_exit=$rc"
if [ "$rc" -ne 0 ]; then echo "list_err=$(echo "$err" | head -n 1)"; fi
if [ -e "$p" ]; then echo "resolves=yes"; else echo "resolves=no"; fi
if [ "$rc" -eq 0 ]; then
  n=0; bytes=0; bad=0
  if command -v find >/dev/null 2>&1; then
    files=$(find "$p/" -type f 2>/dev/null | head -n ${MAX_FILES})
  else
    files=$(for f in "$p"/* "$p"/.[!.]*; do [ -f "$f" ] && echo "$f"; done)
  fi
  IFS='
'
  # Sizes in one stat run (a fork per file is slow on large models); per file only when that fails.
  sizes=$(printf '%s\n' $files | head -n ${MAX_FILES} | xargs stat -L -c %s 2>/dev/null) || sizes=""
  for f in $files; do
    n=$((n + 1))
    if [ ! -r "$f" ] && [ "$bad" -lt ${MAX_UNREADABLE} ]; then echo "unreadable=$f"; bad=$((bad + 1)); fi
  done
  if [ -n "$sizes" ]; then
    for s in $sizes; do bytes=$((bytes + s)); done
  else
    for f in $files; do s=$(stat -L -c %s "$f" 2>/dev/null || echo 0); bytes=$((bytes + s)); done
  fi
  echo "file_count=$n"
  echo "total_bytes=$bytes"
fi
echo '${PROBE_END}'
`;

const IdsText = z.string().regex(/^\d+( \d+){0,3}\s*$/);

/** The key=value block as the script prints it; every field optional, every value checked. */
const BlockSchema = z.object({
  path: z.string(),
  lstat: z.enum(['symlink', 'directory', 'file', 'missing', 'other']),
  readlink: z.string().optional(),
  self_pid: z.string().regex(/^\d+$/).optional(),
  self_uid: IdsText.optional(),
  self_gid: IdsText.optional(),
  target_pid: z.string().regex(/^\d+$/).optional(),
  target_visible: z.enum(['yes', 'no']).optional(),
  target_cmdline: z.string().optional(),
  target_uid: IdsText.optional(),
  target_gid: IdsText.optional(),
  list_exit: z.string().regex(/^\d+$/),
  list_err: z.string().optional(),
  resolves: z.enum(['yes', 'no']),
  file_count: z.string().regex(/^\d+$/).optional(),
  total_bytes: z.string().regex(/^\d+$/).optional(),
});

const REPEATED = new Set(['modelcar_pid', 'unreadable']);

/** Splits the block between the markers into single values and repeated ones. */
function readBlock(stdout: string): { single: Record<string, string>; repeated: Record<string, string[]> } | null {
  const start = stdout.indexOf(PROBE_BEGIN);
  const end = stdout.indexOf(PROBE_END, start);
  if (start < 0 || end < 0) return null;
  const single: Record<string, string> = {};
  const repeated: Record<string, string[]> = { modelcar_pid: [], unreadable: [] };
  for (const line of stdout.slice(start + PROBE_BEGIN.length, end).split('\n')) {
    const eq = line.indexOf('=');
    if (eq <= 0) continue;
    const key = line.slice(0, eq);
    const value = line.slice(eq + 1);
    if (REPEATED.has(key)) repeated[key]!.push(value);
    else if (!(key in single)) single[key] = value;
  }
  return { single, repeated };
}

function parseIds(uid: string | undefined, gid: string | undefined): ProcessIds | null {
  if (uid === undefined || gid === undefined) return null;
  return { uids: uid.trim().split(/\s+/).map(Number), gids: gid.trim().split(/\s+/).map(Number) };
}

/** The errno name for a listing error message (busybox and coreutils wording). */
export function errnoOf(message: string): string {
  if (/permission denied/i.test(message)) return 'EACCES';
  if (/no such file or directory/i.test(message)) return 'ENOENT';
  if (/not a directory/i.test(message)) return 'ENOTDIR';
  if (/too many levels of symbolic links/i.test(message)) return 'ELOOP';
  if (/input\/output error/i.test(message)) return 'EIO';
  return 'UNKNOWN';
}

export function pidFromLink(target: string | null): number | null {
  const m = /^\/proc\/(\d+)\/root(\/|$)/.exec(target ?? '');
  return m ? Number(m[1]) : null;
}

export interface ProbeTarget {
  namespace: string;
  pod: string;
  container: string;
  modelPath: string;
}

/** Parses the script's output; null when the block is missing or malformed (then the fallback runs). */
export function parseProbeOutput(target: ProbeTarget, stdout: string): ExecProbe | null {
  const block = readBlock(stdout);
  if (!block) return null;
  const parsed = BlockSchema.safeParse(block.single);
  if (!parsed.success) return null;
  const b = parsed.data;
  const listOk = b.list_exit === '0';
  const errno = listOk ? '' : errnoOf(b.list_err ?? '');
  const readlink = b.readlink ?? null;
  const targetPid = b.target_pid ? Number(b.target_pid) : pidFromLink(readlink);
  return {
    namespace: target.namespace,
    pod: target.pod,
    container: target.container,
    outcome: 'probed',
    tool: 'sh',
    modelPath: b.path,
    lstatType: b.lstat as FileType,
    readlink,
    // A refused /proc/<pid>/root is there but not ours to enter: that is not a dangling link.
    targetResolves: b.resolves === 'yes' || errno === 'EACCES',
    targetPid,
    targetProcess:
      targetPid === null || b.target_visible !== 'yes'
        ? null
        : { cmdline: b.target_cmdline !== undefined ? b.target_cmdline.split('\u001f').filter((a) => a !== '') : null, ids: parseIds(b.target_uid, b.target_gid) },
    self: { pid: b.self_pid ? Number(b.self_pid) : null, ids: parseIds(b.self_uid, b.self_gid) },
    modelcarPids: block.repeated.modelcar_pid!.filter((p) => /^\d+$/.test(p)).map(Number),
    listing: listOk
      ? { ok: true, fileCount: Number(b.file_count ?? 0), totalBytes: Number(b.total_bytes ?? 0), unreadable: block.repeated.unreadable! }
      : { ok: false, errno, message: (b.list_err ?? '').trim() },
  };
}

/** `/proc/<pid>/status` text -> ids. */
export function idsFromStatus(text: string): ProcessIds | null {
  const uid = /^Uid:\s+([\d\s]+)$/m.exec(text)?.[1];
  const gid = /^Gid:\s+([\d\s]+)$/m.exec(text)?.[1];
  return parseIds(uid, gid);
}

/** Sums `ls -lLR` output: regular-file lines count and their sizes (column 5). */
export function sumLsLong(text: string): { fileCount: number; totalBytes: number } {
  let fileCount = 0;
  let totalBytes = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith('-')) continue;
    const size = Number(line.trim().split(/\s+/)[4]);
    fileCount++;
    if (Number.isFinite(size)) totalBytes += size;
  }
  return { fileCount, totalBytes };
}

export type Runner = (command: string[]) => Promise<ExecResult>;

function skipped(target: ProbeTarget, reason: ExecSkipped['reason'], detail: string): ExecSkipped {
  return { namespace: target.namespace, pod: target.pod, container: target.container, outcome: 'skipped', reason, detail };
}

/**
 * Probes one model path in one runtime container: the shell script first; with no shell, `readlink`,
 * `ls` and `cat` exec'd directly; with none of those, a 'no-shell' skip (MC408). Errors that stop
 * exec altogether (Forbidden, unreachable) propagate to the caller.
 */
export async function probeModelPath(target: ProbeTarget, run: Runner): Promise<ProbeResult> {
  const viaShell = await run(['sh', '-c', PROBE_SCRIPT, 'sh', target.modelPath]);
  if (!viaShell.commandNotFound) {
    const parsed = parseProbeOutput(target, viaShell.stdout);
    if (parsed) return parsed;
    if (viaShell.timedOut) return skipped(target, 'error', `the probe timed out: ${viaShell.failure ?? ''}`);
    if (viaShell.failure && !/\bsh\b/.test(viaShell.failure)) return skipped(target, 'error', `exec failed: ${viaShell.failure}`);
  }
  return probeWithoutShell(target, run);
}

async function probeWithoutShell(target: ProbeTarget, run: Runner): Promise<ProbeResult> {
  const p = target.modelPath;
  const ls = await run(['ls', '-ld', p]);
  if (ls.commandNotFound) {
    return skipped(target, 'no-shell', `the container "${target.container}" has neither sh nor ls`);
  }
  let lstatType: FileType;
  if (ls.exitCode !== 0) lstatType = 'missing';
  else if (ls.stdout.startsWith('l')) lstatType = 'symlink';
  else if (ls.stdout.startsWith('d')) lstatType = 'directory';
  else if (ls.stdout.startsWith('-')) lstatType = 'file';
  else lstatType = 'other';
  let readlink: string | null = null;
  if (lstatType === 'symlink') {
    const rl = await run(['readlink', p]);
    if (rl.exitCode === 0) readlink = rl.stdout.trim();
    else {
      // `ls -ld` shows "name -> target" when readlink is missing.
      const arrow = ls.stdout.indexOf(' -> ');
      if (arrow >= 0) readlink = ls.stdout.slice(arrow + 4).trim();
    }
  }
  const list = await run(['ls', '-lLAR', `${p}/`]);
  const listErr = list.stderr.trim().split('\n')[0] ?? '';
  const errno = list.exitCode === 0 ? '' : errnoOf(listErr);
  const self = await run(['cat', '/proc/self/status']);
  const targetPid = pidFromLink(readlink);
  let targetProcess: ExecProbe['targetProcess'] = null;
  if (targetPid !== null) {
    const [cmd, st] = await Promise.all([run(['cat', `/proc/${targetPid}/cmdline`]), run(['cat', `/proc/${targetPid}/status`])]);
    if (cmd.exitCode === 0 || st.exitCode === 0) {
      targetProcess = {
        cmdline: cmd.exitCode === 0 ? cmd.stdout.split('\u0000').filter((a) => a !== '') : null,
        ids: st.exitCode === 0 ? idsFromStatus(st.stdout) : null,
      };
    }
  }
  return {
    namespace: target.namespace,
    pod: target.pod,
    container: target.container,
    outcome: 'probed',
    tool: 'ls',
    modelPath: p,
    lstatType,
    readlink,
    targetResolves: list.exitCode === 0 || errno === 'EACCES',
    targetPid,
    targetProcess,
    self: { pid: null, ids: self.exitCode === 0 ? idsFromStatus(self.stdout) : null },
    modelcarPids: [],
    listing:
      list.exitCode === 0
        ? { ok: true, ...sumLsLong(list.stdout), unreadable: [] }
        : { ok: false, errno, message: listErr || list.failure || `ls exited ${list.exitCode}` },
  };
}
