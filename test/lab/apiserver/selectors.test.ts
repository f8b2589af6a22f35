import { describe, expect, it } from 'vitest';
import type { KObject } from '../types.ts';
import { matchesFields, matchesLabels, parseFieldSelector, parseLabelSelector, selectorFromObject } from './selectors.ts';

const labels = { app: 'web', tier: 'front', 'control-plane': 'kserve-controller-manager' };
const match = (sel: string, l: Record<string, string> | undefined = labels) => matchesLabels(parseLabelSelector(sel), l);

describe('label selectors', () => {
  it('supports =, ==, !=, in, notin, exists and !exists', () => {
    expect(match('app=web')).toBe(true);
    expect(match('app==web,tier=front')).toBe(true);
    expect(match('app!=web')).toBe(false);
    expect(match('app!=db')).toBe(true);
    expect(match('tier in (front, back)')).toBe(true);
    expect(match('tier notin (front)')).toBe(false);
    expect(match('missing notin (x)')).toBe(true);
    expect(match('control-plane')).toBe(true);
    expect(match('!control-plane')).toBe(false);
    expect(match('!missing,app in (web)')).toBe(true);
    expect(matchesLabels(parseLabelSelector('app=web'), undefined)).toBe(false);
    expect(match('')).toBe(true);
  });

  it('rejects malformed requirements with BadRequest', () => {
    expect(() => parseLabelSelector('app=(x')).toThrow(/unable to parse requirement/);
  });

  it('turns matchLabels/matchExpressions into the same requirements', () => {
    const sel = selectorFromObject({ matchLabels: { app: 'web' }, matchExpressions: [{ key: 'tier', operator: 'In', values: ['front'] }, { key: 'x', operator: 'DoesNotExist' }] });
    expect(matchesLabels(sel, labels)).toBe(true);
    expect(matchesLabels(sel, { ...labels, x: '1' })).toBe(false);
  });
});

describe('field selectors', () => {
  const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'ns' }, spec: { nodeName: 'lab-node' }, status: { phase: 'Running' } } as KObject;
  const event = { apiVersion: 'v1', kind: 'Event', metadata: { name: 'e', namespace: 'ns' }, involvedObject: { kind: 'Pod', name: 'p', uid: 'u1' }, reason: 'Started' } as KObject;

  it('matches metadata, spec.nodeName and status.phase of pods', () => {
    expect(matchesFields(parseFieldSelector('metadata.name=p,status.phase=Running', 'pods'), pod)).toBe(true);
    expect(matchesFields(parseFieldSelector('spec.nodeName!=lab-node', 'pods'), pod)).toBe(false);
    expect(matchesFields(parseFieldSelector('metadata.namespace==other', 'pods'), pod)).toBe(false);
  });

  it('matches involvedObject fields of events', () => {
    expect(matchesFields(parseFieldSelector('involvedObject.name=p,involvedObject.kind=Pod,involvedObject.uid=u1', 'events'), event)).toBe(true);
    expect(matchesFields(parseFieldSelector('involvedObject.name=q', 'events'), event)).toBe(false);
  });

  it('rejects unsupported fields as the real server does', () => {
    expect(() => parseFieldSelector('spec.nodeName=x', 'configmaps')).toThrow('field label not supported: spec.nodeName');
  });
});
