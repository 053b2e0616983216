#!/usr/bin/env bash
# make test-managed-plugin: the managed plugin's rootfs, assembled by
# contrib/managed-plugin/build.sh without `docker plugin create`, run with
# chroot (root only) the way dockerd runs its entrypoint. dockgate opens
# libcurl only at run time, for unset-user: inspect, so ldd of the binary
# does not name it: the rootfs must carry it all the same, and a plugin
# whose policy inspects must be able to look images up inside it. One
# whose policy does not must not map libcurl.
set -uo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
DOCKGATE=${DOCKGATE:-$ROOT/build/dockgate}
TMP=$(mktemp -d /tmp/dockgate-plugin.XXXXXX)
PID=
FAKE=
# shellcheck source=tests/lib/check.sh
source "$ROOT/tests/lib/check.sh"
# shellcheck source=tests/lib/wait.sh
source "$ROOT/tests/lib/wait.sh"

cleanup() {
	local p
	for p in $PID $FAKE; do
		kill -TERM "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	rm -rf "$TMP"
}
trap cleanup EXIT

if [ "$(id -u)" != 0 ]; then
	echo "managed-plugin: SKIPPED: chroot needs root"
	exit 0
fi

# assemble POLICY: the plugin directory in $TMP/plugin.
assemble() {
	rm -rf "$TMP/plugin"
	CREATE=no DOCKGATE=$DOCKGATE OUT=$TMP/plugin \
		"$ROOT/contrib/managed-plugin/build.sh" dockgate "$1" >"$TMP/build.log" 2>&1
}

# run [ARGS...]: the plugin's entrypoint (config.json) in its rootfs, plus
# ARGS; waits until it answers on the socket it names.
R=$TMP/plugin/rootfs
SOCK=$R/run/docker/plugins/dockgate.sock
run() {
	local entry
	mapfile -t entry < <(python3 -c 'import json, sys
print("\n".join(json.load(open(sys.argv[1]))["entrypoint"]))' "$TMP/plugin/config.json")
	chroot "$R" "${entry[@]}" "$@" 2>"$TMP/dockgate.log" &
	PID=$!
	wait_answers "$SOCK" "$PID" && return 0
	echo "managed-plugin: dockgate did not come up in the rootfs:" >&2
	cat "$TMP/dockgate.log" >&2
	return 1
}

stop() {
	kill -TERM "$PID"
	wait "$PID"
	PID=
}

# create IMAGE: an AuthZReq for a container create without --user.
create() {
	python3 - "$1" <<'PY'
import base64, json, sys
body = {"Image": sys.argv[1], "HostConfig": {}}
print(json.dumps({"RequestMethod": "POST", "RequestUri": "/v1.41/containers/create",
    "RequestBody": base64.b64encode(json.dumps(body).encode()).decode()}))
PY
}
authz() {
	curl -s -m 30 --unix-socket "$SOCK" -X POST --data-binary @"$1" \
		http://dockgate/AuthZPlugin.AuthZReq
}

# The default policy: libcurl is in the rootfs but never opened.
check "build.sh assembles the default policy's plugin" assemble "$ROOT/policies/default.yaml"
# shellcheck disable=SC2016 # $1 and $2 are bash -c's own arguments
detail=$(cat "$TMP/build.log") check "the rootfs holds libcurl.so.4 though ldd of dockgate does not name it" \
	bash -c '! ldd "$1" | grep -q libcurl && ls "$2"/lib*/*/libcurl.so.4 >/dev/null' _ "$DOCKGATE" "$R"
if run; then
	# shellcheck disable=SC2016
	detail=$(grep libcurl "/proc/$PID/maps") check "the default policy: libcurl is not mapped" \
		bash -c '! grep -q libcurl "/proc/$1/maps"' _ "$PID"
	stop
fi

# A policy that inspects: look-ups work from inside the rootfs. The fake
# dockerd's socket is put in the rootfs, where --docker-host can reach it.
printf 'version: 1\nrules:\n  no-root: {unset-user: inspect}\n' >"$TMP/inspect.yaml"
check "build.sh assembles a plugin whose policy inspects" assemble "$TMP/inspect.yaml"
python3 "$ROOT/tests/integration/fake_dockerd.py" "$R/tmp/docker.sock" "$SOCK" "$TMP/lookups" &
FAKE=$!
for _ in $(seq 100); do [ -S "$R/tmp/docker.sock" ] && break; sleep 0.1; done
create registry.example.com/team/userimg:1 >"$TMP/user.json"
create registry.example.com/team/rootimg:1 >"$TMP/root.json"
if run --docker-host unix:///tmp/docker.sock; then
	r=$(authz "$TMP/user.json")
	detail="$r; $(cat "$TMP/dockgate.log")" check "inspect in the rootfs: an image with USER 1000 is allowed" \
		[ "$r" = '{"Allow":true}' ]
	r=$(authz "$TMP/root.json")
	detail=$r check "inspect in the rootfs: an image without USER is denied" \
		grep -q '"Allow":false.*sets no USER' <<<"$r"
	detail=$(cat "$TMP/lookups" 2>/dev/null) check "inspect in the rootfs: both were looked up in dockerd" \
		[ "$(cat "$TMP/lookups" 2>/dev/null)" = 2 ]
	stop
fi

check_summary managed-plugin
