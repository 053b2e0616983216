#!/usr/bin/env bash
# make soak: 1,000,000 decisions over 32 keep-alive connections, allowed and
# denied captures mixed, against dockgate serving policies/default.yaml.
# Fails on any failed request, any wrong verdict, or resident memory growing
# by more than SOAK_RSS_GROWTH_KB (default 1024) after the warm-up (the
# first 10% of the decisions). Bounded: SOAK_TIMEOUT seconds (default 300).
set -euo pipefail
# shellcheck source=tests/bench/common.sh
. "$(dirname "$0")/common.sh"

COUNT=${SOAK_COUNT:-1000000}
CONNS=${SOAK_CONNS:-32}
GROWTH_KB=${SOAK_RSS_GROWTH_KB:-1024}
LIMIT=${SOAK_TIMEOUT:-300}

verdict_args
start_dockgate
echo "soak: $COUNT decisions over $CONNS connections, ${#ARGS[@]} captures" \
	"($(printf '%s\n' "${ARGS[@]}" | grep -c '=allow$') allowed), VmRSS growth after" \
	"warm-up at most $GROWTH_KB kB, load average $(cut -d' ' -f1-3 /proc/loadavg)"
rc=0
timeout "$LIMIT" "$LOADGEN" -x -s "$TMP/dg.sock" -c "$CONNS" -t 2 -n "$COUNT" \
	-m "$DG_PID" -g "$GROWTH_KB" "${ARGS[@]}" || rc=$?
echo "soak: dockgate VmHWM $(awk '$1 == "VmHWM:" { print $2 }' /proc/"$DG_PID"/status) kB"
if [ "$rc" = 124 ]; then
	echo "soak: FAILED: not done within ${LIMIT}s"
elif [ "$rc" != 0 ]; then
	echo "soak: FAILED"
else
	echo "soak: passed"
fi
exit "$rc"
