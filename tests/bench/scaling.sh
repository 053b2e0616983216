#!/usr/bin/env bash
# Scaling with policy size alone (issue 7: decisions/s with 10,000 policy
# entries >= 0.9x with 10), for registries entries and for exceptions,
# without the rest of make bench (nginx, callgrind, dockerd).
#
#   DOCKGATE=build/dockgate LOADGEN=build/loadgen tests/bench/scaling.sh
#
# Environment (defaults in brackets):
#   SCALE_SECS [3]     seconds per measured run (after 0.5 s warm-up)
#   SCALE_ROUNDS [3]   runs per figure; the median is reported
#   SCALE_SIZES ["10 1000 10000"]
#   SCALE_KINDS ["registries hub-orgs exceptions"]
#   DOCKGATE_BASE      a second binary (say, main's) measured in the same
#                      rounds, interleaved run by run, so that before/after
#                      figures share the machine's load; its verdicts must
#                      be the same as DOCKGATE's or loadgen fails
#
# Policies: default.yaml with, for "registries", its allow list grown to N
# entries on as many hosts (as bench.sh does); for "hub-orgs", grown to N
# entries on docker.io; for "exceptions", N exceptions of mixed shape
# (users, groups, images under the captures' own registry host and under
# other hosts, users with images), none of which matches a capture except
# one group exception for the user "bench-user". The captures are sent as
# they are (no TLS user) and once more as "bench-user", so that both user
# and image look-ups are exercised. Prints one line per figure and a table.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
DOCKGATE=${DOCKGATE:-$ROOT/build/dockgate}
LOADGEN=${LOADGEN:-$ROOT/build/loadgen}
BASE=${DOCKGATE_BASE:-}
SECS=${SCALE_SECS:-3}
ROUNDS=${SCALE_ROUNDS:-3}
SIZES=${SCALE_SIZES:-10 1000 10000}
KINDS=${SCALE_KINDS:-registries hub-orgs exceptions}
POLICY=$ROOT/policies/default.yaml
CAP=$ROOT/tests/fixtures/captures
TMP=$(mktemp -d /tmp/dockgate-scaling.XXXXXX)
say() { printf 'scaling: %s\n' "$*" >&2; }
# shellcheck source=tests/bench/daemons.sh
source "$ROOT/tests/bench/daemons.sh"

gen_registries() {
	local n=$1 out=$TMP/registries-$1.yaml
	awk -v n="$n" '
		{ print }
		/^      - docker.io\/library$/ {
			for (i = 1; i <= n - 3; i++)
				printf "      - registry-%05d.example.net/team-%d\n", i, i % 97
		}' "$POLICY" >"$out"
	echo "$out"
}

# The same size, every added entry under one host (Docker Hub
# organisations): matching can no longer tell entries apart by host alone.
gen_hub_orgs() {
	local n=$1 out=$TMP/hub-orgs-$1.yaml
	awk -v n="$n" '
		{ print }
		/^      - docker.io\/library$/ {
			for (i = 1; i <= n - 3; i++)
				printf "      - docker.io/org-%05d\n", i
		}' "$POLICY" >"$out"
	echo "$out"
}

# N exceptions (flow style: 10,000 of them stay under the 1 MiB limit).
gen_exceptions() {
	local n=$1 out=$TMP/exceptions-$1.yaml
	{
		cat "$POLICY"
		echo "groups:"
		echo "  bench: [bench-user]"
		for ((g = 0; g < 100; g++)); do
			echo "  g$g: [gu$g-a, gu$g-b]"
		done
		echo "exceptions:"
		echo "  - {groups: [bench], rules: [exec]}"
		awk -v n="$n" 'BEGIN {
			for (i = 1; i < n; i++) {
				k = i % 4
				if (k == 0)
					printf "  - {users: [u%05d], rules: [read-only-rootfs]}\n", i
				else if (k == 1)
					printf "  - {images: [registry.example.com/x%05d], rules: [no-root]}\n", i
				else if (k == 2)
					printf "  - {groups: [g%d], images: [r%05d.example.net/t], rules: [privileged]}\n", i % 100, i
				else
					printf "  - {users: [u%05d], images: [registry.example.com/y%05d/app], rules: [capabilities]}\n", i, i
			}
		}'
	} >"$out"
	echo "$out"
}

# The captures, then the same captures from the TLS user bench-user.
make_inputs() {
	local f
	mkdir -p "$TMP/in"
	for f in "$CAP"/*.json; do
		cp "$f" "$TMP/in/a-${f##*/}"
		sed '0,/{/s//{"User":"bench-user","UserAuthNMethod":"TLS",/' "$f" \
			>"$TMP/in/b-${f##*/}"
	done
}

# verdicts POLICY: FILE=allow|deny for every input, into ARGS.
verdicts() {
	local files=("$TMP"/in/*.json) i=0 line
	ARGS=()
	while IFS= read -r line; do
		case "$line" in
		'{"Allow":true'*) ARGS+=("${files[$i]}=allow") ;;
		*) ARGS+=("${files[$i]}=deny") ;;
		esac
		i=$((i + 1))
	done < <("$DOCKGATE" eval --policy "$1" "${files[@]}" || true)
	[ "$i" = "${#files[@]}" ] || { say "eval gave $i verdicts for ${#files[@]} files"; exit 1; }
}

cpu_us() {
	local t tck
	tck=$(getconf CLK_TCK)
	t=$(awk '{ print $14 + $15 }' "/proc/$1/stat")
	echo $((t * 1000000 / tck))
}

field() { sed -n "s/.* $1=\([^ ]*\).*/\1/p"; }

median() {
	sort -g | awk '{ v[NR] = $1 } END {
		if (NR == 0) { print "0"; exit }
		m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
		print m }'
}

# measure NAME SOCK PID: one 16-connection run, appended to $TMP/NAME.
measure() {
	local c0 c1 line
	c0=$(cpu_us "$3")
	line=$("$LOADGEN" -q -x -s "$2" -c 16 -d "$SECS" -w 0.5 "${ARGS[@]}") ||
		{ say "loadgen failed on $1"; exit 1; }
	c1=$(cpu_us "$3")
	echo "$line cpu_us_per_decision=$(awk -v c=$((c1 - c0)) -v n="$(field all <<<"$line")" \
		'BEGIN { printf "%.2f", (n > 0 ? c / n : 0) }')" >>"$TMP/$1"
}

fig() { field "$2" <"$TMP/$1" | median; }

[ -x "$LOADGEN" ] || { say "$LOADGEN not built"; exit 1; }
make_inputs
BINS=(new)
[ -z "$BASE" ] || BINS=(base new)
declare -A BIN=([new]=$DOCKGATE [base]=$BASE) PID=() VERD=()
T0=$SECONDS
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
for kind in $KINDS; do
	first=
	for n in $SIZES; do
		p=$(gen_"${kind//-/_}" "$n")
		"$DOCKGATE" check "$p" >/dev/null
		verdicts "$p"
		VERD[$kind-$n]=$(printf '%s\n' "${ARGS[@]}")
		# Every size must give the same verdicts, or the runs compare
		# different work.
		[ -z "$first" ] || [ "${VERD[$kind-$n]}" = "$first" ] ||
			{ say "$kind-$n: verdicts differ from the smallest policy"; exit 1; }
		first=${VERD[$kind-$n]}
		for b in "${BINS[@]}"; do
			serve_bg "${BIN[$b]}" "$p" "$TMP/$b-$kind-$n.sock"
			PID[$b-$kind-$n]=${PIDS[-1]}
		done
	done
done
say "$(printf '%s\n' "${ARGS[@]}" | wc -l) inputs ($(printf '%s\n' "${ARGS[@]}" | grep -c '=allow$') allowed), ${SECS} s runs, $ROUNDS rounds, binaries: ${BINS[*]}"
# A first, unmeasured pass over every daemon: the first runs after start
# were the slowest (page faults, caches), whichever daemon they hit.
for kind in $KINDS; do
	for n in $SIZES; do
		mapfile -t ARGS <<<"${VERD[$kind-$n]}"
		for b in "${BINS[@]}"; do
			"$LOADGEN" -q -x -s "$TMP/$b-$kind-$n.sock" -c 16 -n 3000 "${ARGS[@]}" >/dev/null ||
				{ say "warm-up failed on $b-$kind-$n"; exit 1; }
		done
	done
done
# Every other round runs the sizes and the binaries in reverse order, so
# that neither gains from going first while the machine's load drifts.
REV_SIZES=$(printf '%s\n' $SIZES | tac | tr '\n' ' ')
REV_BINS=$(printf '%s\n' "${BINS[@]}" | tac | tr '\n' ' ')
for ((r = 1; r <= ROUNDS; r++)); do
	order_sizes=$SIZES order_bins=${BINS[*]}
	if [ $((r % 2)) = 0 ]; then
		order_sizes=$REV_SIZES order_bins=$REV_BINS
	fi
	for kind in $KINDS; do
		for n in $order_sizes; do
			mapfile -t ARGS <<<"${VERD[$kind-$n]}"
			for b in $order_bins; do
				measure "$b-$kind-$n" "$TMP/$b-$kind-$n.sock" "${PID[$b-$kind-$n]}"
			done
		done
	done
	say "round $r of $ROUNDS done"
done

echo "Load average before / after: $LOAD_BEFORE / $(cut -d' ' -f1-3 /proc/loadavg); $((SECONDS - T0)) s"
echo
echo "| binary | kind | $(for n in $SIZES; do printf '%s: decisions/s | ' "$n"; done)ratio | CPU us per decision ($(echo $SIZES | sed 's# # / #g')) | peak RSS, largest (MiB) |"
echo "|---|---|$(for n in $SIZES; do printf -- '---:|'; done)---:|---:|---:|"
for kind in $KINDS; do
	for b in "${BINS[@]}"; do
		set -- $SIZES
		lo=$1
		hi=${!#}
		row="| $b | $kind |"
		cpu=""
		for n in $SIZES; do
			row="$row $(fig "$b-$kind-$n" rps) |"
			cpu="$cpu${cpu:+ / }$(fig "$b-$kind-$n" cpu_us_per_decision)"
		done
		ratio=$(awk -v a="$(fig "$b-$kind-$hi" rps)" -v b="$(fig "$b-$kind-$lo" rps)" \
			'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')
		hwm=$(awk '$1 == "VmHWM:" { printf "%.1f", $2 / 1024 }' "/proc/${PID[$b-$kind-$hi]}/status")
		echo "$row $ratio | $cpu | $hwm |"
	done
done
