// Bundles the plugin into dist/kubectl-modelcar: one executable file that kubectl runs from PATH.
// kubectl starts plugins outside npm, with whatever `node` is first on PATH (often too old for
// @kubernetes/client-node 2.x), so the file starts with a few lines that are both shell and JS:
// the shell part finds a Node >= 22.19 (the repo's pinned one first) and re-executes the file with
// it; to JS those lines are a string expression and a comment.
import { build, type Plugin } from 'esbuild';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const pkg = JSON.parse(await readFile(path.join(root, 'package.json'), 'utf8')) as { version: string };

function gitCommit(): string {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: root, stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim();
  } catch {
    return 'unknown';
  }
}

// Each line is `':' //;` + shell: `:` is a no-op in sh, and `':' //...` is a string plus a comment in JS.
export const NODE_FINDER = [
  '#!/bin/sh',
  `':' //; self=$(readlink -f "$0" 2>/dev/null || echo "$0"); d=$(dirname "$self")`,
  // Node's on-disk compile cache spares later runs most of parsing and compiling the 2 MB bundle.
  `':' //; export NODE_COMPILE_CACHE="\${NODE_COMPILE_CACHE:-\${TMPDIR:-/tmp}/kubectl-modelcar-\$(id -u)}"`,
  // A Node shipped beside the file or the repository's pinned one is trusted without a version check (saves a start).
  `':' //; for n in "$KUBECTL_MODELCAR_NODE" "$d/node" "$d/../node_modules/node/bin/node"; do [ -n "$n" ] && [ -x "$n" ] && exec "$n" "$self" "$@"; done`,
  `':' //; for n in node24 node22 node; do command -v "$n" >/dev/null 2>&1 && "$n" -e 'const [a,b]=process.versions.node.split(".").map(Number);process.exit(a>22||(a===22&&b>=19)?0:1)' 2>/dev/null && exec "$n" "$self" "$@"; done`,
  `':' //; echo "kubectl-modelcar: needs Node.js >= 22.19 (found: $(node --version 2>/dev/null || echo none)); install Node 24 or set KUBECTL_MODELCAR_NODE=/path/to/node" >&2; exit 127`,
].join('\n');

// client-node's KubeConfig module imports undici and the generated API client (every model, about
// 2.4 MB) for makeApiClient() and applySecurityAuthentication(), which the plugin never calls: it uses
// applyToHTTPSOptions() and Exec only. Evaluating them cost a tenth of `inspect`'s CPU time, so the
// bundle gets stand-ins that throw if anything ever calls them.
const UNUSED_BY_KUBECONFIG: Record<string, string> = {
  './gen/index.js': 'createConfiguration, ServerConfiguration',
  undici: 'Agent, ProxyAgent',
};

const leaveOutClientNodeApiClient: Plugin = {
  name: 'leave-out-client-node-api-client',
  setup(b) {
    b.onResolve({ filter: /^(\.\/gen\/index\.js|undici)$/ }, (args) =>
      /[\\/]@kubernetes[\\/]client-node[\\/]dist[\\/]config\.js$/.test(args.importer) ? { path: args.path, namespace: 'modelcar-unused' } : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: 'modelcar-unused' }, (args) => {
      const names = UNUSED_BY_KUBECONFIG[args.path]!.split(', ');
      const fail = `function(){throw new Error('kubectl-modelcar: ${args.path} of client-node is left out of this build')}`;
      return { contents: names.map((n) => `export const ${n} = ${fail};`).join('\n'), loader: 'js' };
    });
  },
};

/** The plugin as one minified CommonJS script (shared by the npm build and the single-executable build). */
export async function bundlePlugin(): Promise<string> {
  const result = await build({
    entryPoints: [path.join(root, 'plugin', 'main.ts')],
    bundle: true,
    platform: 'node',
    target: 'node22',
    // CommonJS, as Node's single-executable applications require; an extensionless file is CJS by default.
    format: 'cjs',
    minify: true,
    write: false,
    legalComments: 'none',
    plugins: [leaveOutClientNodeApiClient],
    define: {
      __MODELCAR_VERSION__: JSON.stringify(pkg.version),
      __MODELCAR_COMMIT__: JSON.stringify(gitCommit()),
      // yargs (ESM-only) calls createRequire(import.meta.url), which CJS output lacks.
      'import.meta.url': '__modelcar_import_meta_url',
    },
    banner: { js: "const __modelcar_import_meta_url=require('node:url').pathToFileURL(__filename).href;" },
  });
  return result.outputFiles[0]!.text.replace(/^#!.*\n/, '');
}

export async function buildPlugin(outfile = path.join(root, 'dist', 'kubectl-modelcar')): Promise<string> {
  await mkdir(path.dirname(outfile), { recursive: true });
  const code = await bundlePlugin();
  await writeFile(outfile, `${NODE_FINDER}\n${code}`);
  await chmod(outfile, 0o755);
  // The repo's package.json says "type": "module", which would make Node load the extensionless file as ESM.
  await writeFile(path.join(path.dirname(outfile), 'package.json'), '{"type":"commonjs"}\n');
  return outfile;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const out = await buildPlugin();
  process.stdout.write(`built ${path.relative(process.cwd(), out)}\n`);
}
