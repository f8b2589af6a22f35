// `lab populate [--state DIR] --isvcs N --mix scenario=weight,... [--node sim-node-1]`: fills the
// running lab with InferenceServices on a simulated node, scenarios named as in docs/scenarios.md.
import { parseArgs } from 'node:util';
import { labAdmin } from '../faults/admin-client.ts';
import { DEFAULT_SIM_NODE } from '../simnode/node.ts';
import { parseMix, populate } from '../simnode/populate.ts';
import { stateDirFrom } from './state.ts';

export const describe = 'fill the lab with InferenceServices on a simulated node (--isvcs N --mix healthy-standard-v0.20=9,uid-mismatch=1)';

export async function run(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      state: { type: 'string' },
      isvcs: { type: 'string', default: '100' },
      mix: { type: 'string', default: 'healthy-standard-v0.20=1' },
      node: { type: 'string', default: DEFAULT_SIM_NODE },
    },
  });
  const isvcs = Number(values.isvcs);
  if (!Number.isInteger(isvcs) || isvcs < 0) throw new Error(`--isvcs must be a whole number, not ${values.isvcs}`);
  const admin = await labAdmin(stateDirFrom(values));
  try {
    const result = await populate(admin, { isvcs, mix: parseMix(values.mix!), node: values.node! });
    for (const [scenario, n] of Object.entries(result.perScenario)) console.log(`${String(n).padStart(6)}  ${scenario}`);
    console.log(`populated ${result.isvcs} InferenceServices (${result.pods} pods) on ${values.node} in ${(result.ms / 1000).toFixed(1)} s`);
  } finally {
    admin.close();
  }
  return 0;
}
