// KServe's InferenceService mutating webhook (pkg/apis/serving/v1beta1/inference_service_defaults.go,
// DefaultInferenceService): what `kubectl get isvc -o yaml` shows beyond what was applied.
import { ApiError } from '../apiserver/errors.ts';
import type { AdmissionPlugin, KObject } from '../types.ts';
import { goJsonSyntaxError } from './go-json.ts';
import { CONFIG_MAP_NAME } from './install.ts';
import { kserveBehaviour } from './versions.ts';
import { controllerNamespace } from './webhook.ts';

const DEPLOYMENT_MODE = 'serving.kserve.io/deploymentMode';
/** config/webhook/manifests.yaml */
const DEFAULTER_WEBHOOK_NAME = 'inferenceservice.kserve-webhook-server.defaulter';
/** setPredictorModelDefaults: framework fields become `model` with that format. */
const FRAMEWORK_FORMATS: Record<string, string> = {
  sklearn: 'sklearn', tensorflow: 'tensorflow', xgboost: 'xgboost', pytorch: 'pytorch', triton: 'triton',
  onnx: 'onnx', huggingface: 'huggingface', pmml: 'pmml', lightgbm: 'lightgbm', paddle: 'paddle',
};

export function defaultInferenceService(isvc: KObject, deployConfig: { defaultDeploymentMode?: string }, version: string): KObject {
  const b = kserveBehaviour(version);
  const out = structuredClone(isvc);
  const annotations = out.metadata.annotations ?? {};
  let mode = annotations[DEPLOYMENT_MODE];
  if (mode !== undefined && b.deploymentModeNames === 'Knative/Standard') {
    // v0.16+: deprecated values are rewritten in place.
    if (mode === 'RawDeployment') mode = 'Standard';
    if (mode === 'Serverless') mode = 'Knative';
    annotations[DEPLOYMENT_MODE] = mode;
  }
  const annotatedDefaults = b.deploymentModeNames === 'Knative/Standard' ? ['ModelMesh', 'Standard'] : ['ModelMesh', 'RawDeployment'];
  if (mode === undefined && deployConfig.defaultDeploymentMode && annotatedDefaults.includes(deployConfig.defaultDeploymentMode)) {
    annotations[DEPLOYMENT_MODE] = deployConfig.defaultDeploymentMode;
  }
  if (Object.keys(annotations).length > 0) out.metadata.annotations = annotations;
  const predictor = (out.spec as { predictor?: Record<string, unknown> } | undefined)?.predictor;
  if (predictor && mode !== 'ModelMesh') {
    for (const [field, format] of Object.entries(FRAMEWORK_FORMATS)) {
      const framework = predictor[field] as Record<string, unknown> | undefined;
      if (!framework) continue;
      predictor.model = { modelFormat: { name: format }, ...framework };
      delete predictor[field];
      break;
    }
  }
  return out;
}

/** NewDeployConfig: the `deploy` key, validated, with legacy names normalised from v0.16. */
export function readDeployConfig(data: Record<string, string>, version: string): { defaultDeploymentMode?: string } {
  const raw = data.deploy;
  if (raw === undefined) return {};
  const syntax = goJsonSyntaxError(raw);
  if (syntax) throw new Error(`unable to parse deploy config json: ${syntax}`);
  const config = JSON.parse(raw) as { defaultDeploymentMode?: string };
  if (!config.defaultDeploymentMode) throw new Error('invalid deploy config, defaultDeploymentMode is required');
  if (kserveBehaviour(version).deploymentModeNames === 'Serverless/RawDeployment') {
    if (!['Serverless', 'RawDeployment', 'ModelMesh'].includes(config.defaultDeploymentMode)) {
      throw new Error('invalid deployment mode. Supported modes are Serverless, RawDeployment and ModelMesh');
    }
    return config;
  }
  const mode = ({ Serverless: 'Knative', RawDeployment: 'Standard' } as Record<string, string>)[config.defaultDeploymentMode] ?? config.defaultDeploymentMode;
  if (!['Knative', 'Standard', 'ModelMesh'].includes(mode)) throw new Error('invalid deployment mode. Supported modes are Knative, Standard and ModelMesh');
  return { defaultDeploymentMode: mode };
}

export function kserveInferenceServiceDefaulter(opts: { version: string }): AdmissionPlugin {
  kserveBehaviour(opts.version);
  return {
    name: 'kserve-inferenceservice-defaulter',
    admit(req) {
      if (req.resource !== 'inferenceservices.serving.kserve.io' || (req.operation !== 'CREATE' && req.operation !== 'UPDATE')) return req.object;
      const configMap = req.store.get('configmaps', controllerNamespace(req.store), CONFIG_MAP_NAME) as { data?: Record<string, string> } | undefined;
      try {
        if (!configMap) throw new Error(`configmaps "${CONFIG_MAP_NAME}" not found`);
        return defaultInferenceService(req.object, readDeployConfig(configMap.data ?? {}, opts.version), opts.version);
      } catch (err) {
        // controller-runtime's defaulting handler answers Denied(err): 403 Forbidden.
        throw new ApiError('Forbidden', `admission webhook "${DEFAULTER_WEBHOOK_NAME}" denied the request: ${(err as Error).message}`);
      }
    },
  };
}
