#!/usr/bin/env bash
# Stop the services infra/up.sh started from this run dir (data is kept; see infra/README.md to
# reset). A reused service (another checkout's, the system's) is left running.
# Usage: infra/down.sh [all|postgres|redis|kafka|mariadb]...   (default: all)
# shellcheck source=infra/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

_down() {
    local services svc
    services=$(expand_services "$@") || exit 2
    # Reverse start order: Kafka first.
    for svc in $(tac <<<"$services"); do
        "${svc}_down"
    done
}

with_lock _down "$@"
