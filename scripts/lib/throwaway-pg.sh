# shellcheck shell=bash
# A throwaway PostgreSQL server for scripts/test and scripts/bench-import:
# a fresh cluster in a temp dir, on a free port, with its socket in that
# dir, removed again by `pg_stop`. Source this file, then:
#
#   pg_start [SERVER OPTION...]   # sets PG_URL=postgres://postgres@localhost:PORT/postgres
#   pg_stop                       # stops the server and removes the temp dir
#
# As root the server runs as the `postgres` user (initdb refuses root);
# otherwise as the current user.

# PostgreSQL's binaries: on PATH, or where Debian/Ubuntu put them (newest first).
pg_bindir() {
    if command -v initdb >/dev/null 2>&1 && command -v pg_ctl >/dev/null 2>&1; then
        dirname "$(command -v pg_ctl)"
        return
    fi
    local dir
    for dir in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -t/ -k4 -n -r); do
        if [[ -x "$dir/initdb" && -x "$dir/pg_ctl" ]]; then
            echo "$dir"
            return
        fi
    done
    return 1
}

source "$(dirname "${BASH_SOURCE[0]}")/free-port.sh"

# Runs a PostgreSQL binary as the user the server runs as.
pg_as_owner() {
    if [[ "$(id -u)" == 0 ]]; then
        # From inside the temp dir: postgres may not be allowed into the checkout.
        su postgres -s /bin/sh -c "cd $(printf '%q' "$PG_DIR") && $(printf '%q ' "$@")"
    else
        "$@"
    fi
}

pg_start() {
    if ! PG_BIN="$(pg_bindir)"; then
        cat >&2 <<'MSG'
PostgreSQL is not installed (no initdb/pg_ctl found). Zhengxin's tests and
benchmarks run on both SQLite and PostgreSQL; install the server first:
    Debian/Ubuntu: sudo apt-get install postgresql
    macOS:         brew install postgresql@15
The scripts start and remove their own throwaway server; nothing needs configuring.
MSG
        return 1
    fi
    if [[ "$(id -u)" == 0 ]] && ! id postgres >/dev/null 2>&1; then
        echo "running as root but there is no 'postgres' user to run the server as (install postgresql)" >&2
        return 1
    fi
    PG_DIR="$(mktemp -d "${TMPDIR:-/tmp}/zhengxin-pg.XXXXXX")"
    PG_PORT="$(free_port)"
    if [[ "$(id -u)" == 0 ]]; then
        chown postgres "$PG_DIR"
    fi
    echo "starting a throwaway PostgreSQL ($PG_BIN) on port $PG_PORT in $PG_DIR" >&2
    if ! pg_as_owner "$PG_BIN/initdb" -D "$PG_DIR/data" -A trust -U postgres -E UTF8 --no-sync >"$PG_DIR/initdb.log" 2>&1; then
        cat "$PG_DIR/initdb.log" >&2
        echo "initdb failed" >&2
        return 1
    fi
    local options="-p $PG_PORT -k $PG_DIR -c listen_addresses=localhost $*"
    if ! pg_as_owner "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w -t 60 -o "$options" start >/dev/null; then
        cat "$PG_DIR/server.log" >&2 || true
        echo "PostgreSQL did not start" >&2
        return 1
    fi
    PG_URL="postgres://postgres@localhost:$PG_PORT/postgres"
}

pg_stop() {
    if [[ -n "${PG_DIR:-}" && -d "$PG_DIR" ]]; then
        if [[ -f "$PG_DIR/data/postmaster.pid" ]]; then
            pg_as_owner "$PG_BIN/pg_ctl" -D "$PG_DIR/data" stop -m fast >/dev/null 2>&1 || true
        fi
        rm -rf "$PG_DIR"
    fi
}
