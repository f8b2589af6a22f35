// `lab fault add|list|clear|kill|delete-pod|token [--state DIR] ...`: drives the running lab's fault
// switchboard through its admin endpoint (/lab/faults, /lab/actions).
//   add --type status --code 429|500|503 [--retry-after S] | --type latency --ms N | --type reset
//       | --type watch-close --after-seconds S | --type exec-drop --direction stdin|stdout --after-bytes N
//       | --type exec-hang | --type pod --change readonly-rootfs|full-volume|no-shell|noexec-tmp [--container C --path P --size-limit Q]
//     scope: [--verb V] [--resource R] [--namespace NS] [--name N] [--user U]
//     schedule: [--seed N] [--probability P] [--skip N] [--count N]
//   list | clear [ID] | kill NS POD CONTAINER | delete-pod NS POD | token USER TTL_SECONDS
//   event-ttl SECONDS | manage-config [off] (platform switches: events expire sooner, the operator owns inferenceservice-config)
import { parseArgs } from 'node:util';
import { labAdmin, type LabResponse } from '../faults/admin-client.ts';
import { stateDirFrom } from './state.ts';

export const describe = 'inject faults into the running lab: add, list, clear, kill, delete-pod, token';

const num = (v: string | undefined) => (v === undefined ? undefined : Number(v));
const defined = (o: Record<string, unknown>) => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: Object.fromEntries([
      'state', 'type', 'code', 'retry-after', 'ms', 'after-seconds', 'direction', 'after-bytes', 'change', 'container', 'path', 'size-limit',
      'verb', 'resource', 'namespace', 'name', 'user', 'seed', 'probability', 'skip', 'count',
    ].map((k) => [k, { type: 'string' as const }])),
  });
  const v = values as Record<string, string | undefined>;
  const [command, ...args] = positionals;
  const admin = await labAdmin(stateDirFrom(v));
  try {
    let r: LabResponse;
    switch (command) {
      case 'add': {
        const action = defined({
          type: v['type'], code: num(v['code']), retryAfterSeconds: num(v['retry-after']), ms: num(v['ms']), afterSeconds: num(v['after-seconds']),
          direction: v['direction'], afterBytes: num(v['after-bytes']), change: v['change'], container: v['container'], path: v['path'], sizeLimit: v['size-limit'],
        });
        const scope = defined({ verb: v['verb'], resource: v['resource'], namespace: v['namespace'], name: v['name'], user: v['user'] });
        const schedule = defined({ seed: num(v['seed']), probability: num(v['probability']), skip: num(v['skip']), count: num(v['count']) });
        r = await admin.request('POST', '/lab/faults', { action, scope, schedule });
        break;
      }
      case 'list': r = await admin.request('GET', '/lab/faults'); break;
      case 'clear': r = await admin.request('DELETE', args[0] ? `/lab/faults/${args[0]}` : '/lab/faults'); break;
      case 'kill': r = await admin.request('POST', '/lab/actions', { action: 'kill-container', namespace: args[0], pod: args[1], container: args[2] }); break;
      case 'delete-pod': r = await admin.request('POST', '/lab/actions', { action: 'delete-pod', namespace: args[0], pod: args[1] }); break;
      case 'token': r = await admin.request('POST', '/lab/actions', { action: 'issue-token', user: args[0], ttlSeconds: Number(args[1]) }); break;
      case 'event-ttl': r = await admin.request('POST', '/lab/actions', { action: 'event-ttl', seconds: Number(args[0]) }); break;
      case 'manage-config': r = await admin.request('POST', '/lab/actions', { action: 'manage-config', enabled: args[0] !== 'off' }); break;
      default:
        console.error('usage: npm run lab -- fault add|list|clear|kill|delete-pod|token|event-ttl|manage-config ... (see test/lab/cli/fault.ts)');
        return 2;
    }
    if (r.status >= 300) {
      console.error(`lab fault ${command}: ${(r.body as { message?: string }).message ?? r.text}`);
      return 1;
    }
    console.log(JSON.stringify(r.body, null, 2));
    return 0;
  } finally {
    admin.close();
  }
}
