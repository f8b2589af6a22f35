#!/usr/bin/env bash
# Sets everything up, starts the lab, runs the seed document's walkthrough in it (enable modelcars,
# build a model image, the sklearn-iris-oci InferenceService at 3/3 Running, the link under /mnt),
# then the plugin against it.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export PATH="$PWD/dist:$PWD/node_modules/.bin:$PATH"
npm run -s build
npm run -s lab -- image prepare

state=${LAB_STATE:-$PWD/.lab}
eval "$(npm run -s lab -- up --state "$state")"
# The walkthrough's pods listen on the host network: a previous demo's InferenceService would hold the port.
kubectl delete inferenceservice -n kserve-test sklearn-iris-oci --ignore-not-found --wait=true >/dev/null
while kubectl get pods -n kserve-test -l serving.kserve.io/inferenceservice=sklearn-iris-oci -o name | grep -q .; do sleep 0.5; done
node test/e2e/seed-demo.ts --state "$state"
echo
echo "+ kubectl modelcar version"; kubectl modelcar version
echo "+ kubectl modelcar inspect sklearn-iris-oci -n kserve-test"
kubectl modelcar inspect sklearn-iris-oci -n kserve-test || echo "(kubectl modelcar inspect exited with $?)"
echo
echo "The lab keeps running. Use it with:  export KUBECONFIG=$KUBECONFIG"
echo "Stop it with:                        npm run lab -- down --state $state"
