// How `lab populate` sets up each scenario of docs/scenarios.md on a simulated node: the
// InferenceService's spec, its namespace, and the KServe config its pods must be admitted under.
// What the containers then do is outcomes.ts's part. Scenarios that need another KServe release or
// another runtime image cannot share one populated lab and are refused with the reason.
import { LAB_IMAGES } from '../images/catalog.ts';
import type { KObject } from '../types.ts';

export interface ScenarioSpec {
  /** `predictor.model.storageUri` (default: the seed's image). */
  storageUri?: string;
  storageUris?: Array<{ uri: string; mountPath: string }>;
  mode: 'Standard' | 'Knative';
  minReplicas?: number;
  /** Labels and annotations of the scenario's namespace. */
  namespace?: { labels?: Record<string, string>; annotations?: Record<string, string> };
  /** Objects created in the namespace first (LimitRanges). */
  objects?: KObject[];
  /** Rewrites the `storageInitializer` value of inferenceservice-config while these pods are admitted. */
  config?: (storageInitializer: string) => string;
  /** Whether admission lets the pods be created (false: FailedCreate on the ReplicaSet, no pod). */
  pods: boolean;
}

const SEED_URI = `oci://${LAB_IMAGES.sklearnModel}`;
const editJson = (edit: (c: Record<string, unknown>) => void) => (raw: string) => {
  let c: Record<string, unknown>;
  try {
    c = JSON.parse(raw) as Record<string, unknown>;
  } catch (e) {
    throw new Error(`the storageInitializer of kserve/inferenceservice-config is not valid JSON (${(e as Error).message}); repair it before populating`);
  }
  edit(c);
  return JSON.stringify(c);
};
const healthy: ScenarioSpec = { mode: 'Standard', pods: true };

export const SCENARIO_SPECS: Record<string, ScenarioSpec> = {
  'healthy-knative-v0.20': { mode: 'Knative', pods: true },
  'healthy-standard-v0.20': healthy,
  'uid-mismatch': { ...healthy, config: editJson((c) => { delete c['uidModelcar']; }) },
  'no-models-dir': { ...healthy, storageUri: `oci://${LAB_IMAGES.modelWithoutModelsDir}` },
  'empty-models-dir': { ...healthy, storageUri: `oci://${LAB_IMAGES.modelWithEmptyModelsDir}` },
  'latest-tag': { ...healthy, storageUri: `oci://${LAB_IMAGES.sklearnModelLatest}` },
  'image-missing': { ...healthy, storageUri: 'oci://lab/no-such-model:1.0' },
  'private-image-no-secret': { ...healthy, storageUri: `oci://${LAB_IMAGES.privateSklearnModel}` },
  'modelcar-oomkilled': { ...healthy, config: editJson((c) => { c['memoryModelcar'] = '4Mi'; }) },
  'startup-race': healthy,
  'modelcars-disabled': { ...healthy, config: editJson((c) => { c['enableModelcar'] = false; delete c['ociModelMode']; }) },
  'restricted-namespace': { ...healthy, namespace: { labels: { 'pod-security.kubernetes.io/enforce': 'restricted' } }, pods: false },
  'scc-uid-range': { ...healthy, namespace: { annotations: { 'openshift.io/sa.scc.uid-range': '1000660000/10000', 'openshift.io/sa.scc.supplemental-groups': '1000660000/10000' } }, pods: false },
  'limitrange-rejects': {
    ...healthy,
    objects: [{ apiVersion: 'v1', kind: 'LimitRange', metadata: { name: 'container-minimums' }, spec: { limits: [{ type: 'Container', min: { cpu: '50m', memory: '64Mi' } }] } }],
    pods: false,
  },
  'config-newer-than-pods': healthy,
  'support-user-no-exec': healthy,
  'scaled-to-zero': { mode: 'Knative', minReplicas: 0, pods: true },
  'events-expired': healthy,
  'several-oci-sources': {
    ...healthy,
    storageUris: [{ uri: SEED_URI, mountPath: '/mnt/models' }, { uri: SEED_URI, mountPath: '/mnt/extra/models' }],
  },
};

/** Scenarios a populated lab cannot hold, and why. */
export const UNSUPPORTED: Record<string, string> = {
  'healthy-v0.13.0': 'needs a lab on KServe v0.13.0 (lab up --kserve-version v0.13.0)',
  'healthy-v0.15.2': 'needs a lab on KServe v0.15.2 (lab up --kserve-version v0.15.2)',
  'healthy-v0.17.0': 'needs a lab on KServe v0.17.0 (lab up --kserve-version v0.17.0)',
  'ln-s-file-exists-v0.13': 'needs a lab on KServe v0.13.0 (lab up --kserve-version v0.13.0)',
  'example-only-edit': 'edits the _example block of inferenceservice-config, which populate leaves alone',
  'invalid-config-json': 'the ReplicaSets retry until the config is valid again, so its pods appear once populate restores it',
  'runtime-without-shell': 'differs only in exec, which a simulated node does not run',
  'runtime-ls-only': 'differs only in exec, which a simulated node does not run',
  'share-process-namespace-false': 'needs the predictor Deployment patched after KServe made it',
  'native-feature-gate-off': 'needs an API server with the ImageVolume feature gate off',
};
