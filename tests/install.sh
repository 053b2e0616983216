#!/usr/bin/env bash
# `make install` and `make uninstall` into a temporary DESTDIR: every file
# lands where it should, an existing policy is never overwritten, the unit
# runs the binary under PREFIX, and uninstall removes what install put
# there (except the policy, which is the platform team's).
set -uo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
TMP=$(mktemp -d /tmp/dockgate-install.XXXXXX)
trap 'rm -rf "$TMP"' EXIT
pass=0
fail=0

check() {
	local name=$1
	shift
	if "$@" >/dev/null; then
		pass=$((pass + 1))
		echo "ok   - $name"
	else
		fail=$((fail + 1))
		echo "FAIL - $name"
	fi
}

# mk DESTDIR PREFIX TARGET: runs make quietly, output kept for failures.
mk() {
	make -C "$ROOT" --no-print-directory DESTDIR="$1" PREFIX="$2" "$3" \
		>"$TMP/make.log" 2>&1 || {
		cat "$TMP/make.log" >&2
		return 1
	}
}

D=$TMP/root
check "make install DESTDIR=... PREFIX=/usr succeeds" mk "$D" /usr install
check "binary in /usr/sbin, executable" test -x "$D/usr/sbin/dockgate"
check "installed binary runs" "$D/usr/sbin/dockgate" --version
check "man page in /usr/share/man/man8" \
	cmp -s "$ROOT/contrib/dockgate.8" "$D/usr/share/man/man8/dockgate.8"
check "default policy in /etc/dockgate/policy.yaml" \
	cmp -s "$ROOT/policies/default.yaml" "$D/etc/dockgate/policy.yaml"
check "installed policy is valid" "$D/usr/sbin/dockgate" check "$D/etc/dockgate/policy.yaml"
check "dockgate.service in the unit directory" test -f "$D/lib/systemd/system/dockgate.service"
check "dockgate.socket in the unit directory" \
	cmp -s "$ROOT/contrib/systemd/dockgate.socket" "$D/lib/systemd/system/dockgate.socket"
check "ExecStart follows PREFIX" \
	grep -qx 'ExecStart=/usr/sbin/dockgate serve --policy /etc/dockgate/policy.yaml' \
	"$D/lib/systemd/system/dockgate.service"
check "ExecStartPre follows PREFIX" \
	grep -qx 'ExecStartPre=/usr/sbin/dockgate check /etc/dockgate/policy.yaml' \
	"$D/lib/systemd/system/dockgate.service"
# shellcheck disable=SC2016 # $1 is bash -c's own argument
check "no /usr/local path left in the unit" \
	bash -c '! grep -q /usr/local "$1"' _ "$D/lib/systemd/system/dockgate.service"
# shellcheck disable=SC2016
check "modes: binary 0755, policy/man/units 0644" bash -c '
	[ "$(stat -c %a "$1/usr/sbin/dockgate")" = 755 ] &&
	[ "$(stat -c %a "$1/etc/dockgate/policy.yaml")" = 644 ] &&
	[ "$(stat -c %a "$1/usr/share/man/man8/dockgate.8")" = 644 ] &&
	[ "$(stat -c %a "$1/lib/systemd/system/dockgate.socket")" = 644 ]' _ "$D"

# A platform team's own policy survives a re-install.
printf 'version: 1\nmode: audit\n' >"$D/etc/dockgate/policy.yaml"
check "re-install succeeds" mk "$D" /usr install
check "existing policy is not overwritten" \
	grep -qx 'mode: audit' "$D/etc/dockgate/policy.yaml"

check "make uninstall succeeds" mk "$D" /usr uninstall
for f in usr/sbin/dockgate usr/share/man/man8/dockgate.8 \
	lib/systemd/system/dockgate.service lib/systemd/system/dockgate.socket; do
	check "uninstall removed /$f" test ! -e "$D/$f"
done
check "uninstall keeps the policy" test -f "$D/etc/dockgate/policy.yaml"

# The default PREFIX is /usr/local, and the unit says so.
L=$TMP/local
check "make install with the default PREFIX" \
	make -C "$ROOT" --no-print-directory DESTDIR="$L" install >/dev/null 2>&1
check "default PREFIX: binary in /usr/local/sbin, man in /usr/local/share/man" \
	test -x "$L/usr/local/sbin/dockgate" -a -f "$L/usr/local/share/man/man8/dockgate.8"
check "default PREFIX: ExecStart=/usr/local/sbin/dockgate" \
	grep -q '^ExecStart=/usr/local/sbin/dockgate serve' "$L/lib/systemd/system/dockgate.service"

echo "install: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
