#!/bin/sh
# Fails when a sanitizer or valgrind wrote anything to DIR: every process of
# a test run (the daemons a test starts in the background too, whose exit
# status nobody waits for) logs there, and a clean process writes nothing.
#   tests/sanitizer-logs.sh DIR
dir=${1:?usage: sanitizer-logs.sh DIR}
bad=0
for f in "$dir"/*; do
	[ -s "$f" ] || continue
	echo "sanitizer-logs: $f:" >&2
	head -n 60 "$f" >&2
	bad=1
done
[ "$bad" = 0 ] && echo "sanitizer-logs: $dir: nothing reported"
exit "$bad"
