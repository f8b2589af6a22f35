// The KServe emulation inside the running lab, through the real kubectl: the seed's InferenceService
// becomes a Knative-style Deployment whose pods the pod webhook mutates at admission.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SEED_ISVC } from '../../e2e/seed.ts';
import { kubectl } from '../testkit.ts';
import { until } from '../until.ts';

const NS = 'kserve-test';

async function json(args: string[]): Promise<any> {
  const r = await kubectl([...args, '-o', 'json']);
  return r.exitCode === 0 ? JSON.parse(r.stdout) : undefined;
}

const deleteOurs = async () => {
  await kubectl(['delete', 'isvc', '-n', NS, 'sklearn-iris-oci', 'sklearn-iris-standard', '--ignore-not-found']);
};
// The seed's names live in the seed's namespace, which other files use too: start from none of them.
beforeAll(deleteOurs);
afterAll(deleteOurs);

describe('KServe emulation in the lab (v0.20.0 install)', () => {
  it('applies the seed InferenceService and mutates its pod: modelcar, modelcar-init, shared pid namespace', async () => {
    const applied = await kubectl(['apply', '-n', NS, '-f', '-'], { input: SEED_ISVC });
    expect(applied.stderr).toBe('');
    expect(applied.stdout.trim()).toBe('inferenceservice.serving.kserve.io/sklearn-iris-oci created');

    const deployment = await until('the revision Deployment', () => json(['get', 'deployment', '-n', NS, 'sklearn-iris-oci-predictor-00001-deployment']));
    expect(deployment.spec.template.metadata.annotations['internal.serving.kserve.io/storage-initializer-sourceuri']).toBe('oci://rhuss/kserving-example-sklearn:1.0');

    const pod = await until('a predictor pod', async () => (await json(['get', 'pods', '-n', NS, '-l', 'serving.kserve.io/inferenceservice=sklearn-iris-oci']))?.items?.[0]);
    expect(pod.metadata.name).toMatch(/^sklearn-iris-oci-predictor-00001-deployment-[a-z0-9]+-[a-z0-9]{5}$/);
    expect(pod.spec.shareProcessNamespace).toBe(true);
    expect(pod.spec.containers.map((c: { name: string }) => c.name)).toEqual(['kserve-container', 'queue-proxy', 'modelcar']);
    expect(pod.spec.initContainers.map((c: { name: string }) => c.name)).toEqual(['modelcar-init']);
    const modelcar = pod.spec.containers[2];
    expect(modelcar.image).toBe('rhuss/kserving-example-sklearn:1.0');
    expect(modelcar.args).toEqual(['sh', '-c', 'ln -sf /proc/$$$$/root/models /mnt/models && sleep infinity']);
    expect(modelcar.securityContext).toEqual({ runAsUser: 1010 });
    // The API server defaults the injected containers after the webhook, as a real one does.
    expect(modelcar.imagePullPolicy).toBe('IfNotPresent');
    expect(pod.spec.containers[0].securityContext.runAsUser).toBe(1010);

    const jsonpath = await kubectl(['get', 'pod', '-n', NS, pod.metadata.name, '-o', 'jsonpath={.spec.shareProcessNamespace}']);
    expect(jsonpath.stdout).toBe('true');
  });

  it('shows the InferenceService with the real printer columns', async () => {
    const r = await kubectl(['get', 'isvc', '-n', NS, 'sklearn-iris-oci']);
    expect(r.exitCode).toBe(0);
    expect(r.stdout.split('\n')[0]).toMatch(/^NAME\s+URL\s+READY\s+PREV\s+LATEST\s+PREVROLLEDOUTREVISION\s+LATESTREADYREVISION\s+AGE$/);
    const isvc = await until('a status', async () => {
      const o = await json(['get', 'isvc', '-n', NS, 'sklearn-iris-oci']);
      return o?.status?.conditions ? o : undefined;
    });
    expect(isvc.status.deploymentMode).toBe('Knative');
    expect(isvc.status.components.predictor.latestCreatedRevision).toBe('sklearn-iris-oci-predictor-00001');
  });

  it('Standard mode: Deployment <isvc>-predictor, pods <isvc>-predictor-<hash>-<id> without queue-proxy', async () => {
    const standard = SEED_ISVC.replace('name: "sklearn-iris-oci"', 'name: "sklearn-iris-standard"\n  annotations:\n    serving.kserve.io/deploymentMode: RawDeployment');
    expect((await kubectl(['apply', '-n', NS, '-f', '-'], { input: standard })).exitCode).toBe(0);
    const isvc = await json(['get', 'isvc', '-n', NS, 'sklearn-iris-standard']);
    // The defaulter rewrote the legacy annotation (v0.16+).
    expect(isvc.metadata.annotations['serving.kserve.io/deploymentMode']).toBe('Standard');
    const pod = await until('a Standard pod', async () => (await json(['get', 'pods', '-n', NS, '-l', 'serving.kserve.io/inferenceservice=sklearn-iris-standard']))?.items?.[0]);
    expect(pod.metadata.name).toMatch(/^sklearn-iris-standard-predictor-[a-z0-9]+-[a-z0-9]{5}$/);
    expect(pod.spec.containers.map((c: { name: string }) => c.name)).toEqual(['kserve-container', 'modelcar']);
    expect((await kubectl(['get', 'svc', '-n', NS, 'sklearn-iris-standard-predictor'])).exitCode).toBe(0);
  });

  it('a malformed storageInitializer makes the next pod fail admission: FailedCreate on the ReplicaSet', async () => {
    // Start from a ready revision, so the outcome does not depend on how far the pod got.
    await until('the revision Ready', async () => {
      const o = await json(['get', 'isvc', '-n', NS, 'sklearn-iris-oci']);
      return o?.status?.conditions?.find((c: { type: string; status: string }) => c.type === 'PredictorConfigurationReady' && c.status === 'True');
    }, 40_000, 250);
    const before = await json(['get', 'cm', '-n', 'kserve', 'inferenceservice-config']);
    const original: string = before.data.storageInitializer;
    try {
      const patch = JSON.stringify([{ op: 'replace', path: '/data/storageInitializer', value: original.replace(/}\s*$/, ',}') }]);
      expect((await kubectl(['patch', 'cm', '-n', 'kserve', 'inferenceservice-config', '--type=json', '-p', patch])).exitCode).toBe(0);
      await kubectl(['delete', 'pods', '-n', NS, '-l', 'serving.kserve.io/inferenceservice=sklearn-iris-oci', '--wait=false']);
      const event = await until('FailedCreate', async () => {
        const events = await json(['get', 'events', '-n', NS, '--field-selector', 'reason=FailedCreate']);
        return events?.items?.find((e: { involvedObject: { kind: string } }) => e.involvedObject.kind === 'ReplicaSet');
      });
      expect(event.message).toBe(
        'Error creating: admission webhook "inferenceservice.kserve-webhook-server.pod-mutator" denied the request: panic: Unable to unmarshall storageInitializer json string due to invalid character \'}\' looking for beginning of object key string  [recovered]',
      );
      // Knative marks the revision failed from the Deployment's ReplicaFailure; KServe propagates it.
      const failed = await until('PredictorConfigurationReady False', async () => {
        const o = await json(['get', 'isvc', '-n', NS, 'sklearn-iris-oci']);
        return o?.status?.conditions?.find((c: { type: string; status: string }) => c.type === 'PredictorConfigurationReady' && c.status === 'False');
      }, 30_000, 250);
      expect(failed.reason).toBe('RevisionFailed');
      expect(failed.message).toMatch(/^Revision "sklearn-iris-oci-predictor-00001" failed with message: admission webhook "inferenceservice.kserve-webhook-server.pod-mutator" denied the request: panic: /);
    } finally {
      const restore = JSON.stringify([{ op: 'replace', path: '/data/storageInitializer', value: original }]);
      await kubectl(['patch', 'cm', '-n', 'kserve', 'inferenceservice-config', '--type=json', '-p', restore]);
    }
    // The waits above end before the test's own timeout, so the restore always runs before the next file.
  }, 120_000);
});
