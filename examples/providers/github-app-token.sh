#!/bin/sh
# guard `command` provider: a GitHub App installation token.
#   mint = ["github-app-token.sh"]   revoke = ["github-app-revoke.sh"]
# Needs curl, openssl, jq; GITHUB_APP_ID, GITHUB_INSTALLATION_ID and
# GITHUB_APP_KEY (path to the App's private key) in guard's environment.
# The token is revoked with itself, and the lease is journaled, so the
# token is kept in a 0600 file and the lease is only its name.
set -eu
b64() { openssl base64 -A | tr '+/' '-_' | tr -d '='; }
now=$(date +%s)
header=$(printf '{"alg":"RS256","typ":"JWT"}' | b64)
claims=$(printf '{"iat":%s,"exp":%s,"iss":"%s"}' "$((now - 60))" "$((now + 540))" "$GITHUB_APP_ID" | b64)
signature=$(printf '%s.%s' "$header" "$claims" | openssl dgst -sha256 -sign "$GITHUB_APP_KEY" | b64)
response=$(curl -fsS -X POST \
    -H "Authorization: Bearer $header.$claims.$signature" \
    -H "Accept: application/vnd.github+json" \
    "https://api.github.com/app/installations/$GITHUB_INSTALLATION_ID/access_tokens")
token=$(printf '%s' "$response" | jq -r .token)
store=${XDG_RUNTIME_DIR:-/tmp}/guard-github-tokens
mkdir -p -m 700 "$store"
handle="$GUARD_SESSION-$GUARD_CREDENTIAL"
(umask 077; printf '%s' "$token" > "$store/$handle")
printf '%s' "$response" | jq --arg handle "$handle" '{
    env: {GH_TOKEN: .token, GITHUB_TOKEN: .token},
    lease: $handle,
    expires_at: .expires_at
}'
