#!/usr/bin/env bash
# Stop the services started by infra/up.sh (data is kept; see infra/README.md to reset).
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
