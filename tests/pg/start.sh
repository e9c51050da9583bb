#!/usr/bin/env bash
# Starts a throw-away PostgreSQL server for the credential tests and prints
# the variables the tests read (eval "$(tests/pg/start.sh)"):
#   GUARD_TEST_PG_URL   admin URL (a CREATEROLE role with a password)
#   GUARD_TEST_PG_DATA  the cluster directory (/tmp/guard-test-pg/db)
#   GUARD_TEST_PG_BIN   the server's bin directory (pg_ctl)
# Needs the Debian package postgresql (server) and root (the server runs as
# the `postgres` user). Listens on 127.0.0.1:55432 only.
set -euo pipefail
port=${GUARD_TEST_PG_PORT:-55432}
bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
root=/tmp/guard-test-pg
data=$root/db
as_postgres() { su postgres -s /bin/sh -c "$*"; }
if [ -f "$data/postmaster.pid" ]; then
    as_postgres "$bin/pg_ctl -D $data -m immediate -w stop" >/dev/null 2>&1 || true
fi
rm -rf "$root"
mkdir -p "$root"
chown postgres "$root"
as_postgres "echo superpw > $root/.pw && $bin/initdb -D $data -A scram-sha-256 --pwfile=$root/.pw -U postgres" >/dev/null
# In the configuration, so that a restart (the tests stop and start it) keeps them.
cat >> "$data/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$data'
CONF
as_postgres "$bin/pg_ctl -D $data -l $data/server.log -w start" >/dev/null
export PGPASSWORD=superpw
psql -X -q -h 127.0.0.1 -p "$port" -U postgres -d postgres -v ON_ERROR_STOP=1 <<'SQL' >/dev/null
CREATE ROLE guard_admin LOGIN CREATEROLE PASSWORD 'guard-admin-pw';
CREATE ROLE app_readonly NOLOGIN;
GRANT app_readonly TO guard_admin WITH ADMIN OPTION;
CREATE DATABASE guard_test;
SQL
psql -X -q -h 127.0.0.1 -p "$port" -U postgres -d guard_test -v ON_ERROR_STOP=1 <<'SQL' >/dev/null
CREATE TABLE items (id int PRIMARY KEY, name text);
INSERT INTO items VALUES (1, 'one'), (2, 'two'), (3, 'three');
GRANT SELECT ON items TO app_readonly;
GRANT CONNECT ON DATABASE guard_test TO app_readonly;
SQL
echo "export GUARD_TEST_PG_URL=postgresql://guard_admin:guard-admin-pw@127.0.0.1:$port/guard_test"
echo "export GUARD_TEST_PG_DATA=$data"
echo "export GUARD_TEST_PG_BIN=$bin"
