#!/usr/bin/env bash
# dockgate demo (make demo): a throw-away private Docker daemon guarded by
# dockgate with policies/default.yaml, one docker run that the policy refuses,
# the same run fixed, then everything is torn down again.
#
# Needs root. Touches no system Docker: the daemon, its containerd, its images
# and its socket all live in one temporary directory (see tests/e2e/lib.sh).
#
#   DOCKGATE=build/dockgate POLICY=policies/default.yaml contrib/demo.sh
set -euo pipefail

E2E_NAME=${E2E_NAME:-dockgate-demo-$$}
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../tests/e2e/lib.sh"

POLICY=${POLICY:-$E2E_REPO/policies/default.yaml}

if [ -t 1 ]; then
	B=$(printf '\033[1m') G=$(printf '\033[32m') R=$(printf '\033[31m') N=$(printf '\033[0m')
else
	B='' G='' R='' N=''
fi

step() { printf '\n%s==> %s%s\n' "$B" "$*" "$N"; }
say() { printf '    %s\n' "$@"; }

# show CMD...: echo the command as a user would type it, run it, report status.
STATUS=0
show() {
	printf '\n%s$ %s%s\n' "$B" "$(printf '%q ' "$@" | sed 's/ $//')" "$N"
	STATUS=0
	timeout 60 "$@" </dev/null 2>&1 | sed 's/^/  /' || STATUS=${PIPESTATUS[0]}
	if [ "$STATUS" -eq 0 ]; then
		printf '  %s(exit status 0)%s\n' "$G" "$N"
	else
		printf '  %s(exit status %s)%s\n' "$R" "$STATUS" "$N"
	fi
}

main() {
	[ -f "$POLICY" ] || e2e_die "policy $POLICY not found"

	step "dockgate demo"
	say "A private dockerd is started in a temporary directory; every Docker API" \
		"call it receives is first sent to dockgate, which allows or denies it" \
		"according to $(basename "$POLICY"). Nothing here touches a system Docker."

	e2e_init
	say "sandbox: $E2E_DIR"

	step "Preparing a tiny local image (static busybox, no registry needed)"
	e2e_build_images
	say "tagged $E2E_IMAGE_OK (approved registry)" \
		"and $E2E_IMAGE_BAD (a registry the policy does not know)"

	step "The policy ($POLICY)"
	sed 's/^/    | /' "$POLICY"

	step "Starting dockgate as authorization plugin '$E2E_NAME'"
	e2e_plugin_sock_discovery
	say "dockgate serve --policy $POLICY --socket $E2E_PLUGIN_SOCK"
	e2e_start_dockgate "$POLICY"
	say "dockgate is listening; its decision log goes to $E2E_DOCKGATE_LOG"

	step "Starting dockerd --authorization-plugin=$E2E_NAME"
	e2e_start_dockerd "$E2E_NAME"
	say "docker now talks to $DOCKER_HOST"

	step "1. A typical quick 'docker run': root, writable, unlimited, extra capability, unknown registry"
	show docker run --rm --cap-add SYS_ADMIN "$E2E_IMAGE_BAD" id
	if [ "$STATUS" -eq 0 ]; then
		e2e_die "the policy did not deny that run"
	fi
	say "dockgate refused it: each line says what is wrong and how to fix it."

	step "2. The same run, fixed as the message says"
	show docker run --rm --user 1000:1000 --read-only --memory 64m --cpus 0.5 \
		--pids-limit 50 --cap-drop ALL "$E2E_IMAGE_OK" id
	if [ "$STATUS" -ne 0 ]; then
		e2e_die "the fixed run was not allowed"
	fi
	say "Allowed: the container ran as uid 1000 with a read-only root filesystem," \
		"memory, CPU and PID limits, no capabilities, from an approved registry."

	step "3. Everyday commands keep working under the policy"
	show docker ps -a
	show docker images

	step "dockgate's decision log (last lines)"
	say "(one line per API call; here the two container creates)"
	grep -E 'create' "$E2E_DOCKGATE_LOG" | grep -v '^====' | tail -n 4 | sed 's/^/    | /'

	step "Tearing down (containers, dockerd, containerd, dockgate, temp dir)"
	e2e_cleanup
	say "done."
}

main "$@"
