// A plain HTTP file server for `storageUri: http://...` models: what the storage initializer
// downloads from. Pods have their own network namespaces on the lab bridge (see kubelet/net.ts), so
// the server also listens on the bridge address and its URL names that address, which the host
// reaches as well. It holds a share of the bridge meanwhile (making it if no lab has yet), so the
// address outlives every lab that stops first. Where the bridge cannot be made (not root, no `ip`)
// pods share the host's network and the server is on 127.0.0.1 only.
import { createReadStream, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { extname, join, normalize } from 'node:path';
import { leaseBridge, POD_GATEWAY, type BridgeLease } from '../kubelet/net.ts';

export interface ModelHttpServer {
  /** `http://10.213.0.1:PORT` (or `http://127.0.0.1:PORT`): a model file `dir/a/model.joblib` is at `${url}/a/model.joblib`. */
  url: string;
  stop(): Promise<void>;
}

// KServe's storage initializer insists on these Content-Types (kserve_storage._download_from_uri).
const CONTENT_TYPES: Record<string, string> = { '.tar': 'application/x-tar', '.tgz': 'application/gzip', '.gz': 'application/gzip', '.zip': 'application/zip' };

function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve((server.address() as { port: number }).port);
    });
  });
}

const close = (server: Server) => new Promise<void>((done) => server.close(() => done()).closeAllConnections());

export async function startModelHttpServer(dir: string, port = 0): Promise<ModelHttpServer> {
  const handler: Parameters<typeof createServer>[1] = (req, res) => {
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
  };
  const loopback = createServer(handler);
  const bound = await listen(loopback, port, '127.0.0.1');
  let lease: BridgeLease | undefined;
  let bridge: Server | undefined;
  try {
    lease = await leaseBridge(`model-http-server`, { block: false });
    bridge = createServer(handler);
    await listen(bridge, bound, POD_GATEWAY);
  } catch {
    // no bridge here: pods share the host's network, where 127.0.0.1 is enough
    bridge = undefined;
    await lease?.release();
    lease = undefined;
  }
  return {
    url: `http://${bridge ? POD_GATEWAY : '127.0.0.1'}:${bound}`,
    stop: async () => {
      await Promise.all([close(loopback), bridge && close(bridge)]);
      await lease?.release();
    },
  };
}
