# services.sh — sourced by scripts/test: throwaway Redis and PostgreSQL servers for the
# tests against real servers (tests/real), and nothing else.
#
# herd_services_start BUILD_DIR starts one Redis (AOF, appendfsync everysec) and one
# PostgreSQL cluster on 127.0.0.1, on free ports, with their data under BUILD_DIR/real
# (wiped first), prepares a second, stopped cluster for the crash test, exports what the
# tests read, and arms an EXIT trap that stops everything (herd_services_stop). A server
# that does not start is reported and its variable left unset: the tests that need it
# then FAIL (they never skip), and the rest of the suite still runs.
#
# Exported for the tests:
#   HERD_REAL_DIR        BUILD_DIR/real, where the crash tests put their own instances
#   HERD_REDIS_PORT      the differential tests' Redis
#   HERD_REDIS_SERVER    redis-server binary (the crash test starts and kills its own)
#   HERD_PG_DSN          libpq connection string of the differential tests' PostgreSQL
#   HERD_PG_BINDIR       initdb, pg_ctl, postgres
#   HERD_PG_USER         user PostgreSQL runs as when we are root (empty otherwise)
#   HERD_PG_CRASH_DATA   an initialised, stopped cluster the crash test starts and kills
# By hand: `. scripts/services.sh && herd_services_start build && ctest --test-dir build -L real`.

herd_services_root=""

# A port in 20000..59999 nothing listens on; the server's own bind is the real test
# (callers retry on failure), this only skips ports visibly taken.
herd_services_port() {
    local port try
    for try in $(seq 1 50); do
        port=$((20000 + (RANDOM * 32768 + RANDOM) % 40000))
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
            echo "$port"
            return 0
        fi
    done
    return 1
}

# Run a command as the PostgreSQL user: initdb and postgres refuse to run as root.
herd_services_as_pg() {
    if [ -n "${HERD_PG_USER:-}" ]; then runuser -u "$HERD_PG_USER" -- "$@"; else "$@"; fi
}

# The pid recorded in a pid file if that process still runs in a directory under ours
# (Redis and PostgreSQL chdir to their data directory; a recycled pid is someone else's).
herd_services_pid_of() {
    local pid cwd
    [ -f "$1" ] || return 1
    pid=$(head -n1 "$1" 2>/dev/null)
    [[ "$pid" =~ ^[0-9]+$ ]] || return 1
    cwd=$(readlink "/proc/$pid/cwd" 2>/dev/null) || return 1
    case "$cwd" in "$herd_services_root"/*) echo "$pid" ;; *) return 1 ;; esac
}

herd_services_pidfiles() {
    local f
    for f in "$herd_services_root"/pg-*/postmaster.pid "$herd_services_root"/*/redis.pid \
             "$herd_services_root"/*/*.pid; do
        [ -f "$f" ] && echo "$f"
    done
    return 0
}

herd_services_redis_start() {
    local dir=$1 port pid try i
    mkdir -p "$dir"
    for try in 1 2 3 4 5; do
        port=$(herd_services_port) || return 1
        "$HERD_REDIS_SERVER" --port "$port" --bind 127.0.0.1 --dir "$dir" --save '' \
            --appendonly yes --appendfsync everysec --daemonize no \
            --pidfile "$dir/redis.pid" --logfile "$dir/redis.log" </dev/null >/dev/null 2>&1 &
        pid=$!
        for i in $(seq 1 100); do # 10 s at most
            if [ "$(redis-cli -h 127.0.0.1 -p "$port" ping 2>/dev/null)" = PONG ]; then
                export HERD_REDIS_PORT=$port
                echo "$pid" >"$dir/redis.pid"
                return 0
            fi
            kill -0 "$pid" 2>/dev/null || break # exited: the port was taken, try another
            sleep 0.1
        done
        kill -KILL "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    return 1
}

# initdb once into a template; the differential and crash clusters are copies of it.
herd_services_pg_init() {
    local tmpl=$1
    mkdir -p "$tmpl"
    [ -n "${HERD_PG_USER:-}" ] && chown "$HERD_PG_USER" "$tmpl"
    chmod 700 "$tmpl"
    herd_services_as_pg "$HERD_PG_BINDIR/initdb" -D "$tmpl" -U postgres --auth=trust \
        -E UTF8 --no-locale --no-sync >"$herd_services_root/initdb.log" 2>&1
}

herd_services_pg_start() {
    local data=$1 port try
    for try in 1 2 3 4 5; do
        port=$(herd_services_port) || return 1
        if herd_services_as_pg "$HERD_PG_BINDIR/pg_ctl" -D "$data" -l "$data/server.log" -w -t 60 \
            -o "-c listen_addresses=127.0.0.1 -p $port -k $data" start >/dev/null 2>&1; then
            export HERD_PG_DSN="host=127.0.0.1 port=$port user=postgres dbname=postgres"
            return 0
        fi
    done
    return 1
}

herd_services_start() {
    local build=$1
    mkdir -p "$build/real"
    herd_services_root=$(cd "$build/real" && pwd)
    herd_services_stop # leftovers of an earlier run that was itself killed
    rm -rf "${herd_services_root:?}"/*
    trap herd_services_stop EXIT
    export HERD_REAL_DIR=$herd_services_root
    export HERD_REDIS_SERVER HERD_PG_BINDIR HERD_PG_USER=""
    HERD_REDIS_SERVER=$(command -v redis-server || true)
    HERD_PG_BINDIR=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1)
    [ "$(id -u)" -eq 0 ] && HERD_PG_USER=postgres
    if [ -z "$HERD_REDIS_SERVER" ] || ! herd_services_redis_start "$herd_services_root/redis"; then
        echo "services: Redis did not start: the tests labelled 'real' will fail" >&2
    fi
    if [ -z "$HERD_PG_BINDIR" ] || ! herd_services_pg_init "$herd_services_root/pg-template"; then
        echo "services: initdb failed (see $herd_services_root/initdb.log)" >&2
        return 0
    fi
    cp -a "$herd_services_root/pg-template" "$herd_services_root/pg-diff"
    cp -a "$herd_services_root/pg-template" "$herd_services_root/pg-crash"
    export HERD_PG_CRASH_DATA=$herd_services_root/pg-crash
    if ! herd_services_pg_start "$herd_services_root/pg-diff"; then
        echo "services: PostgreSQL did not start: the tests labelled 'real' will fail" >&2
    fi
    return 0
}

# Stop everything started under the services root: ours, and what the crash tests
# started and left behind if they failed. Never fails (it runs from an EXIT trap).
herd_services_stop() {
    [ -n "$herd_services_root" ] && [ -d "$herd_services_root" ] || return 0
    local f pid i alive
    for f in $(herd_services_pidfiles); do
        pid=$(herd_services_pid_of "$f") || continue
        case "$f" in
            */postmaster.pid) kill -INT "$pid" 2>/dev/null || true ;; # fast shutdown
            *) kill -TERM "$pid" 2>/dev/null || true ;;
        esac
    done
    for i in $(seq 1 50); do # wait up to 5 s for them to go
        alive=0
        for f in $(herd_services_pidfiles); do
            herd_services_pid_of "$f" >/dev/null && alive=1
        done
        [ "$alive" -eq 0 ] && return 0
        sleep 0.1
    done
    for f in $(herd_services_pidfiles); do
        pid=$(herd_services_pid_of "$f") && kill -KILL "$pid" 2>/dev/null
    done
    return 0
}
