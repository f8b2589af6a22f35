// `lab image build [--state DIR] -t REF CONTEXT`: `docker build -t REF CONTEXT && docker push REF`
// against the running lab's registry (read from DIR/registry.json).
// `lab image prepare [--state DIR]`: builds the lab's own images into DIR/cache/images ahead of
// `lab up` (the first build on a machine compiles the stand-ins, about a minute).
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { buildAndPushImage } from '../images/dockerfile-build.ts';
import { prepareImages } from '../images/seed.ts';
import { registryInfo } from '../registry/lab-registries.ts';
import { stateDirFrom } from './state.ts';

export const describe = 'build -t REF DIR: build DIR/Dockerfile and push REF to the lab registry; prepare: build the lab images';

const USAGE = 'usage: npm run lab -- image build [--state DIR] -t REF DIR\n       npm run lab -- image prepare [--state DIR]';

export async function run(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  const { values, positionals } = parseArgs({
    args: rest,
    options: { tag: { type: 'string', short: 't' }, state: { type: 'string' } },
    allowPositionals: true,
  });
  const stateDir = stateDirFrom(values);
  if (sub === 'prepare' && positionals.length === 0) {
    const started = performance.now();
    const { built } = await prepareImages(join(stateDir, 'cache', 'images'));
    console.error(`lab images ${built ? 'built' : 'already built'} in ${((performance.now() - started) / 1000).toFixed(2)} s`);
    return 0;
  }
  if (sub !== 'build' || !values.tag || positionals.length !== 1) {
    console.error(USAGE);
    return 2;
  }
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
