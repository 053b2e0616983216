# shellcheck shell=bash
# Sandbox for dockgate's end-to-end tests and demo: a PRIVATE dockerd (its
# own data-root, exec-root, pidfile, API socket and managed containerd, all in
# one temporary directory) that asks a dockgate process for every API call.
#
# Sourced by tests/e2e/run.sh and contrib/demo.sh. Needs root. Never touches a
# system Docker: DOCKER_HOST always points at the private socket, and nothing
# is started, stopped or removed that this file did not create itself.
#
# Usage:
#   . tests/e2e/lib.sh
#   e2e_init                         # deps, temp dir, EXIT/INT/TERM trap
#   e2e_build_images                 # plugin-less dockerd: import test images
#   e2e_plugin_sock_discovery        # or: e2e_plugin_spec_discovery
#   e2e_start_dockgate POLICY        # dockgate serve on $E2E_PLUGIN_SOCK
#   e2e_start_dockerd "$E2E_NAME"    # dockerd --authorization-plugin=NAME
#   docker run ...                   # talks to the private dockerd
# or, for dockgate as a managed plugin:
#   e2e_managed_create NAME POLICY   # docker plugin create + enable
#   e2e_start_dockerd NAME:latest
# Cleanup runs from the trap (e2e_cleanup).

E2E_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
E2E_REPO=$(cd "$E2E_LIB_DIR/../.." && pwd)

# The dockgate command (may carry a wrapper, e.g. "valgrind -q .../dockgate").
DOCKGATE=${DOCKGATE:-$E2E_REPO/build/dockgate}
# A name no installed dockgate uses, so discovery files never collide.
E2E_NAME=${E2E_NAME:-dockgate-e2e-$$}
# Images made locally by `docker import` (no registry is ever contacted).
E2E_IMAGE_OK=${E2E_IMAGE_OK:-registry.example.com/team/busybox:1}
E2E_IMAGE_BAD=${E2E_IMAGE_BAD:-evil.example.org/busybox:1}
# The same files, imported with USER 1000 (unset-user: inspect).
E2E_IMAGE_USER=${E2E_IMAGE_USER:-registry.example.com/team/busybox-user:1}
# Seconds: dockerd answering, dockgate answering, processes exiting.
E2E_DOCKERD_WAIT=${E2E_DOCKERD_WAIT:-30}
E2E_DOCKGATE_WAIT=${E2E_DOCKGATE_WAIT:-10}
E2E_STOP_WAIT=${E2E_STOP_WAIT:-20}

E2E_PLUGIN_DIR=/run/docker/plugins
E2E_SPEC_DIR=/etc/docker/plugins

E2E_DIR=                # the one temporary directory
E2E_DOCKERD_PID=
E2E_DOCKGATE_PID=
E2E_PLUGIN_SOCK=        # where dockgate listens
E2E_SPEC_FILE=          # /etc/docker/plugins/NAME.spec when we wrote one
E2E_DOCKGATE_LOG=       # dockgate's stderr (all runs appended)
E2E_DOCKERD_LOG=
E2E_CREATED_DIRS=()     # system directories we created (rmdir'd if empty)
E2E_MANAGED_IDS=()      # IDs of the managed plugins we created
# dockerd creates /run/docker/plugins; containerd 1.6 puts shim sockets in the
# fixed /run/containerd/s whatever its root. Removed again when we made them.
E2E_SYSTEM_DIRS=(/run/docker/plugins /run/docker /etc/docker/plugins /etc/docker
	/run/containerd/s /run/containerd)
E2E_CLEANED=0

e2e_say() { printf 'e2e: %s\n' "$*" >&2; }

# Fatal: the sandbox cannot go on. A sourcing script may define
# e2e_fatal_hook (e.g. to print its summary) before the exit.
e2e_die() {
	printf 'e2e: FATAL: %s\n' "$*" >&2
	if declare -F e2e_fatal_hook >/dev/null; then
		e2e_fatal_hook || true
	fi
	exit 2
}

# Bounded wait: e2e_wait SECONDS CMD... polls CMD every 0.2 s.
e2e_wait() {
	local secs=$1 i
	shift
	for ((i = 0; i < secs * 5; i++)); do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.2
	done
	return 1
}

e2e_dockerd_log_tail() {
	if [ -n "$E2E_DOCKERD_LOG" ] && [ -f "$E2E_DOCKERD_LOG" ]; then
		echo "---- last 25 lines of $E2E_DOCKERD_LOG ----" >&2
		tail -n 25 "$E2E_DOCKERD_LOG" >&2
		echo "----" >&2
	fi
}

e2e_dockgate_log_tail() {
	if [ -n "$E2E_DOCKGATE_LOG" ] && [ -f "$E2E_DOCKGATE_LOG" ]; then
		echo "---- last 25 lines of $E2E_DOCKGATE_LOG ----" >&2
		tail -n 25 "$E2E_DOCKGATE_LOG" >&2
		echo "----" >&2
	fi
}

# mkdir -p; e2e_init noted which of E2E_SYSTEM_DIRS were missing, and the
# cleanup removes those again when empty.
e2e_mkdir_p() {
	local d=$1 missing=()
	while [ ! -d "$d" ]; do
		missing=("$d" "${missing[@]}")
		d=$(dirname "$d")
	done
	for d in "${missing[@]}"; do
		mkdir -m 0755 "$d"
	done
}

e2e_deps() {
	[ "$(id -u)" -eq 0 ] || e2e_die "must run as root (it starts a private dockerd)"
	if ! command -v dockerd >/dev/null || ! command -v docker >/dev/null ||
		! dpkg-query -W -f='${Status}' busybox-static 2>/dev/null | grep -q 'install ok installed'; then
		"$E2E_REPO/contrib/install-deps.sh" e2e
	fi
	command -v dockerd >/dev/null || e2e_die "dockerd not found after install-deps"
	command -v docker >/dev/null || e2e_die "docker CLI not found after install-deps"
	[ -x /bin/busybox ] || e2e_die "/bin/busybox (busybox-static) not found"
	local dg
	read -r -a dg <<<"$DOCKGATE"
	if [ "${#dg[@]}" -eq 0 ] || ! command -v "${dg[-1]}" >/dev/null; then
		e2e_die "dockgate binary not found: '$DOCKGATE' (run make first)"
	fi
}

e2e_init() {
	e2e_deps
	# Short path: dockerd's and containerd's sockets live under it (108 bytes).
	E2E_DIR=$(mktemp -d /tmp/dge.XXXXXX)
	chmod 0711 "$E2E_DIR"
	trap e2e_cleanup EXIT
	trap 'e2e_say "interrupted"; exit 130' INT
	trap 'e2e_say "terminated"; exit 143' TERM
	mkdir -p "$E2E_DIR/data" "$E2E_DIR/exec" "$E2E_DIR/cli"
	# dockerd itself creates /run/docker/plugins; remember what was there.
	local d
	for d in "${E2E_SYSTEM_DIRS[@]}"; do
		[ -d "$d" ] || E2E_CREATED_DIRS+=("$d")
	done
	# A config file of our own (not /etc/docker/daemon.json); the key path
	# keeps dockerd 20.10 from writing /etc/docker/key.json (file-only option).
	e2e_write_daemon_json
	E2E_DOCKERD_LOG=$E2E_DIR/dockerd.log
	E2E_DOCKGATE_LOG=$E2E_DIR/dockgate.log
	: >"$E2E_DOCKGATE_LOG"
	# Only ever the private daemon; the CLI's config (contexts, credential
	# helpers) is private too.
	export DOCKER_HOST="unix://$E2E_DIR/docker.sock"
	export DOCKER_CONFIG="$E2E_DIR/cli"
	unset DOCKER_CONTEXT DOCKER_TLS_VERIFY DOCKER_CERT_PATH
	export DOCKER_CLI_HINTS=false
}

# e2e_write_daemon_json [AUTHZ_PLUGIN...]: the private daemon.json, with
# "authorization-plugins" only when names are given (dockerd refuses to
# start when a key is both in the file and a flag, even an empty list).
e2e_write_daemon_json() {
	local list='' n
	for n in "$@"; do
		list="$list${list:+, }\"$n\""
	done
	if [ $# -gt 0 ]; then
		printf '{"deprecated-key-path": "%s", "authorization-plugins": [%s]}\n' \
			"$E2E_DIR/key.json" "$list" >"$E2E_DIR/daemon.json"
	else
		printf '{"deprecated-key-path": "%s"}\n' "$E2E_DIR/key.json" >"$E2E_DIR/daemon.json"
	fi
}

e2e_reloads_in_log() { grep -c 'Reloaded configuration' "$E2E_DOCKERD_LOG" || true; }
e2e_reloaded_since() { [ "$(e2e_reloads_in_log)" -gt "$1" ]; }

# e2e_reload_dockerd_authz [AUTHZ_PLUGIN...]: what a platform team does
# without a restart: set "authorization-plugins" in daemon.json and send
# dockerd SIGHUP (20.10 reloads the authorization chain live); waits until
# dockerd logged the reload. No names: the chain is emptied (the key is
# written as [], so the reload clears it), and the file left without the
# key afterwards, ready for a restart with the flag.
e2e_reload_dockerd_authz() {
	local before
	[ -n "$E2E_DOCKERD_PID" ] || e2e_die "no dockerd to reload"
	before=$(e2e_reloads_in_log)
	if [ $# -gt 0 ]; then
		e2e_write_daemon_json "$@"
	else
		printf '{"deprecated-key-path": "%s", "authorization-plugins": []}\n' \
			"$E2E_DIR/key.json" >"$E2E_DIR/daemon.json"
	fi
	kill -HUP "$E2E_DOCKERD_PID"
	e2e_wait 15 e2e_reloaded_since "$before" ||
		e2e_die "dockerd did not reload $E2E_DIR/daemon.json within 15s"
	[ $# -gt 0 ] || e2e_write_daemon_json
}

e2e_docker_answers() { timeout 5 docker version >/dev/null 2>&1; }

# e2e_start_dockerd [AUTHZ_PLUGIN_NAME]: start the private dockerd, with the
# authorization plugin when a name is given. dockerd resolves the plugin at
# start (and fails without it), so dockgate must already be answering.
e2e_start_dockerd() {
	local plugin=${1:-} args
	[ -z "$E2E_DOCKERD_PID" ] || e2e_die "dockerd already running"
	args=(
		--config-file "$E2E_DIR/daemon.json"
		--data-root "$E2E_DIR/data"
		--exec-root "$E2E_DIR/exec"
		--pidfile "$E2E_DIR/dockerd.pid"
		-H "unix://$E2E_DIR/docker.sock"
		--bridge=none --iptables=false --ip6tables=false
		--storage-driver=vfs
	)
	[ -n "$plugin" ] && args+=("--authorization-plugin=$plugin")
	echo "==== dockerd ${args[*]}" >>"$E2E_DOCKERD_LOG"
	# No --containerd: dockerd starts its own containerd with its config,
	# state, root and socket under --exec-root/--data-root.
	dockerd "${args[@]}" </dev/null >>"$E2E_DOCKERD_LOG" 2>&1 &
	E2E_DOCKERD_PID=$!
	local i
	for ((i = 0; i < E2E_DOCKERD_WAIT * 5; i++)); do
		if ! kill -0 "$E2E_DOCKERD_PID" 2>/dev/null; then
			wait "$E2E_DOCKERD_PID" 2>/dev/null || true
			E2E_DOCKERD_PID=
			e2e_dockerd_log_tail
			e2e_die "dockerd exited during start-up (plugin '${plugin:-none}')"
		fi
		e2e_docker_answers && return 0
		sleep 0.2
	done
	e2e_dockerd_log_tail
	e2e_die "dockerd did not answer 'docker version' within ${E2E_DOCKERD_WAIT}s"
}

# Kills a process we started and waits for it, bounded.
e2e_stop_pid() {
	local pid=$1 what=$2
	[ -n "$pid" ] || return 0
	kill -TERM "$pid" 2>/dev/null || true
	if ! e2e_wait "$E2E_STOP_WAIT" e2e_gone "$pid"; then
		e2e_say "$what ($pid) ignored SIGTERM for ${E2E_STOP_WAIT}s; killing it"
		kill -KILL "$pid" 2>/dev/null || true
		e2e_wait 5 e2e_gone "$pid" || true
	fi
	wait "$pid" 2>/dev/null || true
}

e2e_gone() { ! kill -0 "$1" 2>/dev/null; }

# Processes of the private containerd (containerd and its shims carry our
# exec-root in their command line); only ever ours.
e2e_our_containerd_pids() {
	[ -n "$E2E_DIR" ] || return 0
	pgrep -f -- "$E2E_DIR/exec/containerd/" || true
}

e2e_stop_dockerd() {
	[ -n "$E2E_DOCKERD_PID" ] || return 0
	e2e_stop_pid "$E2E_DOCKERD_PID" dockerd
	E2E_DOCKERD_PID=
	# dockerd stops its managed containerd; should it have been killed hard,
	# stop what it left behind.
	local pids
	pids=$(e2e_our_containerd_pids)
	if [ -n "$pids" ]; then
		e2e_say "stopping leftover containerd processes: $(echo "$pids" | tr '\n' ' ')"
		local p
		for p in $pids; do e2e_stop_pid "$p" containerd; done
	fi
	e2e_unmount_all
}

# Every mount point under the temp dir (dockerd bind-mounts its data-root;
# containers add their own), deepest first.
e2e_unmount_all() {
	[ -n "$E2E_DIR" ] || return 0
	local m
	awk -v d="$E2E_DIR" '$5 == d || index($5, d "/") == 1 { print $5 }' /proc/self/mountinfo |
		sort -r | while read -r m; do
		umount -R "$m" 2>/dev/null || umount -l "$m" 2>/dev/null ||
			e2e_say "could not unmount $m"
	done
}

# Discovery (a): the socket itself in /run/docker/plugins.
e2e_plugin_sock_discovery() {
	e2e_remove_spec
	e2e_mkdir_p "$E2E_PLUGIN_DIR"
	E2E_PLUGIN_SOCK=$E2E_PLUGIN_DIR/$E2E_NAME.sock
}

# Discovery (b): a socket in the temp dir, named by /etc/docker/plugins/NAME.spec.
# A NAME.sock in /run/docker/plugins would win over the .spec, so a stale one
# (a dockgate that was killed) goes first.
e2e_plugin_spec_discovery() {
	e2e_remove_stale_socket "$E2E_PLUGIN_DIR/$E2E_NAME.sock"
	E2E_PLUGIN_SOCK=$E2E_DIR/dockgate.sock
	e2e_mkdir_p "$E2E_SPEC_DIR"
	E2E_SPEC_FILE=$E2E_SPEC_DIR/$E2E_NAME.spec
	echo "unix://$E2E_PLUGIN_SOCK" >"$E2E_SPEC_FILE"
}

e2e_remove_spec() {
	if [ -n "$E2E_SPEC_FILE" ]; then
		rm -f "$E2E_SPEC_FILE"
		E2E_SPEC_FILE=
	fi
}

e2e_dockgate_answers() {
	[ -S "$E2E_PLUGIN_SOCK" ] || return 1
	if command -v curl >/dev/null; then
		curl -sf --max-time 2 --unix-socket "$E2E_PLUGIN_SOCK" -X POST \
			-H 'Accept: application/vnd.docker.plugins.v1.2+json' \
			http://plugin/Plugin.Activate | grep -q authz
	fi
}

# e2e_start_dockgate POLICY: serve POLICY on $E2E_PLUGIN_SOCK; stderr (one
# line per decision) is appended to $E2E_DOCKGATE_LOG.
e2e_start_dockgate() {
	local policy=$1 dg
	shift # the rest: more `dockgate serve` flags
	[ -n "$E2E_PLUGIN_SOCK" ] || e2e_die "choose a discovery mode before starting dockgate"
	[ -z "$E2E_DOCKGATE_PID" ] || e2e_die "dockgate already running"
	read -r -a dg <<<"$DOCKGATE"
	echo "==== dockgate serve --policy $policy --socket $E2E_PLUGIN_SOCK $*" >>"$E2E_DOCKGATE_LOG"
	"${dg[@]}" serve --policy "$policy" --socket "$E2E_PLUGIN_SOCK" "$@" \
		</dev/null 2>>"$E2E_DOCKGATE_LOG" >&2 &
	E2E_DOCKGATE_PID=$!
	local i
	for ((i = 0; i < E2E_DOCKGATE_WAIT * 5; i++)); do
		if ! kill -0 "$E2E_DOCKGATE_PID" 2>/dev/null; then
			wait "$E2E_DOCKGATE_PID" 2>/dev/null || true
			E2E_DOCKGATE_PID=
			e2e_dockgate_log_tail
			e2e_die "dockgate exited during start-up (policy $policy)"
		fi
		e2e_dockgate_answers && return 0
		sleep 0.2
	done
	e2e_dockgate_log_tail
	e2e_die "dockgate did not answer on $E2E_PLUGIN_SOCK within ${E2E_DOCKGATE_WAIT}s"
}

# SIGTERM: dockgate stops and removes its socket (not done for it here, so
# that tests can check; see e2e_remove_stale_socket).
e2e_stop_dockgate() {
	[ -n "$E2E_DOCKGATE_PID" ] || return 0
	e2e_stop_pid "$E2E_DOCKGATE_PID" dockgate
	E2E_DOCKGATE_PID=
}

# Removes a socket file left by a dockgate that could not clean up.
e2e_remove_stale_socket() {
	[ -n "$1" ] || return 0
	if [ -S "$1" ]; then
		rm -f "$1"
	fi
}

# Restart dockgate on the same socket with another policy; dockerd keeps
# running and reconnects on its next request.
e2e_restart_dockgate() {
	e2e_stop_dockgate
	e2e_remove_stale_socket "$E2E_PLUGIN_SOCK"
	e2e_start_dockgate "$@"
}

# The test images, made without any registry: a directory with a static
# busybox imported as an image. Done on a plugin-less dockerd so that the
# import and tag calls do not depend on what the policy under test allows;
# dockerd is stopped again afterwards.
e2e_build_images() {
	local root=$E2E_DIR/rootfs t
	mkdir -p "$root/bin" "$root/tmp" "$root/etc"
	cp /bin/busybox "$root/bin/busybox"
	for t in sh echo true id sleep cat ls touch; do
		ln -sf busybox "$root/bin/$t"
	done
	echo 'root:x:0:0:root:/:/bin/sh' >"$root/etc/passwd"
	echo 'root:x:0:' >"$root/etc/group"
	e2e_start_dockerd ""
	tar -C "$root" -c . | timeout 60 docker import \
		--change 'CMD ["/bin/sh"]' - "$E2E_IMAGE_OK" >/dev/null ||
		e2e_die "docker import failed"
	timeout 30 docker tag "$E2E_IMAGE_OK" "$E2E_IMAGE_BAD" || e2e_die "docker tag failed"
	tar -C "$root" -c . | timeout 60 docker import \
		--change 'CMD ["/bin/sh"]' --change 'USER 1000' - "$E2E_IMAGE_USER" >/dev/null ||
		e2e_die "docker import (USER 1000) failed"
	e2e_stop_dockerd
}

# e2e_managed_create NAME POLICY: dockgate as a managed plugin, assembled
# and created by contrib/managed-plugin/build.sh (what `make managed-plugin`
# runs) on a plugin-less private dockerd, and enabled; that dockerd keeps
# running (e2e_reload_dockerd_authz NAME:latest puts the plugin in its
# chain; or stop it and e2e_start_dockerd NAME:latest). Its data lives in
# the private data-root; dockerd 20.10 puts its socket in the fixed
# /run/docker/plugins/ID/ (a 108-byte path limit), removed on disable/rm.
e2e_managed_create() {
	local name=$1 policy=$2 id dg
	read -r -a dg <<<"$DOCKGATE"
	e2e_start_dockerd ""
	DOCKGATE=${dg[-1]} OUT=$E2E_DIR/managed \
		timeout 120 "$E2E_REPO/contrib/managed-plugin/build.sh" "$name" "$policy" \
		>>"$E2E_DOCKERD_LOG" 2>&1 || e2e_die "contrib/managed-plugin/build.sh $name failed"
	id=$(timeout 10 docker plugin inspect -f '{{.Id}}' "$name") ||
		e2e_die "docker plugin inspect $name failed"
	E2E_MANAGED_IDS+=("$id")
	timeout 60 docker plugin enable "$name" >/dev/null || {
		e2e_dockerd_log_tail
		e2e_die "docker plugin enable $name failed"
	}
}

# After dockerd stopped: it stops its plugins, but should one have
# survived (dockerd killed), stop every process whose root directory lies
# in our temp dir, and drop the plugins' socket directories.
e2e_managed_cleanup() {
	local p root id
	[ -n "$E2E_DIR" ] && [ "${#E2E_MANAGED_IDS[@]}" -gt 0 ] || return 0
	for p in /proc/[0-9]*; do
		root=$(readlink "$p/root" 2>/dev/null) || continue
		case $root in
		"$E2E_DIR"/*)
			e2e_say "stopping leftover plugin process ${p#/proc/}"
			kill -KILL "${p#/proc/}" 2>/dev/null
			;;
		esac
	done
	for id in "${E2E_MANAGED_IDS[@]}"; do
		[[ $id =~ ^[0-9a-f]{64}$ ]] || continue
		if [ -d "$E2E_PLUGIN_DIR/$id" ]; then
			rm -rf --one-file-system "${E2E_PLUGIN_DIR:?}/$id"
		fi
	done
}

# Containers first (while dockerd and dockgate still answer), then dockerd and
# its containerd, then dockgate, mounts, discovery files, the temp dir.
e2e_cleanup() {
	local rc=$?
	[ "$E2E_CLEANED" = 0 ] || return 0
	E2E_CLEANED=1
	trap - INT TERM
	set +e
	if [ -n "$E2E_DOCKERD_PID" ] && [ -n "$E2E_DOCKGATE_PID" ] && e2e_docker_answers; then
		local ids
		ids=$(timeout 15 docker ps -aq 2>/dev/null)
		# shellcheck disable=SC2086 # ids are hex words
		[ -z "$ids" ] || timeout 20 docker rm -f $ids >/dev/null 2>&1
	fi
	e2e_stop_dockerd
	e2e_managed_cleanup
	e2e_stop_dockgate
	e2e_remove_stale_socket "$E2E_PLUGIN_SOCK"
	e2e_remove_stale_socket "$E2E_PLUGIN_DIR/$E2E_NAME.sock"
	[ -z "$E2E_DIR" ] || e2e_remove_stale_socket "$E2E_DIR/dockgate.sock"
	e2e_remove_spec
	local d
	for d in "${E2E_CREATED_DIRS[@]}"; do
		rmdir "$d" 2>/dev/null
	done
	if [ -n "$E2E_DIR" ] && [ -d "$E2E_DIR" ]; then
		e2e_unmount_all
		if [ -n "${E2E_KEEP:-}" ]; then
			e2e_say "kept $E2E_DIR (E2E_KEEP set)"
		else
			rm -rf --one-file-system "$E2E_DIR" ||
				e2e_say "could not remove $E2E_DIR"
		fi
	fi
	return "$rc"
}
