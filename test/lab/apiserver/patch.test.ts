import { describe, expect, it } from 'vitest';
import { applyJsonPatch, applyMergePatch, applyStrategicMergePatch } from './patch.ts';

const pod = () => ({
  metadata: { name: 'p', labels: { a: '1' }, finalizers: ['x'] },
  spec: {
    containers: [
      { name: 'main', image: 'busybox:1', env: [{ name: 'A', value: '1' }, { name: 'B', value: '2' }], ports: [{ containerPort: 80 }], volumeMounts: [{ name: 'v', mountPath: '/mnt' }] },
      { name: 'side', image: 'busybox:1' },
    ],
    volumes: [{ name: 'v', emptyDir: {} }],
  },
});

describe('JSON patch', () => {
  it('applies add, replace, remove, move, copy and test in order', () => {
    const out = applyJsonPatch({ a: { b: 1 }, l: [1, 2] }, [
      { op: 'test', path: '/a/b', value: 1 },
      { op: 'add', path: '/l/-', value: 3 },
      { op: 'replace', path: '/a/b', value: 'x' },
      { op: 'copy', from: '/a/b', path: '/c' },
      { op: 'move', from: '/l/0', path: '/first' },
      { op: 'remove', path: '/a' },
      { op: 'add', path: '/k~1v', value: true },
    ]);
    expect(out).toEqual({ l: [2, 3], c: 'x', first: 1, 'k/v': true });
  });

  it('rejects a replace of a missing key and a failing test with 422', () => {
    expect(() => applyJsonPatch({ data: {} }, [{ op: 'replace', path: '/data/x', value: 1 }])).toThrow(/missing/);
    expect(() => applyJsonPatch({ a: 1 }, [{ op: 'test', path: '/a', value: 2 }])).toThrow(/test failed/);
  });

  it('does not modify its input', () => {
    const input = { a: [1] };
    applyJsonPatch(input, [{ op: 'add', path: '/a/-', value: 2 }]);
    expect(input).toEqual({ a: [1] });
  });
});

describe('merge patch', () => {
  it('merges objects, deletes keys set to null and replaces lists', () => {
    expect(applyMergePatch({ a: { b: 1, c: 2 }, l: [1, 2] }, { a: { b: null, d: 3 }, l: [9] })).toEqual({ a: { c: 2, d: 3 }, l: [9] });
  });
});

describe('strategic merge patch', () => {
  it('merges containers by name and env by name, keeping the rest', () => {
    const out = applyStrategicMergePatch(pod(), { spec: { containers: [{ name: 'main', env: [{ name: 'B', value: 'two' }, { name: 'C', value: '3' }] }] } });
    expect(out.spec.containers.map((c) => c.name)).toEqual(['main', 'side']);
    expect(out.spec.containers[0]!.env).toEqual([{ name: 'A', value: '1' }, { name: 'B', value: 'two' }, { name: 'C', value: '3' }]);
    expect(out.spec.containers[0]!.image).toBe('busybox:1');
  });

  it('deletes list elements with $patch: delete and replaces lists with $patch: replace', () => {
    const deleted = applyStrategicMergePatch(pod(), { spec: { containers: [{ name: 'side', $patch: 'delete' }] } });
    expect(deleted.spec.containers.map((c) => c.name)).toEqual(['main']);
    const replaced = applyStrategicMergePatch(pod(), { spec: { volumes: [{ name: 'w', emptyDir: {} }, { $patch: 'replace' }] } });
    expect(replaced.spec.volumes).toEqual([{ name: 'w', emptyDir: {} }]);
  });

  it('merges volumeMounts by mountPath, ports by containerPort and finalizers as a set', () => {
    const out = applyStrategicMergePatch(pod(), {
      metadata: { finalizers: ['x', 'y'] },
      spec: { containers: [{ name: 'main', volumeMounts: [{ name: 'w', mountPath: '/mnt' }], ports: [{ containerPort: 8080 }] }] },
    });
    expect(out.metadata.finalizers).toEqual(['x', 'y']);
    expect(out.spec.containers[0]!.volumeMounts).toEqual([{ name: 'w', mountPath: '/mnt' }]);
    expect(out.spec.containers[0]!.ports).toEqual([{ containerPort: 80 }, { containerPort: 8080 }]);
  });

  it('merges conditions by type and ignores $setElementOrder directives', () => {
    const out = applyStrategicMergePatch(
      { status: { conditions: [{ type: 'Ready', status: 'False' }, { type: 'PodScheduled', status: 'True' }] } },
      { status: { $setElementOrder: [], conditions: [{ type: 'Ready', status: 'True' }] }, '$setElementOrder/conditions': [{ type: 'Ready' }] },
    );
    expect(out.status.conditions).toEqual([{ type: 'Ready', status: 'True' }, { type: 'PodScheduled', status: 'True' }]);
  });

  it('removes keys set to null and replaces a map with $patch: replace', () => {
    const out = applyStrategicMergePatch({ metadata: { labels: { a: '1', b: '2' }, annotations: { x: 'y' } } }, { metadata: { labels: { a: null }, annotations: { z: 'w', $patch: 'replace' } } });
    expect(out.metadata).toEqual({ labels: { b: '2' }, annotations: { z: 'w' } });
  });
});
