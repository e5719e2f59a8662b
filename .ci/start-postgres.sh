#!/bin/sh
# Starts a throwaway PostgreSQL server for tests and prints the URL to
# export as PAPERPICKS_TEST_POSTGRES_URL. Safe to run again: a server that
# already answers on the port is left alone, an existing data directory is
# reused. The server runs as an unprivileged user (initdb refuses root) and
# trusts local connections, so it is for tests only.
#
# Environment (defaults in brackets):
#   PGTEST_DATA  data directory              [/tmp/pgdata]
#   PGTEST_PORT  TCP port on 127.0.0.1       [5432]
#   PGTEST_USER  OS user that owns the server [pgtest]
#   PGTEST_BIN   PostgreSQL binaries         [newest /usr/lib/postgresql/*/bin]
set -eu

DATA=${PGTEST_DATA:-/tmp/pgdata}
PORT=${PGTEST_PORT:-5432}
OSUSER=${PGTEST_USER:-pgtest}
BIN=${PGTEST_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)}
URL="postgres://postgres@127.0.0.1:$PORT/postgres?sslmode=disable"

if [ -z "$BIN" ] || [ ! -x "$BIN/pg_ctl" ]; then
	echo "start-postgres: no PostgreSQL server binaries found (apt-get install -y postgresql-15)" >&2
	exit 1
fi

# as runs a command as the server's user; when we are not root we already are.
as() {
	if [ "$(id -u)" = 0 ]; then
		su "$OSUSER" -s /bin/sh -c "$1"
	else
		sh -c "$1"
	fi
}

if "$BIN/pg_isready" -q -h 127.0.0.1 -p "$PORT"; then
	echo "start-postgres: a server already answers on port $PORT" >&2
	echo "export PAPERPICKS_TEST_POSTGRES_URL='$URL'"
	exit 0
fi

if [ "$(id -u)" = 0 ]; then
	id "$OSUSER" >/dev/null 2>&1 || useradd -m "$OSUSER"
	mkdir -p "$DATA"
	chown "$OSUSER" "$DATA"
	chmod 700 "$DATA"
else
	mkdir -p "$DATA"
	chmod 700 "$DATA"
fi

if [ ! -s "$DATA/PG_VERSION" ]; then
	as "'$BIN/initdb' -D '$DATA' -U postgres -A trust >'$DATA.initdb.log' 2>&1" || {
		cat "$DATA.initdb.log" >&2
		exit 1
	}
fi

# A stale postmaster.pid from a killed server would block the start.
if [ -f "$DATA/postmaster.pid" ] && ! as "'$BIN/pg_ctl' -D '$DATA' status" >/dev/null 2>&1; then
	rm -f "$DATA/postmaster.pid"
fi

as "'$BIN/pg_ctl' -D '$DATA' -o \"-k /tmp -p $PORT -h 127.0.0.1 -c max_connections=200 -c fsync=off\" -l '$DATA/log' start" >/dev/null

i=0
until "$BIN/pg_isready" -q -h 127.0.0.1 -p "$PORT"; do
	i=$((i + 1))
	if [ "$i" -ge 60 ]; then
		echo "start-postgres: server did not become ready; log:" >&2
		tail -n 30 "$DATA/log" >&2
		exit 1
	fi
	sleep 0.5
done
echo "export PAPERPICKS_TEST_POSTGRES_URL='$URL'"
