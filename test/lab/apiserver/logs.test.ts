import { describe, expect, it } from 'vitest';
import type { KObject } from '../types.ts';
import { resolveContainer } from './logs.ts';

const pod = (annotations?: Record<string, string>): KObject => ({
  apiVersion: 'v1', kind: 'Pod', metadata: { name: 'sklearn-iris-predictor-abc', annotations },
  spec: { initContainers: [{ name: 'modelcar-init' }], containers: [{ name: 'kserve-container' }, { name: 'modelcar' }] },
});

describe('resolveContainer', () => {
  it('takes a named container, including init containers', () => {
    expect(resolveContainer(pod(), 'modelcar')).toBe('modelcar');
    expect(resolveContainer(pod(), 'modelcar-init')).toBe('modelcar-init');
  });

  it('defaults to the only container or the default-container annotation', () => {
    const single: KObject = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { containers: [{ name: 'main' }] } };
    expect(resolveContainer(single, null)).toBe('main');
    expect(resolveContainer(pod({ 'kubectl.kubernetes.io/default-container': 'kserve-container' }), null)).toBe('kserve-container');
  });

  it('answers BadRequest with the real messages otherwise', () => {
    expect(() => resolveContainer(pod(), null)).toThrow('a container name must be specified for pod sklearn-iris-predictor-abc, choose one of: [kserve-container modelcar] or one of the init containers: [modelcar-init]');
    expect(() => resolveContainer(pod(), 'queue-proxy')).toThrow('container queue-proxy is not valid for pod sklearn-iris-predictor-abc');
  });
});
