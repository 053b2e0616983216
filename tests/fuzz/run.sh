#!/usr/bin/env bash
# Runs the libFuzzer targets for a bounded time each and fails on any crash,
# leak, timeout or out-of-memory (libFuzzer exits non-zero and leaves the
# input in build/fuzz/artifacts/).
#
#   tests/fuzz/run.sh SECONDS [TARGET...]     (make fuzz, make fuzz-smoke)
#
# FUZZ_JOBS targets run at once (default 2). Each target starts from its
# committed seeds in tests/fuzz/corpus/TARGET, read only; what it finds goes
# to build/fuzz/corpus/TARGET, which later runs start from too.
set -uo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT" || exit 2
SECONDS_EACH=${1:?usage: run.sh SECONDS [TARGET...]}
shift
TARGETS=("$@")
[ ${#TARGETS[@]} -gt 0 ] || TARGETS=(authz create decide imageref jdoc policy)
JOBS=${FUZZ_JOBS:-2}
BIN=build/fuzz
mkdir -p "$BIN/logs" "$BIN/artifacts"

# A unit slower than 10 s is a hang; 2 GB is far beyond any real input.
FLAGS=(-max_total_time="$SECONDS_EACH" -timeout=10 -rss_limit_mb=2048
	-malloc_limit_mb=2048 -detect_leaks=1 -print_final_stats=1 -max_len=65536)
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

run_one() {
	local t=$1
	local dict=()
	case $t in
	authz | create | decide | jdoc) dict=(-dict=tests/fuzz/json.dict) ;;
	esac
	mkdir -p "$BIN/corpus/$t"
	"$BIN/fuzz_$t" "${FLAGS[@]}" "${dict[@]}" -artifact_prefix="$BIN/artifacts/$t-" \
		"$BIN/corpus/$t" "tests/fuzz/corpus/$t" >"$BIN/logs/$t.log" 2>&1
	echo $? >"$BIN/logs/$t.rc"
}

for t in "${TARGETS[@]}"; do
	[ -x "$BIN/fuzz_$t" ] || { echo "fuzz: $BIN/fuzz_$t not built" >&2; exit 2; }
	rm -f "$BIN/logs/$t.rc"
	while [ "$(jobs -rp | wc -l)" -ge "$JOBS" ]; do sleep 1; done
	echo "fuzz: $t for ${SECONDS_EACH}s"
	run_one "$t" &
done
wait

failed=0
for t in "${TARGETS[@]}"; do
	rc=$(cat "$BIN/logs/$t.rc" 2>/dev/null || echo 99)
	execs=$(grep -o 'stat::number_of_executed_units: [0-9]*' "$BIN/logs/$t.log" | grep -o '[0-9]*$')
	cov=$(grep -o 'cov: [0-9]*' "$BIN/logs/$t.log" | tail -n 1)
	if [ "$rc" = 0 ]; then
		echo "fuzz: $t ok (${execs:-?} runs, ${cov:-cov: ?})"
	else
		failed=$((failed + 1))
		echo "fuzz: $t FAILED (exit $rc); log $BIN/logs/$t.log:" >&2
		grep -E 'ERROR|SUMMARY|check failed|artifact|Test unit written' "$BIN/logs/$t.log" >&2
		tail -n 40 "$BIN/logs/$t.log" >&2
	fi
done
echo "fuzz: ${#TARGETS[@]} targets, $failed failed"
[ "$failed" = 0 ]
