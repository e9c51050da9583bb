#!/bin/sh
# guard `command` provider: revoke the GitHub installation token whose handle
# is on stdin (DELETE /installation/token, authenticated by the token).
set -eu
handle=$(cat)
store=${XDG_RUNTIME_DIR:-/tmp}/guard-github-tokens
[ -f "$store/$handle" ] || exit 0
curl -fsS -X DELETE -H "Authorization: Bearer $(cat "$store/$handle")" \
    -H "Accept: application/vnd.github+json" https://api.github.com/installation/token
rm -f "$store/$handle"
