// `lab status [--state DIR]`: whether the lab answers, and where.
import { parseArgs } from 'node:util';
import { runningLab, stateDirFrom, stateFiles } from './state.ts';

export const describe = 'show whether the lab is running';

export async function run(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { state: { type: 'string' } } });
  const dir = stateDirFrom(values);
  const info = await runningLab(dir);
  if (!info) {
    console.log(`lab: stopped (state ${dir})`);
    return 1;
  }
  console.log(`lab: running\nserver: ${info.url}\npid: ${info.pid}\nkserve: ${info.kserveVersion}\nkubeconfig: ${stateFiles(dir).kubeconfig}`);
  return 0;
}
