#!/usr/bin/env bash
# Sets everything up, starts the lab, and runs the plugin against it.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export PATH="$PWD/dist:$PWD/node_modules/.bin:$PATH"
npm run -s build
npm run -s lab -- image prepare

state=${LAB_STATE:-$PWD/.lab}
eval "$(npm run -s lab -- up --state "$state")"
echo "+ kubectl modelcar version"; kubectl modelcar version
echo "+ kubectl get ns";            kubectl get ns
echo
echo "The lab keeps running. Use it with:  export KUBECONFIG=$KUBECONFIG"
echo "Stop it with:                        npm run lab -- down --state $state"
