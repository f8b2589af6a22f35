import { describe, expect, it } from 'vitest';
import type { Container, ContainerState, Pod } from './pod-types.ts';
import { buildPodStatus, podPhase, qosClass, type ContainerView, type PodView } from './status.ts';

const NOW = '2026-01-01T00:00:00Z';
const pod = (spec: Partial<Pod['spec']> = {}): Pod => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'ns', uid: 'u' }, spec: { containers: [], ...spec } });
const view = (name: string, state: ContainerState, extra: Partial<ContainerView> = {}): ContainerView => ({
  spec: { name, image: 'busybox' } as Container, state, lastState: {}, restartCount: 0, ready: Boolean(state.running), started: Boolean(state.running), image: 'docker.io/library/busybox:latest', imageID: '', ...extra,
});
const running: ContainerState = { running: { startedAt: NOW } };
const exited = (exitCode: number): ContainerState => ({ terminated: { exitCode, reason: exitCode ? 'Error' : 'Completed', startedAt: NOW, finishedAt: NOW, containerID: 'containerd://x' } });
const podView = (p: Pod, containers: ContainerView[], init: ContainerView[] = []): PodView => ({ pod: p, init, containers, ephemeral: [], startTime: NOW, sandboxReady: true, hostIP: '127.0.0.1', podIP: '127.0.0.1' });

describe('podPhase (the kubelet getPhase)', () => {
  it('is Running while a crash-looping container waits to restart (Always)', () => {
    const looping = view('a', { waiting: { reason: 'CrashLoopBackOff' } }, { lastState: exited(1) });
    expect(podPhase(podView(pod(), [looping, view('b', running)]))).toBe('Running');
  });
  it('is Pending while a container has never started', () => {
    expect(podPhase(podView(pod(), [view('a', { waiting: { reason: 'ImagePullBackOff' } }), view('b', running)]))).toBe('Pending');
  });
  it('is Pending while an init container fails and will be retried, Failed with restartPolicy Never', () => {
    const init = [view('i', exited(1))];
    expect(podPhase(podView(pod(), [view('a', { waiting: { reason: 'PodInitializing' } })], init))).toBe('Pending');
    expect(podPhase(podView(pod({ restartPolicy: 'Never' }), [view('a', { waiting: { reason: 'PodInitializing' } })], init))).toBe('Failed');
  });
  it('is Succeeded when every container exited 0 under Never/OnFailure, Failed when one did not under Never', () => {
    expect(podPhase(podView(pod({ restartPolicy: 'OnFailure' }), [view('a', exited(0))]))).toBe('Succeeded');
    expect(podPhase(podView(pod({ restartPolicy: 'Never' }), [view('a', exited(0)), view('b', exited(137))]))).toBe('Failed');
    expect(podPhase(podView(pod({ restartPolicy: 'Always' }), [view('a', exited(0))]))).toBe('Running');
  });
});

describe('buildPodStatus', () => {
  it('reports unready containers in the Ready and ContainersReady conditions, in the kubelet\'s order', () => {
    const s = buildPodStatus(podView(pod(), [view('a', running), view('b', { waiting: { reason: 'ContainerCreating' } }), view('c', { waiting: { reason: 'ContainerCreating' } })]), NOW);
    expect(s.conditions!.map((c) => [c.type, c.status, c.reason, c.message])).toEqual([
      ['PodReadyToStartContainers', 'True', undefined, undefined],
      ['Initialized', 'True', undefined, undefined],
      ['Ready', 'False', 'ContainersNotReady', 'containers with unready status: [b c]'],
      ['ContainersReady', 'False', 'ContainersNotReady', 'containers with unready status: [b c]'],
      ['PodScheduled', 'True', undefined, undefined],
    ]);
    expect(s).toMatchObject({ phase: 'Pending', hostIP: '127.0.0.1', podIPs: [{ ip: '127.0.0.1' }], qosClass: 'BestEffort' });
  });
  it('names incomplete init containers and says PodCompleted once the pod succeeded', () => {
    const waiting = buildPodStatus(podView(pod(), [view('a', { waiting: { reason: 'PodInitializing' } })], [view('modelcar-init', running)]), NOW);
    expect(waiting.conditions!.find((c) => c.type === 'Initialized')).toMatchObject({ status: 'False', reason: 'ContainersNotInitialized', message: 'containers with incomplete status: [modelcar-init]' });
    const done = buildPodStatus(podView(pod({ restartPolicy: 'Never' }), [view('a', exited(0))]), NOW);
    expect(done.conditions!.find((c) => c.type === 'Ready')).toMatchObject({ status: 'False', reason: 'PodCompleted' });
  });
  it('keeps lastTransitionTime while a condition keeps its status', () => {
    const before = pod();
    before.status = { conditions: [{ type: 'Ready', status: 'True', lastProbeTime: null, lastTransitionTime: '2025-01-01T00:00:00Z' }] };
    const s = buildPodStatus(podView(before, [view('a', running)]), NOW);
    expect(s.conditions!.find((c) => c.type === 'Ready')!.lastTransitionTime).toBe('2025-01-01T00:00:00Z');
    expect(s.conditions!.find((c) => c.type === 'ContainersReady')!.lastTransitionTime).toBe(NOW);
  });
});

describe('qosClass', () => {
  it('is Guaranteed only when cpu and memory requests equal limits everywhere', () => {
    const c = (resources: Container['resources']): Container => ({ name: 'x', image: 'i', resources });
    expect(qosClass(pod({ containers: [c({ limits: { cpu: '10m', memory: '15Mi' } })] }))).toBe('Guaranteed');
    expect(qosClass(pod({ containers: [c({ limits: { cpu: '10m', memory: '15Mi' } }), c(undefined)] }))).toBe('Burstable');
    expect(qosClass(pod({ containers: [c(undefined)] }))).toBe('BestEffort');
  });
});
