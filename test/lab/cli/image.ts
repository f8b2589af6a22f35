// `lab image build -t REF DIR`: `docker build -t REF DIR && docker push REF` against the running lab.
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { buildAndPushImage } from '../images/dockerfile-build.ts';
import { registryInfo } from '../registry/lab-registries.ts';

export const usage = 'image build -t REF DIR    build DIR/Dockerfile with buildah and push REF to the lab registry';

export async function imageCommand(args: string[], { stateDir }: { stateDir: string }): Promise<number> {
  const [sub, ...rest] = args;
  if (sub !== 'build') {
    process.stderr.write(`usage: lab ${usage}\n`);
    return 2;
  }
  const { values, positionals } = parseArgs({ args: rest, options: { tag: { type: 'string', short: 't' } }, allowPositionals: true });
  if (!values.tag || positionals.length !== 1) {
    process.stderr.write(`usage: lab ${usage}\n`);
    return 2;
  }
  const built = await buildAndPushImage({
    ref: values.tag,
    contextDir: resolve(positionals[0]!),
    registry: registryInfo(stateDir),
    workDir: resolve(stateDir, 'buildah'),
  });
  process.stderr.write(`built and pushed ${built.name} to ${built.pushedTo} in ${(built.durationMs / 1000).toFixed(2)} s\n`);
  process.stdout.write(`${built.name}@${built.digest}\n`);
  return 0;
}
