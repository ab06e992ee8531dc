#!/usr/bin/env bash
# Restart the lb4j jar without refusing a client (docs/OPERATIONS.md, "Restart without refusing
# clients"): start the new process on the same addresses with --reuse-port, wait for its ready line,
# send SIGUSR2 to the old one (it hands its listeners over and drains), wait for the old one to exit.
#
#   restart.sh run [--ready-timeout S] -- COMMAND...
#       Runs COMMAND (java -jar lb4j-core.jar --reuse-port ...) in the foreground, as a systemd service's
#       ExecStart or a container's entry point. SIGHUP restarts it by hand-over with the same COMMAND
#       (re-read: a new jar at the same path is picked up). SIGTERM/SIGINT are passed on once (the JVM
#       drains and exits 0); the script exits with the JVM's status.
#
#   restart.sh once --pid-file FILE --log FILE [--ready-timeout S] [--exit-timeout S] -- COMMAND...
#       One restart from outside: FILE holds the old PID (empty or missing: just start). COMMAND runs
#       detached with standard output and error appended to the log; once its ready line is in the log,
#       the old PID gets SIGUSR2, the script waits for it to exit, then writes the new PID to FILE.
#
# Exit status: 0 when the new process is ready (and the old one gone); 1 when the new one did not
# become ready (it is stopped; the old one keeps serving) or the old one outlived --exit-timeout;
# 2 for bad usage.
set -u

READY_LINE='lb4j listening on '
ready_timeout=60
exit_timeout=120
pid_file=
log_file=

die() { printf 'restart.sh: %s\n' "$*" >&2; exit 2; }
say() { printf 'restart.sh: %s\n' "$*" >&2; }

mode=${1:-}
[ $# -gt 0 ] && shift
while [ $# -gt 0 ] && [ "$1" != "--" ]; do
    case "$1" in
        --ready-timeout) ready_timeout=${2:?--ready-timeout needs seconds}; shift 2 ;;
        --exit-timeout) exit_timeout=${2:?--exit-timeout needs seconds}; shift 2 ;;
        --pid-file) pid_file=${2:?--pid-file needs a path}; shift 2 ;;
        --log) log_file=${2:?--log needs a path}; shift 2 ;;
        *) die "unknown option $1 (usage: restart.sh run|once [options] -- COMMAND...)" ;;
    esac
done
[ "${1:-}" = "--" ] || die "missing -- COMMAND (usage: restart.sh run|once [options] -- COMMAND...)"
shift
[ $# -gt 0 ] || die "missing COMMAND after --"
command=("$@")
case " ${command[*]} " in
    *" --reuse-port "*) ;;
    *) die "COMMAND lacks --reuse-port: without it the new process cannot bind the old one's addresses" ;;
esac

# Waits until process $1 is gone, at most $2 seconds; 0 when it is gone.
await_exit() {
    local deadline=$((SECONDS + $2))
    while kill -0 "$1" 2>/dev/null; do
        [ "$SECONDS" -lt "$deadline" ] || return 1
        sleep 0.1
    done
    return 0
}

run_mode() {
    local current= restart=0 stopping=0 draining=
    # Starts COMMAND with its standard output on a pipe, copies lines through until the ready line;
    # sets started to the new PID. 1 when the ready line did not come in time (the process is stopped).
    start() {
        local fifo line deadline fd
        fifo=$(mktemp -u "${TMPDIR:-/tmp}/lb4j-restart.XXXXXX") && mkfifo "$fifo" || return 1
        "${command[@]}" >"$fifo" &
        started=$!
        exec {fd}<"$fifo"
        rm -f "$fifo"
        deadline=$((SECONDS + ready_timeout))
        while :; do
            if IFS= read -r -t 1 -u "$fd" line; then
                printf '%s\n' "$line"
                case "$line" in "$READY_LINE"*) break ;; esac
            elif ! kill -0 "$started" 2>/dev/null || [ "$SECONDS" -ge "$deadline" ]; then
                say "the new process ($started) did not print its ready line within ${ready_timeout}s"
                kill -TERM "$started" 2>/dev/null
                exec {fd}<&-
                return 1
            fi
        done
        cat <&"$fd" &   # the rest of its standard output (access log) passes through
        exec {fd}<&-
        return 0
    }
    trap 'restart=1' HUP
    # passed on once; an old process still draining gets it as its second signal (closes at once)
    trap 'stopping=1; kill -TERM $current $draining 2>/dev/null' TERM INT
    start || exit 1
    current=$started
    local status
    while :; do
        if [ -n "$draining" ]; then
            wait "$draining"   # returns when it exits, or when a signal arrives
            if ! kill -0 "$draining" 2>/dev/null; then
                say "old process $draining has drained and exited"
                draining=
            fi
        else
            # in slices while nothing is pending: a HUP that arrives just before a blocking
            # `wait "$current"` runs its trap before that wait starts, and would then go unseen;
            # a foreground sleep (no background child whose end could disturb a later `read`)
            # delays a trap by at most 0.2 s
            while [ "$restart" = 0 ] && [ "$stopping" = 0 ] && kill -0 "$current" 2>/dev/null; do
                sleep 0.2
            done
            if [ "$restart" = 0 ]; then
                wait "$current"
                status=$?
                if ! kill -0 "$current" 2>/dev/null; then
                    exit "$status"
                fi
            fi
        fi
        if [ "$restart" = 1 ] && [ "$stopping" = 0 ]; then
            restart=0
            if [ -n "$draining" ]; then
                say "SIGHUP ignored: process $draining is still draining"
                continue
            fi
            local old=$current
            if start; then
                say "new process $started is ready; handing over from $old"
                current=$started
                draining=$old
                kill -USR2 "$old" 2>/dev/null
            else
                say "restart abandoned; process $old keeps serving"
            fi
        fi
    done
}

once_mode() {
    [ -n "$pid_file" ] || die "once needs --pid-file"
    [ -n "$log_file" ] || die "once needs --log"
    local old= new offset deadline
    [ -s "$pid_file" ] && old=$(cat "$pid_file")
    if [ -n "$old" ] && ! kill -0 "$old" 2>/dev/null; then
        say "old process $old from $pid_file is not running; starting anew"
        old=
    fi
    touch "$log_file" || exit 1
    offset=$(($(wc -c <"$log_file") + 1))
    setsid "${command[@]}" >>"$log_file" 2>&1 </dev/null &
    new=$!
    deadline=$((SECONDS + ready_timeout))
    until tail -c "+$offset" "$log_file" | grep -q "^$READY_LINE"; do
        if ! kill -0 "$new" 2>/dev/null || [ "$SECONDS" -ge "$deadline" ]; then
            say "the new process ($new) did not print its ready line within ${ready_timeout}s (see $log_file)"
            kill -TERM "$new" 2>/dev/null
            exit 1
        fi
        sleep 0.1
    done
    echo "$new" >"$pid_file"
    if [ -n "$old" ]; then
        kill -USR2 "$old" || exit 1
        if ! await_exit "$old" "$exit_timeout"; then
            say "old process $old still runs after ${exit_timeout}s"
            exit 1
        fi
    fi
    say "process $new is serving${old:+; $old handed over and exited}"
}

case "$mode" in
    run) run_mode ;;
    once) once_mode ;;
    *) die "usage: restart.sh run|once [options] -- COMMAND..." ;;
esac
