# shellcheck shell=bash
# Shared by tests/bench/smoke.sh and soak.sh: a dockgate on a temporary
# socket, cleaned up on exit, and the captures with their expected verdicts.

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
DOCKGATE=${DOCKGATE:-$ROOT/build/dockgate}
LOADGEN=${LOADGEN:-$ROOT/build/loadgen}
POLICY=${POLICY:-$ROOT/policies/default.yaml}
CAP=$ROOT/tests/fixtures/captures
# shellcheck source=tests/lib/wait.sh
source "$ROOT/tests/lib/wait.sh"
TMP=$(mktemp -d /tmp/dockgate-load.XXXXXX)
DG_PID=

bench_cleanup() {
	if [ -n "$DG_PID" ]; then
		kill -TERM "$DG_PID" 2>/dev/null || true
		for _ in $(seq 50); do kill -0 "$DG_PID" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$DG_PID" 2>/dev/null || true
		wait "$DG_PID" 2>/dev/null || true
	fi
	rm -rf "$TMP"
}
trap bench_cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Serves $POLICY on $TMP/dg.sock; waits (10 s at most) until it answers.
start_dockgate() {
	"$DOCKGATE" serve --policy "$POLICY" --socket "$TMP/dg.sock" 2>"$TMP/dockgate.log" &
	DG_PID=$!
	wait_answers "$TMP/dg.sock" "$DG_PID" && return 0
	echo "dockgate did not come up:" >&2
	cat "$TMP/dockgate.log" >&2
	return 1
}

# ARGS: every capture as FILE=allow|deny, the verdict `dockgate eval` gives
# it under $POLICY (one process for all of them).
verdict_args() {
	local files=("$CAP"/*.json) i=0 line
	ARGS=()
	while IFS= read -r line; do
		case "$line" in
		'{"Allow":true'*) ARGS+=("${files[$i]}=allow") ;;
		*) ARGS+=("${files[$i]}=deny") ;;
		esac
		i=$((i + 1))
	done < <("$DOCKGATE" eval --policy "$POLICY" "${files[@]}" || true)
	if [ "$i" != "${#files[@]}" ]; then
		echo "eval gave $i verdicts for ${#files[@]} captures" >&2
		return 1
	fi
}
