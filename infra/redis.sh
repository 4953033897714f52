# shellcheck shell=bash
# Redis (Debian's redis-server), run by us, daemonized, on 127.0.0.1:${EB_REDIS_PORT:-6379}.
# Data, log and pid file live in ${EB_RUN_DIR}/redis. A Redis of another run dir (or the
# system's) answering PING on the port is reused, never stopped. Sourced by infra/lib.sh.

REDIS_DIR=$RUN_DIR/redis
REDIS_LOG=$REDIS_DIR/redis.log
REDIS_PID=$REDIS_DIR/redis.pid

_redis_cli() { redis-cli -h "$REDIS_HOST" -p "$REDIS_PORT" "$@"; }

# `timeout`: whatever holds the port may accept the connection and never answer.
_redis_ping() { [[ $(timeout 5 redis-cli -h "$REDIS_HOST" -p "$REDIS_PORT" ping 2>/dev/null) == PONG ]]; }

_redis_dir() { timeout 5 redis-cli -h "$REDIS_HOST" -p "$REDIS_PORT" config get dir 2>/dev/null | sed -n 2p; }

# True when the Redis answering on the port is ours (its working dir is our run dir).
_redis_is_ours() { [[ $(_redis_dir) == "$REDIS_DIR" ]]; }

# _redis_our_pid: the pid in our pid file, when that process is a redis-server working in our dir
# (a pid file copied along with a run dir must not lead to another checkout's Redis).
_redis_our_pid() {
    local pid
    pid=$(pidfile_pid "$REDIS_PID" redis-server) || return 1
    [[ $(readlink "/proc/$pid/cwd" 2>/dev/null) == "$REDIS_DIR" ]] || return 1
    echo "$pid"
}

_redis_way_out() {
    local port
    port=$(free_port "$REDIS_PORT")
    echo "set EB_REDIS_PORT=$port (and EB_REDIS_URL=redis://$REDIS_HOST:$port/0 for the Brain), or stop it yourself"
}

redis_up() {
    if ! command -v redis-server >/dev/null || ! command -v redis-cli >/dev/null; then
        apt_install redis-server redis-tools || fail redis "apt-get install redis-server failed"
    fi
    mkdir -p "$REDIS_DIR"
    if _redis_ping; then
        if _redis_is_ours; then
            say "redis: already up on $REDIS_HOST:$REDIS_PORT"
        else
            say_reusing redis Redis "$REDIS_HOST:$REDIS_PORT"
        fi
        return 0
    fi
    if port_open "$REDIS_HOST" "$REDIS_PORT"; then
        refuse redis "port $REDIS_PORT is held by $(port_holder "$REDIS_PORT"), which does not answer PING as a Redis without a password" \
            "$(_redis_way_out)"
    fi
    local pid
    if pid=$(_redis_our_pid); then
        fail redis "this run dir's Redis (pid $pid) does not answer on port $REDIS_PORT (another EB_REDIS_PORT?); move it with: infra/down.sh redis && infra/up.sh redis"
    fi
    # A pid file from a previous boot would make redis-server refuse nothing, but keep it tidy.
    pidfile_pid "$REDIS_PID" redis-server >/dev/null || true
    say "redis: starting on $REDIS_HOST:$REDIS_PORT"
    (
        cd "$REDIS_DIR" || exit 1
        redis-server --bind "$REDIS_HOST" --port "$REDIS_PORT" --protected-mode yes \
            --daemonize yes --dir "$REDIS_DIR" --logfile "$REDIS_LOG" --pidfile "$REDIS_PID" \
            --dbfilename dump.rdb --save "900 1 300 100" --appendonly no \
            --maxmemory 2gb --maxmemory-policy noeviction </dev/null >>"$REDIS_LOG" 2>&1 9>&-
    ) || fail redis "redis-server did not start" "$REDIS_LOG"
    wait_for 20 _redis_ping || fail redis "no PONG within 20 s" "$REDIS_LOG"
    say "redis: up (pid $(cat "$REDIS_PID" 2>/dev/null || echo '?'))"
}

redis_down() {
    if ! command -v redis-cli >/dev/null; then
        say "redis: not installed"
        return 0
    fi
    if _redis_ping && _redis_is_ours; then
        say "redis: stopping"
        _redis_cli shutdown >/dev/null 2>&1 || true
        wait_for 20 bash -c "! (exec 3<>/dev/tcp/$REDIS_HOST/$REDIS_PORT) 2>/dev/null" ||
            fail redis "still answering 20 s after shutdown" "$REDIS_LOG"
    fi
    local pid
    if pid=$(_redis_our_pid); then
        stop_pid "$pid" 20
    fi
    rm -f "$REDIS_PID"
    if port_open "$REDIS_HOST" "$REDIS_PORT"; then
        say "redis: down here; $REDIS_HOST:$REDIS_PORT is served by $(port_holder "$REDIS_PORT"), not started from this run dir: left running"
    else
        say "redis: down"
    fi
}

# redis_status: print a one-line description; return 0 when healthy.
redis_status() {
    if ! command -v redis-cli >/dev/null; then
        echo "not installed"
        return 1
    fi
    if ! _redis_ping; then
        echo "down ($REDIS_HOST:$REDIS_PORT does not answer PING)"
        return 1
    fi
    local version
    version=$(_redis_cli info server 2>/dev/null | sed -n 's/^redis_version:\(.*\)\r$/redis \1/p')
    if ! _redis_is_ours; then
        echo "up $REDIS_HOST:$REDIS_PORT (foreign, reused: not started from this run dir; dir $(_redis_dir); $version)"
        return 0
    fi
    echo "up $REDIS_HOST:$REDIS_PORT pid $(cat "$REDIS_PID" 2>/dev/null || echo '?') ($version)"
}
