import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CATALOGUE, fillHint, hintFor } from './catalogue.ts';

// CI puts a copy of the read-only shared/ reference beside the clone: <repo>/../shared.
const CHECKS_MD = new URL('../../shared/checks.md', import.meta.url);
const present = existsSync(CHECKS_MD);
if (!present && !process.env.CI) console.warn(`catalogue.test: ${CHECKS_MD.pathname} not found; skipping the checks.md comparison (it runs in CI)`);

describe('catalogue against ../shared/checks.md', () => {
  it.runIf(present || !!process.env.CI)('lists the same IDs and names in the same order', () => {
    expect(present, `${CHECKS_MD.pathname} must exist in CI`).toBe(true);
    const rows = [...readFileSync(CHECKS_MD, 'utf8').matchAll(/^\| (MC\d{3}) \| ([a-z0-9-]+) \|/gm)].map((m) => [m[1], m[2]]);
    expect(rows.length).toBeGreaterThan(30);
    expect(CATALOGUE.map((e) => [e.id, e.name])).toEqual(rows);
  });
});

describe('catalogue', () => {
  it('has unique IDs in groups that match their hundreds', () => {
    const groups: Record<string, string> = { '1': 'config', '2': 'spec', '3': 'runtime', '4': 'inpod', '5': 'timing', '6': 'native' };
    expect(new Set(CATALOGUE.map((e) => e.id)).size).toBe(CATALOGUE.length);
    for (const e of CATALOGUE) expect(e.group, e.id).toBe(groups[e.id[2]!]);
  });

  it('fills placeholders from evidence and leaves unknown ones as <name>', () => {
    expect(fillHint('kubectl delete pod {{pod}} -n {{namespace}}', { pod: 'p1' })).toBe('kubectl delete pod p1 -n <namespace>');
    expect(fillHint('{{a}}', { a: ['x', 'y'] })).toBe('x, y');
  });

  it('picks the hint variant named by evidence.hintKey', () => {
    const h = hintFor('MC408', { hintKey: 'forbidden', namespace: 'ns1' });
    expect(h).toContain('--resource=pods/exec');
    expect(h).toContain('-n ns1');
    expect(hintFor('MC408', { hintKey: 'nonsense', pod: 'p', namespace: 'n', container: 'c', modelPath: '/mnt/models' })).toBe(
      'kubectl exec p -n n -c c -- ls -l /mnt/models/   # by hand',
    );
    // Not /proc/1/root: pid 1 is the pause container when the pod shares its process namespace.
    expect(hintFor('MC408', { hintKey: 'noShell', pod: 'p', namespace: 'n', container: 'c', modelPath: '/mnt/models' })).toBe(
      'kubectl debug p -n n -it --image=busybox --target=c -- sh   # the runtime image has no shell; in the debug shell: ps -o pid,user,args, then ls -l /proc/<pid>/root/mnt/models/ with the runtime\'s <pid>',
    );
  });
});
