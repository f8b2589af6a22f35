import { describe, expect, it } from 'vitest';
import { humanDuration, podRow } from './table.ts';

const NOW = Date.parse('2026-01-01T12:00:00Z');
const ago = (s: number) => new Date(NOW - s * 1000).toISOString();
const base = (status: Record<string, unknown>, spec: Record<string, unknown> = {}, meta: Record<string, unknown> = {}) => ({
  metadata: { name: 'p', creationTimestamp: ago(600), ...meta },
  spec: { containers: [{ name: 'a' }, { name: 'b' }, { name: 'c' }], ...spec },
  status,
});
const running = (name: string, ready = true) => ({ name, ready, restartCount: 0, state: { running: { startedAt: ago(60) } } });
// NAME READY STATUS RESTARTS AGE IP NODE NOMINATED READINESS-GATES
const cells = (pod: Record<string, unknown>) => podRow(pod, NOW).slice(1, 4);

describe('pod table rows', () => {
  it('shows 3/3 Running for a ready pod', () => {
    expect(cells(base({ phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }], containerStatuses: ['a', 'b', 'c'].map((n) => running(n)) }))).toEqual(['3/3', 'Running', '0']);
  });

  it('shows Init:0/1 while the init container runs and Init:<reason> when it waits', () => {
    const spec = { initContainers: [{ name: 'modelcar-init' }] };
    expect(cells(base({ phase: 'Pending', initContainerStatuses: [{ name: 'modelcar-init', restartCount: 0, state: { running: {} } }] }, spec))[1]).toBe('Init:0/1');
    expect(cells(base({ phase: 'Pending', initContainerStatuses: [{ name: 'modelcar-init', restartCount: 0, state: { waiting: { reason: 'ErrImagePull' } } }] }, spec))[1]).toBe('Init:ErrImagePull');
    expect(cells(base({ phase: 'Pending', initContainerStatuses: [{ name: 'modelcar-init', restartCount: 1, state: { terminated: { exitCode: 1, reason: 'Error' } } }] }, spec))[1]).toBe('Init:Error');
  });

  it('shows PodInitializing after init and the last waiting reason, with restarts and their age', () => {
    const waiting = (reason: string) => ({ name: 'c', ready: false, restartCount: 0, state: { waiting: { reason } } });
    expect(cells(base({ phase: 'Pending', containerStatuses: [running('a'), running('b'), waiting('PodInitializing')] }))).toEqual(['2/3', 'PodInitializing', '0']);
    const crashing = { name: 'c', ready: false, restartCount: 4, state: { waiting: { reason: 'CrashLoopBackOff' } }, lastState: { terminated: { exitCode: 1, finishedAt: ago(39 * 60) } } };
    expect(cells(base({ phase: 'Running', containerStatuses: [running('a'), running('b'), crashing] }))).toEqual(['2/3', 'CrashLoopBackOff', '4 (39m ago)']);
  });

  it('shows Completed, Terminating and the exit code of a reasonless termination', () => {
    const done = (name: string) => ({ name, ready: false, restartCount: 0, state: { terminated: { exitCode: 0, reason: 'Completed' } } });
    expect(cells(base({ phase: 'Succeeded', containerStatuses: ['a', 'b', 'c'].map(done) }))[1]).toBe('Completed');
    expect(cells(base({ phase: 'Running', containerStatuses: [{ name: 'a', ready: false, restartCount: 0, state: { terminated: { exitCode: 137 } } }] }))[1]).toBe('ExitCode:137');
    expect(cells(base({ phase: 'Running' }, {}, { deletionTimestamp: ago(1) }))[1]).toBe('Terminating');
  });
});

describe('humanDuration', () => {
  it('formats like k8s.io/apimachinery duration.HumanDuration', () => {
    expect([5, 119, 120, 125, 600, 3 * 3600, 3 * 3600 + 60 * 5, 30 * 3600, 50 * 3600, 400 * 86400].map((s) => humanDuration(s * 1000)))
      .toEqual(['5s', '119s', '2m', '2m5s', '10m', '3h', '3h5m', '30h', '2d2h', '400d']);
  });
});
