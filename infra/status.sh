#!/usr/bin/env bash
# Print one line per service; exit 0 only when every named service is healthy. A compatible
# service not started from this run dir counts as healthy: "up ... (foreign, reused: ...)".
# Usage: infra/status.sh [all|postgres|redis|kafka|mariadb]...   (default: all)
# shellcheck source=infra/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

services=$(expand_services "$@") || exit 2
rc=0
for svc in $services; do
    if line=$("${svc}_status"); then
        printf '%-9s %s\n' "$svc" "$line"
    else
        printf '%-9s %s\n' "$svc" "${line:-down}"
        rc=1
    fi
done
exit "$rc"
