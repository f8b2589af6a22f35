// The JSONPath subset CRD printer columns use (k8s.io/client-go/util/jsonpath): fields, indexes,
// wildcards and filters such as `.status.conditions[?(@.type=='Ready')].status`.

type Step =
  | { kind: 'field'; name: string }
  | { kind: 'index'; index: number }
  | { kind: 'all' }
  | { kind: 'filter'; path: string[]; op: '==' | '!='; value: unknown };

function parse(expr: string): Step[] {
  const steps: Step[] = [];
  let s = expr.trim().replace(/^\{|\}$/g, '').replace(/^\$/, '');
  while (s.length) {
    let m: RegExpExecArray | null;
    if ((m = /^\.([\w-]+)/.exec(s))) steps.push({ kind: 'field', name: m[1]! });
    else if ((m = /^\[\*\]|^\.\*/.exec(s))) steps.push({ kind: 'all' });
    else if ((m = /^\[(-?\d+)\]/.exec(s))) steps.push({ kind: 'index', index: Number(m[1]) });
    else if ((m = /^\[['"]([^'"]+)['"]\]/.exec(s))) steps.push({ kind: 'field', name: m[1]! });
    else if ((m = /^\[\?\(@((?:\.[\w-]+)+)\s*(==|!=)\s*(?:'([^']*)'|"([^"]*)"|([^)\s]+))\s*\)\]/.exec(s))) {
      const literal = m[3] ?? m[4];
      const raw = m[5];
      const value = literal !== undefined ? literal : raw === 'true' ? true : raw === 'false' ? false : Number(raw);
      steps.push({ kind: 'filter', path: m[1]!.slice(1).split('.'), op: m[2] as '==' | '!=', value });
    } else throw new Error(`unsupported JSONPath: ${expr}`);
    s = s.slice(m[0].length);
  }
  return steps;
}

const cache = new Map<string, Step[]>();

/** All values the path selects, in document order. */
export function evaluate(expr: string, root: unknown): unknown[] {
  let steps = cache.get(expr);
  if (!steps) { steps = parse(expr); cache.set(expr, steps); }
  let cur: unknown[] = [root];
  for (const step of steps) {
    const next: unknown[] = [];
    for (const v of cur) {
      if (v === null || v === undefined) continue;
      switch (step.kind) {
        case 'field': {
          const x = typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>)[step.name] : undefined;
          if (x !== undefined) next.push(x);
          break;
        }
        case 'index':
          if (Array.isArray(v)) { const x = v.at(step.index); if (x !== undefined) next.push(x); }
          break;
        case 'all':
          if (Array.isArray(v)) next.push(...v);
          else if (typeof v === 'object') next.push(...Object.values(v as object));
          break;
        case 'filter':
          if (Array.isArray(v)) {
            for (const item of v) {
              let x: unknown = item;
              for (const p of step.path) x = x && typeof x === 'object' ? (x as Record<string, unknown>)[p] : undefined;
              if ((x === step.value) === (step.op === '==')) next.push(item);
            }
          }
          break;
      }
    }
    cur = next;
  }
  return cur;
}
