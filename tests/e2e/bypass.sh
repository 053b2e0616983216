#!/usr/bin/env bash
# Bypass suite: every trick of ../shared/reference/protocol.md that applies to
# the rules implemented so far, sent as raw HTTP to a private dockerd guarded
# by dockgate; dockerd's own state decides (see bypass.py).
#
#   DOCKGATE=build/dockgate tests/e2e/bypass.sh      (part of make e2e)
#
# Needs root. Prints "bypasses: N of M"; exits non-zero when N > 0, when a
# control failed, or when dockgate died on the way.
#
# Self-test of the suite: BYPASS_POLICY=tests/policies/no-rules.yaml makes
# dockgate allow everything, and nearly every attempt must then be counted.
set -euo pipefail

# shellcheck source=tests/e2e/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# Local look-alikes of approved names, and unapproved ones; all the same
# busybox, so a create can only fail because dockgate said no.
LOOKALIKES=(registry.example.com.evil.io/x:1 ghcr.io/acme-evil/x:1 ghcr.io/acmeevil:1
	registry.example.com:5000/x:1 busybox:latest ghcr.io/acme/app:1)

main() {
	e2e_init
	cat >"$E2E_DIR/policy.yaml" <<'POLICY'
version: 1
mode: enforce
rules:
  no-root: {action: deny, unset-user: deny}
  read-only-rootfs: deny
  resource-limits: {require: [memory, cpus, pids], max: {memory: 4g, cpus: 2, pids: 4096}}
  capabilities: {allow: [NET_BIND_SERVICE]}
  registries: {allow: [registry.example.com, ghcr.io/acme]}
POLICY
	echo "bypass: sandbox $E2E_DIR, plugin name $E2E_NAME"
	e2e_build_images
	e2e_start_dockerd ""
	local t
	for t in "${LOOKALIKES[@]}"; do
		timeout 30 docker tag "$E2E_IMAGE_OK" "$t" || e2e_die "docker tag $t failed"
	done
	e2e_stop_dockerd

	e2e_plugin_sock_discovery
	e2e_start_dockgate "${BYPASS_POLICY:-$E2E_DIR/policy.yaml}"
	e2e_start_dockerd "$E2E_NAME"

	local rc=0
	python3 "$E2E_LIB_DIR/bypass.py" "$E2E_DIR/docker.sock" "$E2E_IMAGE_OK" "$E2E_NAME" || rc=$?

	# Ceilings without requirements: a limit that is given must be judged.
	cat >"$E2E_DIR/ceilings.yaml" <<'POLICY'
version: 1
rules:
  resource-limits: {require: [memory], max: {memory: 4g, cpus: 2, pids: 4096}}
POLICY
	echo "bypass: dockgate restarted with limits capped but CPU and PIDs not required"
	if [ -z "${BYPASS_POLICY:-}" ]; then
		e2e_restart_dockgate "$E2E_DIR/ceilings.yaml"
	fi
	python3 "$E2E_LIB_DIR/bypass.py" "$E2E_DIR/docker.sock" "$E2E_IMAGE_OK" "$E2E_NAME" \
		ceilings || rc=$?

	# Other routes to the same effects: exec as root or privileged, update
	# lifting limits, a tag that launders an unapproved image.
	cat "$E2E_DIR/policy.yaml" - >"$E2E_DIR/doors.yaml" <<'POLICY'
  exec: deny
  update: deny
POLICY
	echo "bypass: other routes, with exec and update rules added"
	if [ -z "${BYPASS_POLICY:-}" ]; then
		e2e_restart_dockgate "$E2E_DIR/doors.yaml"
	fi
	python3 "$E2E_LIB_DIR/bypass.py" "$E2E_DIR/docker.sock" "$E2E_IMAGE_OK" "$E2E_NAME" \
		doors || rc=$?
	if ! kill -0 "$E2E_DOCKGATE_PID" 2>/dev/null; then
		echo "bypass: FAIL dockgate died during the suite" >&2
		e2e_dockgate_log_tail
		rc=1
	fi
	# Belt and braces: nothing but the imported and tagged images exists, and
	# no container is left.
	local left
	left=$(timeout 30 docker ps -aq | wc -l)
	if [ "$left" != 0 ]; then
		echo "bypass: FAIL $left containers exist after the suite" >&2
		rc=1
	fi
	return "$rc"
}

main "$@"
