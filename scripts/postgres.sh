#!/usr/bin/env bash
# Start (or stop) a throwaway PostgreSQL 15 server on loopback for the Postgres suite.
#   scripts/postgres.sh start   # prints the export line for the connection settings
#   scripts/postgres.sh stop
# Installs Debian's postgresql package when the server binaries are missing. The server refuses
# to run as root, so it runs as the `postgres` system user, with its data in a temp folder.
set -euo pipefail
port=${OPENAI_FINOPS_PG_PORT:-55432}
data_dir=${OPENAI_FINOPS_PG_DATA:-/tmp/openai-finops-pg}
bin_dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)

as_postgres() {
    if [[ $(id -u) -eq 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi
}

case ${1:-start} in
start)
    if [[ -z $bin_dir || ! -x $bin_dir/initdb ]]; then
        echo "Installing PostgreSQL from Debian packages..." >&2
        apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2
        bin_dir=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
    fi
    if ! as_postgres "$bin_dir/pg_ctl" -D "$data_dir" status >/dev/null 2>&1; then
        rm -rf "$data_dir"
        mkdir -p "$data_dir"
        [[ $(id -u) -eq 0 ]] && chown postgres: "$data_dir"
        as_postgres "$bin_dir/initdb" -D "$data_dir" -U postgres --auth=trust -E UTF8 >/dev/null
        as_postgres "$bin_dir/pg_ctl" -D "$data_dir" -l "$data_dir/server.log" -w \
            -o "-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories=$data_dir" start >/dev/null
    fi
    as_postgres "$bin_dir/psql" -h 127.0.0.1 -p "$port" -U postgres -tAc \
        "select 1 from pg_database where datname = 'openai_finops'" | grep -q 1 ||
        as_postgres "$bin_dir/createdb" -h 127.0.0.1 -p "$port" -U postgres openai_finops
    echo "export OPENAI_FINOPS_PG_HOST=127.0.0.1 OPENAI_FINOPS_PG_PORT=$port OPENAI_FINOPS_PG_USER=postgres OPENAI_FINOPS_PG_DATABASE=openai_finops"
    ;;
stop)
    [[ -n $bin_dir ]] && as_postgres "$bin_dir/pg_ctl" -D "$data_dir" -m fast stop >/dev/null 2>&1 || true
    ;;
*)
    echo "usage: scripts/postgres.sh start|stop" >&2
    exit 2
    ;;
esac
