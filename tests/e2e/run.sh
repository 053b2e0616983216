#!/usr/bin/env bash
# End-to-end tests: the real docker CLI against a real (private) dockerd that
# asks dockgate about every API call. See tests/e2e/lib.sh for the sandbox.
#
#   DOCKGATE=build/dockgate tests/e2e/run.sh      (make e2e)
#
# Needs root. Prints `e2e: N passed, M failed` and exits non-zero if M > 0
# (2 when the sandbox itself could not be set up).
set -euo pipefail

# shellcheck source=tests/e2e/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

FIVE=(no-root read-only-rootfs resource-limits capabilities registries)
RULES=("${FIVE[@]}" privileged host-namespaces host-mounts devices no-new-privileges
	security-profiles image-tags exec update)
PASSED=0
FAILED=0
FAILED_NAMES=()
OUT='' ERR='' RC=''

# The compliant flags; each single-rule case breaks exactly one of them.
GOOD_USER=(--user 1000:1000)
GOOD_RO=(--read-only)
GOOD_LIMITS=(--memory 64m --cpus 0.5 --pids-limit 50)
GOOD_CAPS=(--cap-drop ALL --security-opt no-new-privileges)

write_policies() {
	POLICY_ENFORCE=$E2E_DIR/enforce.yaml
	POLICY_AUDIT=$E2E_DIR/audit-rootfs.yaml
	cat >"$POLICY_ENFORCE" <<'EOF'
version: 1
mode: enforce
rules:
  no-root: {action: deny, unset-user: deny}
  read-only-rootfs: deny
  resource-limits: {require: [memory, cpus, pids], max: {memory: 4g, cpus: 2, pids: 4096}}
  capabilities: {allow: [NET_BIND_SERVICE]}
  registries: {allow: [registry.example.com, ghcr.io/acme]}
  privileged: deny
  host-namespaces: deny
  host-mounts: deny
  devices: deny
  no-new-privileges: deny
  security-profiles: deny
  image-tags: deny
  exec: deny
  update: deny
EOF
	sed 's/^  read-only-rootfs: deny$/  read-only-rootfs: audit/' \
		"$POLICY_ENFORCE" >"$POLICY_AUDIT"
	grep -q 'read-only-rootfs: audit' "$POLICY_AUDIT" || e2e_die "audit policy not written"
	POLICY_INSPECT=$E2E_DIR/inspect.yaml
	sed 's/unset-user: deny}$/unset-user: inspect}/' "$POLICY_ENFORCE" >"$POLICY_INSPECT"
	grep -q 'unset-user: inspect' "$POLICY_INSPECT" || e2e_die "inspect policy not written"
}

# ---- helpers -------------------------------------------------------------

# d ARGS...: runs `docker ARGS` (bounded), output in $OUT/$ERR, status in $RC.
d() {
	OUT=$E2E_DIR/out ERR=$E2E_DIR/err RC=0
	timeout 60 docker "$@" >"$OUT" 2>"$ERR" </dev/null || RC=$?
}

# Failure details go to stderr, prefixed, then the case is failed.
fail() {
	printf '    %s\n' "$@" >&2
	if [ -n "$ERR" ] && [ -s "$ERR" ]; then
		sed 's/^/    | stderr: /' "$ERR" >&2
	fi
	if [ -n "$OUT" ] && [ -s "$OUT" ]; then
		sed 's/^/    | stdout: /' "$OUT" | head -n 20 >&2
	fi
	return 1
}

expect_rc() {
	[ "$RC" = "$1" ] || fail "expected exit status $1, got $RC"
}

# expect_in FILE REGEX / expect_not_in FILE REGEX (extended regex).
expect_in() {
	grep -Eq -- "$2" "$1" || fail "expected /$2/ in $(basename "$1")"
}

expect_not_in() {
	! grep -Eq -- "$2" "$1" || fail "did not expect /$2/ in $(basename "$1")"
}

# expect_deny_msg REGEX: stderr, read as one line (the Msg spans several),
# matches "authorization denied by plugin NAME: .*REGEX".
# DENY_NAME: the plugin name dockerd reports (the managed plugin's differs).
expect_deny_msg() {
	local who=${DENY_NAME:-$E2E_NAME}
	tr '\n' ' ' <"$ERR" | grep -Eq -- "authorization denied by plugin $who: .*$1" ||
		fail "expected /authorization denied by plugin $who: .*$1/ in stderr"
}

# A deny of `docker run/create`: exit 125, the CLI's wording with our plugin
# name, every rule in "$@" named as [rule-id], and no other rule named.
expect_denied_for() {
	expect_rc 125 || return 1
	expect_deny_msg "\[$1\]" || return 1
	local r w want
	for r in "${RULES[@]}"; do
		want=0
		for w in "$@"; do [ "$r" = "$w" ] && want=1; done
		if [ "$want" = 1 ]; then
			expect_in "$ERR" "\[$r\]" || return 1
		else
			expect_not_in "$ERR" "\[$r\]" || return 1
		fi
	done
	# Never started: nothing pulled, nothing printed on stdout.
	expect_not_in "$ERR" "Unable to find image|Pulling from|pull access denied" || return 1
	[ ! -s "$OUT" ] || fail "expected no stdout from a denied run"
}

# t NAME FUNCTION: runs one case against the running dockgate and counts it.
t() {
	# A dead plugin makes dockerd retry for ~30 s per call: fail fast instead.
	if [ -z "$E2E_DOCKGATE_PID" ] || ! kill -0 "$E2E_DOCKGATE_PID" 2>/dev/null; then
		FAILED=$((FAILED + 1))
		FAILED_NAMES+=("$1")
		printf 'FAIL %s\n    dockgate is not running (crashed?)\n' "$1"
		return 0
	fi
	t_after_plugin "$@"
}

# t_after_plugin NAME FUNCTION: runs one case and counts it.
t_after_plugin() {
	local name=$1
	shift
	OUT='' ERR=''
	if "$@"; then
		PASSED=$((PASSED + 1))
		printf 'ok   %s\n' "$name"
	else
		FAILED=$((FAILED + 1))
		FAILED_NAMES+=("$name")
		printf 'FAIL %s\n' "$name"
	fi
}

containers_all() { timeout 30 docker ps -aq --no-trunc 2>/dev/null | sort; }
images_all() {
	timeout 30 docker images -a --no-trunc --format '{{.Repository}}:{{.Tag}} {{.ID}}' 2>/dev/null | sort
}

# ---- cases ---------------------------------------------------------------

case_compliant_runs() {
	d run --rm "${GOOD_USER[@]}" "${GOOD_RO[@]}" "${GOOD_LIMITS[@]}" "${GOOD_CAPS[@]}" \
		"$E2E_IMAGE_OK" echo ok
	expect_rc 0 || return 1
	[ "$(cat "$OUT")" = ok ] || fail "expected stdout 'ok'" || return 1
	expect_not_in "$ERR" "authorization denied"
}

case_root_denied() {
	d run --rm --user 0:0 "${GOOD_RO[@]}" "${GOOD_LIMITS[@]}" "${GOOD_CAPS[@]}" \
		"$E2E_IMAGE_OK" echo ok
	expect_denied_for no-root
}

case_unset_user_denied() {
	d run --rm "${GOOD_RO[@]}" "${GOOD_LIMITS[@]}" "${GOOD_CAPS[@]}" \
		"$E2E_IMAGE_OK" echo ok
	expect_denied_for no-root
}

case_writable_rootfs_denied() {
	d run --rm "${GOOD_USER[@]}" "${GOOD_LIMITS[@]}" "${GOOD_CAPS[@]}" \
		"$E2E_IMAGE_OK" echo ok
	expect_denied_for read-only-rootfs
}

case_missing_memory_denied() {
	d run --rm "${GOOD_USER[@]}" "${GOOD_RO[@]}" --cpus 0.5 --pids-limit 50 "${GOOD_CAPS[@]}" \
		"$E2E_IMAGE_OK" echo ok
	expect_denied_for resource-limits || return 1
	expect_in "$ERR" "memory"
}

case_limit_over_max_denied() {
	d run --rm "${GOOD_USER[@]}" "${GOOD_RO[@]}" --memory 64m --cpus 0.5 --pids-limit 100000 \
		"${GOOD_CAPS[@]}" "$E2E_IMAGE_OK" echo ok
	expect_denied_for resource-limits || return 1
	expect_in "$ERR" "pids"
}

case_capability_denied() {
	d run --rm "${GOOD_USER[@]}" "${GOOD_RO[@]}" "${GOOD_LIMITS[@]}" "${GOOD_CAPS[@]}" \
		--cap-add SYS_ADMIN "$E2E_IMAGE_OK" echo ok
	expect_denied_for capabilities || return 1
	expect_in "$ERR" "SYS_ADMIN"
}

case_allowed_capability_runs() {
	d run --rm "${GOOD_USER[@]}" "${GOOD_RO[@]}" "${GOOD_LIMITS[@]}" "${GOOD_CAPS[@]}" \
		--cap-add NET_BIND_SERVICE "$E2E_IMAGE_OK" echo ok
	expect_rc 0 || return 1
	[ "$(cat "$OUT")" = ok ] || fail "expected stdout 'ok'"
}

case_registry_denied() {
	d run --rm "${GOOD_USER[@]}" "${GOOD_RO[@]}" "${GOOD_LIMITS[@]}" "${GOOD_CAPS[@]}" \
		"$E2E_IMAGE_BAD" echo ok
	expect_denied_for registries || return 1
	expect_in "$ERR" "evil\.example\.org"
}

case_all_five_denied() {
	d run --rm --user 0 --cap-add SYS_ADMIN "$E2E_IMAGE_BAD" echo ok
	expect_denied_for "${FIVE[@]}" no-new-privileges || return 1
	# One message: a single "denied by plugin" line carries them all.
	[ "$(grep -c 'authorization denied by plugin' "$ERR")" = 1 ] ||
		fail "expected exactly one deny message"
}

case_unapproved_not_pulled() {
	local before after
	before=$(images_all)
	d run --rm "${GOOD_USER[@]}" "${GOOD_RO[@]}" "${GOOD_LIMITS[@]}" "${GOOD_CAPS[@]}" \
		evil.example.org/x:1 echo ok
	expect_denied_for registries || return 1
	expect_in "$ERR" "evil\.example\.org/x" || return 1
	after=$(images_all)
	[ "$before" = "$after" ] || fail "docker images changed:" "$before" "->" "$after"
}

case_multiline_msg_intact() {
	# The CLI prints dockgate's Msg as is: one violation per line, each line
	# "[rule-id] what is wrong; how to fix it".
	d run --rm --user 0 --cap-add SYS_ADMIN "$E2E_IMAGE_BAD" echo ok
	expect_rc 125 || return 1
	local r
	for r in "${FIVE[@]}"; do
		grep -Eq "(^|: )\[$r\] [^;]+; .+" "$ERR" ||
			fail "no line '[$r] what; how to fix' in stderr" || return 1
	done
}

case_read_commands_work() {
	local name=e2e-logs-$$
	d run -d --name "$name" "${GOOD_USER[@]}" "${GOOD_RO[@]}" "${GOOD_LIMITS[@]}" \
		"${GOOD_CAPS[@]}" "$E2E_IMAGE_OK" echo hello-from-logs
	expect_rc 0 || return 1
	d wait "$name"
	expect_rc 0 || return 1
	[ "$(cat "$OUT")" = 0 ] || fail "container exit code $(cat "$OUT")" || return 1
	d ps -a --format '{{.Names}} {{.Image}}'
	expect_rc 0 || return 1
	expect_in "$OUT" "^$name $E2E_IMAGE_OK\$" || return 1
	d ps
	expect_rc 0 || return 1
	expect_in "$OUT" "CONTAINER ID" || return 1
	d images --format '{{.Repository}}:{{.Tag}}'
	expect_rc 0 || return 1
	expect_in "$OUT" "^$E2E_IMAGE_OK\$" || return 1
	expect_in "$OUT" "^$E2E_IMAGE_BAD\$" || return 1
	d logs "$name"
	expect_rc 0 || return 1
	[ "$(cat "$OUT")" = hello-from-logs ] || fail "expected 'hello-from-logs' from docker logs" ||
		return 1
	d inspect --format '{{.Config.User}} {{.HostConfig.ReadonlyRootfs}}' "$name"
	expect_rc 0 || return 1
	[ "$(cat "$OUT")" = "1000:1000 true" ] || fail "unexpected docker inspect output" || return 1
	d rm "$name"
	expect_rc 0
}

case_raw_encoded_path_denied() {
	command -v curl >/dev/null || fail "curl not installed" || return 1
	local before after code body=$E2E_DIR/raw.json resp=$E2E_DIR/raw.out
	before=$(containers_all)
	cat >"$body" <<EOF
{"Image":"$E2E_IMAGE_OK","User":"0","Cmd":["id"],"HostConfig":{"ReadonlyRootfs":true,"Memory":67108864,"NanoCpus":500000000,"PidsLimit":50,"CapDrop":["ALL"]}}
EOF
	OUT=$resp ERR=''
	code=$(curl -s --max-time 60 -o "$resp" -w '%{http_code}' \
		--unix-socket "$E2E_DIR/docker.sock" -X POST \
		-H 'Content-Type: application/json' --data-binary "@$body" \
		'http://docker/v1.41/containers/%63reate?name=e2e-raw') || true
	[ "$code" = 403 ] || fail "expected HTTP 403, got '$code'" || return 1
	expect_in "$resp" "authorization denied by plugin $E2E_NAME" || return 1
	expect_in "$resp" "\[no-root\]" || return 1
	after=$(containers_all)
	[ "$before" = "$after" ] || fail "a container was created" || return 1
	d ps -a --format '{{.Names}}'
	expect_not_in "$OUT" "e2e-raw"
}

# The other doors: each run is compliant but for one flag.
good_run() {
	d run --rm "${GOOD_USER[@]}" "${GOOD_RO[@]}" "${GOOD_LIMITS[@]}" "${GOOD_CAPS[@]}" "$@"
}

case_privileged_denied() {
	good_run --privileged "$E2E_IMAGE_OK" echo ok
	expect_denied_for privileged
}

case_host_network_denied() {
	good_run --network host "$E2E_IMAGE_OK" echo ok
	expect_denied_for host-namespaces || return 1
	expect_in "$ERR" "remove --network host"
}

case_host_root_bind_denied() {
	good_run -v /:/host "$E2E_IMAGE_OK" echo ok
	expect_denied_for host-mounts || return 1
	expect_in "$ERR" "host path / is protected"
}

case_docker_sock_dotdot_denied() {
	good_run -v /var/run//docker.sock:/s --mount type=bind,src=/etc/../etc/,dst=/x \
		"$E2E_IMAGE_OK" echo ok
	expect_denied_for host-mounts || return 1
	expect_in "$ERR" "host path /var/run/docker.sock is protected" || return 1
	expect_in "$ERR" "host path /etc is protected"
}

case_seccomp_unconfined_denied() {
	good_run --security-opt seccomp=unconfined "$E2E_IMAGE_OK" echo ok
	expect_denied_for security-profiles
}

case_no_new_privileges_missing_denied() {
	d run --rm "${GOOD_USER[@]}" "${GOOD_RO[@]}" "${GOOD_LIMITS[@]}" --cap-drop ALL \
		"$E2E_IMAGE_OK" echo ok
	expect_denied_for no-new-privileges
}

case_device_denied() {
	good_run --device /dev/null:/dev/xnull "$E2E_IMAGE_OK" echo ok
	expect_denied_for devices
}

# exec and update on a running, compliant container.
RUNNER=e2e-runner-$$

case_runner_starts() {
	d run -d --name "$RUNNER" "${GOOD_USER[@]}" "${GOOD_RO[@]}" "${GOOD_LIMITS[@]}" \
		"${GOOD_CAPS[@]}" "$E2E_IMAGE_OK" sleep 300
	expect_rc 0
}

case_exec_plain_runs() {
	d exec "$RUNNER" id -u
	expect_rc 0 || return 1
	[ "$(cat "$OUT")" = 1000 ] || fail "expected uid 1000 from exec"
}

case_exec_root_denied() {
	d exec -u 0 "$RUNNER" id -u
	[ "$RC" != 0 ] || fail "exec -u 0 succeeded" || return 1
	expect_deny_msg "\[exec\] exec would run as root" || return 1
	expect_not_in "$OUT" "^0$"
}

case_exec_privileged_denied() {
	d exec --privileged "$RUNNER" id -u
	[ "$RC" != 0 ] || fail "exec --privileged succeeded" || return 1
	expect_deny_msg "\[exec\] privileged exec"
}

case_update_within_runs() {
	d update --pids-limit 100 "$RUNNER"
	expect_rc 0
}

case_update_remove_denied() {
	d update --pids-limit -1 "$RUNNER"
	[ "$RC" != 0 ] || fail "update --pids-limit -1 succeeded" || return 1
	expect_deny_msg "\[update\] update would remove the PID limit" || return 1
	d inspect --format '{{.HostConfig.PidsLimit}}' "$RUNNER"
	[ "$(cat "$OUT")" = 100 ] || fail "PidsLimit changed to $(cat "$OUT")"
}

case_update_over_denied() {
	d update --memory 8g --memory-swap 16g "$RUNNER"
	[ "$RC" != 0 ] || fail "update --memory 8g succeeded" || return 1
	expect_deny_msg "\[update\] update would raise the memory limit to 8g"
}

case_runner_removed() {
	d rm -f "$RUNNER"
	expect_rc 0
}

# A named volume that binds the host is judged when it is created.
case_bind_volume_of_root_denied() {
	d volume create --driver local --opt type=none --opt o=bind --opt device=/ e2e-rootvol
	[ "$RC" != 0 ] || fail "docker volume create succeeded" || return 1
	expect_deny_msg "\[host-mounts\] host path / is protected" || return 1
	d volume ls -q
	expect_not_in "$OUT" "^e2e-rootvol$"
}

case_plain_volume_created() {
	d volume create e2e-plainvol
	expect_rc 0 || return 1
	d volume rm e2e-plainvol
	expect_rc 0
}

# Image ingress: registries judges every route that names an image.
case_tag_unapproved_source_denied() {
	local before after
	before=$(images_all)
	d tag "$E2E_IMAGE_BAD" registry.example.com/laundered:1
	[ "$RC" != 0 ] || fail "docker tag succeeded" || return 1
	expect_deny_msg "\[registries\] image evil\.example\.org/busybox is not from an approved registry" ||
		return 1
	after=$(images_all)
	[ "$before" = "$after" ] || fail "docker images changed:" "$before" "->" "$after"
}

case_tag_approved_runs() {
	d tag "$E2E_IMAGE_OK" registry.example.com/team/busybox:e2e-$$
	expect_rc 0 || return 1
	d rmi registry.example.com/team/busybox:e2e-$$
	expect_rc 0
}

case_pull_unapproved_denied() {
	d pull evil.example.org/x:1
	[ "$RC" != 0 ] || fail "docker pull succeeded" || return 1
	expect_deny_msg "\[registries\] image evil\.example\.org/x is not from an approved registry" ||
		return 1
	# Denied before dockerd tried the network.
	expect_not_in "$ERR" "no such host|dial tcp|lookup"
}

case_load_denied() {
	d save -o "$E2E_DIR/img.tar" "$E2E_IMAGE_OK"
	expect_rc 0 || return 1
	d load -i "$E2E_DIR/img.tar"
	[ "$RC" != 0 ] || fail "docker load succeeded" || return 1
	expect_deny_msg "\[registries\] docker load brings in images whose origin cannot be checked"
}

case_push_unapproved_denied() {
	d push "$E2E_IMAGE_BAD"
	[ "$RC" != 0 ] || fail "docker push succeeded" || return 1
	expect_deny_msg "\[registries\] image name evil\.example\.org/busybox is not under an approved registry"
}

# The same body on the plain path is denied too (sanity check of the above).
case_raw_plain_path_denied() {
	local code resp=$E2E_DIR/raw2.out
	OUT=$resp ERR=''
	code=$(curl -s --max-time 60 -o "$resp" -w '%{http_code}' \
		--unix-socket "$E2E_DIR/docker.sock" -X POST \
		-H 'Content-Type: application/json' --data-binary "@$E2E_DIR/raw.json" \
		'http://docker/containers/create?name=e2e-raw2') || true
	[ "$code" = 403 ] || fail "expected HTTP 403, got '$code'" || return 1
	d ps -a --format '{{.Names}}'
	expect_not_in "$OUT" "e2e-raw2"
}

case_audit_allows_writable_rootfs() {
	local mark
	mark=$(wc -l <"$E2E_DOCKGATE_LOG")
	d run --rm "${GOOD_USER[@]}" "${GOOD_LIMITS[@]}" "${GOOD_CAPS[@]}" \
		"$E2E_IMAGE_OK" echo audited-ok
	expect_rc 0 || return 1
	[ "$(cat "$OUT")" = audited-ok ] || fail "expected stdout 'audited-ok'" || return 1
	# Decision lines are written in batches at most 20 ms apart.
	for _ in $(seq 100); do
		tail -n +"$((mark + 1))" "$E2E_DOCKGATE_LOG" |
			grep -Eq "allow.*read-only-rootfs|read-only-rootfs.*allow" && break
		sleep 0.02
	done
	tail -n +"$((mark + 1))" "$E2E_DOCKGATE_LOG" >"$E2E_DIR/audit.log"
	OUT=$E2E_DIR/audit.log ERR=''
	# One line per decision: the allowed create names the audited rule.
	expect_in "$E2E_DIR/audit.log" "allow.*read-only-rootfs|read-only-rootfs.*allow"
}

case_audit_still_enforces_others() {
	d run --rm --user 0:0 "${GOOD_LIMITS[@]}" "${GOOD_CAPS[@]}" "$E2E_IMAGE_OK" echo ok
	expect_rc 125 || return 1
	expect_deny_msg "\[no-root\]"
}

case_dockgate_logs_decisions() {
	OUT=$E2E_DOCKGATE_LOG ERR=''
	expect_in "$E2E_DOCKGATE_LOG" "no-root" || return 1
	expect_in "$E2E_DOCKGATE_LOG" "registries"
}

# unset-user: inspect: dockgate asks this dockerd for the image's
# Config.User (and dockerd asks dockgate to authorize that look-up).
case_inspect_image_user_runs() {
	d run --rm "${GOOD_RO[@]}" "${GOOD_LIMITS[@]}" "${GOOD_CAPS[@]}" \
		"$E2E_IMAGE_USER" id -u
	expect_rc 0 || return 1
	[ "$(cat "$OUT")" = 1000 ] || fail "expected stdout '1000' (the image's USER)"
}

case_inspect_root_image_denied() {
	d run --rm "${GOOD_RO[@]}" "${GOOD_LIMITS[@]}" "${GOOD_CAPS[@]}" \
		"$E2E_IMAGE_OK" echo ok
	expect_denied_for no-root || return 1
	expect_deny_msg "image $E2E_IMAGE_OK sets no USER"
}

case_inspect_explicit_root_denied() {
	d run --rm --user 0 "${GOOD_RO[@]}" "${GOOD_LIMITS[@]}" "${GOOD_CAPS[@]}" \
		"$E2E_IMAGE_USER" echo ok
	expect_denied_for no-root
}

# SIGTERM stops dockgate and removes its socket (dockerd would otherwise keep
# finding a dead NAME.sock).
case_sigterm_removes_socket() {
	local sock=$E2E_PLUGIN_SOCK
	OUT='' ERR=''
	e2e_stop_dockgate
	if [ -S "$sock" ]; then
		e2e_remove_stale_socket "$sock"
		fail "dockgate left $sock behind after SIGTERM"
	fi
}

# ---- managed plugin cases (MANAGED: the plugin's name, tag included) ------

managed_enabled() {
	d plugin inspect -f '{{.Enabled}}' "$MANAGED"
	expect_rc 0 || return 1
	[ "$(cat "$OUT")" = true ] || fail "expected $MANAGED still enabled"
}

case_managed_is_enabled() {
	d plugin ls --format '{{.Name}} {{.Enabled}}'
	expect_rc 0 || return 1
	expect_in "$OUT" "^$MANAGED true\$"
}

case_managed_disable_denied() {
	d plugin disable "$MANAGED"
	expect_rc 1 || return 1
	expect_deny_msg "\[self-protection\] plugin \"$MANAGED\" is dockgate itself, and disabling it" ||
		return 1
	managed_enabled
}

case_managed_disable_force_denied() {
	d plugin disable -f "${MANAGED%:latest}"
	expect_rc 1 || return 1
	expect_deny_msg "\[self-protection\].*disabling it" || return 1
	managed_enabled
}

case_managed_rm_denied() {
	d plugin rm -f "$MANAGED"
	expect_rc 1 || return 1
	expect_deny_msg "\[self-protection\] plugin \"$MANAGED\" is dockgate itself, and removing it" ||
		return 1
	managed_enabled
}

case_managed_set_denied() {
	d plugin set "$MANAGED" DEBUG=1
	expect_rc 1 || return 1
	expect_deny_msg "\[self-protection\].*re-configuring it" || return 1
	managed_enabled
}

case_managed_disable_by_id_denied() {
	local id
	d plugin inspect -f '{{.Id}}' "$MANAGED"
	expect_rc 0 || return 1
	id=$(cut -c1-12 "$OUT")
	d plugin disable "$id"
	expect_rc 1 || return 1
	expect_deny_msg "\[self-protection\] plugin \"$id\" may be a plugin ID" || return 1
	managed_enabled
}

# With the plugin out of the chain, nothing judges a root container.
case_root_runs() {
	d run --rm --user 0:0 "${GOOD_RO[@]}" "${GOOD_LIMITS[@]}" "${GOOD_CAPS[@]}" \
		"$E2E_IMAGE_OK" echo root-ok
	expect_rc 0 || return 1
	[ "$(cat "$OUT")" = root-ok ] || fail "expected stdout 'root-ok'"
}

# Only with dockerd started without --authorization-plugin.
case_managed_removed() {
	d plugin rm -f "$MANAGED"
	expect_rc 0 || return 1
	d plugin ls --format '{{.Name}}'
	expect_rc 0 || return 1
	expect_not_in "$OUT" "$MANAGED" || return 1
	# dockerd removed the plugin's socket directory from the shared
	# /run/docker/plugins.
	local id
	for id in "${E2E_MANAGED_IDS[@]}"; do
		[ ! -e "$E2E_PLUGIN_DIR/$id" ] || fail "$E2E_PLUGIN_DIR/$id left behind" || return 1
	done
}

# The sandbox failed (lib.sh's e2e_die): count it, keep the summary line.
e2e_fatal_hook() {
	echo "e2e: $PASSED passed, $((FAILED + 1)) failed"
}

# ---- main ----------------------------------------------------------------

main() {
	local t0=$SECONDS
	e2e_init
	write_policies
	echo "e2e: sandbox $E2E_DIR, plugin name $E2E_NAME, dockgate: $DOCKGATE"
	e2e_build_images

	echo "# discovery via $E2E_PLUGIN_DIR/$E2E_NAME.sock"
	e2e_plugin_sock_discovery
	e2e_start_dockgate "$POLICY_ENFORCE"
	e2e_start_dockerd "$E2E_NAME"
	t "sock: compliant run prints ok" case_compliant_runs
	t "sock: --user 0:0 denied [no-root] only" case_root_denied
	t "sock: no --user denied [no-root] only" case_unset_user_denied
	t "sock: writable rootfs denied [read-only-rootfs] only" case_writable_rootfs_denied
	t "sock: no --memory denied [resource-limits] only" case_missing_memory_denied
	t "sock: --pids-limit over max denied [resource-limits] only" case_limit_over_max_denied
	t "sock: --cap-add SYS_ADMIN denied [capabilities] only" case_capability_denied
	t "sock: --cap-add NET_BIND_SERVICE allowed" case_allowed_capability_runs
	t "sock: unapproved registry denied [registries] only" case_registry_denied
	t "sock: all five violations in one message" case_all_five_denied
	t "sock: multi-line Msg reaches the CLI intact" case_multiline_msg_intact
	t "sock: absent unapproved image denied before any pull" case_unapproved_not_pulled
	t "sock: ps, images, logs, inspect, wait, rm work" case_read_commands_work
	t "sock: raw POST /v1.41/containers/%63reate as root is 403" case_raw_encoded_path_denied
	t "sock: raw POST /containers/create as root is 403" case_raw_plain_path_denied
	t "sock: --privileged denied [privileged] only" case_privileged_denied
	t "sock: --network host denied [host-namespaces] only" case_host_network_denied
	t "sock: -v /:/host denied [host-mounts] only" case_host_root_bind_denied
	t "sock: docker.sock via // and /etc via .. denied [host-mounts]" case_docker_sock_dotdot_denied
	t "sock: seccomp=unconfined denied [security-profiles] only" case_seccomp_unconfined_denied
	t "sock: no no-new-privileges denied [no-new-privileges] only" case_no_new_privileges_missing_denied
	t "sock: --device denied [devices] only" case_device_denied
	t "sock: a local bind volume of / denied [host-mounts]" case_bind_volume_of_root_denied
	t "sock: a plain named volume is created" case_plain_volume_created
	t "sock: docker tag of an unapproved image to an approved name denied" case_tag_unapproved_source_denied
	t "sock: docker tag between approved names runs" case_tag_approved_runs
	t "sock: docker pull from an unapproved registry denied" case_pull_unapproved_denied
	t "sock: docker load denied" case_load_denied
	t "sock: docker push to an unapproved registry denied" case_push_unapproved_denied
	t "sock: a compliant container starts" case_runner_starts
	t "sock: docker exec (container's user) runs" case_exec_plain_runs
	t "sock: docker exec -u 0 denied [exec]" case_exec_root_denied
	t "sock: docker exec --privileged denied [exec]" case_exec_privileged_denied
	t "sock: docker update --pids-limit 100 runs" case_update_within_runs
	t "sock: docker update --pids-limit -1 denied [update]" case_update_remove_denied
	t "sock: docker update --memory 8g denied [update]" case_update_over_denied
	t "sock: the container is removed" case_runner_removed
	t "sock: dockgate logged its decisions" case_dockgate_logs_decisions
	e2e_stop_dockerd
	t_after_plugin "sock: SIGTERM stops dockgate and removes its socket" case_sigterm_removes_socket

	# dockerd caches a plugin's address after the first lookup, so the
	# other discovery mode needs a fresh dockerd.
	echo "# discovery via $E2E_SPEC_DIR/$E2E_NAME.spec -> unix://$E2E_DIR/dockgate.sock"
	e2e_plugin_spec_discovery
	e2e_start_dockgate "$POLICY_ENFORCE"
	e2e_start_dockerd "$E2E_NAME"
	t "spec: compliant run prints ok" case_compliant_runs
	t "spec: --user 0:0 denied [no-root] only" case_root_denied
	t "spec: unapproved registry denied [registries] only" case_registry_denied

	echo "# same dockerd, dockgate restarted with read-only-rootfs: audit"
	e2e_restart_dockgate "$POLICY_AUDIT"
	t "audit: writable rootfs allowed and logged" case_audit_allows_writable_rootfs
	t "audit: root still denied [no-root]" case_audit_still_enforces_others
	t "audit: ps, images, logs still work" case_read_commands_work

	echo "# same dockerd, dockgate restarted with no-root unset-user: inspect"
	e2e_restart_dockgate "$POLICY_INSPECT" --docker-host "unix://$E2E_DIR/docker.sock"
	t "inspect: image with USER 1000 runs without --user" case_inspect_image_user_runs
	t "inspect: plain busybox image (no USER) denied [no-root]" case_inspect_root_image_denied
	t "inspect: --user 0 still denied" case_inspect_explicit_root_denied
	t "inspect: ps, images, logs still work" case_read_commands_work

	e2e_stop_dockerd
	t_after_plugin "spec: SIGTERM stops dockgate and removes its socket" case_sigterm_removes_socket

	# dockgate as a managed plugin: created and enabled on a plugin-less
	# dockerd, put in its authorization chain first by a live reload of
	# daemon.json, then by a restart with --authorization-plugin. Its
	# --self-name is the plugin's name (build.sh derives it).
	MANAGED=$E2E_NAME-managed:latest
	echo "# managed plugin $MANAGED (docker plugin create + enable)"
	e2e_managed_create "${MANAGED%:latest}" "$POLICY_ENFORCE"
	echo "# daemon.json \"authorization-plugins\": [\"$MANAGED\"] + SIGHUP"
	e2e_reload_dockerd_authz "$MANAGED"
	DENY_NAME=$MANAGED
	t_after_plugin "managed/reload: listed and enabled" case_managed_is_enabled
	t_after_plugin "managed/reload: --user 0:0 denied [no-root] only" case_root_denied
	t_after_plugin "managed/reload: docker plugin disable denied [self-protection]" \
		case_managed_disable_denied
	echo "# authorization-plugins emptied + SIGHUP: the documented way out"
	e2e_reload_dockerd_authz
	t_after_plugin "managed/reload: out of the chain, --user 0:0 runs" case_root_runs
	echo "# dockerd restarted with --authorization-plugin=$MANAGED"
	e2e_stop_dockerd
	e2e_start_dockerd "$MANAGED"
	t_after_plugin "managed: listed and enabled" case_managed_is_enabled
	t_after_plugin "managed: compliant run prints ok" case_compliant_runs
	t_after_plugin "managed: --user 0:0 denied [no-root] only" case_root_denied
	t_after_plugin "managed: unapproved registry denied [registries] only" case_registry_denied
	t_after_plugin "managed: docker plugin disable denied [self-protection]" case_managed_disable_denied
	t_after_plugin "managed: docker plugin disable -f (no tag) denied" case_managed_disable_force_denied
	t_after_plugin "managed: docker plugin rm -f denied [self-protection]" case_managed_rm_denied
	t_after_plugin "managed: docker plugin set denied [self-protection]" case_managed_set_denied
	t_after_plugin "managed: docker plugin disable by ID denied" case_managed_disable_by_id_denied
	t_after_plugin "managed: still enforcing afterwards" case_all_five_denied
	DENY_NAME=
	echo "# dockerd restarted without --authorization-plugin to remove the plugin"
	e2e_stop_dockerd
	e2e_start_dockerd ""
	t_after_plugin "managed: docker plugin rm -f works without the authz plugin" case_managed_removed
	e2e_stop_dockerd

	echo "e2e: run time $((SECONDS - t0))s"
	if [ "$FAILED" -gt 0 ]; then
		printf 'e2e: failed: %s\n' "${FAILED_NAMES[@]}" >&2
		e2e_dockgate_log_tail
	fi
	echo "e2e: $PASSED passed, $FAILED failed"
	[ "$FAILED" -eq 0 ]
}

main "$@"
