#!/usr/bin/env bash
# Integration test of the operational features (issue 6): the JSON audit
# log and its rotation, live reload under load (SIGHUP and --watch),
# metrics and health. Starts `dockgate serve` on temporary sockets and
# drives it with curl the way dockerd does. DOCKGATE is the command to run
# (it may be "valgrind ... build/dockgate"); DOCKGATE_SLOW=1 makes the load
# lighter for slow runners such as valgrind.
set -uo pipefail

DOCKGATE=${DOCKGATE:-build/dockgate}
SLOW=${DOCKGATE_SLOW:-0}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
CAP="$ROOT/tests/fixtures/captures"
TMP=$(mktemp -d /tmp/dockgate-ops.XXXXXX)
SOCK="$TMP/dg.sock"
POLICY="$TMP/policy.yaml"
LOG="$TMP/dockgate.log"
AUDIT="$TMP/audit.log"
PID=
# shellcheck source=tests/lib/check.sh
source "$ROOT/tests/lib/check.sh"
# shellcheck source=tests/lib/wait.sh
source "$ROOT/tests/lib/wait.sh"

fd_pid=
cleanup() {
	local p
	for p in "$PID" "$fd_pid"; do
		if [ -n "$p" ] && kill -0 "$p" 2>/dev/null; then
			kill -TERM "$p" 2>/dev/null
			wait "$p" 2>/dev/null
		fi
	done
	rm -rf "$TMP"
}
trap cleanup EXIT

# start ARGS...: dockgate serve --socket $SOCK ARGS; waits until it answers.
start() {
	# shellcheck disable=SC2086 # DOCKGATE may be a command with arguments
	$DOCKGATE serve --socket "$SOCK" "$@" 2>>"$LOG" &
	PID=$!
	wait_answers "$SOCK" "$PID" 30 && return 0
	echo "dockgate did not come up; log:" >&2
	cat "$LOG" >&2
	return 1
}

stop() {
	kill -TERM "$PID"
	local rc=0
	wait "$PID" || rc=$?
	PID=
	return $rc
}

authz() {
	curl -s --unix-socket "$SOCK" -X POST --data-binary @"$1" \
		http://dockgate/AuthZPlugin.AuthZReq
}

# waitfor SECONDS CMD...: polls CMD every 0.1 s.
waitfor() {
	local n=$(($1 * 10)) i
	shift
	for ((i = 0; i < n; i++)); do
		"$@" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

# jq-less JSON checks: pyjson FILE EXPR, EXPR a Python expression over
# `recs` (every line of FILE, parsed).
pyjson() {
	python3 - "$1" "$2" <<'PY'
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
ok = eval(sys.argv[2])
if not ok:
    print("records:", *recs, sep="\n  ", file=sys.stderr)
sys.exit(0 if ok else 1)
PY
}
export -f pyjson

# ---- audit log -----------------------------------------------------------------
cp "$ROOT/tests/policies/five.yaml" "$POLICY"
start --policy "$POLICY" --audit-log "$AUDIT" || exit 1
digest=$(sha256sum "$POLICY" | cut -d' ' -f1)
authz "$CAP/create-default.1.json" >/dev/null
authz "$CAP/create-hardened.1.json" >/dev/null
# /auth carries a password in its body; a made-up one is easy to grep for.
python3 - "$CAP/login.1.json" >"$TMP/login-secret.json" <<'PY'
import base64, json, sys
d = json.load(open(sys.argv[1]))
d["RequestBody"] = base64.b64encode(
    b'{"username":"u","password":"s3cr3t-XYZZY","serveraddress":"r.example.com"}').decode()
print(json.dumps(d))
PY
authz "$CAP/login.1.json" >/dev/null
authz "$TMP/login-secret.json" >/dev/null
waitfor 10 test "$(wc -l <"$AUDIT")" -ge 4
detail=$(cat "$AUDIT") check "one JSON object per decision, with exactly the documented fields" \
	pyjson "$AUDIT" 'len(recs) == 4 and all(sorted(r) == sorted(["time","user","auth_method","method","path","action","image","verdict","enforced","violations","policy_sha256","latency_us"]) for r in recs)'
detail=$(head -n1 "$AUDIT") check "a deny record: rules, messages, normalized image, policy sha256" \
	pyjson "$AUDIT" "recs[0]['verdict'] == 'deny' and recs[0]['enforced'] and [v['rule'] for v in recs[0]['violations']] == ['no-root','read-only-rootfs','resource-limits'] and recs[0]['violations'][0]['message'].startswith('[no-root] ') and recs[0]['image'] == 'docker.io/local/busybox:1' and recs[0]['policy_sha256'] == '$digest' and recs[0]['path'] == '/containers/create' and recs[0]['action'] == 'container_create'"
detail=$(sed -n 2p "$AUDIT") check "an allow record" \
	pyjson "$AUDIT" "recs[1]['verdict'] == 'allow' and recs[1]['enforced'] and recs[1]['violations'] == [] and isinstance(recs[1]['latency_us'], int)"
detail=$(sed -n 3,4p "$AUDIT") check "/auth is recorded as action auth" \
	pyjson "$AUDIT" "recs[2]['action'] == 'auth' and recs[2]['path'] == '/auth' and recs[2]['image'] is None"
body=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["RequestBody"])' "$CAP/login.1.json")
detail=$(cat "$AUDIT" "$LOG") check "the /auth body (password) never reaches the audit log or stderr" \
	bash -c '! grep -q -e "$1" -e "s3cr3t" -e password -e eyJ -e RequestBody -e User-Agent "$2" "$3"' _ "$body" "$AUDIT" "$LOG"

# Rotation: rename the file away, SIGUSR1, and the next record goes to a new
# file by the old name; nothing is lost.
mv "$AUDIT" "$AUDIT.1"
authz "$CAP/create-uid0.1.json" >/dev/null
kill -USR1 "$PID"
waitfor 10 test -e "$AUDIT"
authz "$CAP/create-hardened.1.json" >/dev/null
waitfor 10 test -s "$AUDIT"
detail="$(wc -l <"$AUDIT.1") + $(wc -l <"$AUDIT" 2>/dev/null)" \
	check "SIGUSR1 reopens the audit log after rotation; no record lost" \
	bash -c '[ "$(wc -l <"$1")" = 5 ] && [ "$(wc -l <"$2")" = 1 ]' _ "$AUDIT.1" "$AUDIT"
kill -0 "$PID" && ok "the daemon survives SIGUSR1" || bad "the daemon survives SIGUSR1"
stop

# Audit mode and audit-only rules: would-deny records, requests allowed.
: >"$AUDIT"
start --policy "$ROOT/tests/policies/audit-mode.yaml" --audit-log "$AUDIT" || exit 1
r=$(authz "$CAP/create-default.1.json")
stop
detail="$r $(cat "$AUDIT")" check "mode: audit logs a would-deny record and allows" \
	bash -c '[ "$1" = "{\"Allow\":true}" ] && pyjson "$2" "recs[0][\"verdict\"] == \"deny\" and recs[0][\"enforced\"] is False and len(recs[0][\"violations\"]) == 3 and not any(v[\"enforced\"] for v in recs[0][\"violations\"])"' _ "$r" "$AUDIT"
: >"$AUDIT"
start --policy "$ROOT/tests/policies/rootfs-audit.yaml" --audit-log - >"$AUDIT" || exit 1
r=$(authz "$CAP/create-hardened.1.json")
python3 - "$CAP/create-hardened.1.json" >"$TMP/writable.json" <<'PY'
import base64, json, sys
d = json.load(open(sys.argv[1]))
b = json.loads(base64.b64decode(d["RequestBody"]))
b["HostConfig"]["ReadonlyRootfs"] = False
d["RequestBody"] = base64.b64encode(json.dumps(b).encode()).decode()
print(json.dumps(d))
PY
r=$(authz "$TMP/writable.json")
stop
detail="$r $(cat "$AUDIT")" check "--audit-log -: an action: audit rule gives a would-deny record on stdout" \
	bash -c '[ "$1" = "{\"Allow\":true}" ] && pyjson "$2" "len(recs) == 2 and recs[1][\"verdict\"] == \"deny\" and not recs[1][\"enforced\"] and recs[1][\"violations\"][0][\"rule\"] == \"read-only-rootfs\""' _ "$r" "$AUDIT"

# ---- live reload under load ------------------------------------------------------
# Two policies that deny the same request for different rules, so every
# verdict names the policy that made it (tests/integration/reload_load.py).
clients=4
[ "$SLOW" = 1 ] && clients=2
printf 'version: 1\nrules:\n  no-root: deny\n' >"$TMP/a.yaml"
printf 'version: 1\nrules:\n  read-only-rootfs: deny\n' >"$TMP/b.yaml"
sha_a=$(sha256sum <"$TMP/a.yaml" | cut -d' ' -f1)
sha_b=$(sha256sum <"$TMP/b.yaml" | cut -d' ' -f1)
# consistent AUDIT: every record's violations are those of the policy its
# policy_sha256 names.
consistent() {
	pyjson "$1" "len(recs) > 0 and all(
		[v['rule'] for v in r['violations']] == {'$sha_a': ['no-root'], '$sha_b': ['read-only-rootfs']}[r['policy_sha256']]
		for r in recs)"
}
for mode in sighup watch; do
	cp "$TMP/a.yaml" "$POLICY"
	: >"$AUDIT"
	flags=()
	[ "$mode" = watch ] && flags=(--watch)
	start --policy "$POLICY" --audit-log "$AUDIT" "${flags[@]}" || exit 1
	out=$(python3 "$ROOT/tests/integration/reload_load.py" "$SOCK" "$POLICY" "$LOG" \
		"$CAP/create-uid0.1.json" "$PID" "$mode" 100 "$clients")
	rc=$?
	echo "       $out" | head -n 1
	detail=$out check "$mode: 100 reloads (valid/invalid) under load: 0 failed requests, every verdict from the policy in force, errors logged with positions" \
		[ "$rc" = 0 ]
	stop
	rc=$?
	detail="rc=$rc" check "$mode: clean stop after the reloads (no leak under valgrind)" [ "$rc" = 0 ]
	detail=$(grep -v "\"$sha_a\"\|\"$sha_b\"" "$AUDIT" | head -n 3) \
		check "$mode: every audit record matches the policy its sha256 names" consistent "$AUDIT"
done
grep -q "reloaded $POLICY (file changed): sha256 $sha_b" "$LOG" &&
	ok "--watch logs the reload with the new digest" ||
	bad "--watch logs the reload with the new digest"

# Kubernetes-style: the policy path is a symlink swapped by renaming another
# symlink over an intermediate one.
mkdir -p "$TMP/k8s/v1" "$TMP/k8s/v2"
cp "$TMP/a.yaml" "$TMP/k8s/v1/policy.yaml"
cp "$TMP/b.yaml" "$TMP/k8s/v2/policy.yaml"
ln -s v1 "$TMP/k8s/..data"
ln -s ..data/policy.yaml "$TMP/k8s/policy.yaml"
start --policy "$TMP/k8s/policy.yaml" --watch || exit 1
ln -s v2 "$TMP/k8s/..data_tmp" && mv -T "$TMP/k8s/..data_tmp" "$TMP/k8s/..data"
waitfor 10 grep -q "reloaded $TMP/k8s/policy.yaml (file changed): sha256 $sha_b" "$LOG"
detail=$(tail -n 3 "$LOG") check "--watch follows a swapped ..data symlink (ConfigMap)" \
	grep -q "reloaded $TMP/k8s/policy.yaml (file changed): sha256 $sha_b" "$LOG"
stop

# ---- metrics and health -----------------------------------------------------------
# metric NAME{LABELS} from a scrape in FILE (0 when absent).
metric() {
	awk -v k="$2" '$1 == k { v = $2 } END { print v == "" ? 0 : v }' "$1"
}
export -f metric
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cp "$ROOT/tests/policies/five.yaml" "$POLICY"
: >"$LOG" # the waits below must not see earlier reloads' lines
start --policy "$POLICY" --metrics "127.0.0.1:$port" || exit 1
curl -s "http://127.0.0.1:$port/metrics" >"$TMP/m0"
authz "$CAP/create-default.1.json" >/dev/null
authz "$CAP/create-hardened.1.json" >/dev/null
authz "$CAP/create-hardened.1.json" >/dev/null
authz "$CAP/login.1.json" >/dev/null
cp "$TMP/a.yaml" "$POLICY"
kill -HUP "$PID"
waitfor 10 grep -q "reloaded $POLICY (SIGHUP): sha256 $sha_a" "$LOG"
printf 'version: 1\nrules:\n  no-rot: deny\n' >"$POLICY"
kill -HUP "$PID"
waitfor 10 grep -q "reload of $POLICY (SIGHUP) failed" "$LOG"
curl -s "http://127.0.0.1:$port/metrics" >"$TMP/m1"
code=$(curl -s -o "$TMP/health" -w '%{http_code}' "http://127.0.0.1:$port/healthz")
detail="$(cat "$TMP/m1")" check "scrape: decisions by verdict and action move" \
	bash -c '[ "$(metric "$1" "dockgate_decisions_total{verdict=\"deny\",action=\"container_create\"}")" = 1 ] &&
		[ "$(metric "$1" "dockgate_decisions_total{verdict=\"allow\",action=\"container_create\"}")" = 2 ] &&
		[ "$(metric "$1" "dockgate_decisions_total{verdict=\"allow\",action=\"auth\"}")" = 1 ] &&
		[ "$(metric "$2" "dockgate_decisions_total{verdict=\"deny\",action=\"container_create\"}")" = 0 ]' _ "$TMP/m1" "$TMP/m0"
detail="$(grep violations "$TMP/m1")" check "scrape: violations by rule" \
	bash -c '[ "$(metric "$1" "dockgate_violations_total{rule=\"no-root\",enforced=\"true\"}")" = 1 ] &&
		[ "$(metric "$1" "dockgate_violations_total{rule=\"capabilities\",enforced=\"true\"}")" = 0 ]' _ "$TMP/m1"
detail="$(grep duration "$TMP/m1")" check "scrape: latency histogram counts every decision" \
	bash -c '[ "$(metric "$1" "dockgate_decision_duration_seconds_count")" = 4 ] &&
		[ "$(metric "$1" "dockgate_decision_duration_seconds_bucket{le=\"+Inf\"}")" = 4 ]' _ "$TMP/m1"
detail="$(grep -e reloads -e info "$TMP/m1")" check "scrape: reloads and failures, the digest info metric, build info" \
	bash -c '[ "$(metric "$1" "dockgate_policy_reloads_total{result=\"success\"}")" = 1 ] &&
		[ "$(metric "$1" "dockgate_policy_reloads_total{result=\"failure\"}")" = 1 ] &&
		grep -q "^dockgate_policy_info{.*sha256=\"$2\".*} 1$" "$1" &&
		grep -q "^dockgate_policy_info{.*sha256=\"$3\".*} 1$" "$4" &&
		grep -q "^dockgate_build_info{version=\"[^\"]*\"} 1$" "$1"' _ "$TMP/m1" "$sha_a" "$digest" "$TMP/m0"
detail="$code $(cat "$TMP/health")" check "GET /healthz is 200 ok" \
	bash -c '[ "$1" = 200 ] && [ "$(cat "$2")" = ok ]' _ "$code" "$TMP/health"
stop

cp "$TMP/a.yaml" "$POLICY"
start --policy "$POLICY" --metrics "$TMP/metrics.sock" || exit 1
authz "$CAP/create-uid0.1.json" >/dev/null
r=$(curl -s --unix-socket "$TMP/metrics.sock" http://dockgate/metrics)
code=$(curl -s -o /dev/null -w '%{http_code}' --unix-socket "$TMP/metrics.sock" http://dockgate/nope)
detail="$code $r" check "--metrics on a Unix socket; unknown paths are 404" \
	bash -c 'grep -q "^dockgate_violations_total{rule=\"no-root\",enforced=\"true\"} 1$" <<<"$1" && [ "$2" = 404 ]' _ "$r" "$code"
stop
detail="$(ls "$TMP")" check "the metrics socket is removed on stop" [ ! -e "$TMP/metrics.sock" ]

for addr in "0.0.0.0:$port" "192.0.2.1:$port" "[::]:$port" "nonsense"; do
	out=$($DOCKGATE serve --policy "$POLICY" --socket "$TMP/x.sock" --metrics "$addr" 2>&1)
	rc=$?
	detail="rc=$rc $out" check "--metrics $addr is refused (not loopback)" \
		bash -c '[ "$1" != 0 ] && grep -q -e "not a loopback address" -e "expected HOST:PORT" <<<"$2" && [ ! -e "$3" ]' _ "$rc" "$out" "$TMP/x.sock"
done

# ---- unset-user: inspect -------------------------------------------------------------
# A fake dockerd that, like the real one, asks dockgate to authorize the
# image look-up before answering it. One HTTP worker (--threads 1): if a
# worker waited for dockerd, the look-up's own authorization could never be
# answered.
printf 'version: 1\nrules:\n  no-root: {unset-user: inspect}\n' >"$TMP/inspect.yaml"
python3 "$ROOT/tests/integration/fake_dockerd.py" "$TMP/docker.sock" "$SOCK" "$TMP/lookups" &
fake=$!
waitfor 10 test -S "$TMP/docker.sock"
start --policy "$TMP/inspect.yaml" --threads 1 --docker-host "unix://$TMP/docker.sock" \
	--audit-log "$AUDIT" || exit 1
# create IMAGE [USER]: an AuthZReq for a container create, to stdout.
create() {
	python3 - "$@" <<'PY'
import base64, json, sys
body = {"Image": sys.argv[1], "HostConfig": {}}
if len(sys.argv) > 2:
    body["User"] = sys.argv[2]
print(json.dumps({"RequestMethod": "POST", "RequestUri": "/v1.41/containers/create",
    "RequestBody": base64.b64encode(json.dumps(body).encode()).decode()}))
PY
}
create registry.example.com/team/userimg:1 >"$TMP/c-user.json"
create registry.example.com/team/rootimg:1 >"$TMP/c-root.json"
create registry.example.com/team/rootname:1 >"$TMP/c-rootname.json"
create registry.example.com/team/absent:1 >"$TMP/c-absent.json"
create registry.example.com/team/rootimg:1 0 >"$TMP/c-explicit.json"
create "sha256:$(printf 'a%.0s' $(seq 64))" >"$TMP/c-id.json"
r=$(curl -s -m 30 --unix-socket "$SOCK" -X POST --data-binary @"$TMP/c-user.json" http://dockgate/AuthZPlugin.AuthZReq)
detail=$r check "inspect: an image with USER 1000 runs without --user" [ "$r" = '{"Allow":true}' ]
r=$(curl -s -m 30 --unix-socket "$SOCK" -X POST --data-binary @"$TMP/c-root.json" http://dockgate/AuthZPlugin.AuthZReq)
detail=$r check "inspect: an image without USER is denied [no-root]" \
	grep -q '"Allow":false.*\[no-root\] no user given, and image registry.example.com/team/rootimg:1 sets no USER' <<<"$r"
r=$(curl -s -m 30 --unix-socket "$SOCK" -X POST --data-binary @"$TMP/c-rootname.json" http://dockgate/AuthZPlugin.AuthZReq)
detail=$r check "inspect: an image with USER root:root is denied" \
	grep -q '"Allow":false.*runs as root (USER \\"root:root\\")' <<<"$r"
r=$(curl -s -m 30 --unix-socket "$SOCK" -X POST --data-binary @"$TMP/c-absent.json" http://dockgate/AuthZPlugin.AuthZReq)
detail=$r check "inspect: an image dockerd does not have is denied, saying to pull it" \
	grep -q '"Allow":false.*could not be looked up (it is not on this host yet; docker pull it first)' <<<"$r"
n0=$(cat "$TMP/lookups")
r=$(curl -s -m 30 --unix-socket "$SOCK" -X POST --data-binary @"$TMP/c-explicit.json" http://dockgate/AuthZPlugin.AuthZReq)
detail="$r lookups $n0 -> $(cat "$TMP/lookups")" check "inspect: an explicit --user is judged without a look-up" \
	bash -c 'grep -q "User \\\\\"0\\\\\"" <<<"$1" && [ "$2" = "$(cat "$3")" ]' _ "$r" "$n0" "$TMP/lookups"
r=$(curl -s -m 30 --unix-socket "$SOCK" -X POST --data-binary @"$TMP/c-id.json" http://dockgate/AuthZPlugin.AuthZReq)
detail="$r lookups $n0 -> $(cat "$TMP/lookups")" check "inspect: an image named by a cached ID is answered from the cache" \
	bash -c '[ "$1" = "{\"Allow\":true}" ] && [ "$2" = "$(cat "$3")" ]' _ "$r" "$n0" "$TMP/lookups"
# Every worker busy: 24 clients at once on one worker, each needing a look-up.
for c in $(seq 1 24); do
	if [ $((c % 2)) = 0 ]; then f=c-user.json; else f=c-root.json; fi
	curl -s -m 60 --unix-socket "$SOCK" -X POST --data-binary @"$TMP/$f" \
		http://dockgate/AuthZPlugin.AuthZReq -o "$TMP/par.$c" &
done
wait_ok=1
for job in $(jobs -p); do
	[ "$job" = "$PID" ] || [ "$job" = "$fake" ] || wait "$job" || wait_ok=0
done
allows=$(grep -lx '{"Allow":true}' "$TMP"/par.* | wc -l)
denies=$(grep -l 'sets no USER' "$TMP"/par.* | wc -l)
detail="allows=$allows denies=$denies" check "inspect: 24 concurrent look-ups on one worker: no deadlock, every verdict right" \
	[ "$wait_ok" = 1 -a "$allows" = 12 -a "$denies" = 12 ]
detail=$(grep -c SECRET "$AUDIT" "$LOG") check "inspect: nothing of the image's config but its user is logged" \
	bash -c '! grep -q SECRET "$1" "$2"' _ "$AUDIT" "$LOG"
stop
kill "$fake" 2>/dev/null
wait "$fake" 2>/dev/null
# Stopping while look-ups wait (each takes 0.5 s): the look-up lane
# finishes what it holds and resumes those connections, workers still
# answering are refused the lane, and it is freed only after they stop.
# Before, a worker could reach the freed lane (the ASan and valgrind runs
# of this suite are what would see it). The stop is clean, and every
# client gets a verdict or a closed connection, never a hang.
FAKE_DOCKERD_DELAY=0.5 python3 "$ROOT/tests/integration/fake_dockerd.py" \
	"$TMP/docker2.sock" "$SOCK" "$TMP/lookups2" &
fake=$!
waitfor 10 test -S "$TMP/docker2.sock"
start --policy "$TMP/inspect.yaml" --threads 2 --docker-host "unix://$TMP/docker2.sock" || exit 1
clients=()
for c in $(seq 1 8); do
	curl -s -m 60 --unix-socket "$SOCK" -X POST --data-binary @"$TMP/c-user.json" \
		http://dockgate/AuthZPlugin.AuthZReq -o "$TMP/stop.$c" &
	clients+=($!)
done
waitfor 10 test -s "$TMP/lookups2"
t0=$SECONDS
stop
rc=$?
wait "${clients[@]}"
waited=$((SECONDS - t0))
allowed=$(grep -lx '{"Allow":true}' "$TMP"/stop.* 2>/dev/null | wc -l)
detail="rc=$rc; stop and clients took ${waited} s; $allowed of 8 allowed" \
	check "inspect: a stop while look-ups wait is clean, finishes them, and leaves no client hanging" \
	[ "$rc" = 0 -a "$waited" -le 20 -a "$allowed" -ge 1 ]
kill "$fake" 2>/dev/null
wait "$fake" 2>/dev/null
# dockerd cannot be asked: fail closed, with the reason.
start --policy "$TMP/inspect.yaml" --docker-host "unix://$TMP/nothing.sock" || exit 1
r=$(curl -s -m 30 --unix-socket "$SOCK" -X POST --data-binary @"$TMP/c-user.json" http://dockgate/AuthZPlugin.AuthZReq)
detail=$r check "inspect: dockerd unreachable: denied with the reason" \
	grep -q '"Allow":false.*\[no-root\] no user given, and the user of image registry.example.com/team/userimg:1 could not be looked up (dockerd did not answer' <<<"$r"
stop
# libcurl is opened only by a policy that inspects, when it is loaded:
# not at start for one that does not, then on the reload that turns it on.
printf 'version: 1\nrules:\n  no-root: deny\n' >"$POLICY"
: >"$LOG"
start --policy "$POLICY" --docker-host "unix://$TMP/nothing.sock" || exit 1
detail=$(grep libcurl "/proc/$PID/maps") check "a policy that does not inspect: libcurl is not loaded" \
	bash -c '! grep -q libcurl "/proc/$1/maps"' _ "$PID"
cp "$TMP/inspect.yaml" "$POLICY"
kill -HUP "$PID"
waitfor 10 grep -q "reloaded $POLICY (SIGHUP)" "$LOG"
detail=$(cat "$LOG") check "reloading to a policy that inspects loads libcurl" grep -q libcurl "/proc/$PID/maps"
stop
# Without libcurl, inspect fails closed. DOCKGATE_TEST_LIBCURL (a test
# hook) names the library dlopen tries instead of libcurl.so.4.
create registry.example.com/team/rootimg:1 1000:1000 >"$TMP/c-1000.json"
for lib in libdockgate-test-absent.so.4 libz.so.1; do
	: >"$LOG"
	export DOCKGATE_TEST_LIBCURL=$lib
	start --policy "$TMP/inspect.yaml" --docker-host "unix://$TMP/nothing.sock" || exit 1
	unset DOCKGATE_TEST_LIBCURL
	r=$(curl -s -m 30 --unix-socket "$SOCK" -X POST --data-binary @"$TMP/c-user.json" http://dockgate/AuthZPlugin.AuthZReq)
	r2=$(curl -s -m 30 --unix-socket "$SOCK" -X POST --data-binary @"$TMP/c-1000.json" http://dockgate/AuthZPlugin.AuthZReq)
	stop
	if [ "$lib" = libz.so.1 ]; then
		want="libcurl4 is broken: libz.so.1 has no curl_global_init"
	else
		want="libcurl4 is missing on the dockgate host: $lib: cannot open shared object file"
	fi
	detail=$r check "inspect without libcurl ($lib): a create without --user is denied, saying why" \
		grep -qF "could not be looked up ($want" <<<"$r"
	detail=$(cat "$LOG") check "inspect without libcurl ($lib): the start logs it as an error" \
		grep -qF "unset-user: inspect: $want" "$LOG"
	detail=$r2 check "inspect without libcurl ($lib): --user 1000:1000 is still allowed" \
		[ "$r2" = '{"Allow":true}' ]
done
out=$($DOCKGATE serve --policy "$TMP/inspect.yaml" --socket "$TMP/x.sock" --docker-host https://x 2>&1)
detail=$out check "--docker-host refuses what it cannot speak" grep -q "expected unix:///PATH or tcp://HOST:PORT" <<<"$out"

# ---- logging -------------------------------------------------------------------------
cp "$TMP/a.yaml" "$POLICY"
: >"$LOG"
start --policy "$POLICY" || exit 1
authz "$CAP/create-uid0.1.json" >/dev/null
stop
detail=$(cat "$LOG") check "human log: startup names policy path, digest, rule count, mode and socket" \
	grep -q "^dockgate: serving $POLICY (sha256 $sha_a, 1 rules, mode enforce) on $SOCK; self-protected as dockgate; version " "$LOG"
detail=$(cat "$LOG") check "human log: one line per decision" \
	grep -q 'dockgate: deny action=container_create .*rules=no-root' "$LOG"

# Decision lines go out in batches from a thread of their own (declog.h):
# a lone decision's line still appears by itself, none is lost or cut
# when four clients send at once, and all are out before "stopping".
: >"$LOG"
start --policy "$POLICY" || exit 1
authz "$CAP/create-uid0.1.json" >/dev/null
waitfor 5 grep -q 'dockgate: deny action=container_create' "$LOG"
detail=$(cat "$LOG") check "human log: a lone decision's line is written without a stop or more traffic" \
	grep -q 'dockgate: deny action=container_create' "$LOG"
sent=1
CLIENTS=()
for c in 1 2 3 4; do
	(for f in "$CAP"/*.json; do authz "$f" >/dev/null; done) &
	CLIENTS+=($!)
done
for c in "${CLIENTS[@]}"; do wait "$c"; done
sent=$((sent + 4 * $(ls "$CAP"/*.json | wc -l)))
stop
decisions=$(grep -cE '^[0-9-]+T[0-9:.]+Z dockgate: (allow|deny) action=[a-z_]+ method="[A-Z]+" path=.* latency_us=[0-9]+$' "$LOG")
last=$(grep -nE 'Z dockgate: (allow|deny) ' "$LOG" | tail -1 | cut -d: -f1)
stopping=$(grep -n '^dockgate: stopping' "$LOG" | cut -d: -f1)
detail="$decisions whole decision lines for $sent requests; last at line $last, stopping at ${stopping:-none}" \
	check "human log: every decision of four concurrent clients has one whole line, all before stopping" \
	test "$decisions" = "$sent" -a -n "$stopping" -a "${last:-0}" -lt "${stopping:-0}"

: >"$LOG"
start --policy "$POLICY" --log-format json || exit 1
authz "$CAP/create-uid0.1.json" >/dev/null
printf 'version: 1\nrules:\n  no-rot: deny\n' >"$POLICY"
kill -HUP "$PID"
waitfor 10 grep -q "reload of" "$LOG"
stop
detail=$(cat "$LOG") check "--log-format json: every stderr line is a JSON object with time, level, msg" \
	pyjson "$LOG" "len(recs) >= 5 and all({'time','level','msg'} <= set(r) for r in recs)"
detail=$(cat "$LOG") check "--log-format json: startup, the decision record, the reload error with its position" \
	pyjson "$LOG" "(recs[0]['msg'].startswith('serving $POLICY (sha256 $sha_a, 1 rules, mode enforce) on $SOCK')
		and any(r['msg'] == 'decision' and r['verdict'] == 'deny' and r['violations'][0]['rule'] == 'no-root' for r in recs)
		and any(r['level'] == 'error' and r['msg'].startswith('$POLICY:3:3: unknown rule') for r in recs)
		and any(r['level'] == 'error' and r['msg'].startswith('reload of $POLICY (SIGHUP) failed') for r in recs))"
# The decision records are batched (declog); a line written directly, like
# the reload's error, sends what is queued first.
detail=$(cat "$LOG") check "--log-format json: the queued decision record comes before the later reload error" \
	pyjson "$LOG" "[i for i, r in enumerate(recs) if r['msg'] == 'decision'][0] < [i for i, r in enumerate(recs) if r['level'] == 'error'][0]"

cp "$TMP/a.yaml" "$POLICY"
: >"$LOG"
start --policy "$POLICY" --log-level warn || exit 1
authz "$CAP/create-uid0.1.json" >/dev/null
printf 'version: 1\nrules:\n  no-rot: deny\n' >"$POLICY"
kill -HUP "$PID"
waitfor 10 grep -q "reload of" "$LOG"
stop
detail=$(cat "$LOG") check "--log-level warn: no decision or startup lines, errors still logged" \
	bash -c '! grep -q -e "dockgate: deny" -e serving "$1" && grep -q "error: reload of" "$1"' _ "$LOG"
out=$($DOCKGATE serve --policy "$TMP/a.yaml" --socket "$TMP/x.sock" --log-format xml 2>&1)
rc=$?
detail="rc=$rc $out" check "--log-format and --log-level refuse unknown values" \
	bash -c '[ "$1" = 2 ] && grep -q "takes human or json" <<<"$2"' _ "$rc" "$out"

out=$($DOCKGATE serve --policy "$TMP/a.yaml" --socket "$TMP/x.sock" --audit-log "$TMP/no/such/dir/a.log" 2>&1)
rc=$?
detail="rc=$rc $out" check "an audit log that cannot be opened stops the start, before the socket" \
	bash -c '[ "$1" != 0 ] && grep -q "cannot open the audit log" <<<"$2" && [ ! -e "$3" ]' _ "$rc" "$out" "$TMP/x.sock"

# A start that runs out of descriptors part-way (after the decision-log
# thread, some libmicrohttpd daemons and their spin slots exist) undoes what
# it started. From the lowest descriptor limit at which the binary gets as
# far as a message of its own, up to the first at which it serves, every
# start fails with exit status 1, a "dockgate: error:" reason and its
# socket gone; none crashes or hangs. Four threads: four daemons, so
# several of those limits fail between the first daemon and the last.
# fd_start LIMIT: "serving" (left running as $fd_pid), "hung" or "rc=N".
fd_start() {
	rm -f "$TMP/fd.sock"
	# shellcheck disable=SC2086 # DOCKGATE may be a command with arguments
	(ulimit -n "$1" && exec $DOCKGATE serve --policy "$TMP/a.yaml" \
		--socket "$TMP/fd.sock" --threads 4) 2>"$TMP/fd.err" &
	fd_pid=$!
	local rc=0
	if wait_answers "$TMP/fd.sock" "$fd_pid" 30; then
		echo serving
		return
	fi
	if kill -0 "$fd_pid" 2>/dev/null; then
		kill -KILL "$fd_pid"
		wait "$fd_pid" 2>/dev/null
		echo hung
		return
	fi
	wait "$fd_pid" || rc=$?
	echo "rc=$rc"
}
fd_failed=0 fd_daemon=0 fd_served=0 fd_bad= fd_last= fd_from=3
# valgrind needs descriptors of its own, and below that it dies of an
# assertion (a log the sanitizer check would report): start where it runs.
if [[ $DOCKGATE == *valgrind* ]]; then
	while ((fd_from < 300)) && ! (ulimit -n "$fd_from" &&
		exec ${DOCKGATE% *} --log-file=/dev/null /bin/true) >/dev/null 2>&1; do
		fd_from=$((fd_from + 1))
	done
fi
for ((n = fd_from; n <= 300; n++)); do
	fd_start "$n" >"$TMP/fd.state"
	r=$(cat "$TMP/fd.state")
	if [ "$r" = serving ]; then
		fd_served=$n
		break
	fi
	# Below the limit the binary needs to reach main, nothing is ours.
	if ((fd_failed == 0)) && ! grep -q '^dockgate: ' "$TMP/fd.err"; then
		continue
	fi
	fd_failed=$((fd_failed + 1))
	fd_last=$(grep '^dockgate: error: ' "$TMP/fd.err" | tail -1)
	grep -q 'cannot start the HTTP server' "$TMP/fd.err" && fd_daemon=$((fd_daemon + 1))
	if [ "$r" != rc=1 ] || [ -z "$fd_last" ] || [ -e "$TMP/fd.sock" ] ||
		grep -qi -e sanitizer -e 'runtime error' "$TMP/fd.err"; then
		fd_bad+="limit $n: $r, socket $([ -e "$TMP/fd.sock" ] && echo left || echo gone): $(tr '\n' '|' <"$TMP/fd.err") "
	fi
	# One hang is the failure; more would only cost 30 s each.
	[ "$r" = hung ] && break
done
detail="served at ${fd_served}, ${fd_failed} failed starts (${fd_daemon} at a daemon); ${fd_bad}" \
	check "out of descriptors at any point of the start: exit 1 with the reason, socket removed, no crash" \
	bash -c '[ "$1" -gt 0 ] && [ "$2" -ge 4 ] && [ -z "$3" ]' _ "$fd_served" "$fd_daemon" "$fd_bad"
# It used to serve with none left: up and answering nothing, each
# connection waiting in the backlog for ever. Now the last limit that
# fails says why, and the first that serves answers 16 connections held
# open at once.
fd_many=0
if ((fd_served > 0)); then
	fd_many=$(python3 - "$TMP/fd.sock" <<-'EOF'
		import socket, sys, time
		end = time.monotonic() + 30
		ss = []
		for _ in range(16):
		    s = socket.socket(socket.AF_UNIX)
		    s.connect(sys.argv[1])
		    ss.append(s)
		n = 0
		for s in ss:
		    s.sendall(b"POST /Plugin.Activate HTTP/1.1\r\nHost: d\r\nContent-Length: 0\r\n\r\n")
		for s in ss:
		    buf = b""
		    try:
		        while b"Implements" not in buf:
		            s.settimeout(max(0.1, end - time.monotonic()))
		            chunk = s.recv(4096)
		            if not chunk:
		                break
		            buf += chunk
		    except OSError:
		        pass
		    n += b"Implements" in buf
		print(n)
	EOF
	)
	kill -TERM "$fd_pid"
	wait "$fd_pid"
fi
detail="at $fd_served: $fd_many of 16 answered; below it: $fd_last" \
	check "a descriptor limit leaving no room for connections stops the start; the first that serves has room" \
	bash -c '[[ $1 == *"too few file descriptors"*"raise it"* ]] && [ "$2" = 16 ]' _ "$fd_last" "$fd_many"

check_summary operations
