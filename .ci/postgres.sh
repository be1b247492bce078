#!/usr/bin/env bash
# Starts a local PostgreSQL for Todai's tests and prints the variable the tests read:
#
#     eval "$(.ci/postgres.sh)"
#
# Idempotent: installs the Debian postgresql package only when missing, starts the cluster only when no server
# answers, creates role todai (password todai) and database todai_test only when absent. Run as root on Debian or
# Ubuntu. Everything but the final export line goes to stderr.
set -euo pipefail

PGPORT="${PGPORT:-5432}"
URL="postgres://todai:todai@127.0.0.1:${PGPORT}/todai_test?sslmode=disable"

log() { echo "postgres.sh: $*" >&2; }

if [ "$(id -u)" -ne 0 ]; then
	log "must run as root (it may install packages and start the cluster)"
	exit 1
fi

if ! command -v pg_ctlcluster >/dev/null 2>&1 || ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then
	log "installing postgresql"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update >&2
	apt-get install -y postgresql >&2
fi

if pg_isready -q -h 127.0.0.1 -p "$PGPORT"; then
	log "server already accepting connections on port $PGPORT"
else
	# The newest installed major version with a "main" cluster; create one when the package left none.
	version="$(ls /usr/lib/postgresql | sort -n | tail -n 1)"
	if ! pg_lsclusters -h | awk '{print $1" "$2}' | grep -qx "$version main"; then
		log "creating cluster $version/main"
		pg_createcluster "$version" main --port "$PGPORT" >&2
	fi
	log "starting cluster $version/main"
	pg_ctlcluster "$version" main start >&2
	for _ in $(seq 1 30); do
		pg_isready -q -h 127.0.0.1 -p "$PGPORT" && break
		sleep 1
	done
	pg_isready -q -h 127.0.0.1 -p "$PGPORT" || { log "server did not come up"; exit 1; }
fi

psql_admin() { su postgres -c "psql -X -q -v ON_ERROR_STOP=1 -p $PGPORT $*" >&2; }

if [ "$(su postgres -c "psql -X -tA -p $PGPORT -c \"select 1 from pg_roles where rolname = 'todai'\"")" != "1" ]; then
	log "creating role todai"
	psql_admin "-c \"create role todai login password 'todai'\""
fi
# Tests create short-lived read-only roles (the grant checks of todai doctor).
psql_admin "-c \"alter role todai createrole\""
if [ "$(su postgres -c "psql -X -tA -p $PGPORT -c \"select 1 from pg_database where datname = 'todai_test'\"")" != "1" ]; then
	log "creating database todai_test"
	psql_admin "-c \"create database todai_test owner todai\""
fi

echo "export TODAI_TEST_POSTGRES_URL='$URL'"
