#!/usr/bin/env bash
# Hostile input against a running dockgate (see hostile.py for the cases),
# then `dockgate check` on policy files built to hurt: a 10 MB YAML alias
# bomb and binary garbage must fail cleanly and fast.
#
#   DOCKGATE=build/dockgate tests/robustness/run.sh      (make robustness)
#
# DOCKGATE may carry a wrapper; RSS_MAX_MB bounds the daemon's VmRSS (64 by
# default; sanitizer builds need more).
set -uo pipefail

DOCKGATE=${DOCKGATE:-build/dockgate}
RSS_MAX_MB=${RSS_MAX_MB:-64}
IDLE=3
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
TMP=$(mktemp -d /tmp/dockgate-rb.XXXXXX)
SOCK=$TMP/dg.sock
LOG=$TMP/dockgate.log
PID=
fail=0

cleanup() {
	if [ -n "$PID" ] && kill -0 "$PID" 2>/dev/null; then
		kill -TERM "$PID" 2>/dev/null
		wait "$PID" 2>/dev/null
	fi
	rm -rf "$TMP"
}
trap cleanup EXIT

# shellcheck disable=SC2086 # DOCKGATE may be a command with arguments
$DOCKGATE serve --policy "$ROOT/tests/policies/five.yaml" --socket "$SOCK" \
	--idle-timeout $IDLE 2>"$LOG" &
PID=$!
for i in $(seq 1 300); do
	[ -S "$SOCK" ] && curl -s -o /dev/null --unix-socket "$SOCK" -X POST \
		http://dockgate/Plugin.Activate && break
	sleep 0.1
done
[ -S "$SOCK" ] || { echo "dockgate did not come up" >&2; cat "$LOG" >&2; exit 1; }

python3 "$ROOT/tests/robustness/hostile.py" "$SOCK" "$PID" \
	"$ROOT/tests/fixtures/captures" "$IDLE" "$RSS_MAX_MB" || fail=$((fail + 1))

# A policy reload after all of it (the ASan run then checks for leaks across
# it), and the daemon still judges.
kill -HUP "$PID"
for i in $(seq 1 100); do grep -q 'reloaded' "$LOG" && break; sleep 0.1; done
r=$(curl -s -m 10 --unix-socket "$SOCK" -X POST \
	--data-binary @"$ROOT/tests/fixtures/captures/create-hardened.1.json" \
	http://dockgate/AuthZPlugin.AuthZReq)
if grep -q 'reloaded' "$LOG" && [ "$r" = '{"Allow":true}' ]; then
	echo "ok   - SIGHUP reloads the policy, and a valid request is still allowed"
else
	echo "FAIL - reload after hostile input: reply '$r'"
	fail=$((fail + 1))
fi

kill -TERM "$PID"
rc=0
wait "$PID" || rc=$?
PID=
if [ "$rc" = 0 ]; then
	echo "ok   - the daemon stops cleanly (exit 0) after all of it"
else
	echo "FAIL - the daemon exited $rc; last lines of its log:"
	tail -n 30 "$LOG"
	fail=$((fail + 1))
fi

# check_policy NAME FILE: exit 1, an error naming the file, within 2 s, and
# no crash (a signal would be > 128).
check_policy() {
	local name=$1 file=$2 t0 t1 out rc=0
	t0=$(date +%s%N)
	# shellcheck disable=SC2086
	out=$($DOCKGATE check "$file" 2>&1) || rc=$?
	t1=$(date +%s%N)
	local ms=$(((t1 - t0) / 1000000))
	if [ "$rc" = 1 ] && grep -q "^$file:" <<<"$out" && [ "$ms" -lt 2000 ]; then
		echo "ok   - check on $name fails cleanly in ${ms} ms: $(head -n 1 <<<"$out" | cut -c1-100)"
	else
		echo "FAIL - check on $name: exit $rc after ${ms} ms:"
		head -n 5 <<<"$out"
		fail=$((fail + 1))
	fi
}

python3 - "$TMP/bomb.yaml" <<'PY'
import sys
# The billion-laughs shape, padded to 10 MB: every level aliases the one
# before it ten times.
with open(sys.argv[1], "w") as f:
    f.write("version: 1\nrules:\n  capabilities:\n    allow: &a0 [NET_ADMIN]\n")
    f.write("x0: &b0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n")
    for i in range(1, 30):
        f.write("x%d: &b%d [%s]\n" % (i, i, ", ".join(["*b%d" % (i - 1)] * 10)))
    pad = "# " + "a" * 98 + "\n"
    while f.tell() < 10 * 1024 * 1024:
        f.write(pad)
PY
check_policy "a 10 MB YAML alias bomb" "$TMP/bomb.yaml"
python3 - "$TMP/bomb-small.yaml" <<'PY'
import sys
with open(sys.argv[1], "w") as f:
    f.write("version: 1\nx0: &b0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n")
    for i in range(1, 30):
        f.write("x%d: &b%d [%s]\n" % (i, i, ", ".join(["*b%d" % (i - 1)] * 10)))
PY
check_policy "a small YAML alias bomb" "$TMP/bomb-small.yaml"
head -c $((10 * 1024 * 1024)) /dev/urandom >"$TMP/garbage.yaml"
check_policy "10 MB of binary garbage" "$TMP/garbage.yaml"
head -c 4096 /dev/urandom >"$TMP/garbage-small.yaml"
check_policy "4 KB of binary garbage" "$TMP/garbage-small.yaml"
printf 'version: 1\nrules: {\0no-root: deny}\n' >"$TMP/nul.yaml"
check_policy "a NUL byte in YAML" "$TMP/nul.yaml"

echo "robustness: $([ "$fail" = 0 ] && echo passed || echo "$fail parts failed")"
[ "$fail" = 0 ]
