// Every check the plugin reports, mirroring ../shared/checks.md (catalogue.test.ts holds the two
// together). Hints are templates: `{{name}}` is filled from the finding's evidence by `fillHint`;
// a check with several distinct faults picks one of `hints` by key (evidence.hintKey).

export type Severity = 'fail' | 'warn' | 'info';
export type Group = 'config' | 'spec' | 'runtime' | 'inpod' | 'timing' | 'native';

export interface CatalogueEntry {
  id: string;
  name: string;
  group: Group;
  /** Status a finding gets when its condition does not hold, unless the check says otherwise. */
  severity: Severity;
  title: string;
  /** `default` plus one template per fault the check distinguishes. */
  hints: { default: string; [key: string]: string };
}

const CONFIG_PATCH =
  "kubectl patch configmap inferenceservice-config -n {{kserveNamespace}} --type=json -p '[{\"op\":\"replace\",\"path\":\"/data/storageInitializer\",\"value\":{{patchValue}}}]'";
const RECREATE_PODS = 'kubectl delete pod -n {{namespace}} -l serving.kserve.io/inferenceservice={{isvc}}';

export const CATALOGUE = [
  // ---- MC1xx cluster configuration
  {
    id: 'MC101', name: 'config-missing', group: 'config', severity: 'fail',
    title: 'ConfigMap inferenceservice-config and its storageInitializer key exist in the controller namespace',
    hints: {
      default: 'kubectl get configmap inferenceservice-config -n {{kserveNamespace}} -o yaml   # restore it from the KServe release manifest of your version (config/configmap/inferenceservice.yaml), or pass --kserve-namespace',
    },
  },
  {
    id: 'MC102', name: 'config-invalid', group: 'config', severity: 'fail',
    title: 'storageInitializer is valid JSON with correctly typed modelcar keys',
    hints: {
      default: 'kubectl edit configmap inferenceservice-config -n {{kserveNamespace}}   # in data.storageInitializer: {{problem}}',
    },
  },
  {
    id: 'MC103', name: 'modelcar-disabled', group: 'config', severity: 'fail',
    title: 'the effective OCI mode is on when an InferenceService uses oci://',
    hints: { default: `${CONFIG_PATCH} && ${RECREATE_PODS}` },
  },
  {
    id: 'MC104', name: 'example-block-only', group: 'config', severity: 'warn',
    title: 'modelcar settings are at the top level of storageInitializer, not only in the _example block',
    hints: { default: `${CONFIG_PATCH}   # moves {{keys}} from _example to the top level` },
  },
  {
    id: 'MC105', name: 'config-newer-than-pods', group: 'config', severity: 'warn',
    title: 'existing oci:// pods were created after the last storageInitializer change',
    hints: { default: `${RECREATE_PODS}   # new pods get the current settings at admission; no controller restart is needed` },
  },
  {
    id: 'MC106', name: 'modelcar-resources-rejected', group: 'config', severity: 'fail',
    title: 'cpuModelcar/memoryModelcar fit the namespace LimitRanges and ResourceQuotas',
    hints: {
      default: `${CONFIG_PATCH}   # sets {{changes}} (LimitRange {{limitRange}}: {{allowed}})`,
      quota: 'kubectl describe resourcequota {{quota}} -n {{namespace}}   # {{resource}}: {{used}} used of {{hard}}; the modelcar adds {{needed}} per pod',
    },
  },
  {
    id: 'MC107', name: 'uid-unset', group: 'config', severity: 'warn',
    title: 'uidModelcar is set, or modelcar and runtime run as the same user',
    hints: { default: `${CONFIG_PATCH} && ${RECREATE_PODS}   # sets uidModelcar to {{suggestedUid}}` },
  },
  {
    id: 'MC108', name: 'known-bug-version', group: 'config', severity: 'warn',
    title: 'no known modelcar bug of this KServe version matches this setup',
    hints: {
      default: 'upgrade KServe (kubectl get deploy kserve-controller-manager -n {{kserveNamespace}} -o jsonpath={.spec.template.spec.containers[0].image})',
      lnS: `upgrade KServe to v0.15 or later (ln -sf); until then, after a modelcar restart: kubectl delete pod {{pod}} -n {{namespace}}`,
      securityContext: 'upgrade KServe to v0.18.0 or later (#5167); until then the runtime runs with securityContext {{securityContext}} only: re-add the hardening in the ServingRuntime and check it after admission',
      storageUris: 'upgrade KServe to v0.19 or later, or use spec.predictor.model.storageUri instead of storageUris for the oci:// source',
      native: 'upgrade KServe to v0.20 or later for oci+native://, or use oci:// (modelcar mode): kubectl edit inferenceservice {{isvc}} -n {{namespace}}',
    },
  },
  // ---- MC2xx pod specification
  {
    id: 'MC201', name: 'share-process-namespace', group: 'spec', severity: 'fail',
    title: 'spec.shareProcessNamespace is true on the modelcar pod',
    hints: {
      default: "kubectl patch deployment {{deployment}} -n {{namespace}} --type=merge -p '{\"spec\":{\"template\":{\"spec\":{\"shareProcessNamespace\":true}}}}'   # the pod was made or edited outside KServe's webhook",
      knative: "kubectl patch configmap config-features -n knative-serving --type=merge -p '{\"data\":{\"kubernetes.podspec-shareprocessnamespace\":\"enabled\"}}' && " + RECREATE_PODS,
      pod: 'kubectl get pod {{pod}} -n {{namespace}} -o yaml   # set spec.shareProcessNamespace: true in whatever creates this pod, then recreate it',
    },
  },
  {
    id: 'MC202', name: 'modelcar-missing', group: 'spec', severity: 'fail',
    title: 'the oci:// pod has a modelcar container',
    hints: { default: `${RECREATE_PODS}   # once the effective OCI mode is modelcar (kubectl modelcar inspect checks MC103)` },
  },
  {
    id: 'MC203', name: 'modelcar-init-missing', group: 'spec', severity: 'warn',
    title: 'a modelcar-init init container pre-fetches the image',
    hints: {
      default: `${RECREATE_PODS}   # KServe v0.14+ adds modelcar-init at admission`,
      old: 'upgrade KServe to v0.14 or later to get modelcar-init (pull failures and invalid images then show before the runtime starts)',
    },
  },
  {
    id: 'MC204', name: 'mount-mismatch', group: 'spec', severity: 'fail',
    title: 'runtime and modelcar mount the same kserve-provision-location volume at the parent of the model path',
    hints: { default: 'mount volume {{volume}} at {{expectedMountPath}} in containers {{containers}} of pod {{pod}} (kubectl get pod {{pod}} -n {{namespace}} -o yaml shows the mounts)' },
  },
  {
    id: 'MC205', name: 'uid-mismatch', group: 'spec', severity: 'fail',
    title: 'runtime and modelcar run with the same UID and GID',
    hints: {
      default: `${CONFIG_PATCH} && ${RECREATE_PODS}   # sets uidModelcar to {{suggestedUid}} so both containers run as that user`,
      gid: 'set the same runAsGroup for {{runtimeContainer}} and {{modelcarContainer}} (pod spec.securityContext.runAsGroup: {{suggestedGid}}) in the ServingRuntime, then: ' + RECREATE_PODS,
      unknown: 'kubectl exec {{pod}} -n {{namespace}} -c {{runtimeContainer}} -- id   # the image user of {{unknownContainer}} is not in the spec; set uidModelcar to pin both',
    },
  },
  {
    id: 'MC206', name: 'pull-policy-always', group: 'spec', severity: 'warn',
    title: 'the modelcar image has a fixed tag or digest, so cached images are reused',
    hints: { default: "kubectl patch inferenceservice {{isvc}} -n {{namespace}} --type=merge -p '{\"spec\":{\"predictor\":{\"model\":{\"storageUri\":\"oci://{{repository}}:<version>\"}}}}'   # a fixed tag, or @sha256:..." },
  },
  {
    id: 'MC207', name: 'image-digest-drift', group: 'spec', severity: 'warn',
    title: 'all pods of the InferenceService run the same modelcar image ID',
    hints: { default: "kubectl patch inferenceservice {{isvc}} -n {{namespace}} --type=merge -p '{\"spec\":{\"predictor\":{\"model\":{\"storageUri\":\"oci://{{repository}}@{{digest}}\"}}}}'   # pin one digest" },
  },
  {
    id: 'MC208', name: 'pod-security-rejects', group: 'spec', severity: 'fail',
    title: "the namespace's Pod Security level admits the modelcar containers",
    hints: { default: 'kubectl label namespace {{namespace}} pod-security.kubernetes.io/enforce=baseline --overwrite   # KServe does not harden modelcar/modelcar-init, so "restricted" rejects every modelcar pod' },
  },
  {
    id: 'MC209', name: 'modelcar-resources-low', group: 'spec', severity: 'warn',
    title: 'modelcar memory and CPU cover what its process needs',
    hints: { default: `${CONFIG_PATCH} && ${RECREATE_PODS}   # sets memoryModelcar to {{suggested}}` },
  },
  {
    id: 'MC210', name: 'scc-rejects', group: 'spec', severity: 'fail',
    title: 'OpenShift SecurityContextConstraints admit the pod',
    hints: {
      default: `${CONFIG_PATCH} && ${RECREATE_PODS}   # sets uidModelcar to {{suggestedUid}}, inside the namespace range {{uidRange}}`,
      unset: `${CONFIG_PATCH}   # removes uidModelcar so the SCC assigns a UID from {{uidRange}} to all containers`,
    },
  },
  // ---- MC3xx pod runtime
  {
    id: 'MC301', name: 'modelcar-not-running', group: 'runtime', severity: 'fail',
    title: 'the modelcar container is running',
    hints: {
      default: 'kubectl describe pod {{pod}} -n {{namespace}}; kubectl logs {{pod}} -n {{namespace}} -c {{container}} --previous',
      pullSecret: "kubectl create secret docker-registry {{suggestedSecret}} -n {{namespace}} --docker-server={{registry}} --docker-username=<user> --docker-password=<token> && kubectl patch serviceaccount {{serviceAccount}} -n {{namespace}} -p '{\"imagePullSecrets\":[{\"name\":\"{{suggestedSecret}}\"}]}' && kubectl delete pod {{pod}} -n {{namespace}}",
      pull: 'skopeo inspect docker://{{image}}   # the image {{image}} cannot be pulled: check the name, tag and registry',
    },
  },
  {
    id: 'MC302', name: 'modelcar-init-failed', group: 'runtime', severity: 'fail',
    title: 'modelcar-init pulled the image and found /models non-empty',
    hints: {
      default: 'kubectl logs {{pod}} -n {{namespace}} -c {{container}}',
      nok: 'rebuild the model image with the model under /models (Dockerfile: FROM busybox / RUN mkdir /models && chmod 775 /models / COPY data/ /models/), push it, then: kubectl delete pod {{pod}} -n {{namespace}}',
      noShell: 'rebuild the model image on a base with sh, ln and sleep (FROM busybox), push it, then: kubectl delete pod {{pod}} -n {{namespace}}',
      pullSecret: "kubectl create secret docker-registry {{suggestedSecret}} -n {{namespace}} --docker-server={{registry}} --docker-username=<user> --docker-password=<token> && kubectl patch serviceaccount {{serviceAccount}} -n {{namespace}} -p '{\"imagePullSecrets\":[{\"name\":\"{{suggestedSecret}}\"}]}' && kubectl delete pod {{pod}} -n {{namespace}}",
      pull: 'skopeo inspect docker://{{image}}   # the image {{image}} cannot be pulled: check the name, tag and registry',
    },
  },
  {
    id: 'MC303', name: 'image-pull-slow', group: 'runtime', severity: 'warn',
    title: 'the modelcar image pull is fast relative to the progress deadline and the node has disk space',
    hints: {
      default: 'kubectl annotate inferenceservice {{isvc}} -n {{namespace}} serving.knative.dev/progress-deadline=1800s --overwrite   # or pre-pull the image on the nodes; the pull took {{pullSeconds}}s',
      diskPressure: 'kubectl describe node {{node}}   # DiskPressure: free image storage on the node',
    },
  },
  {
    id: 'MC304', name: 'startup-race', group: 'runtime', severity: 'warn',
    title: 'the runtime container did not restart because the model link was missing at start',
    hints: {
      default: 'kubectl logs {{pod}} -n {{namespace}} -c {{container}} --previous   # the runtime started before modelcar linked the model; it recovers after the restart (KServe uses no native sidecar yet, kserve#3646)',
      persistent: 'kubectl modelcar inspect {{isvc}} -n {{namespace}} --pod {{pod}}   # while {{container}} runs, for the in-pod checks: the link to {{modelPath}} exists but the runtime cannot use it (UIDs: MC205/MC405; process namespace: MC201; dangling link: MC404)',
    },
  },
  {
    id: 'MC305', name: 'modelcar-oomkilled', group: 'runtime', severity: 'fail',
    title: 'the modelcar container was not OOMKilled',
    hints: { default: `${CONFIG_PATCH} && ${RECREATE_PODS}   # sets memoryModelcar to {{suggested}} (limit was {{limit}})` },
  },
  {
    id: 'MC306', name: 'storage-initializer-for-oci', group: 'runtime', severity: 'fail',
    title: 'no storage-initializer init container got an oci:// URI',
    hints: { default: `${CONFIG_PATCH} && ${RECREATE_PODS}   # the storage initializer cannot read oci:// ("Cannot recognize storage type")` },
  },
  // ---- MC4xx inside the runtime container
  {
    id: 'MC401', name: 'link-missing', group: 'inpod', severity: 'fail',
    title: 'the model path exists in the runtime container',
    hints: { default: 'kubectl logs {{pod}} -n {{namespace}} -c {{modelcarContainer}}   # modelcar did not create {{modelPath}}; kubectl exec {{pod}} -n {{namespace}} -c {{container}} -- ls -la {{modelDir}}' },
  },
  {
    id: 'MC402', name: 'link-not-symlink', group: 'inpod', severity: 'warn',
    title: 'the model path is a symlink made by modelcar',
    hints: { default: 'kubectl get pod {{pod}} -n {{namespace}} -o jsonpath={.spec.initContainers[*].name}   # {{modelPath}} is a {{lstatType}}: another storage path (storage-initializer, PVC) fills it' },
  },
  {
    id: 'MC403', name: 'link-target-wrong', group: 'inpod', severity: 'fail',
    title: 'the link points at /proc/<pid>/root/models of the modelcar process',
    hints: { default: 'kubectl exec {{pod}} -n {{namespace}} -c {{container}} -- ls -l {{modelPath}}   # points at {{readlink}}; expected /proc/<modelcar pid>/root/models (modelcar pids seen: {{modelcarPids}})' },
  },
  {
    id: 'MC404', name: 'link-dangling', group: 'inpod', severity: 'fail',
    title: 'the link target resolves',
    hints: {
      default: 'kubectl delete pod {{pod}} -n {{namespace}}   # the link points at pid {{targetPid}}, which the runtime cannot reach (modelcar restarted, or the process namespace is not shared: MC201); a new pod relinks',
    },
  },
  {
    id: 'MC405', name: 'permission-denied', group: 'inpod', severity: 'fail',
    title: 'the runtime container may list the model through /proc/<pid>/root',
    hints: { default: `${CONFIG_PATCH} && ${RECREATE_PODS}   # runtime uid {{runtimeUid}} vs modelcar uid {{modelcarUid}}: sets uidModelcar to {{suggestedUid}}` },
  },
  {
    id: 'MC406', name: 'models-empty', group: 'inpod', severity: 'fail',
    title: 'the models directory holds files',
    hints: { default: 'rebuild the model image with the model files under /models (COPY data/ /models/), push it, then: kubectl delete pod {{pod}} -n {{namespace}}' },
  },
  {
    id: 'MC407', name: 'model-unreadable', group: 'inpod', severity: 'fail',
    title: "every model file is readable by the runtime container's UID",
    hints: { default: 'rebuild the model image with readable files (RUN chmod -R a+rX /models), or set uidModelcar to the files\' owner; unreadable: {{unreadable}}' },
  },
  {
    id: 'MC408', name: 'exec-unavailable', group: 'inpod', severity: 'warn',
    title: 'exec into the runtime container is possible',
    hints: {
      default: 'kubectl exec {{pod}} -n {{namespace}} -c {{container}} -- ls -l {{modelPath}}/   # by hand',
      forbidden: 'kubectl create role modelcar-exec -n {{namespace}} --verb=create --resource=pods/exec && kubectl create rolebinding modelcar-exec -n {{namespace}} --role=modelcar-exec --user=<you>   # or run as someone allowed: kubectl auth can-i create pods --subresource=exec -n {{namespace}}',
      forbiddenEphemeral: 'kubectl create role modelcar-debug -n {{namespace}} --verb=patch --resource=pods/ephemeralcontainers && kubectl create rolebinding modelcar-debug -n {{namespace}} --role=modelcar-debug --user=<you>   # --ephemeral needs it; or run as someone allowed: kubectl auth can-i patch pods --subresource=ephemeralcontainers -n {{namespace}}',
      // pid 1 is the pause container in a pod that shares its process namespace, as modelcar pods do: the runtime's pid comes from ps.
      noShell: 'kubectl debug {{pod}} -n {{namespace}} -it --image=busybox --target={{container}} -- sh   # the runtime image has no shell; in the debug shell: ps -o pid,user,args, then ls -l /proc/<pid>/root{{modelPath}}/ with the runtime\'s <pid>',
      offline: 'kubectl modelcar inspect {{isvc}} -n {{namespace}}   # against the cluster, for the in-pod checks',
    },
  },
  // ---- MC5xx startup timing
  {
    id: 'MC501', name: 'startup-timeline', group: 'timing', severity: 'info',
    title: 'startup timeline from pod status and events',
    hints: { default: 'kubectl modelcar timing {{isvc}} -n {{namespace}}   # measured inside the pod' },
  },
  {
    id: 'MC502', name: 'storage-initializer-comparison', group: 'timing', severity: 'info',
    title: 'the same model through the storage-initializer path against the modelcar path',
    hints: { default: 'kubectl modelcar timing {{isvc}} -n {{namespace}} --compare' },
  },
  {
    id: 'MC503', name: 'cache-miss', group: 'timing', severity: 'warn',
    title: 'the modelcar image was not pulled again on a node that already had it',
    hints: { default: 'use a fixed tag or digest for the model image (IfNotPresent), and check the node image GC thresholds: kubectl describe node {{node}}' },
  },
  {
    id: 'MC504', name: 'agent-unavailable', group: 'timing', severity: 'warn',
    title: 'the in-pod agent could run',
    hints: { default: 'kubectl modelcar timing {{isvc}} -n {{namespace}} --no-agent   # the agent could not run: {{reason}}' },
  },
  // ---- MC6xx native image volumes
  {
    id: 'MC601', name: 'image-volume-unsupported', group: 'native', severity: 'fail',
    title: 'the cluster and its nodes support image volumes (ImageVolume)',
    hints: { default: 'enable the ImageVolume feature gate on the API server and kubelets (beta from Kubernetes 1.33), or use oci:// in modelcar mode: kubectl patch inferenceservice {{isvc}} -n {{namespace}} --type=merge -p \'{"spec":{"predictor":{"model":{"storageUri":"oci://{{reference}}"}}}}\'' },
  },
  {
    id: 'MC602', name: 'image-volume-mount', group: 'native', severity: 'fail',
    title: 'the image volume exists and is mounted read-only at the model path of the runtime container',
    hints: { default: 'kubectl get pod {{pod}} -n {{namespace}} -o jsonpath={.spec.volumes}   # the API server drops image volumes when the ImageVolume feature gate is off: enable it, then recreate the pod' },
  },
] as const satisfies readonly CatalogueEntry[];

export type CheckId = (typeof CATALOGUE)[number]['id'];
export type CheckName = (typeof CATALOGUE)[number]['name'];

const BY_ID: ReadonlyMap<string, CatalogueEntry> = new Map(CATALOGUE.map((e) => [e.id, e]));

export function entry(id: CheckId): CatalogueEntry {
  const e = BY_ID.get(id);
  if (!e) throw new Error(`unknown check ${id}`);
  return e;
}

/** Fills `{{name}}` from `vars`; a placeholder without a value stays as `<name>` so the hint
 *  still reads as a command with a blank to fill. */
export function fillHint(template: string, vars: Record<string, unknown>): string {
  return template.replace(/\{\{(\w+)\}\}/g, (_, key: string) => {
    const v = vars[key];
    if (v === undefined || v === null || v === '') return `<${key}>`;
    if (Array.isArray(v)) return v.length ? v.join(', ') : 'none';
    return typeof v === 'object' ? JSON.stringify(v) : String(v);
  });
}

/** The hint of a finding: the template chosen by `evidence.hintKey` (else `default`), filled from the evidence. */
export function hintFor(id: CheckId, evidence: Record<string, unknown>): string {
  const hints = entry(id).hints;
  const key = typeof evidence.hintKey === 'string' && evidence.hintKey in hints ? evidence.hintKey : 'default';
  return fillHint(hints[key]!, evidence);
}
