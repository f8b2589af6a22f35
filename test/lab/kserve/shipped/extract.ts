// Regenerates shipped/<tag>.json from a git mirror of kserve/kserve: the data KServe ships at each tag
// that a fresh install holds (inferenceservice-config's data, the sklearn ClusterServingRuntime).
// Usage: node_modules/.bin/node test/lab/kserve/shipped/extract.ts <mirror-git-dir> <tag>...
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { parse } from 'yaml';

const [gitDir, ...tags] = process.argv.slice(2);
if (!gitDir || tags.length === 0) throw new Error('usage: extract.ts <mirror-git-dir> <tag>...');

function show(tag: string, path: string): unknown {
  return parse(execFileSync('git', ['-C', gitDir, 'show', `${tag}:${path}`], { encoding: 'utf8' }));
}

for (const tag of tags) {
  const configMap = show(tag, 'config/configmap/inferenceservice.yaml') as { data: Record<string, string> };
  const runtime = show(tag, 'config/runtimes/kserve-sklearnserver.yaml') as { metadata: object; spec: object };
  const shipped = {
    source: `kserve/kserve ${tag}: config/configmap/inferenceservice.yaml, config/runtimes/kserve-sklearnserver.yaml`,
    inferenceserviceConfig: configMap.data,
    sklearnRuntime: { metadata: runtime.metadata, spec: runtime.spec },
  };
  writeFileSync(new URL(`./${tag}.json`, import.meta.url), JSON.stringify(shipped, null, 2) + '\n');
}
