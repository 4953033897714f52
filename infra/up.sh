#!/usr/bin/env bash
# Install (if needed) and start Kafka, Redis, PostgreSQL and MariaDB; wait until each is healthy.
# Usage: infra/up.sh [all|postgres|redis|kafka|mariadb]...   (default: all)
# Idempotent: services already up are left alone. Data, logs, pids: ${EB_RUN_DIR:-<repo>/.run}.
# A port held by a service not started from this run dir is reused when the Brain can use it
# ("reusing the ..."), refused otherwise (exit 1, naming a free EB_*_PORT); never stopped.
# shellcheck source=infra/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

_up() {
    local services svc start=$SECONDS
    services=$(expand_services "$@") || exit 2
    for svc in $services; do
        "${svc}_up"
    done
    say "up: ${services//$'\n'/ } in $((SECONDS - start)) s (run dir $RUN_DIR)"
}

with_lock _up "$@"
