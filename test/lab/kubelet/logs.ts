// Container logs in the CRI format the kubelet reads (`<RFC3339Nano> stdout|stderr F|P <text>`),
// one file per container instance, and the queries `kubectl logs` makes of them.
import { createWriteStream, existsSync, openSync, readFileSync, readSync, closeSync, statSync, type WriteStream } from 'node:fs';
import type { Readable, Writable } from 'node:stream';

/** RFC3339 with nanoseconds, as CRI log lines and `kubectl logs --timestamps` show them. */
export function nanoTimestamp(): string {
  const ns = process.hrtime.bigint() % 1_000_000n;
  const iso = new Date().toISOString(); // ...T23:14:58.825Z
  return `${iso.slice(0, -1)}${ns.toString().padStart(6, '0')}Z`;
}

/** Appends a container's stdout and stderr to `path`, splitting at newlines the way containerd's logger does. */
export class ContainerLogWriter {
  private readonly file: WriteStream;
  private readonly pending = { stdout: '', stderr: '' };
  /** The last bytes written, for terminationMessagePolicy FallbackToLogsOnError. */
  private tail = '';
  private open = 2;
  readonly done: Promise<void>;
  readonly path: string;

  constructor(path: string, stdout: Readable | null, stderr: Readable | null) {
    this.path = path;
    this.file = createWriteStream(path, { flags: 'a' });
    let finish!: () => void;
    this.done = new Promise((r) => (finish = r));
    const attach = (stream: Readable | null, name: 'stdout' | 'stderr') => {
      const end = () => {
        if (this.pending[name]) this.line(name, this.pending[name], 'F');
        this.pending[name] = '';
        if (--this.open === 0) this.file.end(finish);
      };
      if (!stream) return end();
      stream.setEncoding('utf8');
      stream.on('data', (chunk: string) => this.write(name, chunk));
      stream.on('end', end);
      stream.on('error', end);
    };
    attach(stdout, 'stdout');
    attach(stderr, 'stderr');
  }

  private write(stream: 'stdout' | 'stderr', chunk: string): void {
    const parts = (this.pending[stream] + chunk).split('\n');
    this.pending[stream] = parts.pop()!;
    for (const p of parts) this.line(stream, p, 'F');
    // containerd cuts lines longer than 16 KiB into partial (P) records.
    if (this.pending[stream].length > 16384) {
      this.line(stream, this.pending[stream], 'P');
      this.pending[stream] = '';
    }
  }

  private line(stream: 'stdout' | 'stderr', text: string, tag: 'F' | 'P'): void {
    this.file.write(`${nanoTimestamp()} ${stream} ${tag} ${text}\n`);
    this.tail = (this.tail + text + (tag === 'F' ? '\n' : '')).slice(-4096);
  }

  /** The log's last `maxLines` lines (at most 2048 bytes), as the kubelet's fallback termination message takes them. */
  lastLines(maxLines = 80): string {
    return this.tail.split('\n').slice(-maxLines - 1).join('\n').slice(-2048);
  }
}

interface LogRecord {
  time: string;
  text: string;
  partial: boolean;
}

function parseRecords(text: string): LogRecord[] {
  const out: LogRecord[] = [];
  for (const line of text.split('\n')) {
    if (!line) continue;
    const a = line.indexOf(' ');
    const b = line.indexOf(' ', a + 1);
    const c = line.indexOf(' ', b + 1);
    out.push({ time: line.slice(0, a), text: line.slice(c + 1), partial: line.slice(b + 1, c) === 'P' });
  }
  return out;
}

export interface LogQuery {
  tailLines?: number;
  sinceSeconds?: number;
  timestamps: boolean;
  limitBytes?: number;
}

/** Formats records as `kubectl logs` prints them. */
function render(records: LogRecord[], q: LogQuery): string {
  return records.map((r) => `${q.timestamps ? `${r.time} ` : ''}${r.text}${r.partial ? '' : '\n'}`).join('');
}

/** Writes the file's log as selected by `q`; with `follow`, keeps writing new records until `until` resolves or `signal` aborts. */
export async function writeLog(path: string, q: LogQuery, out: Writable, opts: { follow: boolean; until: Promise<void>; signal: AbortSignal }): Promise<void> {
  let budget = q.limitBytes ?? Infinity;
  const emit = (s: string) => {
    if (budget <= 0 || !s) return;
    const buf = Buffer.from(s);
    out.write(buf.length > budget ? buf.subarray(0, budget) : buf);
    budget -= buf.length;
  };
  const content = existsSync(path) ? readFileSync(path, 'utf8') : '';
  let records = parseRecords(content);
  if (q.sinceSeconds !== undefined) {
    const since = Date.now() - q.sinceSeconds * 1000;
    records = records.filter((r) => Date.parse(r.time) >= since);
  }
  if (q.tailLines !== undefined) records = q.tailLines === 0 ? [] : records.slice(-q.tailLines);
  emit(render(records, q));
  if (!opts.follow) return;
  let offset = Buffer.byteLength(content);
  let ended = false;
  void opts.until.then(() => (ended = true));
  while (!opts.signal.aborted && budget > 0) {
    const size = existsSync(path) ? statSync(path).size : 0;
    if (size > offset) {
      const fd = openSync(path, 'r');
      const buf = Buffer.alloc(size - offset);
      readSync(fd, buf, 0, buf.length, offset);
      closeSync(fd);
      const text = buf.toString('utf8');
      const complete = text.slice(0, text.lastIndexOf('\n') + 1);
      offset += Buffer.byteLength(complete);
      emit(render(parseRecords(complete), q));
      continue;
    }
    if (ended) return;
    await new Promise((r) => setTimeout(r, 100));
  }
}
