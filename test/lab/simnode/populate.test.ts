import { describe, expect, it } from 'vitest';
import { SCENARIOS } from '../../../shared/scenarios.ts';
import { fateOf } from './outcomes.ts';
import { apportion, namespaceFor, parseMix } from './populate.ts';
import { SCENARIO_SPECS, UNSUPPORTED } from './scenario-specs.ts';

describe('populate', () => {
  it('splits the count by weight and always adds up', () => {
    // 823.5, 117.6, 58.8: the two largest remainders get the two left over.
    expect(apportion(1000, { a: 14, b: 2, c: 1 })).toEqual({ a: 823, b: 118, c: 59 });
    expect(Object.values(apportion(7, { a: 1, b: 1, c: 1 })).reduce((x, y) => x + y)).toBe(7);
  });

  it('reads a mix and refuses unknown or unsupported scenarios with the reason', () => {
    expect(parseMix('healthy-standard-v0.20=9,uid-mismatch=1')).toEqual({ 'healthy-standard-v0.20': 9, 'uid-mismatch': 1 });
    expect(() => parseMix('healthy=1')).toThrow('unknown scenario "healthy"; populate knows: healthy-knative-v0.20');
    expect(() => parseMix('runtime-ls-only=1')).toThrow('scenario runtime-ls-only cannot be populated: differs only in exec');
  });

  it('names namespaces as DNS labels, 25 InferenceServices each', () => {
    expect(namespaceFor('healthy-standard-v0.20', 0)).toBe('sim-healthy-standard-v0-20-01');
    expect(namespaceFor('uid-mismatch', 25)).toBe('sim-uid-mismatch-02');
  });

  it('knows every scenario of docs/scenarios.md, as populated or refused', () => {
    for (const s of SCENARIOS) expect(Boolean(SCENARIO_SPECS[s.id]) !== Boolean(UNSUPPORTED[s.id])).toBe(true);
  });

  it('scripts failing containers per scenario and lets the rest run', () => {
    expect(fateOf('no-models-dir', 'modelcar-init')).toMatchObject({ kind: 'crashLoop', exitCode: 1 });
    expect(fateOf('modelcar-oomkilled', 'modelcar')).toMatchObject({ kind: 'restartedOnce', exitCode: 137, reason: 'OOMKilled' });
    expect(fateOf('no-models-dir', 'kserve-container')).toEqual({ kind: 'runs' });
    expect(fateOf(undefined, 'modelcar')).toEqual({ kind: 'runs' });
  });
});
