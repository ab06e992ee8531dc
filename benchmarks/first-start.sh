#!/usr/bin/env bash
# First start of a balancer in a fresh JVM, many times: median and quartiles of build(), start() and
# the first byte relayed after start(), for a host-like JVM and a bare one (docs/PERFORMANCE.md, Start-up).
#
#   benchmarks/first-start.sh            # 15 runs per case
#   benchmarks/first-start.sh 31         # more runs
#   environment: JAVA_OPTS (e.g. -XX:SharedArchiveFile=app.jsa)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
RUNS=${1:-15}
BENCH_JAR="$ROOT/benchmarks/target/benchmarks.jar"
[ -f "$BENCH_JAR" ] || (cd "$ROOT" && mvn -B -ntp -q -DskipTests package -pl core,benchmarks -am)
OUT=$(mktemp /tmp/lb4j-first-start.XXXXXX)
trap 'rm -f "$OUT" "$OUT.err"' EXIT
for _ in $(seq 1 "$RUNS"); do
  for c in "host none" "bare none" "host tcp"; do
    # shellcheck disable=SC2086
    java ${JAVA_OPTS:-} -cp "$BENCH_JAR" io.lb4j.benchmarks.FirstStart $c 2>"$OUT.err" | grep '^FIRST-START' >>"$OUT" \
      || { cat "$OUT.err" >&2; exit 1; }
  done
done
echo "# $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, $(java -version 2>&1 | head -1), load $(cut -d' ' -f1-3 /proc/loadavg), $RUNS runs each"
printf '%-6s %-5s %-10s %8s %8s %8s\n' mode probe figure p25 median p75
for c in "host none" "bare none" "host tcp"; do
  set -- $c
  for f in buildMs startMs firstByteMs; do
    grep "mode=$1 probe=$2 " "$OUT" | grep -o "$f=[0-9.]*" | cut -d= -f2 | sort -n \
      | awk -v m="$1" -v p="$2" -v f="$f" '{a[NR]=$1} END {printf "%-6s %-5s %-10s %8.1f %8.1f %8.1f\n", m, p, f, a[int(NR/4)+1], a[int((NR+1)/2)], a[int(3*NR/4)+(NR<4)]}'
  done
done
