#!/usr/bin/env bash
# Restarts of the lb4j runner under load: hand-over (--reuse-port, a successor, SIGUSR2) next to a plain
# stop-and-start (SIGTERM, wait, start), each with net.ipv4.tcp_migrate_req at 0 and at 1. Every run is
# in a network namespace of its own (loopback only), so the setting is changed there and nowhere else,
# and other traffic on the machine's loopback does not mix in. Arguments go to HandOverBench, e.g.
#
#   benchmarks/handover.sh                       # 20 restarts, 1,000 new connections/s, 2,000 long-lived
#   benchmarks/handover.sh --smoke               # seconds: checks the harness, not a figure
#   benchmarks/handover.sh --restarts 40 --long 4000
#
# Needs benchmarks/target/benchmarks.jar (mvn -B -ntp -DskipTests package) and unshare(1) with the right
# to make a network namespace (root, or unprivileged user namespaces); without it, it runs in the host's
# namespace at the host's setting and says so.
set -euo pipefail
cd "$(dirname "$0")/.."
jar=benchmarks/target/benchmarks.jar
[ -f "$jar" ] || { echo "handover.sh: $jar missing (mvn -B -ntp -DskipTests package)" >&2; exit 2; }
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
main=io.lb4j.benchmarks.restart.HandOverBench

if unshare -n true 2>/dev/null; then
    netns=(unshare -n)
elif unshare -rn true 2>/dev/null; then
    netns=(unshare -rn)
else
    netns=()
fi
echo "# $(date -u +%FT%TZ) $(uname -r), $(nproc) cores, java $(java -version 2>&1 | head -1), args: $*"
if [ ${#netns[@]} -eq 0 ]; then
    echo "# no network namespace allowed here: one setting only, the host's tcp_migrate_req=$(cat /proc/sys/net/ipv4/tcp_migrate_req 2>/dev/null || echo unknown)"
    for mode in handover restart; do
        java -cp "$jar" "$main" --mode "$mode" "$@"
    done
    exit 0
fi
for migrate in 0 1; do
    for mode in handover restart; do
        "${netns[@]}" bash -c 'ip link set lo up && echo "$1" > /proc/sys/net/ipv4/tcp_migrate_req \
            && shift && exec java -cp "$@"' _ "$migrate" "$jar" "$main" --mode "$mode" "$@"
    done
done
