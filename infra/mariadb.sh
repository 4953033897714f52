# shellcheck shell=bash
# MariaDB (Debian's mariadb-server), run by us as the `mysql` OS user on
# 127.0.0.1:${EB_MARIADB_PORT:-3306} (MARIADB_HOST/MARIADB_PORT come from infra/lib.sh), with the
# binary log on in ROW format (full row images), so the WekezaDFS connector can read it as a
# replica (binlog CDC). Data, log, socket and pid file live in ${EB_RUN_DIR}/mariadb.
# Account `brain`@`127.0.0.1` / `brain` with REPLICATION SLAVE, REPLICATION CLIENT, SELECT and the
# right to create databases (the simulator creates `wekeza_dfs_db`, tests their own databases).
# A server of another run dir (or the system's) on the port is reused when `brain` logs in,
# refused otherwise; never stopped. Sourced by infra/lib.sh.

MARIADB_USER=brain
MARIADB_PASSWORD=brain

_mariadb_locate() {
    MARIADB_DIR=$RUN_DIR/mariadb
    MARIADB_DATA=$MARIADB_DIR/data
    MARIADB_LOG=$MARIADB_DIR/mariadb.log
    MARIADB_PID=$MARIADB_DIR/mariadb.pid
    MARIADB_SOCK=$MARIADB_DIR/mariadb.sock
    if ((${#MARIADB_SOCK} > 100)); then
        MARIADB_SOCK=/tmp/eb-mariadb-$(printf %s "$RUN_DIR" | sha256sum | cut -c1-12).sock
    fi
}

_mariadb_root() { mariadb --no-defaults --connect-timeout=5 -uroot --socket="$MARIADB_SOCK" "$@"; }

_mariadb_brain() {
    mariadb --no-defaults --connect-timeout=5 -h "$MARIADB_HOST" -P "$MARIADB_PORT" \
        -u"$MARIADB_USER" -p"$MARIADB_PASSWORD" "$@"
}

_mariadb_ready() { _mariadb_root -N -e "SELECT 1" >/dev/null 2>&1; }

_mariadb_ping() { _mariadb_brain -N -e 'SELECT 1' >/dev/null 2>&1; }

# True when the server answering on the port keeps its data in our run dir.
_mariadb_is_ours() {
    [[ $(_mariadb_brain -N -e 'SELECT @@datadir' 2>/dev/null) == "$MARIADB_DATA/" ]]
}

# This run dir's server: the pid file's process must be a mariadbd on this run dir's data dir.
_mariadb_running_pid() { pidfile_pid "$MARIADB_PID" "mariadbd --no-defaults --user=mysql --datadir=$MARIADB_DATA "; }

_mariadb_way_out() {
    local port
    port=$(free_port "$MARIADB_PORT")
    echo "set EB_MARIADB_PORT=$port (and point the Brain's MariaDB URLs at port $port), or stop it yourself"
}

# _mariadb_reuse_foreign: the port is held by a server that is not this run dir's. Reuse it when
# `brain` logs in; otherwise refuse. Never stops it.
_mariadb_reuse_foreign() {
    if ! _mariadb_ping; then
        refuse mariadb "port $MARIADB_PORT is held by $(port_holder "$MARIADB_PORT"), where $MARIADB_USER/$MARIADB_PASSWORD cannot log in" \
            "$(_mariadb_way_out)"
    fi
    say_reusing mariadb MariaDB "$MARIADB_HOST:$MARIADB_PORT"
    local binlog
    binlog=$(_mariadb_brain -N -e 'SELECT CONCAT(@@log_bin, " ", @@binlog_format)' 2>/dev/null) || true
    if [[ $binlog != "ON ROW" && $binlog != "1 ROW" ]]; then
        say "mariadb: WARNING: the reused server's binary log is not on in ROW format (log_bin binlog_format: ${binlog:-?}); the binlog CDC connector needs it"
    fi
}

mariadb_up() {
    _mariadb_locate
    if ! command -v mariadbd >/dev/null && [[ ! -x /usr/sbin/mariadbd ]]; then
        apt_install mariadb-server mariadb-client || fail mariadb "apt-get install mariadb-server failed"
    fi
    local pid
    if pid=$(_mariadb_running_pid); then
        if ! proc_matches "$pid" "--port=$MARIADB_PORT "; then
            fail mariadb "this run dir's server (pid $pid) listens on another port than EB_MARIADB_PORT=$MARIADB_PORT; move it with: infra/down.sh mariadb && infra/up.sh mariadb"
        fi
        if _mariadb_ping; then
            say "mariadb: already up on $MARIADB_HOST:$MARIADB_PORT"
            return 0
        fi
    elif port_open "$MARIADB_HOST" "$MARIADB_PORT"; then
        _mariadb_reuse_foreign
        return 0
    fi
    mkdir -p "$MARIADB_DIR"
    chown mysql:mysql "$MARIADB_DIR"
    local fresh=0
    if [[ ! -d $MARIADB_DATA/mysql ]]; then
        say "mariadb: initialising $MARIADB_DATA"
        mariadb-install-db --no-defaults --user=mysql --datadir="$MARIADB_DATA" \
            --auth-root-authentication-method=socket >>"$MARIADB_LOG" 2>&1 ||
            fail mariadb "mariadb-install-db failed" "$MARIADB_LOG"
        fresh=1
    fi
    say "mariadb: starting on $MARIADB_HOST:$MARIADB_PORT"
    (
        cd / || exit 1
        # `9>&-`: the server must not inherit the lock of infra/lib.sh's with_lock.
        nohup /usr/sbin/mariadbd --no-defaults --user=mysql --datadir="$MARIADB_DATA" \
            --bind-address="$MARIADB_HOST" --port="$MARIADB_PORT" --socket="$MARIADB_SOCK" \
            --pid-file="$MARIADB_PID" --log-error="$MARIADB_LOG" \
            --server-id=1 --log-bin=mariadb-bin --binlog-format=ROW --binlog-row-image=FULL --binlog-row-metadata=FULL \
            --expire-logs-days=3 --max-connections=200 --innodb-buffer-pool-size=256M \
            --character-set-server=utf8mb4 --collation-server=utf8mb4_unicode_ci \
            </dev/null >>"$MARIADB_LOG" 2>&1 9>&- &
    ) || fail mariadb "mariadbd did not start" "$MARIADB_LOG"
    wait_for 60 _mariadb_ready || fail mariadb "no answer within 60 s" "$MARIADB_LOG"
    _mariadb_root <<SQL || fail mariadb "cannot create the account $MARIADB_USER" "$MARIADB_LOG"
CREATE USER IF NOT EXISTS '$MARIADB_USER'@'127.0.0.1' IDENTIFIED BY '$MARIADB_PASSWORD';
CREATE USER IF NOT EXISTS '$MARIADB_USER'@'localhost' IDENTIFIED BY '$MARIADB_PASSWORD';
GRANT ALL PRIVILEGES ON *.* TO '$MARIADB_USER'@'127.0.0.1';
GRANT ALL PRIVILEGES ON *.* TO '$MARIADB_USER'@'localhost';
FLUSH PRIVILEGES;
SQL
    [[ $fresh -eq 1 ]] && say "mariadb: account $MARIADB_USER created"
    wait_for 20 _mariadb_ping || fail mariadb "account $MARIADB_USER cannot connect" "$MARIADB_LOG"
    say "mariadb: up (pid $(cat "$MARIADB_PID" 2>/dev/null || echo '?'))"
}

mariadb_down() {
    _mariadb_locate
    local pid
    if pid=$(_mariadb_running_pid); then
        say "mariadb: stopping"
        stop_pid "$pid" 60
    fi
    rm -f "$MARIADB_PID"
    if port_open "$MARIADB_HOST" "$MARIADB_PORT"; then
        say "mariadb: down here; $MARIADB_HOST:$MARIADB_PORT is served by $(port_holder "$MARIADB_PORT"), not started from this run dir: left running"
    else
        say "mariadb: down"
    fi
}

# mariadb_status: print a one-line description; return 0 when healthy.
mariadb_status() {
    _mariadb_locate
    if ! command -v mariadb >/dev/null; then
        echo "not installed"
        return 1
    fi
    if ! _mariadb_ping; then
        echo "down ($MARIADB_HOST:$MARIADB_PORT does not answer)"
        return 1
    fi
    if ! _mariadb_is_ours; then
        echo "up $MARIADB_HOST:$MARIADB_PORT (foreign, reused: not started from this run dir; datadir $(_mariadb_brain -N -e 'SELECT @@datadir' 2>/dev/null), binlog $(_mariadb_brain -N -e 'SELECT @@binlog_format' 2>/dev/null))"
        return 0
    fi
    echo "up $MARIADB_HOST:$MARIADB_PORT pid $(cat "$MARIADB_PID" 2>/dev/null || echo '?') (binlog $(_mariadb_brain -N -e 'SELECT @@binlog_format' 2>/dev/null))"
}
