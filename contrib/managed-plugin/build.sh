#!/bin/sh
# Assembles dockgate as a Docker managed plugin and creates it on the daemon
# DOCKER_HOST names (`make managed-plugin` runs this).
#
#   contrib/managed-plugin/build.sh NAME [POLICY]
#
#   NAME     the plugin name, e.g. dockgate or myorg/dockgate:1.0 (dockerd
#            adds ":latest" when no tag is given)
#   POLICY   the policy baked into the plugin as /etc/dockgate/policy.yaml
#            (default policies/default.yaml); it is checked first
#   DOCKGATE the binary (default build/dockgate)
#   OUT      the plugin directory to write (default build/managed-plugin):
#            OUT/config.json and OUT/rootfs
#   CREATE   "no" to assemble OUT only, without `docker plugin create`
#
# The plugin's entrypoint is `dockgate serve --self-name N`, where N is the
# last path component of NAME without its tag, so the plugin denies its own
# `docker plugin disable|rm|set|upgrade` (see dockgate(8), SELF-PROTECTION).
#
# The rootfs holds the dynamically linked binary, the shared libraries ldd
# names (at the same paths), libcurl and the libraries it needs (dockgate
# opens it at run time for unset-user: inspect, so ldd of the binary does
# not name it) and the policy: nothing else, no shell.
# dockerd bind-mounts the plugin's socket directory over /run/docker/plugins
# inside it (on the host /run/docker/plugins/ID/, a fixed path whatever
# --exec-root says, because socket paths are limited to 108 bytes) and
# connects to the socket config.json names there: dockgate.sock.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
if [ $# -lt 1 ] || [ $# -gt 2 ]; then
	echo "usage: $0 NAME [POLICY]" >&2
	exit 2
fi
name=$1
policy=${2:-$repo/policies/default.yaml}
dockgate=${DOCKGATE:-$repo/build/dockgate}
out=${OUT:-$repo/build/managed-plugin}

# myorg/dockgate:1.0 -> dockgate
self=${name##*/}
self=${self%%[:@]*}
case $self in
'' | *[!a-z0-9._-]*)
	echo "$0: cannot derive a plugin name from '$name'" >&2
	exit 2
	;;
esac

[ -x "$dockgate" ] || {
	echo "$0: $dockgate not found; run make first" >&2
	exit 1
}
"$dockgate" check "$policy" >/dev/null

rm -rf "$out"
mkdir -p "$out/rootfs/etc/dockgate" "$out/rootfs/run/docker/plugins" \
	"$out/rootfs/tmp" "$out/rootfs/proc" "$out/rootfs/dev" "$out/rootfs/sys"
install -m 0755 "$dockgate" "$out/rootfs/dockgate"
install -m 0644 "$policy" "$out/rootfs/etc/dockgate/policy.yaml"
# libs FILE: every shared object FILE loads, the dynamic loader included,
# at the path it is loaded from.
libs() {
	ldd "$1" | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }'
}
# libcurl.so.4 (Debian's libcurl4) is looked for where the loader finds the
# binary's libc, as dlopen inside the rootfs will.
libdir=$(libs "$dockgate" | sed -n 's|/libc\.so\.6$||p')
curl=$libdir/libcurl.so.4
if [ -z "$libdir" ] || [ ! -e "$curl" ]; then
	echo "$0: ${libdir:-?}/libcurl.so.4 not found; install libcurl4 (unset-user: inspect needs it)" >&2
	exit 1
fi
{
	libs "$dockgate"
	echo "$curl"
	libs "$curl"
} | sort -u | while read -r lib; do
	mkdir -p "$out/rootfs$(dirname "$lib")"
	cp -L "$lib" "$out/rootfs$lib"
done
sed "s|\"--self-name\", \"dockgate\"|\"--self-name\", \"$self\"|" \
	"$here/config.json" >"$out/config.json"
grep -q "\"--self-name\", \"$self\"" "$out/config.json" || {
	echo "$0: could not set --self-name in config.json" >&2
	exit 1
}

if [ "${CREATE:-yes}" = no ]; then
	echo "assembled $out (not created)"
	exit 0
fi
docker plugin create "$name" "$out"
echo "created plugin $name (self-name $self); next:"
echo "  docker plugin enable $name"
echo "  then start dockerd with --authorization-plugin=$name"
