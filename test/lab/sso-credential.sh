#!/bin/sh
# The lab's stand-in for a cloud SSO credential plugin (aws eks get-token, gke-gcloud-auth-plugin,
# kubelogin): kubectl and client-node run it from the `lab-sso` kubeconfig user and read an
# ExecCredential from stdout. Usage: sso-credential.sh STATE_DIR (the lab's state dir, whose
# tokens.json holds the sso-user's token).
set -eu
state_dir=${1:?usage: sso-credential.sh STATE_DIR}
token=$(sed -n 's/^ *"sso-user": *"\([^"]*\)".*$/\1/p' "$state_dir/tokens.json")
if [ -z "$token" ]; then
  echo "sso-credential: no sso-user token in $state_dir/tokens.json (is the lab up?)" >&2
  exit 1
fi
# Real SSO tokens are short-lived; an expiry makes clients cache the credential and refresh it.
expires=$(date -u -d '+1 hour' '+%Y-%m-%dT%H:%M:%SZ')
printf '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"%s","expirationTimestamp":"%s"}}\n' "$token" "$expires"
