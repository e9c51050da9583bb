#!/bin/sh
# guard `command` provider: revoke the Vault lease read on stdin.
#   revoke = ["vault-revoke.sh"]
set -eu
lease=$(cat)
[ -n "$lease" ] || exit 0
vault lease revoke "$lease" >&2
