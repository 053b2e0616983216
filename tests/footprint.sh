#!/usr/bin/env bash
# make footprint: the memory target of issue 7. dockgate serving
# policies/default.yaml (no unset-user: inspect) must not map libcurl or
# OpenSSL at all, before or after load, and its peak resident memory
# (VmHWM) after FOOTPRINT_COUNT decisions (20,000) over FOOTPRINT_CONNS
# keep-alive connections (16) must stay within FOOTPRINT_MAX_KB (8192,
# 8 MiB). Every verdict must be the one `dockgate eval` gives. Prints the
# figures whether or not they pass.
set -uo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
DOCKGATE=${DOCKGATE:-$ROOT/build/dockgate}
LOADGEN=${LOADGEN:-$ROOT/build/loadgen}
POLICY=${POLICY:-$ROOT/policies/default.yaml}
COUNT=${FOOTPRINT_COUNT:-20000}
CONNS=${FOOTPRINT_CONNS:-16}
MAX_KB=${FOOTPRINT_MAX_KB:-8192}
CAP=$ROOT/tests/fixtures/captures
TMP=$(mktemp -d /tmp/dockgate-footprint.XXXXXX)
PID=
# shellcheck source=tests/lib/check.sh
source "$ROOT/tests/lib/check.sh"

cleanup() {
	if [ -n "$PID" ]; then
		kill -TERM "$PID" 2>/dev/null
		wait "$PID" 2>/dev/null
	fi
	rm -rf "$TMP"
}
trap cleanup EXIT

status() { awk -v k="$1:" '$1 == k { print $2 }' "/proc/$PID/status"; }
# The libraries only unset-user: inspect needs (libcurl, and OpenSSL
# through it), as mapped by the daemon now.
heavy() { grep -oE '[^/]*(libcurl|libcrypto|libssl)[^/ ]*$' "/proc/$PID/maps" | sort -u | tr '\n' ' '; }

# Every capture with the verdict `dockgate eval` gives it, for loadgen -x.
files=("$CAP"/*.json)
args=()
i=0
while IFS= read -r line; do
	case "$line" in
	'{"Allow":true'*) args+=("${files[$i]}=allow") ;;
	*) args+=("${files[$i]}=deny") ;;
	esac
	i=$((i + 1))
done < <("$DOCKGATE" eval --policy "$POLICY" "${files[@]}")
[ "$i" = "${#files[@]}" ] || {
	echo "footprint: eval gave $i verdicts for ${#files[@]} captures" >&2
	exit 1
}

"$DOCKGATE" serve --policy "$POLICY" --socket "$TMP/dg.sock" --log-level warn \
	2>"$TMP/dockgate.log" &
PID=$!
for _ in $(seq 100); do
	if [ -S "$TMP/dg.sock" ] && curl -s -o /dev/null --max-time 1 \
		--unix-socket "$TMP/dg.sock" -X POST http://plugin/Plugin.Activate; then
		break
	fi
	kill -0 "$PID" 2>/dev/null || break
	sleep 0.1
done
if ! [ -S "$TMP/dg.sock" ] || ! kill -0 "$PID" 2>/dev/null; then
	echo "footprint: dockgate did not come up:" >&2
	cat "$TMP/dockgate.log" >&2
	exit 1
fi

rss_start=$(status VmRSS)
detail=$(heavy) check "at start: libcurl, libcrypto and libssl are not mapped" [ -z "$(heavy)" ]

"$LOADGEN" -x -s "$TMP/dg.sock" -c "$CONNS" -t 2 -n "$COUNT" "${args[@]}" >"$TMP/lg.out" 2>&1
rc=$?
detail=$(tail -n 3 "$TMP/lg.out") check "$COUNT decisions over $CONNS connections: every verdict right, none failed" \
	[ "$rc" = 0 ]
hwm=$(status VmHWM)
rss_end=$(status VmRSS)
detail=$(heavy) check "after load: libcurl, libcrypto and libssl are still not mapped" [ -z "$(heavy)" ]
echo "footprint: VmRSS at start $rss_start kB; after $COUNT decisions over $CONNS connections VmRSS $rss_end kB, VmHWM $hwm kB (bound $MAX_KB kB)"
detail="VmHWM ${hwm:-?} kB" check "peak resident memory (VmHWM) within $MAX_KB kB" \
	[ "${hwm:-$((MAX_KB + 1))}" -le "$MAX_KB" ]
check "dockgate is still up" kill -0 "$PID"

check_summary footprint
