# shellcheck shell=bash
# Redis (Debian's redis-server), run by us, daemonized, on 127.0.0.1:6379.
# Data, log and pid file live in ${EB_RUN_DIR}/redis. Sourced by infra/lib.sh.

REDIS_DIR=$RUN_DIR/redis
REDIS_LOG=$REDIS_DIR/redis.log
REDIS_PID=$REDIS_DIR/redis.pid

_redis_cli() { redis-cli -h "$REDIS_HOST" -p "$REDIS_PORT" "$@"; }

_redis_ping() { [[ $(_redis_cli ping 2>/dev/null) == PONG ]]; }

# True when the Redis answering on the port is ours (its working dir is our run dir).
_redis_is_ours() {
    [[ $(_redis_cli config get dir 2>/dev/null | sed -n 2p) == "$REDIS_DIR" ]]
}

_redis_stop_foreign() {
    # Debian's own instance, if a package script or an earlier boot started it.
    if [[ -x /etc/init.d/redis-server ]]; then
        say "redis: stopping the system redis-server that holds port $REDIS_PORT"
        /etc/init.d/redis-server stop >&2 || true
        wait_for 10 bash -c "! (exec 3<>/dev/tcp/$REDIS_HOST/$REDIS_PORT) 2>/dev/null" || true
    fi
}

redis_up() {
    if ! command -v redis-server >/dev/null || ! command -v redis-cli >/dev/null; then
        apt_install redis-server redis-tools || fail redis "apt-get install redis-server failed"
    fi
    mkdir -p "$REDIS_DIR"
    if _redis_ping; then
        if _redis_is_ours; then
            say "redis: already up on $REDIS_HOST:$REDIS_PORT"
            return 0
        fi
        _redis_stop_foreign
        if port_open "$REDIS_HOST" "$REDIS_PORT"; then
            fail redis "port $REDIS_PORT is taken by another Redis (dir $(_redis_cli config get dir | sed -n 2p))"
        fi
    elif port_open "$REDIS_HOST" "$REDIS_PORT"; then
        fail redis "port $REDIS_PORT is taken by a process that is not Redis"
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
    if pid=$(pidfile_pid "$REDIS_PID" redis-server); then
        stop_pid "$pid" 20
    fi
    rm -f "$REDIS_PID"
    say "redis: down"
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
    if ! _redis_is_ours; then
        echo "foreign Redis on $REDIS_HOST:$REDIS_PORT (not started by infra/)"
        return 1
    fi
    echo "up $REDIS_HOST:$REDIS_PORT pid $(cat "$REDIS_PID" 2>/dev/null || echo '?') ($(_redis_cli info server | sed -n 's/^redis_version:\(.*\)\r$/redis \1/p'))"
}
