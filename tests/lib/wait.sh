# shellcheck shell=bash
# wait_answers SOCK PID [SECONDS]: polls every 0.1 s, SECONDS at most
# (default 10), until the plugin on the Unix socket SOCK answers POST
# /Plugin.Activate; fails at once when the process PID has exited. Shared
# by the shell suites and the bench scripts that start a daemon; each
# prints its own failure. A deadline, not a count of tries: a daemon that
# accepts and never answers costs each try a second.
wait_answers() {
	# SECONDS counts whole seconds: one more keeps at least SECONDS.
	local end=$((SECONDS + ${3:-10} + 1))
	while ((SECONDS < end)); do
		if [ -S "$1" ] && curl -s -o /dev/null --max-time 1 --unix-socket "$1" \
			-X POST http://plugin/Plugin.Activate; then
			return 0
		fi
		kill -0 "$2" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}
