# shellcheck shell=bash
# The pass/fail harness of the shell suites (integration, operations,
# footprint, managed-plugin, bench-smoke): source it, call ok/bad/check,
# end with `check_summary NAME`, whose status is the suite's.

pass=0
fail=0
detail=

ok() { pass=$((pass + 1)); echo "ok   - $1"; }

# bad NAME [DETAIL]: a failure, with an indented detail line.
bad() {
	fail=$((fail + 1))
	echo "FAIL - $1"
	[ $# -gt 1 ] && [ -n "$2" ] && printf '       %s\n' "$2"
	return 0
}

# check NAME CONDITION-COMMAND...: passes when the command succeeds; the
# caller may set $detail to say more on failure (cleared after each).
check() {
	local name=$1
	shift
	if "$@"; then ok "$name"; else bad "$name" "${detail:-}"; fi
	detail=
}

# check_summary NAME: "NAME: P passed, F failed"; fails when any did.
check_summary() {
	echo "$1: $pass passed, $fail failed"
	[ "$fail" = 0 ]
}
