import { X509Certificate } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, request } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ensurePki } from './certs.ts';

describe('ensurePki', async () => {
  const stateDir = await mkdtemp(join(tmpdir(), 'lab-pki-'));
  afterAll(() => rm(stateDir, { recursive: true, force: true }));
  const pki = await ensurePki(stateDir);

  it('makes a server certificate signed by the CA for 127.0.0.1, ::1 and localhost', () => {
    const ca = new X509Certificate(pki.caCertPem);
    const server = new X509Certificate(pki.serverCertPem);
    expect(ca.ca).toBe(true);
    expect(server.ca).toBe(false);
    expect(server.verify(ca.publicKey)).toBe(true);
    expect(server.subjectAltName).toBe('IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1, DNS:localhost');
  });

  it('reuses the stored PKI on the next run', async () => {
    expect(await ensurePki(stateDir)).toEqual(pki);
  });

  it('serves TLS that a client trusting only the CA accepts for 127.0.0.1 and localhost', async () => {
    const server = createServer({ cert: pki.serverCertPem, key: pki.serverKeyPem }, (_req, res) => res.end('ok'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const get = (host: string) =>
      new Promise<string>((resolve, reject) => {
        const req = request({ host: '127.0.0.1', servername: host === '127.0.0.1' ? undefined : host, port, ca: pki.caCertPem, path: '/' }, (res) => {
          res.setEncoding('utf8');
          let body = '';
          res.on('data', (c: string) => (body += c)).on('end', () => resolve(body));
        });
        req.on('error', reject).end();
      });
    try {
      expect(await get('127.0.0.1')).toBe('ok');
      expect(await get('localhost')).toBe('ok');
      await expect(get('example.com')).rejects.toThrow(/altnames/);
    } finally {
      server.close();
    }
  });
});
