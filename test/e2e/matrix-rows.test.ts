// The rule for the `support` user where docs/scenarios.md has no row of its own, held to the row it
// does have (support-user-no-exec, v0.20), so the rule cannot drift from the table.
import { describe, expect, it } from 'vitest';
import { scenario } from '../../shared/scenarios.ts';
import { IN_POD_CHECKS, MATRIX_VERSIONS, MODES, healthyRow, rowsFor, withoutExec } from './matrix-rows.ts';

describe('withoutExec: a healthy row as the support user sees it', () => {
  it('on v0.20 it asks at least what support-user-no-exec asks, and nothing the row forbids', () => {
    const table = scenario('support-user-no-exec');
    for (const mode of MODES) {
      const derived = withoutExec(healthyRow('v0.20.0', mode));
      expect({ fail: derived.fail, warn: derived.warn, may: derived.may, root: derived.root, exit: derived.exit })
        .toEqual({ fail: table.fail, warn: table.warn, may: table.may, root: table.root, exit: table.exit });
      expect(derived.statuses).toMatchObject(table.statuses);
    }
  });

  it('keeps the older rows\' warnings, root causes and fixed statuses, and adds MC408 with the in-pod checks skipped', () => {
    const v13 = withoutExec(scenario('healthy-v0.13.0'));
    expect(v13.warn).toEqual(['MC108', 'MC408']);
    expect(v13.root).toEqual(['MC108', 'MC408']);
    expect(v13.statuses).toEqual({ MC203: 'info', MC401: 'skip', MC402: 'skip', MC403: 'skip', MC404: 'skip', MC405: 'skip', MC406: 'skip', MC407: 'skip', MC408: 'warn' });
    expect(v13.exit).toBe(4);
    for (const v of ['v0.15.2', 'v0.17.0'] as const) {
      const derived = withoutExec(scenario(`healthy-${v}`));
      expect(derived.warn).toEqual(['MC108', 'MC408']);
      expect(derived.statuses.MC405).toBe('skip');
    }
  });

  it('refuses a failing row: it is the rule for healthy ones', () => {
    expect(() => withoutExec(scenario('uid-mismatch'))).toThrow(/healthy rows/);
  });

  it('gives every cell of the matrix a row, and the v0.20 support cells the table\'s own row too', () => {
    for (const v of MATRIX_VERSIONS) {
      for (const mode of MODES) {
        expect(rowsFor(v, mode, 'admin').map((r) => r.id)).toEqual([healthyRow(v, mode).id]);
        expect(rowsFor(v, mode, 'sso')).toEqual(rowsFor(v, mode, 'admin'));
        const support = rowsFor(v, mode, 'support');
        expect(support.at(-1)!.statuses).toMatchObject(Object.fromEntries(IN_POD_CHECKS.map((id) => [id, 'skip'])));
        if (v === 'v0.20.0') expect(support[0]!.id).toBe('support-user-no-exec');
      }
    }
  });
});
