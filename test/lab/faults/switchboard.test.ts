import { describe, expect, it } from 'vitest';
import { FaultSwitchboard } from './switchboard.ts';

const LIST_PODS = { verb: 'list', resource: 'pods', namespace: 'a', user: 'admin' };

describe('FaultSwitchboard', () => {
  it('fires only inside its scope', () => {
    const board = new FaultSwitchboard();
    board.add({ action: { type: 'reset' }, scope: { verb: 'list', resource: 'pods', namespace: 'a', user: 'admin' } });
    expect(board.fire({ ...LIST_PODS, namespace: 'b' }, ['reset'])).toEqual([]);
    expect(board.fire({ ...LIST_PODS, user: 'support' }, ['reset'])).toEqual([]);
    expect(board.fire({ ...LIST_PODS, verb: 'get' }, ['reset'])).toEqual([]);
    expect(board.fire(LIST_PODS, ['status'])).toEqual([]);
    expect(board.fire(LIST_PODS, ['reset'])).toEqual([{ type: 'reset' }]);
  });

  it('skips, then fires at most count times', () => {
    const board = new FaultSwitchboard();
    const f = board.add({ action: { type: 'latency', ms: 5 }, schedule: { skip: 2, count: 1 } });
    const fired = Array.from({ length: 5 }, () => board.fire(LIST_PODS, ['latency']).length);
    expect(fired).toEqual([0, 0, 1, 0, 0]);
    expect(board.list().find((x) => x.id === f.id)).toMatchObject({ matched: 5, fired: 1 });
  });

  it('draws the same pattern from the same seed, another from another seed', () => {
    const pattern = (seed: number) => {
      const board = new FaultSwitchboard();
      board.add({ action: { type: 'status', code: 500 }, schedule: { seed, probability: 0.5 } });
      return Array.from({ length: 32 }, () => board.fire(LIST_PODS, ['status']).length).join('');
    };
    expect(pattern(7)).toBe(pattern(7));
    expect(pattern(7)).not.toBe(pattern(8));
    expect(pattern(7)).toMatch(/0/);
    expect(pattern(7)).toMatch(/1/);
  });

  it('refuses faults it does not know, and clears one or all', () => {
    const board = new FaultSwitchboard();
    expect(() => board.add({ action: { type: 'status', code: 418 } as never })).toThrow('not a fault this lab knows');
    const a = board.add({ action: { type: 'reset' } });
    board.add({ action: { type: 'exec-hang' } });
    expect(board.clear(a.id)).toBe(1);
    expect(board.clear()).toBe(1);
    expect(board.list()).toEqual([]);
  });
});
