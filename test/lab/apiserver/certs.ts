// The lab's PKI: one CA and one serving certificate for 127.0.0.1, ::1 and localhost, made once with the
// openssl CLI and reused, so `lab up` stays fast and kubeconfigs written earlier keep working.
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';

export interface Pki {
  caCertPem: string;
  serverCertPem: string;
  serverKeyPem: string;
}

const FILES = { caCert: 'ca.crt', caKey: 'ca.key', serverCert: 'server.crt', serverKey: 'server.key' } as const;

/** Returns the PKI under `stateDir/pki`, creating it on first use. */
export async function ensurePki(stateDir: string): Promise<Pki> {
  const dir = join(stateDir, 'pki');
  const existing = await readPki(dir);
  if (existing) return existing;
  // Build in a scratch directory and rename it into place, so a half-written PKI is never reused.
  const scratch = `${dir}.tmp-${process.pid}`;
  await rm(scratch, { recursive: true, force: true });
  await mkdir(scratch, { recursive: true, mode: 0o700 });
  await generate(scratch);
  await mkdir(stateDir, { recursive: true });
  await rm(dir, { recursive: true, force: true });
  await rename(scratch, dir);
  const created = await readPki(dir);
  if (!created) throw new Error(`PKI in ${dir} is incomplete after generation`);
  return created;
}

async function readPki(dir: string): Promise<Pki | undefined> {
  try {
    const [caCertPem, serverCertPem, serverKeyPem] = await Promise.all(
      [FILES.caCert, FILES.serverCert, FILES.serverKey].map((f) => readFile(join(dir, f), 'utf8')),
    );
    return { caCertPem, serverCertPem, serverKeyPem };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

// P-256 keys: generated in milliseconds and accepted by Go's TLS stack (kubectl) and Node's.
const EC_KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

async function generate(dir: string): Promise<void> {
  const at = (f: string) => join(dir, f);
  await execa('openssl', [
    'req', '-x509', ...EC_KEY, '-days', '3650', '-subj', '/CN=modelcar-lab-ca',
    '-keyout', at(FILES.caKey), '-out', at(FILES.caCert),
    '-addext', 'basicConstraints=critical,CA:TRUE',
    '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
  ]);
  // `req -x509 -CA` (OpenSSL 3) signs the new key with the CA in one step.
  await execa('openssl', [
    'req', '-x509', ...EC_KEY, '-days', '825', '-subj', '/CN=modelcar-lab-apiserver',
    '-CA', at(FILES.caCert), '-CAkey', at(FILES.caKey),
    '-keyout', at(FILES.serverKey), '-out', at(FILES.serverCert),
    '-addext', 'subjectAltName=IP:127.0.0.1,IP:::1,DNS:localhost',
    '-addext', 'basicConstraints=critical,CA:FALSE',
    '-addext', 'keyUsage=critical,digitalSignature',
    '-addext', 'extendedKeyUsage=serverAuth',
  ]);
  await writeFile(at('README'), 'The lab API server\'s CA and serving certificate (made by test/lab/apiserver/certs.ts).\n');
}
