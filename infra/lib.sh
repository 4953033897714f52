# shellcheck shell=bash
# Shared helpers of infra/up.sh, infra/down.sh and infra/status.sh. Source it; do not run it.
#
# Every service keeps its data, logs and pid file under one run directory:
#   ${EB_RUN_DIR:-<repo>/.run}/{kafka,redis,postgres,mariadb}
# Each service lives in infra/<service>.sh and defines <service>_up, <service>_down and
# <service>_status (status prints nothing and returns 0 when healthy; the callers print).
#
# Ports come from the environment: EB_KAFKA_PORT (9092), EB_KAFKA_CONTROLLER_PORT (9093),
# EB_REDIS_PORT (6379), EB_PG_PORT (5432), EB_MARIADB_PORT (3306).
# infra/ never stops what it did not start: a port held by a service of another run dir (a second
# checkout) or of the system is reused when the Brain can use it, and up.sh refuses, naming the
# holder and a free port to use instead, when it cannot; down.sh stops only this run dir's services.

set -euo pipefail

INFRA_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_DIR=$(dirname "$INFRA_DIR")
RUN_DIR=${EB_RUN_DIR:-$REPO_DIR/.run}
# Absolute, so that processes started from here do not depend on the caller's cwd.
mkdir -p "$RUN_DIR"
RUN_DIR=$(cd "$RUN_DIR" && pwd -P)
# The Python that runs infra/kafka_topics.py (needs kafka-python): the checkout's venv, or
# EB_PYTHON (e.g. a worktree without its own .venv).
VENV_PYTHON=${EB_PYTHON:-${REPO_DIR}/.venv/bin/python}

# Start order; down.sh stops in reverse.
ALL_SERVICES=(postgres redis kafka mariadb)

say() { printf '[infra] %s\n' "$*" >&2; }

# env_port NAME DEFAULT: print ${NAME:-DEFAULT} after checking that it is a TCP port number.
env_port() {
    local value=${!1:-$2}
    if [[ ! $value =~ ^[0-9]{1,5}$ ]] || ((10#$value < 1 || 10#$value > 65535)); then
        say "$1=$value is not a TCP port (1-65535)"
        exit 2
    fi
    echo "$((10#$value))"
}

KAFKA_HOST=127.0.0.1
KAFKA_PORT=$(env_port EB_KAFKA_PORT 9092)
KAFKA_CONTROLLER_PORT=$(env_port EB_KAFKA_CONTROLLER_PORT 9093)
REDIS_HOST=127.0.0.1
REDIS_PORT=$(env_port EB_REDIS_PORT 6379)
PG_HOST=127.0.0.1
PG_PORT=$(env_port EB_PG_PORT 5432)
MARIADB_HOST=127.0.0.1
MARIADB_PORT=$(env_port EB_MARIADB_PORT 3306)
if ((KAFKA_PORT == KAFKA_CONTROLLER_PORT)); then
    say "EB_KAFKA_PORT and EB_KAFKA_CONTROLLER_PORT must differ (both $KAFKA_PORT)"
    exit 2
fi

# fail SERVICE MESSAGE [LOGFILE...]: print the message and the tail of each log, then exit 1.
fail() {
    local svc=$1 msg=$2
    shift 2
    say "$svc: FAILED: $msg"
    local log
    for log in "$@"; do
        if [[ -s $log ]]; then
            printf -- '----- last 30 lines of %s -----\n' "$log" >&2
            tail -n 30 "$log" >&2
            printf -- '-----\n' >&2
        fi
    done
    exit 1
}

# expand_services [NAME|all]...: print the service names, one per line, in start order.
expand_services() {
    local want=("$@") svc name found
    [[ ${#want[@]} -eq 0 ]] && want=(all)
    for name in "${want[@]}"; do
        if [[ $name == all ]]; then
            continue
        fi
        found=0
        for svc in "${ALL_SERVICES[@]}"; do [[ $svc == "$name" ]] && found=1; done
        if [[ $found -eq 0 ]]; then
            say "unknown service '$name' (choose from: all ${ALL_SERVICES[*]})"
            return 2
        fi
    done
    for svc in "${ALL_SERVICES[@]}"; do
        for name in "${want[@]}"; do
            if [[ $name == all || $name == "$svc" ]]; then
                echo "$svc"
                break
            fi
        done
    done
}

# port_open HOST PORT: true when something accepts TCP connections there.
port_open() {
    (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null
}

# port_holder PORT: name the process listening on PORT ("redis-server (pid 123)"), as far as
# ss can tell.
port_holder() {
    local line
    line=$(ss -Hltnp "sport = :$1" 2>/dev/null | head -n 1) || true
    if [[ $line =~ \"([^\"]+)\",pid=([0-9]+) ]]; then
        echo "${BASH_REMATCH[1]} (pid ${BASH_REMATCH[2]})"
    else
        echo "another process"
    fi
}

# free_port PORT [SKIP...]: print the first port after PORT that nothing listens on (not one
# of SKIP), for the "way out" of a refusal.
free_port() {
    local port=$1 skip
    shift
    while ((++port <= 65535)); do
        for skip in "$@"; do
            [[ $port == "$skip" ]] && continue 2
        done
        port_open 127.0.0.1 "$port" || break
    done
    echo "$port"
}

# say_reusing SVC NAME HOST:PORT: the one line printed when a foreign service is reused.
say_reusing() {
    say "$1: reusing the $2 on $3 (not started from this run dir; infra/down.sh will leave it running)"
}

# refuse SVC MESSAGE WAY_OUT: a port is held by something this project cannot use; exit 1
# without touching it.
refuse() {
    say "$1: FAILED: $2"
    say "$1: way out: $3; infra/ never stops what it did not start"
    exit 1
}

# proc_matches PID PATTERN: true when PID is alive and its command line contains PATTERN.
# Guards against pid files left by a previous boot whose pid now belongs to another process.
proc_matches() {
    local pid=$1 pattern=$2 cmdline
    [[ $pid =~ ^[0-9]+$ ]] || return 1
    [[ -r /proc/$pid/cmdline ]] || return 1
    cmdline=$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null) || return 1
    [[ $cmdline == *"$pattern"* ]]
}

# pidfile_pid FILE PATTERN: print the pid stored in FILE when that process is alive and matches
# PATTERN; otherwise remove the stale file and fail.
pidfile_pid() {
    local file=$1 pattern=$2 pid
    [[ -f $file ]] || return 1
    pid=$(head -n 1 "$file" 2>/dev/null | tr -d '[:space:]')
    if proc_matches "$pid" "$pattern"; then
        echo "$pid"
        return 0
    fi
    rm -f "$file"
    return 1
}

# wait_for SECONDS CMD...: run CMD every half second until it succeeds or SECONDS pass.
wait_for() {
    local deadline=$((SECONDS + $1))
    shift
    until "$@"; do
        ((SECONDS >= deadline)) && return 1
        sleep 0.5
    done
}

# stop_pid PID SECONDS: SIGTERM, wait up to SECONDS, then SIGKILL.
stop_pid() {
    local pid=$1 deadline=$((SECONDS + $2))
    kill -TERM "$pid" 2>/dev/null || return 0
    while kill -0 "$pid" 2>/dev/null; do
        if ((SECONDS >= deadline)); then
            say "pid $pid did not stop in $2 s; killing it"
            kill -KILL "$pid" 2>/dev/null || true
            sleep 0.5
            break
        fi
        sleep 0.3
    done
}

_APT_UPDATED=0
# apt_install PACKAGE...: install Debian packages that are not installed yet.
# Services must not be started by the package scripts; infra/ starts its own instances.
apt_install() {
    local missing=() pkg
    for pkg in "$@"; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
    done
    [[ ${#missing[@]} -eq 0 ]] && return 0
    say "apt: installing ${missing[*]}"
    local policy=/usr/sbin/policy-rc.d created_policy=0
    if [[ ! -e $policy ]]; then
        # 101 = "action forbidden": keeps postinst scripts from starting system services.
        printf '#!/bin/sh\nexit 101\n' >"$policy"
        chmod 755 "$policy"
        created_policy=1
    fi
    local rc=0 log=$RUN_DIR/apt.log
    if [[ $_APT_UPDATED -eq 0 ]]; then
        DEBIAN_FRONTEND=noninteractive apt-get update -qq >"$log" 2>&1 || rc=$?
        _APT_UPDATED=1
    fi
    if [[ $rc -eq 0 ]]; then
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
            -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold \
            "${missing[@]}" >>"$log" 2>&1 || rc=$?
    fi
    [[ $created_policy -eq 1 ]] && rm -f "$policy"
    if [[ $rc -ne 0 ]]; then
        printf -- '----- last 30 lines of %s -----\n' "$log" >&2
        tail -n 30 "$log" >&2
    fi
    return "$rc"
}

# with_lock CMD...: run CMD holding the run directory's lock, so that concurrent
# up/down calls (make, the CLI, CI) do not race each other.
with_lock() {
    local lock=$RUN_DIR/.infra.lock
    exec 9>"$lock"
    if ! flock -w 600 9; then
        say "could not take $lock within 600 s"
        return 1
    fi
    "$@"
}

# shellcheck source=infra/postgres.sh
source "$INFRA_DIR/postgres.sh"
# shellcheck source=infra/redis.sh
source "$INFRA_DIR/redis.sh"
# shellcheck source=infra/kafka.sh
source "$INFRA_DIR/kafka.sh"
# shellcheck source=infra/mariadb.sh
source "$INFRA_DIR/mariadb.sh"
