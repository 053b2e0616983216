#!/usr/bin/env bash
# What dockgate costs a docker user: `docker ps` and `docker create` latency
# on private dockerds (tests/e2e/lib.sh) in three configurations:
#
#   none      no authorization plugin
#   null      tests/bench/nullplugin: allows everything, does nothing else,
#             so null over none is what dockerd's authorization machinery
#             costs on its own (two plugin calls per API call, the response
#             buffered and sent along with the second)
#   dockgate  dockgate serving POLICY; dockgate over null is dockgate's share
#
#   DOCKGATE=build/dockgate NULLPLUGIN=build/nullplugin \
#       tests/bench/dockerd-overhead.sh POLICY [RUNS]
#
# Environment: OVERHEAD_API_RUNS [50] rounds of the API-level part;
# OVERHEAD_DISK set: the dockerds' data on the disk instead of a tmpfs;
# OVERHEAD_AA set: the "dockgate" configuration uses the null plugin too,
# an A/A run whose dockgate_vs_null shows the noise (it should be 1);
# OVERHEAD_AA=process: it runs a second null plugin, a process of its
# own under dockgate's name and socket, so that dockgate_vs_null shows
# what any second plugin process costs in this layout.
# Needs root.
#
# How the noise of a shared, loaded machine is kept down:
# - Three dockerds run side by side for the whole measurement, and
#   every round times one `docker ps` on each, then one `docker create` on
#   each, the order rotating from round to round: a burst of load from
#   elsewhere hits the three within a few hundred milliseconds, and no
#   configuration is always first. The ratios are medians of the per-round
#   ratios, which cancel what a round shares; over RUNS rounds (default
#   200, not 50: a command's time is mostly the CLI starting, which load
#   from elsewhere stretches by 20% and more, so 50 left about +-0.03 on a
#   ratio that must be told from 1.05).
# - Every ROTATE rounds the configurations move on to the next dockerd
#   (their authorization chains reloaded with SIGHUP), so that each runs on
#   every dockerd: one dockerd can be a few percent slower than another
#   for its whole life, which no pairing within a round cancels.
# - Their data-roots are on a tmpfs: on the disk, the fsyncs and vfs
#   copies of a create made its time swing between 50 and 400 ms with
#   other sessions' I/O, far more than the effect measured.
# - The CLI's own start-up (~20-30 ms of CPU, at the mercy of the
#   scheduler) dwarfs the overhead, so the same API calls are also timed
#   without it: API_RUNS rounds of 5 pairs per command and side (HEAD
#   /_ping, then GET /containers/json or POST /containers/create, as the
#   CLI sends them) over one curl connection. Their medians give the
#   overhead in milliseconds to within a few hundredths, and est_ratio
#   adds it to the CLI's time without a plugin.
#
# The last lines are machine-readable (milliseconds):
#   overhead cmd=ps without_ms=M null_ms=M with_ms=M ratio=R null_ratio=R
#            dockgate_vs_null=R api_without_ms=M api_null_ms=M api_with_ms=M
#            est_ratio=R
#   overhead cmd=create ...
#   overhead dockgate decisions=N mean_decide_us=U
#   overhead nullplugin connections=N requests=N
# without/null/with: the CLI's median time in each configuration; ratio:
# dockgate over none (the issue's figure), null_ratio null over none,
# dockgate_vs_null dockgate over null; api_*: the medians of the API call
# pairs; est_ratio: (without + api_with - api_without) / without. The
# dockgate line is its own time: the AuthZReq decisions it logged (all of
# the run) and their mean latency; the nullplugin line shows whether
# dockerd kept its plugin connection alive.
set -euo pipefail

# shellcheck source=tests/e2e/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../e2e/lib.sh"

POLICY=$(realpath "$1")
RUNS=${2:-200}
NULLPLUGIN=${NULLPLUGIN:-$E2E_REPO/build/nullplugin}
# Containers removed every CLEAN rounds, on all three at once, so that
# `docker ps` lists about as many on each.
CLEAN=5
# A create that the default policy allows (compliant flags, approved
# registry, pinned tag), so that all three do the same work.
CREATE=(create --user 1000:1000 --read-only --memory 64m --cpus 0.5
	--pids-limit 50 --cap-drop ALL --security-opt no-new-privileges
	"$E2E_IMAGE_OK" /bin/true)
# The same create as the API call the CLI makes for it.
CREATE_BODY='{"User":"1000:1000","Image":"'$E2E_IMAGE_OK'","Cmd":["/bin/true"],
"HostConfig":{"ReadonlyRootfs":true,"Memory":67108864,"NanoCpus":500000000,
"PidsLimit":50,"CapDrop":["ALL"],"SecurityOpt":["no-new-privileges"]}}'
API_RUNS=${OVERHEAD_API_RUNS:-50}
API_BATCH=5
SIDES=(none null dockgate)
NULL_NAME=$E2E_NAME-null
NULL_SPEC=
NULL_PID=
DPID=()        # instance -> its dockerd's pid
declare -A INST # configuration -> the instance serving it now
# Rounds between rotations of the configurations over the dockerds.
ROTATE=10
API_ROTATE=5

# The plugin a configuration names in "authorization-plugins".
plugin_of() {
	case $1 in
	none) echo "" ;;
	null) echo "$NULL_NAME" ;;
	dockgate)
		if [ -n "${OVERHEAD_AA:-}" ] && [ "$OVERHEAD_AA" != process ]; then
			echo "$NULL_NAME"
		else
			echo "$E2E_NAME"
		fi
		;;
	esac
}

# Instance I's daemon.json, with PLUGIN (or none) as its authorization
# chain: dockerd reads it at start and again on SIGHUP.
write_config() {
	local d=$E2E_DIR/ram/d$1 list=""
	mkdir -p "$d"
	[ -z "$2" ] || list="\"$2\""
	printf '{"deprecated-key-path": "%s", "authorization-plugins": [%s]}\n' \
		"$d/key.json" "$list" >"$d/daemon.json"
}

# Instance I (0 to 2): a private dockerd like e2e_start_dockerd's, in
# $E2E_DIR/ram/dI, on a copy of the data-root e2e_build_images filled.
start_instance() {
	local d=$E2E_DIR/ram/d$1 i
	mkdir -p "$d/exec"
	cp -a "$E2E_DIR/data" "$d/data"
	: >>"$d/dockerd.log"
	dockerd --config-file "$d/daemon.json" --data-root "$d/data" \
		--exec-root "$d/exec" --pidfile "$d/dockerd.pid" \
		-H "unix://$d/docker.sock" --bridge=none --iptables=false \
		--ip6tables=false --storage-driver=vfs \
		</dev/null >>"$d/dockerd.log" 2>&1 &
	DPID[$1]=$!
	for ((i = 0; i < E2E_DOCKERD_WAIT * 5; i++)); do
		kill -0 "${DPID[$1]}" 2>/dev/null || break
		DOCKER_HOST=unix://$d/docker.sock e2e_docker_answers && return 0
		sleep 0.2
	done
	tail -n 25 "$d/dockerd.log" >&2
	e2e_die "dockerd d$1 did not come up"
}

reloads() { grep -c 'Reloaded configuration' "$E2E_DIR/ram/d$1/dockerd.log" || true; }

# assign ROT [start]: configuration k of SIDES goes to instance (k + ROT)
# mod 3, so that over the rotations each configuration runs on every
# dockerd: an A/A run (two dockerds on the null plugin) showed one dockerd
# 2-3% slower than another for the whole run, which pairing within a
# round cannot cancel. Running dockerds reload their chain (SIGHUP).
assign() {
	local rot=$1 k i side before=()
	for ((k = 0; k < 3; k++)); do
		side=${SIDES[$k]}
		i=$(((k + rot) % 3))
		INST[$side]=$i
		write_config "$i" "$(plugin_of "$side")"
		[ -n "${2:-}" ] && continue
		before[i]=$(reloads "$i")
		kill -HUP "${DPID[$i]}"
	done
	[ -z "${2:-}" ] || return 0
	for ((i = 0; i < 3; i++)); do
		for ((k = 0; k < 300; k++)); do
			[ "$(reloads "$i")" -gt "${before[$i]}" ] && break
			sleep 0.05
		done
		[ "$(reloads "$i")" -gt "${before[$i]}" ] ||
			e2e_die "dockerd d$i did not reload its configuration"
	done
	# Untimed: the first calls through a new chain (plugin activation).
	for side in "${SIDES[@]}"; do on "$side" ps; done
	check_assignment
}

# dockerd logs the configuration it reloaded without the new chain, so the
# chains are checked by what reaches dockgate: a GET /info on the dockgate
# configuration's dockerd must, a GET /version on the other two must not.
check_assignment() {
	local side i0 v0 code k
	[ -z "${OVERHEAD_AA:-}" ] || return 0
	# The counts before start once earlier calls' lines are out (dockgate
	# writes them in batches at most 20 ms apart, doc/operations.md).
	sleep 0.1
	i0=$(grep -c ' path="/info"' "$E2E_DOCKGATE_LOG" || true)
	v0=$(grep -c ' path="/version"' "$E2E_DOCKGATE_LOG" || true)
	for side in "${SIDES[@]}"; do
		code=$(curl -s -o /dev/null -w '%{http_code}' --unix-socket "$(sock "$side")" \
			"http://docker/v1.41/$([ "$side" = dockgate ] && echo info || echo version)")
		[ "$code" = 200 ] || e2e_die "$side: GET /info or /version answered $code"
	done
	# Wait for the /info line, then a little more for any /version line
	# that should not be there.
	for ((k = 0; k < 100; k++)); do
		[ "$(grep -c ' path="/info"' "$E2E_DOCKGATE_LOG")" -gt "$i0" ] && break
		sleep 0.02
	done
	sleep 0.1
	if [ "$(grep -c ' path="/info"' "$E2E_DOCKGATE_LOG")" != $((i0 + 1)) ] ||
		[ "$(grep -c ' path="/version"' "$E2E_DOCKGATE_LOG" || true)" != "$v0" ]; then
		e2e_die "the authorization chains are not where they should be"
	fi
}

sock() { echo "$E2E_DIR/ram/d${INST[$1]}/docker.sock"; }

stop_instances() {
	local i p
	for i in "${!DPID[@]}"; do
		e2e_stop_pid "${DPID[$i]}" "dockerd d$i"
		unset "DPID[$i]"
		# Its containerd, should dockerd have left it behind.
		for p in $(pgrep -f -- "$E2E_DIR/ram/d$i/exec/containerd/" || true); do
			e2e_stop_pid "$p" containerd
		done
	done
}

# Ours first (the null plugin's spec file would keep lib.sh from removing
# /etc/docker/plugins), then lib.sh's.
overhead_cleanup() {
	local rc=$?
	set +e
	stop_instances
	[ -z "$NULL_SPEC" ] || rm -f "$NULL_SPEC"
	if [ -n "$NULL_PID" ]; then
		e2e_stop_pid "$NULL_PID" nullplugin
	fi
	(exit "$rc")
	e2e_cleanup
}

start_null() {
	local i
	NULL_SPEC=$E2E_SPEC_DIR/$NULL_NAME.spec
	echo "unix://$E2E_DIR/null.sock" >"$NULL_SPEC"
	"$NULLPLUGIN" "$E2E_DIR/null.sock" </dev/null 2>"$E2E_DIR/null.log" &
	NULL_PID=$!
	for ((i = 0; i < 50; i++)); do
		[ -S "$E2E_DIR/null.sock" ] && return 0
		sleep 0.1
	done
	e2e_die "nullplugin did not come up"
}

# on SIDE CMD...: docker CMD on SIDE's dockerd, output discarded.
on() {
	local side=$1
	shift
	DOCKER_HOST=unix://$(sock "$side") timeout 60 docker "$@" >/dev/null
}

# timed SIDE CMD NAME: runs `on SIDE CMD...`, appends its wall time in µs
# to $E2E_DIR/SIDE.NAME.
timed() {
	local side=$1 name=$2 t0 t1
	shift 2
	t0=${EPOCHREALTIME/./}
	on "$side" "$@"
	t1=${EPOCHREALTIME/./}
	echo $((t1 - t0)) >>"$E2E_DIR/$side.$name"
}

# Removes every container on every side: one call each (created, never
# started containers are pruned).
clean_all() {
	local side code
	for side in "${SIDES[@]}"; do
		code=$(curl -s -o /dev/null -w '%{http_code}' -X POST \
			--unix-socket "$(sock "$side")" \
			http://docker/v1.41/containers/prune)
		[ "$code" = 200 ] || e2e_die "$side: container prune answered $code"
	done
}

# round R: one ps on each side, then one create on each, starting with
# side R mod 3.
round() {
	local r=$1 k side order=()
	for ((k = 0; k < ${#SIDES[@]}; k++)); do
		order+=("${SIDES[$(((r + k) % ${#SIDES[@]}))]}")
	done
	for side in "${order[@]}"; do timed "$side" ps ps; done
	for side in "${order[@]}"; do timed "$side" create "${CREATE[@]}"; done
}

# api_batch SIDE CMD: API_BATCH pairs of the calls `docker CMD` makes
# (HEAD /_ping, then GET /containers/json or POST /containers/create), in
# one curl over one connection; appends each pair's time in µs to
# $E2E_DIR/SIDE.api-CMD. Dies unless every call succeeded.
api_batch() {
	local side=$1 cmd=$2 i args=()
	local c=(-s -o /dev/null --unix-socket "$(sock "$side")"
		-w '%{http_code} %{time_total}\n')
	for ((i = 0; i < API_BATCH; i++)); do
		((i == 0)) || args+=(--next)
		args+=("${c[@]}" -I http://docker/_ping --next "${c[@]}")
		case $cmd in
		ps) args+=(http://docker/v1.41/containers/json) ;;
		create) args+=(-H 'Content-Type: application/json' -d "$CREATE_BODY"
			http://docker/v1.41/containers/create) ;;
		esac
	done
	curl "${args[@]}" | awk -v f="$E2E_DIR/$side.api-$cmd" '
		$1 !~ /^20[01]$/ { bad = 1 }
		NR % 2 { t = $2; next }
		{ printf "%d\n", (t + $2) * 1e6 >> f }
		END { exit bad }' || e2e_die "$side: a call of docker $cmd failed (curl)"
}

# api_round R: api_batch ps on each side, then create, rotating as round.
api_round() {
	local r=$1 k side order=()
	for ((k = 0; k < ${#SIDES[@]}; k++)); do
		order+=("${SIDES[$(((r + k) % ${#SIDES[@]}))]}")
	done
	for side in "${order[@]}"; do api_batch "$side" ps; done
	for side in "${order[@]}"; do api_batch "$side" create; done
}

median_of() {
	sort -g | awk '{ v[NR] = $1 } END {
		m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
		print m }'
}

median_ms() { median_of <"$1" | awk '{ printf "%.1f", $1 / 1000 }'; }

# api_fields CMD CLI_WITHOUT_MS: the api_* and est_ratio fields.
api_fields() {
	local n u w
	n=$(median_of <"$E2E_DIR/none.api-$1")
	u=$(median_of <"$E2E_DIR/null.api-$1")
	w=$(median_of <"$E2E_DIR/dockgate.api-$1")
	awk -v n="$n" -v u="$u" -v w="$w" -v c="$2" 'BEGIN {
		printf "api_without_ms=%.3f api_null_ms=%.3f api_with_ms=%.3f est_ratio=%.3f",
			n / 1000, u / 1000, w / 1000, (c + (w - n) / 1000) / c }'
}

# paired A B: the median over the rounds of A's time over B's.
paired() {
	paste "$1" "$2" | awk '{ printf "%.6f\n", $1 / $2 }' | median_of |
		awk '{ printf "%.3f", $1 }'
}

main() {
	e2e_init
	trap overhead_cleanup EXIT
	[ -x "$NULLPLUGIN" ] || e2e_die "$NULLPLUGIN not built (make build/nullplugin)"
	e2e_build_images
	# The dockerds' data on a tmpfs (lib.sh unmounts it on exit), unless
	# OVERHEAD_DISK is set: on the shared disk, each create's fsyncs
	# (container config, layer metadata) and vfs copies made its time
	# swing between 50 and 400 ms with other sessions' I/O.
	mkdir "$E2E_DIR/ram"
	[ -n "${OVERHEAD_DISK:-}" ] ||
		mount -t tmpfs -o size=1g,mode=0711 dockgate-bench "$E2E_DIR/ram"
	e2e_plugin_spec_discovery
	if [ "${OVERHEAD_AA:-}" = process ]; then
		# In dockgate's place: its socket, its plugin name, its pid
		# (stopped as dockgate is), its log.
		"$NULLPLUGIN" "$E2E_PLUGIN_SOCK" </dev/null 2>>"$E2E_DOCKGATE_LOG" &
		E2E_DOCKGATE_PID=$!
		local k
		for ((k = 0; k < 50; k++)); do
			[ -S "$E2E_PLUGIN_SOCK" ] && break
			sleep 0.1
		done
		[ -S "$E2E_PLUGIN_SOCK" ] || e2e_die "the second null plugin did not come up"
	else
		e2e_start_dockgate "$POLICY"
	fi
	start_null
	local i r side t0=$SECONDS
	assign 0 start
	for ((i = 0; i < 3; i++)); do start_instance "$i"; done
	check_assignment
	# Warm-up, not timed: each dockerd's caches, its plugin connection.
	for side in "${SIDES[@]}"; do
		on "$side" ps
		on "$side" "${CREATE[@]}"
	done
	clean_all
	local load0 load1
	load0=$(cut -d' ' -f1-3 /proc/loadavg)
	for ((r = 0; r < RUNS; r++)); do
		[ $((r % ROTATE)) != 0 ] || [ "$r" = 0 ] || assign $((r / ROTATE))
		round "$r"
		[ $(((r + 1) % CLEAN)) != 0 ] || clean_all
	done
	for ((r = 0; r < API_RUNS; r++)); do
		[ $((r % API_ROTATE)) != 0 ] || assign $((r / API_ROTATE))
		api_round "$r"
		clean_all
	done
	load1=$(cut -d' ' -f1-3 /proc/loadavg)
	echo "dockerd overhead: $RUNS rounds of the CLI and $API_RUNS x $API_BATCH of" \
		"the API calls, ps and create on each of ${SIDES[*]}, $((SECONDS - t0)) s;" \
		"load average $load0 / $load1;" \
		"dockerd $(dockerd --version | sed 's/^Docker version //; s/,.*//')," \
		"docker CLI $(docker --version | sed 's/^Docker version //; s/,.*//')"
	local cmd d=$E2E_DIR a
	for cmd in ps create; do
		a=$(median_ms "$d/none.$cmd")
		echo "overhead cmd=$cmd without_ms=$a" \
			"null_ms=$(median_ms "$d/null.$cmd") with_ms=$(median_ms "$d/dockgate.$cmd")" \
			"ratio=$(paired "$d/dockgate.$cmd" "$d/none.$cmd")" \
			"null_ratio=$(paired "$d/null.$cmd" "$d/none.$cmd")" \
			"dockgate_vs_null=$(paired "$d/dockgate.$cmd" "$d/null.$cmd")" \
			"$(api_fields "$cmd" "$a")"
	done
	sleep 0.1 # the last batch of decision lines
	sed -n 's/.* dockgate: .* latency_us=\([0-9]*\)$/\1/p' "$E2E_DOCKGATE_LOG" |
		awk '{ n++; s += $1 } END { printf "overhead dockgate decisions=%d mean_decide_us=%.1f\n", n, n ? s / n : 0 }'
	stop_instances
	e2e_stop_pid "$NULL_PID" nullplugin
	NULL_PID=
	sed -n 's/^nullplugin: connections=\([0-9]*\) requests=\([0-9]*\).*/overhead nullplugin connections=\1 requests=\2/p' \
		"$E2E_DIR/null.log"
	if [ "${OVERHEAD_AA:-}" = process ]; then
		e2e_stop_dockgate
		sed -n 's/^nullplugin: connections=\([0-9]*\) requests=\([0-9]*\).*/overhead second-nullplugin connections=\1 requests=\2/p' \
			"$E2E_DOCKGATE_LOG"
	fi
}

main
