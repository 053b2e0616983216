#!/usr/bin/env bash
# make bench-smoke: a few seconds of the load harness against dockgate. It
# checks that the harness works and the verdicts under load are right, not
# the speed. Prints `bench-smoke: N passed, M failed`.
set -euo pipefail
# shellcheck source=tests/bench/common.sh
. "$(dirname "$0")/common.sh"

# shellcheck source=tests/lib/check.sh
source "$ROOT/tests/lib/check.sh"
verdict_args
n_allow=$(printf '%s\n' "${ARGS[@]}" | grep -c '=allow$' || true)
check "the captures mix allowed and denied requests ($n_allow of ${#ARGS[@]} allowed)" \
	[ "$n_allow" -gt 0 -a "$n_allow" -lt "${#ARGS[@]}" ]
start_dockgate

lg() { "$LOADGEN" "$@" >"$TMP/lg.out" 2>&1; }
field() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" "$TMP/lg.out"; }

check "1 connection, 1 s: every verdict right, no failure" lg -x -s "$TMP/dg.sock" -c 1 -d 1 "${ARGS[@]}"
cat "$TMP/lg.out"
check "8 connections, 2 threads, 1 s: every verdict right, no failure" \
	lg -x -s "$TMP/dg.sock" -c 8 -t 2 -d 1 -w 0.2 "${ARGS[@]}"
cat "$TMP/lg.out"
lg -x -s "$TMP/dg.sock" -c 4 -n 2000 -m "$DG_PID" "${ARGS[@]}" && rc=0 || rc=$?
check "2,000 requests over 4 connections: exactly 2,000 answered" \
	bash -c '[ "$1" = 0 ] && grep -q " ok=2000 .* fail=0 wrong=0" "$2"' _ "$rc" "$TMP/lg.out"
cat "$TMP/lg.out"

# The harness must notice what it is there to notice.
all_allow=("${ARGS[@]%=*}")
all_allow=("${all_allow[@]/%/=allow}")
lg -x -s "$TMP/dg.sock" -c 2 -n 200 "${all_allow[@]}" && rc=0 || rc=$?
check "wrong verdicts are counted and fail the run (-x)" \
	bash -c '[ "$1" = 1 ] && [ "$2" -gt 0 ]' _ "$rc" "$(field wrong)"
lg -x -s "$TMP/dg.sock" -p /Nope -c 1 -n 10 "${ARGS[@]}" && rc=0 || rc=$?
check "non-200 replies are failures" \
	bash -c '[ "$1" = 1 ] && [ "$2" = 10 ] && [ "$3" = 0 ]' _ "$rc" "$(field fail)" "$(field ok)"
check "dockgate is still up" kill -0 "$DG_PID"

# Workers poll for the next request only while requests come close
# together (spinwait.h): once the load stops, dockgate must sleep. 2 s are
# 200 clock ticks of one core; a worker that kept polling would use them.
ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
sleep 0.2
t0=$(ticks "$DG_PID")
sleep 2
t1=$(ticks "$DG_PID")
check "idle after the load: $((t1 - t0)) clock ticks of CPU in 2 s (at most 4)" \
	[ $((t1 - t0)) -le 4 ]

# --spin-us outside 0-1000 is refused: a typo must not start a server that
# polls for a second after every request.
for bad in -1 1001 50x ''; do
	"$DOCKGATE" serve --policy "$POLICY" --socket "$TMP/bad.sock" \
		--spin-us "$bad" 2>"$TMP/bad.err" && rc=0 || rc=$?
	check "--spin-us '$bad' is refused (exit $rc)" \
		bash -c '[ "$1" = 2 ] && grep -q -- "--spin-us takes 0 to 1000" "$2"' \
		_ "$rc" "$TMP/bad.err"
done

check_summary bench-smoke
