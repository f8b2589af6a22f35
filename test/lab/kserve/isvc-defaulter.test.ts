// Expected values from pkg/apis/serving/v1beta1/inference_service_defaults.go and configmap.go
// (NewDeployConfig) at v0.13.0 and v0.20.0.
import { describe, expect, it } from 'vitest';
import type { KObject } from '../types.ts';
import { defaultInferenceService, readDeployConfig } from './isvc-defaulter.ts';

const isvc = (annotations?: Record<string, string>, predictor: Record<string, unknown> = { sklearn: { storageUri: 'oci://m/i:1' } }): KObject => ({
  apiVersion: 'serving.kserve.io/v1beta1',
  kind: 'InferenceService',
  metadata: { name: 'm', namespace: 'n', ...(annotations ? { annotations } : {}) },
  spec: { predictor },
});

describe('DefaultInferenceService', () => {
  it('moves a framework field into model with its format (setPredictorModelDefaults)', () => {
    const out = defaultInferenceService(isvc(), {}, 'v0.20.0');
    expect(out.spec).toEqual({ predictor: { model: { modelFormat: { name: 'sklearn' }, storageUri: 'oci://m/i:1' } } });
  });

  it('v0.20.0 rewrites the legacy annotation and records a Standard default', () => {
    expect(defaultInferenceService(isvc({ 'serving.kserve.io/deploymentMode': 'RawDeployment' }), {}, 'v0.20.0').metadata.annotations).toEqual({ 'serving.kserve.io/deploymentMode': 'Standard' });
    const deploy = readDeployConfig({ deploy: '{"defaultDeploymentMode": "RawDeployment"}' }, 'v0.20.0');
    expect(deploy).toEqual({ defaultDeploymentMode: 'Standard' });
    expect(defaultInferenceService(isvc(), deploy, 'v0.20.0').metadata.annotations).toEqual({ 'serving.kserve.io/deploymentMode': 'Standard' });
    // Knative (the shipped Serverless) is not written down.
    expect(defaultInferenceService(isvc(), readDeployConfig({ deploy: '{"defaultDeploymentMode": "Serverless"}' }, 'v0.20.0'), 'v0.20.0').metadata.annotations).toBeUndefined();
  });

  it('v0.13.0 keeps the names as written and records RawDeployment', () => {
    expect(defaultInferenceService(isvc({ 'serving.kserve.io/deploymentMode': 'Serverless' }), {}, 'v0.13.0').metadata.annotations).toEqual({ 'serving.kserve.io/deploymentMode': 'Serverless' });
    expect(defaultInferenceService(isvc(), { defaultDeploymentMode: 'RawDeployment' }, 'v0.13.0').metadata.annotations).toEqual({ 'serving.kserve.io/deploymentMode': 'RawDeployment' });
  });

  it('NewDeployConfig errors', () => {
    expect(() => readDeployConfig({ deploy: '{"defaultDeploymentMode": }' }, 'v0.20.0')).toThrow("unable to parse deploy config json: invalid character '}' looking for beginning of value");
    expect(() => readDeployConfig({ deploy: '{}' }, 'v0.20.0')).toThrow('invalid deploy config, defaultDeploymentMode is required');
    expect(() => readDeployConfig({ deploy: '{"defaultDeploymentMode": "Knative"}' }, 'v0.13.0')).toThrow('invalid deployment mode. Supported modes are Serverless, RawDeployment and ModelMesh');
  });
});
