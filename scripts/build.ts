// Bundles the plugin into dist/kubectl-modelcar: one executable file that kubectl runs from PATH.
// kubectl starts plugins outside npm, with whatever `node` is first on PATH (often too old for
// @kubernetes/client-node 2.x), so the file starts with a few lines that are both shell and JS:
// the shell part finds a Node >= 22.19 (the repo's pinned one first) and re-executes the file with
// it; to JS those lines are a string expression and a comment.
import { build, type Plugin } from 'esbuild';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
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

// The loader Node runs (`node -e LOADER FILE ARGS...`): it compiles this file's JS with V8's code cache
// made after a run of the same command, so the functions that command compiled lazily (most of the
// bundle's cost) are in the cache too. Node's own compile cache (NODE_COMPILE_CACHE) keeps only what
// V8 compiles before running the code: about a fifth of it for `inspect`. One cache file per bundle
// (by the hash of its code, written into this header at build), Node version and command, in
// $NODE_COMPILE_CACHE or $TMPDIR/kubectl-modelcar-UID; used only when that directory is the user's
// own and not writable by others; written once, atomically, on exit; files of other bundles go after
// an hour. Any failure: the code runs without a cache. No single quotes: it sits in a shell string.
function loader(codeHash: string): string {
  return [
    'const f=process.argv[1],fs=require("node:fs"),vm=require("node:vm"),M=require("node:module"),P=require("node:path");',
    'const c=["inspect","version"].includes(process.argv[2])?process.argv[2]:"other",u=process.getuid?process.getuid():0;',
    'const dir=process.env.NODE_COMPILE_CACHE||P.join(process.env.TMPDIR||"/tmp",`kubectl-modelcar-${u}`);',
    `const pre="modelcar-${codeHash}-",cf=P.join(dir,\`\${pre}\${process.version}-\${process.arch}-\${c}.v8\`);`,
    'let data;try{const st=fs.statSync(dir);if(st.uid===u&&!(st.mode&0o22))data=fs.readFileSync(cf)}catch{}',
    'const s=new vm.Script(M.wrap(fs.readFileSync(f,"utf8").replace(/^#!.*/,"")),{filename:f,cachedData:data});',
    'if(!data||s.cachedDataRejected)process.once("exit",()=>{try{fs.mkdirSync(dir,{recursive:true,mode:0o700});const t=`${cf}.${process.pid}`;fs.writeFileSync(t,s.createCachedData());fs.renameSync(t,cf);',
    'for(const n of fs.readdirSync(dir))if(n.startsWith("modelcar-")&&!n.startsWith(pre)&&Date.now()-fs.statSync(P.join(dir,n)).mtimeMs>36e5)fs.rmSync(P.join(dir,n),{force:true})}catch{}});',
    'const m={exports:{},filename:f,id:".",loaded:false};s.runInThisContext()(m.exports,M.createRequire(f),m,f,P.dirname(f));',
  ].join('');
}

// Each line is `':' //;` + shell: `:` is a no-op in sh, and `':' //...` is a string plus a comment in JS
// (run as plain `node FILE`, the file works as well, without the loader).
export function launcher(codeHash: string): string {
  const js = loader(codeHash);
  if (js.includes("'")) throw new Error('the loader must not contain single quotes');
  return [
    '#!/bin/sh',
    `':' //; self=$(readlink -f "$0" 2>/dev/null || echo "$0"); case $self in */*) d=\${self%/*};; *) d=.;; esac`,
    `':' //; L='${js}'`,
    // A Node shipped beside the file or the repository's pinned one is trusted without a version check (saves a start).
    `':' //; for n in "$KUBECTL_MODELCAR_NODE" "$d/node" "$d/../node_modules/node/bin/node"; do [ -n "$n" ] && [ -x "$n" ] && exec "$n" -e "$L" "$self" "$@"; done`,
    `':' //; for n in node24 node22 node; do command -v "$n" >/dev/null 2>&1 && "$n" -e 'const [a,b]=process.versions.node.split(".").map(Number);process.exit(a>22||(a===22&&b>=19)?0:1)' 2>/dev/null && exec "$n" -e "$L" "$self" "$@"; done`,
    `':' //; echo "kubectl-modelcar: needs Node.js >= 22.19 (found: $(node --version 2>/dev/null || echo none)); install Node 24 or set KUBECTL_MODELCAR_NODE=/path/to/node" >&2; exit 127`,
  ].join('\n');
}

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
  const codeHash = createHash('sha256').update(code).digest('hex').slice(0, 16);
  await writeFile(outfile, `${launcher(codeHash)}\n${code}`);
  await chmod(outfile, 0o755);
  // The repo's package.json says "type": "module", which would make Node load the extensionless file as ESM.
  await writeFile(path.join(path.dirname(outfile), 'package.json'), '{"type":"commonjs"}\n');
  return outfile;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const out = await buildPlugin();
  process.stdout.write(`built ${path.relative(process.cwd(), out)}\n`);
}
