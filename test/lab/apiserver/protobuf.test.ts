import { describe, expect, it } from 'vitest';
import { decodeProtobufBody } from './protobuf.ts';

// Bodies captured from kubectl 1.33 (`kubectl auth can-i ...`, `kubectl auth whoami`).
const CAPTURED = {
  canIListPodsAllNamespaces:
    '6b3873000a320a17617574686f72697a6174696f6e2e6b38732e696f2f7631121753656c665375626a65637441636365737352657669657712360a100a0012001a0022002a0032003800420012180a160a0012046c6973741a0022002a04706f647332003a001a08080012001a0020001a002200',
  canIGetHealthz:
    '6b3873000a320a17617574686f72697a6174696f6e2e6b38732e696f2f7631121753656c665375626a656374416363657373526576696577122f0a100a0012001a0022002a003200380042001211120f0a082f6865616c74687a12036765741a08080012001a0020001a002200',
  canIListInKserve:
    '6b3873000a310a17617574686f72697a6174696f6e2e6b38732e696f2f7631121653656c665375626a65637452756c657352657669657712220a100a0012001a0022002a0032003800420012080a066b73657276651a04180022001a002200',
  whoami:
    '6b3873000a2d0a1861757468656e7469636174696f6e2e6b38732e696f2f7631121153656c665375626a656374526576696577121a0a100a0012001a0022002a0032003800420012060a040a0012001a002200',
};
const body = (hex: string) => Buffer.from(hex, 'hex');

describe('decodeProtobufBody', () => {
  it('decodes the SelfSubjectAccessReviews kubectl auth can-i sends, without the empty fields', () => {
    expect(decodeProtobufBody(body(CAPTURED.canIListPodsAllNamespaces))).toEqual({
      apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectAccessReview', metadata: {},
      spec: { resourceAttributes: { verb: 'list', resource: 'pods' } },
    });
    expect(decodeProtobufBody(body(CAPTURED.canIGetHealthz))).toMatchObject({ spec: { nonResourceAttributes: { path: '/healthz', verb: 'get' } } });
  });

  it('decodes the SelfSubjectRulesReview of can-i --list and the SelfSubjectReview of whoami', () => {
    expect(decodeProtobufBody(body(CAPTURED.canIListInKserve))).toMatchObject({ kind: 'SelfSubjectRulesReview', spec: { namespace: 'kserve' } });
    expect(decodeProtobufBody(body(CAPTURED.whoami))).toEqual({ apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview', metadata: {} });
  });

  it('answers 415 for kinds it has no schema for, and 400 without the k8s envelope', () => {
    const pod = Buffer.concat([Buffer.from('k8s\0', 'latin1'), Buffer.from('0a090a0276311203506f64', 'hex')]);
    expect(() => decodeProtobufBody(pod)).toThrow(expect.objectContaining({ code: 415 }));
    expect(() => decodeProtobufBody(Buffer.from('{}'))).toThrow(expect.objectContaining({ code: 400 }));
  });
});
