#!/usr/bin/env bash
# Integration test: starts `dockgate serve` on a temporary socket and drives
# it over HTTP with curl, the way dockerd does. DOCKGATE is the command to
# run (it may be "valgrind ... build/dockgate"); DOCKGATE_SLOW=1 makes the
# load cases lighter for slow runners such as valgrind.
set -uo pipefail

DOCKGATE=${DOCKGATE:-build/dockgate}
SLOW=${DOCKGATE_SLOW:-0}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
CAP="$ROOT/tests/fixtures/captures"
TMP=$(mktemp -d /tmp/dockgate-it.XXXXXX)
SOCK="$TMP/dg.sock"
POLICY="$TMP/policy.yaml"
LOG="$TMP/dockgate.log"
PID=
# shellcheck source=tests/lib/check.sh
source "$ROOT/tests/lib/check.sh"
# shellcheck source=tests/lib/wait.sh
source "$ROOT/tests/lib/wait.sh"

cleanup() {
	if [ -n "$PID" ] && kill -0 "$PID" 2>/dev/null; then
		kill -TERM "$PID" 2>/dev/null
		wait "$PID" 2>/dev/null
	fi
	rm -rf "$TMP"
}
trap cleanup EXIT

# Starts the daemon with the given policy; waits until it answers.
start() {
	# shellcheck disable=SC2086 # DOCKGATE may be a command with arguments
	$DOCKGATE serve --policy "$1" --socket "$SOCK" 2>>"$LOG" &
	PID=$!
	wait_answers "$SOCK" "$PID" 30 && return 0
	echo "dockgate did not come up; log:" >&2
	cat "$LOG" >&2
	return 1
}

# Stops the daemon with SIGTERM; returns its exit status.
stop() {
	kill -TERM "$PID"
	local rc=0
	wait "$PID" || rc=$?
	PID=
	return $rc
}

# authz FILE -> prints the reply body of an AuthZReq
authz() {
	curl -s --unix-socket "$SOCK" -X POST --data-binary @"$1" \
		http://dockgate/AuthZPlugin.AuthZReq
}

cp "$ROOT/tests/policies/five.yaml" "$POLICY"
start "$POLICY" || exit 1

# --- the protocol -----------------------------------------------------------
r=$(curl -s --unix-socket "$SOCK" -X POST http://dockgate/Plugin.Activate)
detail=$r check "Plugin.Activate answers authz" [ "$r" = '{"Implements":["authz"]}' ]

r=$(authz "$CAP/create-hardened.1.json")
detail=$r check "compliant create is allowed" [ "$r" = '{"Allow":true}' ]

r=$(authz "$CAP/create-default.1.json")
detail=$r check "default create is denied with rule ids and fixes" \
	grep -q '"Allow":false.*\[no-root\].*add --user 1000:1000.*\[read-only-rootfs\].*\[resource-limits\]' <<<"$r"

python3 - "$CAP/create-uid0.1.json" >"$TMP/nobody.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1])); d.pop("RequestBody"); print(json.dumps(d))
PY
r=$(authz "$TMP/nobody.json")
detail=$r check "create without a body is denied [request-body]" \
	grep -q '"Allow":false.*\[request-body\] no request body' <<<"$r"

printf '{"RequestMethod":"POST","RequestUri":"/containers/create",' >"$TMP/garbage.json"
r=$(authz "$TMP/garbage.json")
detail=$r check "garbage AuthZ JSON is denied [authz-request]" \
	grep -q '"Allow":false.*\[authz-request\]' <<<"$r"

r=$(curl -s --unix-socket "$SOCK" -X POST --data-binary @"$CAP/run-rm.4.json" \
	http://dockgate/AuthZPlugin.AuthZRes)
detail=$r check "AuthZRes allows" [ "$r" = '{"Allow":true}' ]

code=$(curl -s -o "$TMP/404" -w '%{http_code}' --unix-socket "$SOCK" -X POST \
	http://dockgate/Nope)
detail="$code $(cat "$TMP/404")" check "unknown path is a 404 with a JSON error" \
	bash -c '[ "$1" = 404 ] && python3 -c "import json,sys; assert \"Err\" in json.load(open(sys.argv[1]))" "$2"' _ "$code" "$TMP/404"

code=$(curl -s -o /dev/null -w '%{http_code}' --unix-socket "$SOCK" \
	http://dockgate/AuthZPlugin.AuthZReq)
detail=$code check "GET on a plugin endpoint is refused (405)" [ "$code" = 405 ]

# --- self-protection: the default --self-name is dockgate ----------------------
printf '{"RequestMethod":"POST","RequestUri":"/v1.41/plugins/dockgate:latest/disable"}' \
	>"$TMP/self-disable.json"
r=$(authz "$TMP/self-disable.json")
detail=$r check "disabling the plugin dockgate is denied [self-protection]" \
	grep -q '"Allow":false.*\[self-protection\] plugin \\"dockgate:latest\\" is dockgate itself' <<<"$r"
r=$(authz "$CAP/plugin-disable.1.json")
detail=$r check "disabling another plugin is allowed" [ "$r" = '{"Allow":true}' ]

# --- size limit, and the connection stays usable -----------------------------
head -c $((9 * 1024 * 1024)) /dev/zero | tr '\0' 'a' >"$TMP/big.json"
curl -sv --unix-socket "$SOCK" -X POST --data-binary @"$TMP/big.json" \
	http://dockgate/AuthZPlugin.AuthZReq -o "$TMP/big.out" \
	--next --unix-socket "$SOCK" -X POST --data-binary @"$CAP/create-hardened.1.json" \
	http://dockgate/AuthZPlugin.AuthZReq -o "$TMP/after.out" 2>"$TMP/big.err"
detail=$(cat "$TMP/big.out") check "a 9 MiB AuthZ request is denied as too large" \
	grep -q '"Allow":false.*larger than 8388608 bytes' "$TMP/big.out"
detail=$(cat "$TMP/after.out") check "the same connection then answers a valid request" \
	bash -c 'grep -q "Re-using existing connection\|Reusing existing connection" "$1" && [ "$(cat "$2")" = "{\"Allow\":true}" ]' _ "$TMP/big.err" "$TMP/after.out"

# --- concurrency ---------------------------------------------------------------
clients=16
per=40
[ "$SLOW" = 1 ] && per=6 # even: half allowed, half denied
for c in $(seq 1 $clients); do
	(
		args=()
		for i in $(seq 1 $per); do
			if [ $((i % 2)) = 0 ]; then f=create-hardened.1.json; else f=create-root-user.1.json; fi
			# --next resets every option, the socket too
			args+=(--unix-socket "$SOCK" -X POST --data-binary @"$CAP/$f"
				http://dockgate/AuthZPlugin.AuthZReq -w '\n' --next)
		done
		curl -s "${args[@]}" --unix-socket "$SOCK" -X POST http://dockgate/Plugin.Activate -o /dev/null
	) >"$TMP/conc.$c" &
done
wait_ok=1
for job in $(jobs -p); do [ "$job" = "$PID" ] || wait "$job" || wait_ok=0; done
allows=$(cat "$TMP"/conc.* | grep -c '^{"Allow":true}$')
denies=$(cat "$TMP"/conc.* | grep -c '^{"Allow":false.*\[no-root\]')
want=$((clients * per / 2))
detail="allows=$allows denies=$denies want $want each" \
	check "$clients concurrent keep-alive clients get every verdict right" \
	[ "$wait_ok" = 1 -a "$allows" = "$want" -a "$denies" = "$want" ]

# --- reload ------------------------------------------------------------------------
r=$(authz "$CAP/create-uid0.1.json")
detail=$r check "before reload: uid 0 denied" grep -q '"Allow":false' <<<"$r"
printf 'version: 1\nrules:\n  read-only-rootfs: deny\n' >"$POLICY"
kill -HUP "$PID"
for i in $(seq 1 100); do grep -q 'reloaded' "$LOG" && break; sleep 0.1; done
r=$(authz "$CAP/create-uid0.1.json")
detail=$r check "SIGHUP loads the new policy" [ "$r" = '{"Allow":true}' ]
printf 'version: 1\nrules:\n  no-rot: deny\n' >"$POLICY"
kill -HUP "$PID"
for i in $(seq 1 100); do grep -q 'reload of .* failed' "$LOG" && break; sleep 0.1; done
r=$(authz "$CAP/create-default.1.json")
detail="$r / $(grep -c "unknown rule 'no-rot'" "$LOG")" \
	check "an invalid policy on SIGHUP is reported and the old one kept" \
	bash -c 'grep -q "\[read-only-rootfs\]" <<<"$1" && grep -q "no-rot" "$2"' _ "$r" "$LOG"

# --- socket handling and shutdown ----------------------------------------------
mode=$(stat -c %a "$SOCK")
detail=$mode check "socket mode is 0660" [ "$mode" = 660 ]

cp "$ROOT/tests/policies/five.yaml" "$POLICY"
out=$($DOCKGATE serve --policy "$POLICY" --socket "$SOCK" 2>&1)
rc=$?
detail="rc=$rc $out" check "a second instance refuses a live socket" \
	bash -c '[ "$1" != 0 ] && grep -q "another process is serving" <<<"$2"' _ "$rc" "$out"

stop
rc=$?
detail="rc=$rc" check "SIGTERM stops cleanly (exit 0) and removes the socket" \
	bash -c '[ "$1" = 0 ] && [ ! -e "$2" ]' _ "$rc" "$SOCK"

# A stale socket file (its owner died) is replaced.
python3 -c 'import socket,sys; s=socket.socket(socket.AF_UNIX); s.bind(sys.argv[1])' "$SOCK"
start "$POLICY"
r=$(authz "$CAP/create-hardened.1.json")
detail=$r check "a stale socket file is replaced" [ "$r" = '{"Allow":true}' ]
stop

printf 'version: 1\nmode: enforse\nrules:\n  no-rot: deny\n' >"$TMP/bad.yaml"
out=$($DOCKGATE serve --policy "$TMP/bad.yaml" --socket "$TMP/bad.sock" 2>&1)
rc=$?
detail="rc=$rc $out" check "an invalid policy is never served: every error printed, no socket" \
	bash -c '[ "$1" != 0 ] && [ ! -e "$3" ] && [ "$(grep -c "bad.yaml:[0-9]*:[0-9]*: " <<<"$2")" -ge 2 ]' _ "$rc" "$out" "$TMP/bad.sock"

# --- socket activation (sd_listen_fds) ----------------------------------------
if command -v systemd-socket-activate >/dev/null; then
	# shellcheck disable=SC2086
	systemd-socket-activate -l "$TMP/sa.sock" $DOCKGATE serve --policy "$POLICY" \
		2>>"$LOG" &
	sa=$!
	for i in $(seq 1 100); do [ -S "$TMP/sa.sock" ] && break; sleep 0.05; done
	r=$(curl -s -m 60 --unix-socket "$TMP/sa.sock" -X POST \
		--data-binary @"$CAP/create-default.1.json" http://dockgate/AuthZPlugin.AuthZReq)
	detail=$r check "systemd-socket-activate: the inherited socket is served" \
		grep -q '"Allow":false.*\[no-root\]' <<<"$r"
	# The startup line is written once the server runs, which may be just
	# after it answered the first request.
	for i in $(seq 1 100); do grep -q "on an inherited socket" "$LOG" && break; sleep 0.1; done
	detail=$(tail -3 "$LOG") check "startup log names the inherited socket" \
		grep -q "on an inherited socket" "$LOG"
	kill -TERM $sa 2>/dev/null
	wait $sa 2>/dev/null
else
	bad "systemd-socket-activate is installed (package systemd)"
fi

# A request sent while the service restarts waits in the socket's backlog
# and is answered by the next instance.
# shellcheck disable=SC2086
python3 "$ROOT/tests/integration/sockact.py" "$TMP/sr.sock" "$TMP/sr.pid" 1 2 \
	$DOCKGATE serve --policy "$POLICY" 2>>"$LOG" &
holder=$!
for i in $(seq 1 100); do [ -s "$TMP/sr.pid" ] && break; sleep 0.05; done
first=$(cat "$TMP/sr.pid")
r=$(curl -s -m 60 --unix-socket "$TMP/sr.sock" -X POST \
	--data-binary @"$CAP/create-hardened.1.json" http://dockgate/AuthZPlugin.AuthZReq)
kill -TERM "$first"
# Once the first instance is gone, no process listens: the request waits in
# the socket's backlog until the supervisor has started the next one.
for i in $(seq 1 300); do kill -0 "$first" 2>/dev/null || break; sleep 0.1; done
r2=$(curl -s -m 60 --unix-socket "$TMP/sr.sock" -X POST \
	--data-binary @"$CAP/create-uid0.1.json" http://dockgate/AuthZPlugin.AuthZReq)
second=$(cat "$TMP/sr.pid")
detail="$r / $r2 / pids $first $second" \
	check "a request made during a restart is answered by the next instance" \
	bash -c '[ "$1" = "{\"Allow\":true}" ] && grep -q "\[no-root\]" <<<"$2" && [ "$3" != "$4" ]' \
	_ "$r" "$r2" "$first" "$second"
kill -TERM "$holder" 2>/dev/null
wait "$holder" 2>/dev/null

# --- the offline commands --------------------------------------------------------
$DOCKGATE eval --policy "$POLICY" "$CAP/create-hardened.1.json" >/dev/null
rc=$?
$DOCKGATE eval --policy "$POLICY" - <"$CAP/create-default.1.json" >"$TMP/eval.out"
rc2=$?
$DOCKGATE eval --policy "$TMP/bad.yaml" "$CAP/create-default.1.json" >/dev/null 2>&1
rc3=$?
detail="$rc $rc2 $rc3" check "eval exits 0 on allow, 1 on deny, 2 on error" \
	[ "$rc" = 0 -a "$rc2" = 1 -a "$rc3" = 2 ]
detail=$(cat "$TMP/eval.out") check "eval prints the reply JSON" \
	grep -q '^{"Allow":false,"Msg":"3 policy violations:\\n\[no-root\]' "$TMP/eval.out"
$DOCKGATE eval --policy "$POLICY" "$CAP/plugin-disable.1.json" >/dev/null
rc=$?
$DOCKGATE eval --policy "$POLICY" --self-name other --self-name capture \
	"$CAP/plugin-disable.1.json" >"$TMP/eval-self.out"
rc2=$?
out=$($DOCKGATE eval --policy "$POLICY" --self-name 'Not A Name' - </dev/null 2>&1)
rc3=$?
detail="$rc $rc2 $rc3 $(cat "$TMP/eval-self.out") $out" \
	check "eval --self-name: the named plugin is protected, a bad name is an error (2)" \
	bash -c '[ "$1" = 0 ] && [ "$2" = 1 ] && [ "$3" = 2 ] &&
		grep -q "\[self-protection\] plugin \\\\\"capture\\\\\" is dockgate itself" "$4" &&
		grep -q "^dockgate eval: --self-name .Not A Name.: " <<<"$5"' \
	_ "$rc" "$rc2" "$rc3" "$TMP/eval-self.out" "$out"
out=$($DOCKGATE check "$POLICY" "$TMP/bad.yaml" 2>&1)
rc=$?
detail="rc=$rc $out" check "check prints FILE: ok and the errors of bad files, exit 1" \
	bash -c '[ "$1" = 1 ] && grep -q "^$2: ok$" <<<"$3" && grep -q "bad.yaml:4:3: unknown rule .no-rot." <<<"$3"' _ "$rc" "$POLICY" "$out"

grep -q 'RequestBody\|eyJ' "$LOG" && bad "the log never holds request bodies" || ok "the log never holds request bodies"

check_summary integration
