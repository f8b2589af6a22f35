// `lab image build [--state DIR] -t REF CONTEXT`: `docker build -t REF CONTEXT && docker push REF`
// against the running lab's registry (read from DIR/registry.json).
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { buildAndPushImage } from '../images/dockerfile-build.ts';
import { registryInfo } from '../registry/lab-registries.ts';
import { stateDirFrom } from './state.ts';

export const describe = 'build -t REF DIR: build DIR/Dockerfile with buildah and push REF to the lab registry';

export async function run(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  const { values, positionals } = parseArgs({
    args: rest,
    options: { tag: { type: 'string', short: 't' }, state: { type: 'string' } },
    allowPositionals: true,
  });
  if (sub !== 'build' || !values.tag || positionals.length !== 1) {
    console.error(`usage: npm run lab -- image build [--state DIR] -t REF DIR`);
    return 2;
  }
  const stateDir = stateDirFrom(values);
  const built = await buildAndPushImage({
    ref: values.tag,
    contextDir: resolve(positionals[0]!),
    registry: registryInfo(stateDir),
    workDir: join(stateDir, 'buildah'),
  });
  console.error(`built and pushed ${built.name} to ${built.pushedTo} in ${(built.durationMs / 1000).toFixed(2)} s`);
  console.log(`${built.name}@${built.digest}`);
  return 0;
}
