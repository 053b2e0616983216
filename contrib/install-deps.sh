#!/bin/sh
# Installs the Debian packages dockgate needs, only those that are missing.
# Usage: contrib/install-deps.sh build|run|test|e2e|bench ...
# Runs apt-get only when something is absent, so a machine that has
# everything never touches the network.
set -eu

# libcurl4-openssl-dev: the headers only; dockgate opens libcurl at run time.
pkgs_build="build-essential pkg-config libmicrohttpd-dev libjansson-dev libyaml-dev libmd-dev libcurl4-openssl-dev"
# What build/dockgate needs on a host that does not build it: the libraries
# it is linked with, and libcurl4, which it opens (dlopen) only when a
# policy says unset-user: inspect.
pkgs_run="libmicrohttpd12 libjansson4 libyaml-0-2 libmd0 libcurl4"
pkgs_test="check curl valgrind clang libclang-rt-14-dev groff-base"
pkgs_e2e="docker.io busybox-static systemd curl"
# make bench: nginx is the static reference the figures are compared to,
# valgrind counts instructions, perf profiles.
pkgs_bench="nginx valgrind linux-perf"

want=""
for set in "$@"; do
	case "$set" in
	build) want="$want $pkgs_build" ;;
	run) want="$want $pkgs_run" ;;
	test) want="$want $pkgs_build $pkgs_test" ;;
	e2e) want="$want $pkgs_e2e" ;;
	bench) want="$want $pkgs_bench" ;;
	*) echo "install-deps: unknown set '$set' (build|run|test|e2e|bench)" >&2; exit 2 ;;
	esac
done

missing=""
for p in $want; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0

echo "install-deps: installing$missing" >&2
if [ "$(id -u)" -ne 0 ]; then
	SUDO=sudo
else
	SUDO=
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# policy-rc.d keeps the package scripts from starting a system dockerd we
# never asked for; the tests start their own private one.
$SUDO apt-get install -y -qq --no-install-recommends $missing </dev/null
