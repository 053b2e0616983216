# shellcheck shell=bash
# Shared by tests/bench/bench.sh and scaling.sh: background servers whose
# pids go into PIDS, stopped (TERM, then KILL after 5 s) and $TMP removed
# on exit. The caller sets TMP and defines say().

# shellcheck source=tests/lib/wait.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/wait.sh"

PIDS=()

daemons_cleanup() {
	local p
	for p in "${PIDS[@]}"; do
		kill -TERM "$p" 2>/dev/null || true
	done
	for p in "${PIDS[@]}"; do
		# Bounded: 5 s, then KILL.
		for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done
	rm -rf "$TMP"
}
trap daemons_cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# wait_sock SOCK PID: until SOCK accepts a POST, at most 10 s.
wait_sock() {
	wait_answers "$1" "$2" && return 0
	say "nothing answers on $1"
	return 1
}

# serve_bg BINARY POLICY SOCK: `BINARY serve` in the background, its
# decision log to /dev/null (one write(2) per decision, as in production,
# without filling the disk); the pid is the last element of PIDS.
serve_bg() {
	"$1" serve --policy "$2" --socket "$3" 2>/dev/null &
	PIDS+=($!)
	wait_sock "$3" $!
}
