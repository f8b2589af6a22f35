// The lab's API as its `admin` user, for lab CLI commands that drive a running lab (populate, fault):
// the server's address from server.json, its CA, and admin's token from tokens.json.
import { readFile } from 'node:fs/promises';
import { Agent, request } from 'node:https';
import { join } from 'node:path';
import { TOKENS_FILE } from '../apiserver/auth.ts';
import { readServerInfo, stateFiles } from '../cli/state.ts';

export interface LabResponse { status: number; body: unknown; text: string }

export interface LabAdmin {
  url: string;
  request(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<LabResponse>;
  close(): void;
}

export async function labAdmin(stateDir: string): Promise<LabAdmin> {
  const info = await readServerInfo(stateDir);
  if (!info) throw new Error(`no lab is running in ${stateDir} (npm run lab -- up)`);
  const [ca, tokens] = await Promise.all([readFile(stateFiles(stateDir).ca, 'utf8'), readFile(join(stateDir, TOKENS_FILE), 'utf8')]);
  const token = (JSON.parse(tokens) as Record<string, string>)['admin'];
  const agent = new Agent({ ca, keepAlive: true, maxSockets: 16 });
  const url = new URL(info.url);
  return {
    url: info.url,
    request: (method, path, body, headers = {}) => send(method, path, body, headers, true),
    close: () => agent.destroy(),
  };

  function send(method: string, path: string, body: unknown, headers: Record<string, string>, retry: boolean): Promise<LabResponse> {
    return new Promise((resolve, reject) => {
      const req = request({ host: url.hostname, port: url.port, path, method, agent, headers: { authorization: `Bearer ${token}`, accept: 'application/json', 'content-type': 'application/json', ...headers } }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed: unknown = text;
          try { parsed = JSON.parse(text); } catch { /* not JSON: keep the text */ }
          resolve({ status: res.statusCode ?? 0, body: parsed, text });
        });
      });
      // A kept-alive socket the server closed meanwhile: Node's documented answer is to send again.
      req.on('error', (err: NodeJS.ErrnoException) => {
        if (retry && req.reusedSocket && err.code === 'ECONNRESET') send(method, path, body, headers, false).then(resolve, reject);
        else reject(err);
      });
      req.end(body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body));
    });
  }
}
