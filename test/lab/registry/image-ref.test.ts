import { describe, expect, it } from 'vitest';
import { InvalidImageRefError, resolveImageRef } from './image-ref.ts';

const REG = '127.0.0.1:5077';
const DIGEST = `sha256:${'ab'.repeat(32)}`;

describe('resolveImageRef', () => {
  it.each([
    ['rhuss/kserving-example-sklearn:1.0', 'rhuss/kserving-example-sklearn', 'docker.io/rhuss/kserving-example-sklearn:1.0'],
    ['docker.io/rhuss/kserving-example-sklearn:1.0', 'rhuss/kserving-example-sklearn', 'docker.io/rhuss/kserving-example-sklearn:1.0'],
    ['index.docker.io/rhuss/kserving-example-sklearn:1.0', 'rhuss/kserving-example-sklearn', 'docker.io/rhuss/kserving-example-sklearn:1.0'],
    ['kserve/sklearnserver:v0.20.0', 'kserve/sklearnserver', 'docker.io/kserve/sklearnserver:v0.20.0'],
    ['busybox', 'library/busybox', 'docker.io/library/busybox:latest'],
    ['busybox:1.36', 'library/busybox', 'docker.io/library/busybox:1.36'],
    ['quay.io/x/y', 'x/y', 'quay.io/x/y:latest'],
    ['ghcr.io/org/team/model:2', 'org/team/model', 'ghcr.io/org/team/model:2'],
    ['localhost/model:1', 'model', 'localhost/model:1'],
    [`${REG}/rhuss/m:1.0`, 'rhuss/m', `${REG}/rhuss/m:1.0`],
  ])('%s -> %s', (ref, repository, name) => {
    const r = resolveImageRef(ref, REG);
    expect(r.repository).toBe(repository);
    expect(r.name).toBe(name);
    expect(r.pullSpec).toBe(`${REG}/${repository}:${r.tag}`);
  });

  it('defaults the tag to latest only when there is neither tag nor digest', () => {
    expect(resolveImageRef('rhuss/m', REG).tag).toBe('latest');
    const byDigest = resolveImageRef(`rhuss/m@${DIGEST}`, REG);
    expect(byDigest).toMatchObject({ tag: undefined, digest: DIGEST, pullSpec: `${REG}/rhuss/m@${DIGEST}` });
  });

  it('pulls by digest when a reference has both tag and digest, as containerd does', () => {
    const r = resolveImageRef(`gcr.io/knative-releases/knative.dev/serving/cmd/queue:v1@${DIGEST}`, REG);
    expect(r.repository).toBe('knative-releases/knative.dev/serving/cmd/queue');
    expect(r.pullSpec).toBe(`${REG}/knative-releases/knative.dev/serving/cmd/queue@${DIGEST}`);
    expect(r.name).toBe(`gcr.io/knative-releases/knative.dev/serving/cmd/queue:v1@${DIGEST}`);
  });

  it.each([
    ['Rhuss/Model:1.0', /repository name must be lowercase/],
    ['rhuss/model:1.0@sha256:short', /invalid reference format/],
    ['rhuss//model', /invalid reference format/],
    ['rhuss/model:bad tag', /invalid reference format/],
  ])('rejects %s', (ref, message) => {
    expect(() => resolveImageRef(ref, REG)).toThrow(InvalidImageRefError);
    expect(() => resolveImageRef(ref, REG)).toThrow(message);
  });
});
