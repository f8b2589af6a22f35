// A plain HTTP file server for `storageUri: http://...` models: what the storage initializer
// downloads from. Pods share the host's network namespace (see kubelet/kubelet.ts), so 127.0.0.1
// is reachable from inside them.
import { createReadStream, statSync } from 'node:fs';
import { createServer } from 'node:http';
import { extname, join, normalize } from 'node:path';

export interface ModelHttpServer {
  /** `http://127.0.0.1:PORT`: a model file `dir/a/model.joblib` is at `${url}/a/model.joblib`. */
  url: string;
  stop(): Promise<void>;
}

// KServe's storage initializer insists on these Content-Types (kserve_storage._download_from_uri).
const CONTENT_TYPES: Record<string, string> = { '.tar': 'application/x-tar', '.tgz': 'application/gzip', '.gz': 'application/gzip', '.zip': 'application/zip' };

export function startModelHttpServer(dir: string, port = 0): Promise<ModelHttpServer> {
  const server = createServer((req, res) => {
    const path = join(dir, normalize(decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname)).replace(/^(\.\.[/\\])+/, ''));
    let size: number;
    try {
      const st = statSync(path);
      if (!st.isFile()) throw new Error('not a file');
      size = st.size;
    } catch {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('404 page not found\n');
      return;
    }
    res.writeHead(200, { 'content-type': CONTENT_TYPES[extname(path)] ?? 'application/octet-stream', 'content-length': size });
    if (req.method === 'HEAD') res.end();
    else createReadStream(path).pipe(res);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      const { port: bound } = server.address() as { port: number };
      resolve({
        url: `http://127.0.0.1:${bound}`,
        stop: () => new Promise<void>((done) => server.close(() => done()).closeAllConnections()),
      });
    });
  });
}
