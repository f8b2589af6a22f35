// The seed document's texts (/work/shared/seed/serving-models-with-oci-images.md), verbatim, for the
// walkthrough test, the scenarios and the startup benchmark.

/** "Enabling Modelcars": the script, unchanged (jq, a JSON patch file, the controller pod deleted). */
export const ENABLE_MODELCARS_SCRIPT = `# Script to enable Modelcars
# Fetch the current storageInitializer configuration
config=$(kubectl get configmap inferenceservice-config -n kserve -o jsonpath='{.data.storageInitializer}')
# Enable modelcars and set the UID for the containers to run (required for minikube)
newValue=$(echo $config | jq -c '. + {"enableModelcar": true, "uidModelcar": 1010}')

# Create a temporary directory for the patch file
tmpdir=$(mktemp -d)
cat <<EOT > $tmpdir/patch.txt
[{
  "op": "replace",
  "path": "/data/storageInitializer",
  "value": '$newValue'
}]
EOT

# Apply the patch to the ConfigMap
kubectl patch configmap -n kserve inferenceservice-config --type=json --patch-file=$tmpdir/patch.txt

# Restart the KServe controller to apply changes
kubectl delete pod -n kserve -l control-plane=kserve-controller-manager
`;

/** "Prepare an OCI Image with Model Data": the Dockerfile. */
export const SEED_DOCKERFILE = `FROM busybox
RUN mkdir /models && chmod 775 /models
COPY data/ /models/
`;

/** "Example": the InferenceService applied in kserve-test. */
export const SEED_ISVC_NAME = 'sklearn-iris-oci';
export const SEED_NAMESPACE = 'kserve-test';
export const SEED_ISVC = `apiVersion: "serving.kserve.io/v1beta1"
kind: "InferenceService"
metadata:
  name: "sklearn-iris-oci"
spec:
  predictor:
    model:
      modelFormat:
        name: sklearn
      storageUri: "oci://rhuss/kserving-example-sklearn:1.0"
`;

/** The seed's look under the covers, with the interactive `bash` replaced by the two commands of its session. */
export const UNDER_THE_COVERS_SCRIPT = `# InferenceService Pod
pod=$(kubectl get pods -l serving.kserve.io/inferenceservice=sklearn-iris-oci -o name)
# Verify that shareProcessNamespace is enabled
kubectl get $pod -o jsonpath="{.spec.shareProcessNamespace}"
echo
kubectl exec $pod -c kserve-container -- ls -l /mnt
kubectl exec $pod -c kserve-container -- ls -l /mnt/models/
`;

/** The seed's InferenceService under another name and storage URI (a sibling for the other paths). */
export function seedSibling(name: string, storageUri: string, annotations: Record<string, string> = {}): string {
  const lines = Object.entries(annotations).map(([k, v]) => `    ${k}: "${v}"`);
  return SEED_ISVC.replace('name: "sklearn-iris-oci"', `name: "${name}"${lines.length ? `\n  annotations:\n${lines.join('\n')}` : ''}`)
    .replace('"oci://rhuss/kserving-example-sklearn:1.0"', `"${storageUri}"`);
}
