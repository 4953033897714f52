# shellcheck shell=bash
# PostgreSQL (Debian's postgresql package): our own cluster in ${EB_RUN_DIR}/postgres/data,
# run as the `postgres` OS user with pg_ctl, on 127.0.0.1:${EB_PG_PORT:-5432}, with logical decoding
# on. A server of another run dir (or the system's) on the port is reused when role brain logs in
# and wal_level is logical, refused otherwise; never stopped.
# Role `brain` (password `brain`; LOGIN CREATEDB REPLICATION) owns databases `brain` and `mlflow`.
# Sourced by infra/lib.sh.

PG_ROLE=brain
PG_PASSWORD=brain
PG_DATABASES=(brain mlflow)

# _pg_locate: set PG_DIR, PG_DATA, PG_LOG and PG_SOCK. The cluster normally lives in
# $RUN_DIR/postgres, but the server runs as the `postgres` OS user, which must be able to reach
# it: when the checkout sits under a private directory (e.g. /root, mode 700), the cluster goes
# to /var/lib/postgresql/eb-<hash of the run dir> and $RUN_DIR/postgres becomes a symlink to it
# (PG_LINK is then set; _pg_prepare_dirs makes the link). Unix socket paths are limited to
# 107 bytes: a socket dir too long for that moves to /tmp/eb-pg-<hash>.
_pg_locate() {
    local home=$RUN_DIR/postgres hash
    hash=$(printf %s "$RUN_DIR" | sha256sum | cut -c1-12)
    PG_LINK=""
    if [[ -L $home ]]; then
        PG_DIR=$(readlink -f "$home")
    elif id postgres >/dev/null 2>&1 && ! runuser -u postgres -- test -x "$RUN_DIR" 2>/dev/null; then
        PG_DIR=/var/lib/postgresql/eb-$hash
        PG_LINK=$home
    else
        PG_DIR=$home
    fi
    PG_DATA=$PG_DIR/data
    PG_LOG=$PG_DIR/postgres.log
    PG_SOCK=$PG_DIR/sock
    if ((${#PG_SOCK} > 90)); then
        PG_SOCK=/tmp/eb-pg-$hash
    fi
}

_pg_prepare_dirs() {
    mkdir -p "$PG_DIR" "$PG_SOCK"
    if [[ -n $PG_LINK ]]; then
        say "postgres: user postgres cannot reach $RUN_DIR; the cluster lives in $PG_DIR"
        ln -sfn "$PG_DIR" "$PG_LINK"
    fi
    chown postgres:postgres "$PG_DIR" "$PG_SOCK"
    chmod 700 "$PG_DIR"
}

# _pg_bindir: print the server binaries' directory of the newest installed major version.
_pg_bindir() {
    local initdb
    initdb=$(ls -d /usr/lib/postgresql/*/bin/initdb 2>/dev/null | sort -t/ -k5,5n | tail -n 1)
    [[ -n $initdb ]] && dirname "$initdb"
}

# Runs as the postgres OS user (the server refuses root). `9>&-`: the postmaster must not
# inherit the lock of infra/lib.sh's with_lock.
_as_postgres() { (cd / && runuser -u postgres -- "$@" 9>&-); }

_pg_ready() { pg_isready -q -h "$PG_HOST" -p "$PG_PORT" -t 2; }

_pg_brain_query() {
    PGPASSWORD=$PG_PASSWORD PGCONNECT_TIMEOUT=5 psql -X -q -At -h "$PG_HOST" -p "$PG_PORT" \
        -U "$PG_ROLE" -d brain -c "$1" 2>/dev/null
}

# Superuser session over our private unix socket (trust auth for local connections).
_pg_admin_psql() {
    psql -X -q -At -v ON_ERROR_STOP=1 -h "$PG_SOCK" -p "$PG_PORT" -U postgres -d postgres
}

# _pg_running_pid: print the postmaster pid when our cluster runs.
_pg_running_pid() {
    local pid
    [[ -f $PG_DATA/postmaster.pid ]] || return 1
    pid=$(head -n 1 "$PG_DATA/postmaster.pid" | tr -d '[:space:]')
    proc_matches "$pid" "bin/postgres -D $PG_DATA" || return 1
    echo "$pid"
}

# A postmaster.pid left by a crash or a reboot whose pid now belongs to another process
# would make the postmaster refuse to start: remove it when our cluster is not running.
_pg_clean_stale_pid() {
    if [[ -f $PG_DATA/postmaster.pid ]] && ! _pg_running_pid >/dev/null; then
        say "postgres: removing stale $PG_DATA/postmaster.pid"
        rm -f "$PG_DATA/postmaster.pid"
    fi
}

# _pg_system_cluster: print "<ver> <name>" of a Debian cluster (pg_lsclusters) online on our port.
_pg_system_cluster() {
    command -v pg_lsclusters >/dev/null || return 1
    local ver name port status _rest
    while read -r ver name port status _rest; do
        if [[ $port == "$PG_PORT" && $status == online* ]]; then
            echo "$ver $name"
            return 0
        fi
    done < <(pg_lsclusters -h 2>/dev/null || true)
    return 1
}

# Debian's postinst creates cluster <ver>/main on port 5432 (policy-rc.d keeps it from starting):
# right after our install, set the clusters on our port that are down to `manual`, so that a boot
# does not start one there. Nothing running is touched.
_pg_manual_new_clusters() {
    command -v pg_lsclusters >/dev/null || return 0
    local ver name port status _rest conf
    while read -r ver name port status _rest; do
        conf=/etc/postgresql/$ver/$name/start.conf
        if [[ $port == "$PG_PORT" && $status == down && -f $conf ]] && ! grep -qx manual "$conf"; then
            echo manual >"$conf"
        fi
    done < <(pg_lsclusters -h 2>/dev/null || true)
}

_pg_way_out() {
    local port cluster url
    port=$(free_port "$PG_PORT")
    url=postgresql+psycopg://$PG_ROLE:$PG_PASSWORD@$PG_HOST:$port
    local msg="set EB_PG_PORT=$port (and EB_DATABASE_URL=$url/brain, EB_MLFLOW_TRACKING_URI=$url/mlflow,"
    msg+=" EB_POSTGRES_ADMIN_URL=$url/postgres for the Brain), or stop it yourself"
    if cluster=$(_pg_system_cluster); then
        msg+=" (pg_ctlcluster ${cluster% *} ${cluster#* } stop)"
    fi
    echo "$msg"
}

# _pg_reuse_foreign: the port is held by a server that is not our cluster. Reuse it when role
# brain/brain logs in to database brain and wal_level is logical; otherwise refuse. Never stops it.
_pg_reuse_foreign() {
    local holder wal db
    holder=$(port_holder "$PG_PORT")
    if ! wal=$(_pg_brain_query 'show wal_level') || [[ -z $wal ]]; then
        refuse postgres "port $PG_PORT is held by $holder, where role $PG_ROLE/$PG_PASSWORD cannot log in to database brain" \
            "$(_pg_way_out)"
    fi
    if [[ $wal != logical ]]; then
        refuse postgres "port $PG_PORT is held by $holder, a PostgreSQL with wal_level=$wal (the Brain's CDC needs logical)" \
            "$(_pg_way_out)"
    fi
    say_reusing postgres PostgreSQL "$PG_HOST:$PG_PORT"
    for db in "${PG_DATABASES[@]}"; do
        [[ $(_pg_brain_query "SELECT 1 FROM pg_database WHERE datname = '$db'") == 1 ]] && continue
        if _pg_brain_query "CREATE DATABASE $db" >/dev/null; then
            say "postgres: created database $db (owner $PG_ROLE) on the reused server"
        else
            say "postgres: WARNING: database $db is missing on the reused server and $PG_ROLE cannot create it"
        fi
    done
}

_pg_init() {
    local bindir=$1
    say "postgres: initdb $PG_DATA"
    _as_postgres "$bindir/initdb" -D "$PG_DATA" -U postgres -E UTF8 --locale=C.UTF-8 \
        --auth-local=trust --auth-host=scram-sha-256 >"$PG_DIR/initdb.log" 2>&1 ||
        fail postgres "initdb failed" "$PG_DIR/initdb.log"
    echo "include_if_exists = 'eb_overrides.conf'" >>"$PG_DATA/postgresql.conf"
}

# Render infra/postgres/postgresql.conf (+ the socket dir, which depends on the run dir, and the
# port, EB_PG_PORT: the last setting of a file wins).
_pg_write_conf() {
    local conf=$PG_DATA/eb_overrides.conf
    {
        cat "$INFRA_DIR/postgres/postgresql.conf"
        echo "unix_socket_directories = '$PG_SOCK'"
        echo "port = $PG_PORT"
    } >"$conf.tmp"
    chown postgres:postgres "$conf.tmp"
    mv "$conf.tmp" "$conf"
}

_pg_bootstrap_sql() {
    _pg_admin_psql <<SQL
DO \$\$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$PG_ROLE') THEN
        CREATE ROLE $PG_ROLE LOGIN CREATEDB REPLICATION PASSWORD '$PG_PASSWORD';
    ELSE
        ALTER ROLE $PG_ROLE LOGIN CREATEDB REPLICATION PASSWORD '$PG_PASSWORD';
    END IF;
END
\$\$;
$(for db in "${PG_DATABASES[@]}"; do
        echo "SELECT 'CREATE DATABASE $db OWNER $PG_ROLE' WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = '$db')\\gexec"
    done)
SQL
}

postgres_up() {
    local bindir
    bindir=$(_pg_bindir) || true
    if [[ -z $bindir ]] || ! command -v pg_isready >/dev/null; then
        apt_install postgresql || fail postgres "apt-get install postgresql failed"
        bindir=$(_pg_bindir) || fail postgres "no initdb under /usr/lib/postgresql/*/bin after install"
        _pg_manual_new_clusters
    fi
    _pg_locate
    if ! _pg_running_pid >/dev/null && port_open "$PG_HOST" "$PG_PORT"; then
        _pg_reuse_foreign
        return 0
    fi
    local major
    major=$(basename "$(dirname "$bindir")")
    if [[ -f $PG_DATA/PG_VERSION && $(cat "$PG_DATA/PG_VERSION") != "$major" ]]; then
        fail postgres "$PG_DATA is a PostgreSQL $(cat "$PG_DATA/PG_VERSION") cluster but $major is installed; reset with: infra/down.sh postgres && rm -rf $PG_DIR"
    fi

    if _pg_running_pid >/dev/null; then
        local running_port
        running_port=$(sed -n 4p "$PG_DATA/postmaster.pid" | tr -d '[:space:]')
        if [[ $running_port != "$PG_PORT" ]]; then
            fail postgres "this run dir's cluster runs on port $running_port, not EB_PG_PORT=$PG_PORT; move it with: infra/down.sh postgres && infra/up.sh postgres"
        fi
        say "postgres: already running on $PG_HOST:$PG_PORT"
        _pg_write_conf
    else
        _pg_clean_stale_pid
        _pg_prepare_dirs
        [[ -f $PG_DATA/PG_VERSION ]] || _pg_init "$bindir"
        chown -R postgres:postgres "$PG_DIR"
        _pg_write_conf
        say "postgres: starting $major on $PG_HOST:$PG_PORT"
        _as_postgres "$bindir/pg_ctl" -D "$PG_DATA" -l "$PG_LOG" -w -t 60 start >/dev/null ||
            fail postgres "pg_ctl start failed" "$PG_LOG"
    fi
    wait_for 30 _pg_ready || fail postgres "pg_isready failed for 30 s" "$PG_LOG"
    _pg_bootstrap_sql >/dev/null 2>"$PG_DIR/bootstrap.err" ||
        fail postgres "creating role/databases failed" "$PG_DIR/bootstrap.err" "$PG_LOG"
    [[ $(_pg_brain_query 'select 1') == 1 ]] || fail postgres "cannot log in as $PG_ROLE" "$PG_LOG"
    say "postgres: up (pid $(_pg_running_pid), wal_level=$(_pg_brain_query 'show wal_level'))"
}

postgres_down() {
    local bindir pid
    _pg_locate
    if ! pid=$(_pg_running_pid); then
        if port_open "$PG_HOST" "$PG_PORT"; then
            say "postgres: down here; $PG_HOST:$PG_PORT is served by $(port_holder "$PG_PORT"), not started from this run dir: left running"
        else
            say "postgres: down"
        fi
        return 0
    fi
    bindir=$(_pg_bindir) || fail postgres "postgres runs (pid $pid) but no pg_ctl is installed"
    say "postgres: stopping (pid $pid)"
    _as_postgres "$bindir/pg_ctl" -D "$PG_DATA" -m fast -w -t 60 stop >/dev/null ||
        fail postgres "pg_ctl stop failed" "$PG_LOG"
    say "postgres: down"
}

# postgres_status: print a one-line description; return 0 when healthy.
postgres_status() {
    local pid
    _pg_locate
    if ! command -v pg_isready >/dev/null || [[ -z $(_pg_bindir) ]]; then
        echo "not installed"
        return 1
    fi
    if ! pid=$(_pg_running_pid); then
        local wal
        if ! port_open "$PG_HOST" "$PG_PORT"; then
            echo "down"
        elif ! wal=$(_pg_brain_query 'show wal_level') || [[ -z $wal ]]; then
            echo "foreign, not usable: $(port_holder "$PG_PORT") on $PG_HOST:$PG_PORT (not started from this run dir; login as $PG_ROLE fails)"
        elif [[ $wal != logical ]]; then
            echo "foreign, not usable: PostgreSQL on $PG_HOST:$PG_PORT (not started from this run dir; wal_level=$wal, not logical)"
        else
            echo "up $PG_HOST:$PG_PORT (foreign, reused: not started from this run dir; PostgreSQL $(_pg_brain_query 'show server_version'), wal_level=$wal)"
            return 0
        fi
        return 1
    fi
    if ! _pg_ready; then
        echo "starting or unhealthy: pid $pid but pg_isready fails"
        return 1
    fi
    local wal
    if ! wal=$(_pg_brain_query 'show wal_level'); then
        echo "unhealthy: pid $pid accepts connections but login as $PG_ROLE fails"
        return 1
    fi
    echo "up $PG_HOST:$PG_PORT pid $pid (PostgreSQL $(cat "$PG_DATA/PG_VERSION"), wal_level=$wal, databases: ${PG_DATABASES[*]})"
}
