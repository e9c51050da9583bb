#!/bin/sh
# guard `command` provider: mint a HashiCorp Vault dynamic secret.
#   mint = ["vault-dynamic-secret.sh", "database/creds/readonly"]
# Needs `vault` and `jq`, and VAULT_ADDR/VAULT_TOKEN in guard's environment
# (never in the session's). Prints guard's JSON: the secret's data as
# variables (upper-cased: username → USERNAME), the Vault lease id as the
# lease, the lease duration as the expiry.
set -eu
path=${1:?usage: vault-dynamic-secret.sh SECRET_PATH}
vault read -format=json "$path" | jq '{
    env: (.data | with_entries(.key |= ascii_upcase)),
    lease: .lease_id,
    expires_in: .lease_duration
}'
