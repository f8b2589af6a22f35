// KServe's pod mutating webhook (pkg/webhook/admission/pod/mutator.go), per release: on every pod
// CREATE it reads the live `inferenceservice-config` and injects the storage-initializer and/or the
// modelcar. `mutatePod` is the pure core; `kservePodWebhook` is the admission step around it.
import { defaultPodSpec } from '../apiserver/defaults.ts';
import { ApiError, type StatusReason } from '../apiserver/errors.ts';
import type { AdmissionPlugin, KObject, LabStore } from '../types.ts';
import { readWebhookConfig, resolveOciModelMode, WebhookError, WebhookPanic } from './config.ts';
import { CONFIG_MAP_NAME, KSERVE_NAMESPACE } from './install.ts';
import type { PodSpec } from './pod-spec.ts';
import { injectModelcar, injectStorageInitializer } from './storage.ts';
import { kserveBehaviour } from './versions.ts';

export const INFERENCE_SERVICE_LABEL = 'serving.kserve.io/inferenceservice';
export const SOURCE_URI_ANNOTATION = 'internal.serving.kserve.io/storage-initializer-sourceuri';
/** config/webhook/manifests.yaml */
export const POD_WEBHOOK_NAME = 'inferenceservice.kserve-webhook-server.pod-mutator';

/** What `mutate` does to a pod, given the ConfigMap's data. Throws WebhookPanic or WebhookError the
 *  way the Go handler panics or returns an error. The input is not modified. */
export function mutatePod(pod: KObject, configData: Record<string, string>, version: string): KObject {
  // needMutate: the webhook's objectSelector and the handler both require this label.
  if (pod.metadata.labels?.[INFERENCE_SERVICE_LABEL] === undefined) return pod;
  const config = readWebhookConfig(configData, version);
  const mutated = structuredClone(pod);
  const spec = mutated.spec as PodSpec;
  const annotations = mutated.metadata.annotations ?? {};
  const sourceUri = annotations[SOURCE_URI_ANNOTATION];
  if (sourceUri === undefined) return mutated;
  // The mutators list in `mutate`: storage-initializer first, InjectModelcar last and only when
  // OCI models are on (EnableOciImageSource; v0.20: ResolveOciModelMode != "").
  injectStorageInitializer(spec, { sourceUri, annotations }, config, version);
  if (resolveOciModelMode(config, version) !== '') injectModelcar(spec, sourceUri, config, version);
  return mutated;
}

/** The namespace KServe reads its ConfigMap from: constants.KServeNamespace is the controller's
 *  POD_NAMESPACE (the namespace it runs in), defaulting to kserve. */
export function controllerNamespace(store: LabStore): string {
  const controllers = store.list('deployments.apps', undefined, { labelSelector: 'control-plane=kserve-controller-manager' });
  return controllers[0]?.metadata.namespace ?? KSERVE_NAMESPACE;
}

/** How the API server reports the webhook's failure (k8s.io/apiserver webhook errors.ToStatusErr and
 *  the dispatcher's ErrCallingWebhook). */
function admissionFailure(err: WebhookPanic | WebhookError, version: string, namespace: string): ApiError {
  const denied = (message: string) =>
    // ToStatusErr keeps the handler's code (500) and sets no reason; the lab's ApiError needs one, so
    // the reason is left empty on purpose, as on a real server.
    new ApiError('' as StatusReason, `admission webhook "${POD_WEBHOOK_NAME}" denied the request: ${message}`, undefined, 500);
  if (err instanceof WebhookError) return denied(err.message);
  // controller-runtime's Webhook.Handle: `Errored(500, fmt.Errorf("panic: %v [recovered]", r))`.
  if (kserveBehaviour(version).webhookRecoversPanics) return denied(`panic: ${err.message} [recovered]`);
  // RecoverPanic false: net/http drops the connection and the API server sees EOF.
  return new ApiError(
    'InternalError',
    `Internal error occurred: failed calling webhook "${POD_WEBHOOK_NAME}": failed to call webhook: Post "https://kserve-webhook-server-service.${namespace}.svc:443/mutate-pods?timeout=10s": EOF`,
  );
}

export function kservePodWebhook(opts: { version: string }): AdmissionPlugin {
  kserveBehaviour(opts.version); // reject an unknown version at start-up, not at the first pod
  return {
    name: 'kserve-pod-mutator',
    admit(req) {
      // Registered for pods, CREATE only (kubebuilder marker in mutator.go).
      if (req.resource !== 'pods' || req.operation !== 'CREATE') return req.object;
      if (req.object.metadata.labels?.[INFERENCE_SERVICE_LABEL] === undefined) return req.object;
      // The webhook configuration's namespaceSelector: `control-plane` DoesNotExist.
      if (req.namespace && req.store.get('namespaces', undefined, req.namespace)?.metadata.labels?.['control-plane'] !== undefined) return req.object;
      const namespace = controllerNamespace(req.store);
      try {
        const configMap = req.store.get('configmaps', namespace, CONFIG_MAP_NAME) as { data?: Record<string, string> } | undefined;
        if (!configMap) throw new WebhookError(`configmaps "${CONFIG_MAP_NAME}" not found`);
        const pod = structuredClone(req.object);
        // "pod namespace is always empty when coming to pod mutator": taken from the request.
        pod.metadata.namespace = req.namespace;
        const mutated = mutatePod(pod, configMap.data ?? {}, opts.version);
        // The API server decodes a webhook's patched object with defaulting (k8s.io/apiserver
        // admission/plugin/webhook/mutating/dispatcher.go), so injected containers get
        // imagePullPolicy etc.; the ServiceAccount plugin ran before, so they get no token mount.
        defaultPodSpec(mutated.spec as Record<string, unknown>);
        return mutated;
      } catch (err) {
        if (err instanceof WebhookPanic || err instanceof WebhookError) throw admissionFailure(err, opts.version, namespace);
        throw err;
      }
    },
  };
}
