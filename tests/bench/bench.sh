#!/usr/bin/env bash
# make bench: dockgate against a static reference (nginx answering a fixed
# {"Allow":true}), in one invocation so the figures compare; prints a table
# and writes it to $BENCH_OUT.
#
#   DOCKGATE=build/dockgate LOADGEN=build/loadgen NULLPLUGIN=build/nullplugin \
#       MHDREF=build/mhdref tests/bench/bench.sh
#
# Environment (defaults in brackets):
#   BENCH_SECS [3]      seconds per measured run (after 0.5 s warm-up)
#   BENCH_ROUNDS [5]    runs per figure, nginx and dockgate alternating;
#                       the median is reported
#   BENCH_DOCKER_RUNS [200]  rounds of docker ps/create on each of: no
#                       plugin, the null plugin, dockgate (0 skips them;
#                       they need root and dockerd)
#   BENCH_OUT [doc/benchmarks.md]  where the table goes ("" for nowhere)
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
DOCKGATE=${DOCKGATE:-$ROOT/build/dockgate}
LOADGEN=${LOADGEN:-$ROOT/build/loadgen}
SECS=${BENCH_SECS:-3}
ROUNDS=${BENCH_ROUNDS:-5}
DOCKER_RUNS=${BENCH_DOCKER_RUNS:-200}
NULLPLUGIN=${NULLPLUGIN:-$ROOT/build/nullplugin}
MHDREF=${MHDREF:-$ROOT/build/mhdref}
OUT=${BENCH_OUT-$ROOT/doc/benchmarks.md}
POLICY=$ROOT/policies/default.yaml
CAP=$ROOT/tests/fixtures/captures
TMP=$(mktemp -d /tmp/dockgate-bench.XXXXXX)
say() { printf 'bench: %s\n' "$*" >&2; }
# shellcheck source=tests/bench/daemons.sh
source "$ROOT/tests/bench/daemons.sh"

start_dockgate() { serve_bg "$DOCKGATE" "$1" "$2"; }

# nginx from Debian with a config of its own: its own prefix, pid file,
# temp dirs and log, on a Unix socket; every POST gets {"Allow":true}. As
# many workers as dockgate has threads (one per CPU).
start_nginx() {
	local d=$TMP/nginx
	mkdir -p "$d"
	cat >"$d/nginx.conf" <<-EOF
		daemon off;
		worker_processes $(nproc);
		pid $d/nginx.pid;
		error_log $d/error.log warn;
		events { worker_connections 4096; }
		http {
		    access_log off;
		    client_body_temp_path $d/body;
		    proxy_temp_path $d/proxy;
		    fastcgi_temp_path $d/fastcgi;
		    uwsgi_temp_path $d/uwsgi;
		    scgi_temp_path $d/scgi;
		    keepalive_requests 1000000000;
		    keepalive_timeout 300s;
		    server {
		        listen unix:$d/nginx.sock;
		        location / {
		            default_type application/vnd.docker.plugins.v1.2+json;
		            return 200 '{"Allow":true}';
		        }
		    }
		}
	EOF
	nginx -e "$d/error.log" -p "$d" -c "$d/nginx.conf" &
	PIDS+=($!)
	wait_sock "$d/nginx.sock" $!
}

# tests/bench/mhdref: libmicrohttpd as dockgate configures it, answering
# {"Allow":true} with no decision: what the HTTP layer alone reaches.
start_mhdref() {
	"$MHDREF" "$TMP/mhd.sock" 2>/dev/null &
	PIDS+=($!)
	wait_sock "$TMP/mhd.sock" $!
}

# The verdict dockgate gives each capture under POLICY, as loadgen's
# FILE=allow|deny arguments, in ARGS.
verdict_args() {
	local policy=$1 f i=0 line
	local files=("$CAP"/*.json)
	ARGS=()
	NOREG=() # the captures whose reply does not name the registries list
	while IFS= read -r line; do
		case "$line" in
		'{"Allow":true'*) ARGS+=("${files[$i]}=allow") ;;
		*) ARGS+=("${files[$i]}=deny") ;;
		esac
		case "$line" in
		*'[registries]'*) ;;
		*) NOREG+=("${ARGS[-1]}") ;;
		esac
		i=$((i + 1))
	done < <("$DOCKGATE" eval --policy "$policy" "${files[@]}" || true)
	[ "$i" = "${#files[@]}" ] || { say "eval gave $i verdicts for ${#files[@]} files"; exit 1; }
}

# run SOCK CONNS: one measured loadgen run; prints its result line.
# nginx and mhdref allow everything, so their verdicts go unchecked.
run() {
	local args=("${ARGS[@]}")
	[ "$1" != "$NGINX_SOCK" ] && [ "$1" != "$MHD_SOCK" ] || args=("${ARGS[@]%=*}")
	"$LOADGEN" -q -x -s "$1" -c "$2" -d "$SECS" -w 0.5 "${args[@]}" ||
		{ say "loadgen failed against $1 at $2 connections"; exit 1; }
}

field() { sed -n "s/.* $1=\([^ ]*\).*/\1/p"; }

# median of the numbers on stdin
median() {
	sort -g | awk '{ v[NR] = $1 } END {
		if (NR == 0) { print "0"; exit }
		m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
		print m }'
}

# CPU time of the processes given (all threads), in µs: user, then system.
cpu_us() {
	local p u=0 s=0 tck pu ps
	tck=$(getconf CLK_TCK)
	for p in "$@"; do
		read -r pu ps < <(awk '{ print $14, $15 }' "/proc/$p/stat")
		u=$((u + pu)) s=$((s + ps))
	done
	echo "$((u * 1000000 / tck)) $((s * 1000000 / tck))"
}

# The server processes behind a socket: dockgate's pid, or nginx's master
# and its workers.
server_pids() {
	if [ "$1" = "$NGINX_SOCK" ]; then
		echo "$NGINX_PID" $(pgrep -P "$NGINX_PID")
	else
		echo "$2"
	fi
}

# measure NAME SOCK CONNS PID: appends the result line to $TMP/NAME.CONNS,
# with cpu_us_per_decision: the server's CPU time over the replies it sent.
# Unlike decisions/s it hardly depends on what else the machine runs.
# usr_us_ and sys_us_per_decision split it into the server's own code
# (libraries included) and the kernel's work for it.
measure() {
	local pids u0 s0 u1 s1 line
	read -r -a pids <<<"$(server_pids "$2" "${4:-}")"
	read -r u0 s0 <<<"$(cpu_us "${pids[@]}")"
	line=$(run "$2" "$3")
	read -r u1 s1 <<<"$(cpu_us "${pids[@]}")"
	echo "$line $(awk -v u=$((u1 - u0)) -v s=$((s1 - s0)) -v n="$(field all <<<"$line")" \
		'BEGIN { if (n <= 0) n = 1e300
			printf "cpu_us_per_decision=%.2f usr_us_per_decision=%.2f sys_us_per_decision=%.2f",
				(u + s) / n, u / n, s / n }')" >>"$TMP/$1.$3"
}

fig() { field "$3" <"$TMP/$1.$2" | median; }
# Every run's figure, in the order run: "80614 102320 ...".
runs() { field "$3" <"$TMP/$1.$2" | awk '{ printf("%s%.0f", (NR > 1 ? " " : ""), $1) }'; }

kb_status() { awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status"; }

# ---- generated policies for the scaling runs ---------------------------------
# default.yaml with its registries list grown to N entries: the three real
# ones first, then N-3 made-up registries, each with a path, so that every
# capture gets the verdict it gets under default.yaml.
gen_policy() {
	local n=$1 out=$TMP/policy-$1.yaml
	awk -v n="$n" '
		{ print }
		/^      - docker.io\/library$/ {
			for (i = 1; i <= n - 3; i++)
				printf "      - registry-%05d.example.net/team-%d\n", i, i % 97
		}' "$POLICY" >"$out"
	local got
	got=$(grep -c '^      - ' "$out")
	[ "$got" = "$n" ] || { say "policy-$n.yaml has $got entries"; exit 1; }
	"$DOCKGATE" check "$out" >/dev/null
	echo "$out"
}

# ---- main ---------------------------------------------------------------------
command -v nginx >/dev/null || { say "nginx not found (contrib/install-deps.sh bench)"; exit 1; }
[ -x "$LOADGEN" ] || { say "$LOADGEN not built"; exit 1; }
[ -x "$MHDREF" ] || { say "$MHDREF not built"; exit 1; }

LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
T0=$SECONDS
verdict_args "$POLICY"
n_allow=$(printf '%s\n' "${ARGS[@]}" | grep -c '=allow$' || true)
say "${#ARGS[@]} captures ($n_allow allowed under default.yaml), ${SECS}s runs, $ROUNDS rounds"

NGINX_SOCK=$TMP/nginx/nginx.sock
start_nginx
NGINX_PID=${PIDS[-1]}
start_dockgate "$POLICY" "$TMP/dg.sock"
DG_PID=${PIDS[-1]}
MHD_SOCK=$TMP/mhd.sock
start_mhdref
MHD_PID=${PIDS[-1]}

for conns in 1 16; do
	for ((r = 1; r <= ROUNDS; r++)); do
		measure nginx "$NGINX_SOCK" "$conns"
		measure dockgate "$TMP/dg.sock" "$conns" "$DG_PID"
		measure mhdref "$MHD_SOCK" "$conns" "$MHD_PID"
	done
	say "$conns connection(s): nginx $(fig nginx "$conns" rps)/s, dockgate $(fig dockgate "$conns" rps)/s, libmicrohttpd alone $(fig mhdref "$conns" rps)/s"
done
HWM=$(kb_status "$DG_PID" VmHWM)
RSS=$(kb_status "$DG_PID" VmRSS)

# Scaling: three daemons at once, measured round-robin.
for n in 10 1000 10000; do
	p=$(gen_policy $n)
	start_dockgate "$p" "$TMP/dg-$n.sock"
	eval "SCALE_PID_$n=${PIDS[-1]}"
done
# Deny messages used to name every approved registry (~300 KB with 10,000;
# now at most 10 of them), so the same runs again without the captures
# whose reply carries that list show what matching itself costs.
# tests/bench/scaling.sh measures exceptions and one-host lists too.
ALL_ARGS=("${ARGS[@]}")
# Each daemon is warmed up first, and the order rotates every round, so
# neither a cold first run nor the machine's load drifting over the
# minute lands on one size only.
for n in 10 1000 10000; do
	run "$TMP/dg-$n.sock" 16 >/dev/null
done
SIZES=(10 1000 10000)
for ((r = 1; r <= ROUNDS; r++)); do
	for ((k = 0; k < 3; k++)); do
		n=${SIZES[$(((r + k) % 3))]}
		eval "pid=\$SCALE_PID_$n"
		ARGS=("${ALL_ARGS[@]}")
		measure scale-$n "$TMP/dg-$n.sock" 16 "$pid"
		ARGS=("${NOREG[@]}")
		measure noreg-$n "$TMP/dg-$n.sock" 16 "$pid"
	done
done
ARGS=("${ALL_ARGS[@]}")
say "scaling: $(for n in 10 1000 10000; do printf '%s entries %s/s  ' $n "$(fig scale-$n 16 rps)"; done)"
say "scaling without list-naming denies: $(for n in 10 1000 10000; do printf '%s entries %s/s  ' $n "$(fig noreg-$n 16 rps)"; done)"
HWM10K=$(kb_status "$SCALE_PID_10000" VmHWM)

# Instructions per decision: callgrind counts inside decide() for one copy
# of the captures and for 21 copies in one process; the difference over 20
# copies leaves out start-up and first-call costs (lazy binding, jansson's
# hash seed).
files=("$CAP"/*.json)
many=()
for _ in $(seq 21); do many+=("${files[@]}"); done
ir() {
	valgrind --tool=callgrind --callgrind-out-file="$TMP/cg.out" --toggle-collect=decide \
		"$DOCKGATE" eval --policy "$POLICY" "$@" 2>"$TMP/cg.err" >/dev/null || true
	sed -n 's/.*Collected : \([0-9]*\).*/\1/p' "$TMP/cg.err"
}
IR1=$(ir "${files[@]}")
IRN=$(ir "${many[@]}")
IPD=$(((IRN - IR1) / (20 * ${#files[@]})))
say "callgrind: $IPD instructions per decision"

# dockerd overhead
PS_LINE="" CREATE_LINE="" DG_LINE="" NULL_LINE="" OH_LINE=""
if [ "$DOCKER_RUNS" -gt 0 ]; then
	if [ "$(id -u)" -ne 0 ] || ! command -v dockerd >/dev/null; then
		say "skipping dockerd overhead (needs root and dockerd)"
	else
		DOCKGATE=$DOCKGATE NULLPLUGIN=$NULLPLUGIN \
			"$ROOT/tests/bench/dockerd-overhead.sh" "$POLICY" "$DOCKER_RUNS" \
			>"$TMP/overhead.out" 2>"$TMP/overhead.err" ||
			{ cat "$TMP/overhead.err" >&2; say "dockerd overhead run failed"; exit 1; }
		PS_LINE=$(grep '^overhead cmd=ps ' "$TMP/overhead.out")
		CREATE_LINE=$(grep '^overhead cmd=create ' "$TMP/overhead.out")
		DG_LINE=$(grep '^overhead dockgate ' "$TMP/overhead.out")
		NULL_LINE=$(grep '^overhead nullplugin ' "$TMP/overhead.out")
		OH_LINE=$(grep '^dockerd overhead: ' "$TMP/overhead.out")
	fi
fi
LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)

# ---- the table ----------------------------------------------------------------
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'; }
verdict() { awk -v v="$1" -v t="$2" -v op="$3" 'BEGIN {
	ok = (op == "ge") ? (v >= t) : (v <= t); print ok ? "met" : "MISSED" }'; }

N1=$(fig nginx 1 rps) D1=$(fig dockgate 1 rps)
N16=$(fig nginx 16 rps) D16=$(fig dockgate 16 rps)
R1=$(ratio "$D1" "$N1") R16=$(ratio "$D16" "$N16")
NP99=$(fig nginx 1 p99_us) DP99=$(fig dockgate 1 p99_us)
RP99=$(ratio "$DP99" "$NP99")
S10=$(fig scale-10 16 rps) S1K=$(fig scale-1000 16 rps) S10K=$(fig scale-10000 16 rps)
RS=$(ratio "$S10K" "$S10")
Q10=$(fig noreg-10 16 rps) Q1K=$(fig noreg-1000 16 rps) Q10K=$(fig noreg-10000 16 rps)
RQ=$(ratio "$Q10K" "$Q10")
HWM_MIB=$(awk -v k="$HWM" 'BEGIN { printf "%.1f", k / 1024 }')

{
	echo "| figure | nginx | dockgate | ratio | target | |"
	echo "|---|---:|---:|---:|---|---|"
	echo "| decisions/s, 1 connection | $N1 | $D1 | $R1 | >= 0.8 | $(verdict "$R1" 0.8 ge) |"
	echo "| decisions/s, 16 connections | $N16 | $D16 | $R16 | >= 0.7 | $(verdict "$R16" 0.7 ge) |"
	echo "| same, each run (nginx's spread is how the 16 connections fell on its two workers; doc/benchmarks.md) | $(runs nginx 16 rps) | $(runs dockgate 16 rps) | | | |"
	echo "| p50 latency, 1 connection (us) | $(fig nginx 1 p50_us) | $(fig dockgate 1 p50_us) | $(ratio "$(fig dockgate 1 p50_us)" "$(fig nginx 1 p50_us)") | | |"
	echo "| libmicrohttpd alone, no decision (tests/bench/mhdref): decisions/s, 1 / 16 connections, and over nginx | $N1 / $N16 | $(fig mhdref 1 rps) / $(fig mhdref 16 rps) | $(ratio "$(fig mhdref 1 rps)" "$N1") / $(ratio "$(fig mhdref 16 rps)" "$N16") | | |"
	echo "| same, server CPU per reply, 1 / 16 connections (us) | $(fig nginx 1 cpu_us_per_decision) / $(fig nginx 16 cpu_us_per_decision) | $(fig mhdref 1 cpu_us_per_decision) / $(fig mhdref 16 cpu_us_per_decision) | | | |"
	echo "| server CPU per decision, 1 / 16 connections (us) | $(fig nginx 1 cpu_us_per_decision) / $(fig nginx 16 cpu_us_per_decision) | $(fig dockgate 1 cpu_us_per_decision) / $(fig dockgate 16 cpu_us_per_decision) | $(ratio "$(fig nginx 16 cpu_us_per_decision)" "$(fig dockgate 16 cpu_us_per_decision)") | | |"
	echo "| same at 16 connections, user / kernel (us; libmicrohttpd alone: $(fig mhdref 16 usr_us_per_decision) / $(fig mhdref 16 sys_us_per_decision)) | $(fig nginx 16 usr_us_per_decision) / $(fig nginx 16 sys_us_per_decision) | $(fig dockgate 16 usr_us_per_decision) / $(fig dockgate 16 sys_us_per_decision) | | | |"
	echo "| p99 latency, 1 connection (us) | $NP99 | $DP99 | $RP99 | <= 2 | $(verdict "$RP99" 2 le) |"
	echo "| p99.9 latency, 1 connection (us) | $(fig nginx 1 p999_us) | $(fig dockgate 1 p999_us) | | | |"
	echo "| p50 / p99 latency, 16 connections (us) | $(fig nginx 16 p50_us) / $(fig nginx 16 p99_us) | $(fig dockgate 16 p50_us) / $(fig dockgate 16 p99_us) | | | |"
	echo "| dockgate peak RSS (VmHWM), default policy | | $HWM_MIB MiB | | <= 8 MiB | $(verdict "$HWM" 8192 le) |"
	echo "| instructions per decision (callgrind, decide()) | | $IPD | | | |"
	echo "| decisions/s, 16 conns, 10 / 1,000 / 10,000 registries | | $S10 / $S1K / $S10K | $RS | >= 0.9 | $(verdict "$RS" 0.9 ge) |"
	echo "| CPU per decision (us), 10 / 1,000 / 10,000 registries | | $(fig scale-10 16 cpu_us_per_decision) / $(fig scale-1000 16 cpu_us_per_decision) / $(fig scale-10000 16 cpu_us_per_decision) | $(ratio "$(fig scale-10 16 cpu_us_per_decision)" "$(fig scale-10000 16 cpu_us_per_decision)") | | |"
	echo "| same, the ${#NOREG[@]} captures whose reply does not list the registries: decisions/s | | $Q10 / $Q1K / $Q10K | $RQ | >= 0.9 | $(verdict "$RQ" 0.9 ge) |"
	echo "| same captures, CPU per decision (us) | | $(fig noreg-10 16 cpu_us_per_decision) / $(fig noreg-1000 16 cpu_us_per_decision) / $(fig noreg-10000 16 cpu_us_per_decision) | $(ratio "$(fig noreg-10 16 cpu_us_per_decision)" "$(fig noreg-10000 16 cpu_us_per_decision)") | | |"
	echo "| peak RSS with 10,000 registries | | $(awk -v k="$HWM10K" 'BEGIN { printf "%.1f", k / 1024 }') MiB | | | |"
	if [ -n "$PS_LINE" ]; then
		for l in "$PS_LINE" "$CREATE_LINE"; do
			c=$(field cmd <<<"$l") rr=$(field ratio <<<"$l")
			echo "| \`docker $c\` median ms, no plugin / null plugin / dockgate | | $(field without_ms <<<"$l") / $(field null_ms <<<"$l") / $(field with_ms <<<"$l") | $rr | <= 1.05 | $(verdict "$rr" 1.05 le) |"
		done
		echo "| same, null plugin over no plugin (dockerd's authorization alone), ps / create | | | $(field null_ratio <<<"$PS_LINE") / $(field null_ratio <<<"$CREATE_LINE") | | |"
		echo "| same, dockgate over null plugin (dockgate's share), ps / create | | | $(field dockgate_vs_null <<<"$PS_LINE") / $(field dockgate_vs_null <<<"$CREATE_LINE") | | |"
		echo "| their API calls without the CLI, median ms: \`docker ps\` (HEAD /_ping, GET /containers/json), no plugin / null / dockgate | | $(field api_without_ms <<<"$PS_LINE") / $(field api_null_ms <<<"$PS_LINE") / $(field api_with_ms <<<"$PS_LINE") | $(field est_ratio <<<"$PS_LINE") | | |"
		echo "| same, \`docker create\` (HEAD /_ping, POST /containers/create) | | $(field api_without_ms <<<"$CREATE_LINE") / $(field api_null_ms <<<"$CREATE_LINE") / $(field api_with_ms <<<"$CREATE_LINE") | $(field est_ratio <<<"$CREATE_LINE") | | |"
		echo "| dockgate's own time in those runs: decisions, mean decide() us | | $(field decisions <<<"$DG_LINE") x $(field mean_decide_us <<<"$DG_LINE") us | | | |"
		echo "| null plugin: requests, connections dockerd opened | | $(field requests <<<"$NULL_LINE"), $(field connections <<<"$NULL_LINE") | | | |"
	else
		echo "| \`docker ps\` / \`docker create\` overhead | | not measured | | <= 1.05 | |"
	fi
} >"$TMP/table.md"

{
	echo "## Run of $(date -u '+%Y-%m-%d %H:%M UTC')"
	echo
	echo "Machine: $(nproc) CPUs ($(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)), $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo), Linux $(uname -r); $(nginx -v 2>&1 | sed 's/.*: //'), libmicrohttpd $(dpkg-query -W -f='${Version}' libmicrohttpd12 2>/dev/null || echo '?'), jansson $(dpkg-query -W -f='${Version}' libjansson4 2>/dev/null || echo '?')."
	echo "Load average before / after: $LOAD_BEFORE / $LOAD_AFTER (other work was running on the machine; absolute figures are noisy, the ratios come from runs interleaved in one invocation)."
	echo "Method: loadgen, keep-alive, one request in flight per connection, the ${#ARGS[@]} captures round-robin ($n_allow allowed), ${SECS} s per run after 0.5 s warm-up, median of $ROUNDS runs alternating nginx, dockgate and tests/bench/mhdref; dockgate with its default thread count and its decision log to /dev/null; nginx with $(nproc) workers and no access log. $((SECONDS - T0)) s in all."
	[ -z "$OH_LINE" ] || echo "dockerd overhead: three private dockerds side by side, data on a tmpfs: no plugin, tests/bench/nullplugin (allows everything, nothing else), dockgate; rounds of one \`docker ps\` on each, then one \`docker create\` on each, the order rotating, and the three configurations moving on to the next dockerd every 10 rounds; medians, and ratios as medians of the per-round ratios. The API rows time the same calls with curl, without the CLI's start-up; their ratio column adds the API-level difference to the CLI's time without a plugin. ${OH_LINE#dockerd overhead: }"
	echo
	cat "$TMP/table.md"
} >"$TMP/report.md"

echo
cat "$TMP/report.md"
if [ -n "$OUT" ]; then
	{
		echo "# Benchmarks"
		echo
		echo "Written by \`make bench\` (tests/bench/bench.sh); the method and the"
		echo "targets are in issue 7. Rerun it to refresh this file."
		echo
		cat "$TMP/report.md"
		if [ -f "$ROOT/doc/benchmarks-notes.md" ]; then
			echo
			cat "$ROOT/doc/benchmarks-notes.md"
		fi
	} >"$OUT"
	say "table written to $OUT"
fi
