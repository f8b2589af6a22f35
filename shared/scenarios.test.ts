import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SCENARIOS, scenarioViolations, type Scenario } from './scenarios.ts';

const DOC = new URL('../docs/scenarios.md', import.meta.url);

function ids(cell: string): string[] {
  return cell.trim() === '-' ? [] : cell.split(',').map((s) => s.trim());
}

function parseTable(md: string) {
  const rows = md.split('\n').filter((l) => l.startsWith('| ') && !l.startsWith('| scenario') && !l.startsWith('|---'));
  return rows.map((line) => {
    const cells = line.slice(1, -1).split('|').map((c) => c.trim());
    const [id, , fail, warn, may, root, statuses, exit] = cells as [string, string, string, string, string, string, string, string];
    return {
      id,
      fail: ids(fail),
      warn: ids(warn),
      may: ids(may),
      root: ids(root),
      statuses: Object.fromEntries(ids(statuses).map((kv) => kv.split('='))),
      exit: Number(exit),
    };
  });
}

describe('docs/scenarios.md and shared/scenarios.ts', () => {
  it('list the same scenarios with the same IDs', () => {
    const fromDoc = parseTable(readFileSync(DOC, 'utf8'));
    expect(fromDoc.length).toBeGreaterThan(20);
    expect(fromDoc).toEqual(SCENARIOS.map((s) => ({ ...s })));
  });
});

describe('scenarioViolations', () => {
  const s: Scenario = { id: 't', fail: ['MC205'], warn: [], may: ['MC304'], root: ['MC205'], statuses: { MC408: 'pass' }, exit: 1 };
  it('accepts a report that matches', () => {
    const findings = [
      { id: 'MC205', status: 'fail' as const, rootCause: true },
      { id: 'MC304', status: 'warn' as const, rootCause: false },
      { id: 'MC408', status: 'pass' as const, rootCause: false },
    ];
    expect(scenarioViolations(s, findings, 1)).toEqual([]);
  });
  it('names what is missing, extra, or wrongly rooted', () => {
    const findings = [
      { id: 'MC206', status: 'warn' as const, rootCause: true },
      { id: 'MC408', status: 'skip' as const, rootCause: false },
    ];
    expect(scenarioViolations(s, findings, 0)).toEqual([
      'MC205 must fail',
      'MC206 must not warn',
      'MC205 must be a root cause',
      'MC206 must not be a root cause',
      'MC408 must be pass (got skip)',
      'exit code must be 1 (got 0)',
    ]);
  });
});
