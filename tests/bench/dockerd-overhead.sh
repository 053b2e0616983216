#!/usr/bin/env bash
# What dockgate costs a docker user: `docker ps` and `docker create` latency
# on a private dockerd (tests/e2e/lib.sh) without and with dockgate serving
# POLICY, alternating blocks of runs so that load from elsewhere on the
# machine hits both sides alike.
#
#   DOCKGATE=build/dockgate tests/bench/dockerd-overhead.sh POLICY [RUNS] [BLOCK]
#
# RUNS per command and side (default 50), in blocks of BLOCK (default 5);
# each block starts a fresh dockerd, with or without the plugin. Needs root.
# The last lines are machine-readable:
#   overhead cmd=ps without_ms=M with_ms=M ratio=R
#   overhead cmd=create without_ms=M with_ms=M ratio=R
#   overhead dockgate decisions=N mean_decide_us=U
# (medians of the runs, in milliseconds; the last line is dockgate's own
# share: the AuthZReq decisions it logged and their mean latency_us).
set -euo pipefail

# shellcheck source=tests/e2e/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../e2e/lib.sh"

POLICY=$(realpath "$1")
RUNS=${2:-50}
BLOCK=${3:-5}
# A create that default.yaml allows (compliant flags, approved registry), so
# both sides do the same work.
CREATE=(create --user 1000:1000 --read-only --memory 64m --cpus 0.5
	--pids-limit 50 --cap-drop ALL "$E2E_IMAGE_OK" /bin/true)

ms() { echo $(($(date +%s%N) / 1000000)); }

# run_block SIDE: BLOCK timed runs of each command, appended to
# $E2E_DIR/SIDE.ps and $E2E_DIR/SIDE.create (one duration in µs per line).
run_block() {
	local side=$1 i t0 t1
	# A first call warms dockerd's caches (and the plugin connection).
	timeout 30 docker ps >/dev/null
	for ((i = 0; i < BLOCK; i++)); do
		t0=$(date +%s%N)
		timeout 30 docker ps >/dev/null
		t1=$(date +%s%N)
		echo $(((t1 - t0) / 1000)) >>"$E2E_DIR/$side.ps"
		t0=$(date +%s%N)
		timeout 30 docker "${CREATE[@]}" >/dev/null
		t1=$(date +%s%N)
		echo $(((t1 - t0) / 1000)) >>"$E2E_DIR/$side.create"
	done
	# Keep the container count the same for every block.
	local ids
	ids=$(timeout 30 docker ps -aq)
	# shellcheck disable=SC2086 # ids are hex words
	[ -z "$ids" ] || timeout 60 docker rm $ids >/dev/null
}

median_ms() {
	sort -n "$1" | awk '{ v[NR] = $1 } END {
		m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
		printf "%.1f", m / 1000 }'
}

main() {
	e2e_init
	e2e_build_images
	e2e_plugin_spec_discovery
	e2e_start_dockgate "$POLICY"
	local blocks=$(((RUNS + BLOCK - 1) / BLOCK)) b t0
	t0=$(ms)
	for ((b = 0; b < blocks; b++)); do
		e2e_start_dockerd ""
		run_block without
		e2e_stop_dockerd
		e2e_start_dockerd "$E2E_NAME"
		run_block with
		e2e_stop_dockerd
	done
	echo "dockerd overhead: $RUNS runs per command and side in blocks of $BLOCK," \
		"$(((($(ms) - t0)) / 1000)) s"
	local cmd a w
	for cmd in ps create; do
		a=$(median_ms "$E2E_DIR/without.$cmd")
		w=$(median_ms "$E2E_DIR/with.$cmd")
		echo "overhead cmd=$cmd without_ms=$a with_ms=$w ratio=$(awk -v a="$a" -v w="$w" 'BEGIN { printf "%.3f", w / a }')"
	done
	sed -n 's/.* dockgate: .* latency_us=\([0-9]*\)$/\1/p' "$E2E_DOCKGATE_LOG" |
		awk '{ n++; s += $1 } END { printf "overhead dockgate decisions=%d mean_decide_us=%.1f\n", n, n ? s / n : 0 }'
}

main
