#!/usr/bin/env bash
# Runs the end-to-end workloads of BENCHMARKS.md against: no balancer (direct), lb4j, HAProxy and
# nginx (stream module), interleaved in one invocation, and prints one table with ratios to HAProxy.
#
#   benchmarks/compare.sh                 # full: 3 rounds, 10 s warm-up + 10 s measured each, 9,600 idle pairs
#   benchmarks/compare.sh --short         # smoke: 1 run, 1 s + 2 s, 200 idle pairs (seconds, not a figure)
#   options: --runs N (or --rounds N)  --warmup S  --duration S  --idle N
#            --workloads "rr ws-echo conn bulk ws-idle"  --targets "direct lb4j haproxy nginx"
#            --jvm "default recommended host-g1"  (lb4j's JVM setups, each a target of its own in every
#                                             round: lb4j-def = java -jar with no flags, lb4j-rec = the
#                                             README's flags, lb4j-host = embedded in a G1 host JVM that
#                                             allocates; host-zgc: the same host under ZGC, lb4j-hzgc;
#                                             default: recommended alone, labelled lb4j)
#            --host-alloc MB --host-live MB  (host-g1: the host thread's MB/s and live set; 100, 300)
#            --syscalls  (rr, ws-echo, conn: count the balancer's system calls per operation with
#                         `perf stat -e 'syscalls:sys_enter_*'` over the measurement; counts, not times)
#            --lb-threads N --lb-cpus LIST   (scaling: lb4j loops / HAProxy threads on cores LIST; default 1 on 0;
#                                             nginx stays one process; with "0,1" on two cores the generator
#                                             shares core 1, so the figure is a lower bound)
#   environment: LB4J_JAVA_OPTS (lb4j's JVM flags, default: the production flags of docs/PERFORMANCE.md,
#                "-XX:+UseSerialGC -Xms16m -Xmx256m -Xmn8m" plus a native-heap trim every 5 s where the JDK has it)
#
# The balancer under test gets core 0 (lb4j --threads 1, HAProxy nbthread 1, nginx worker_processes 1);
# the load generator and the backends get core 1. Needs Linux, Java 17, taskset; installs haproxy,
# nginx and libnginx-mod-stream with apt-get when missing (as root or through sudo).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
RUNS=3 WARMUP=10 DURATION=10 IDLE=9600 LB_THREADS=1 LB_CPUS="" JVMS="" HOST_ALLOC=100 HOST_LIVE=300 SYSCALLS=0
WORKLOADS="rr ws-echo conn bulk ws-idle"
TARGETS="direct lb4j haproxy nginx"
TRIM="-XX:+UnlockExperimentalVMOptions -XX:TrimNativeHeapInterval=5000" # JDK 17.0.9+, 21.0.1+
java $TRIM -version >/dev/null 2>&1 || TRIM=""
LB4J_JAVA_OPTS=${LB4J_JAVA_OPTS:-"-XX:+UseSerialGC -Xms16m -Xmx256m -Xmn8m $TRIM"}
HOST_G1_OPTS="-XX:+UseG1GC -Xmx4g"
HOST_ZGC_OPTS="-XX:+UseZGC -Xmx4g"
while [ $# -gt 0 ]; do
  case "$1" in
    --short) RUNS=1 WARMUP=1 DURATION=2 IDLE=200 ;;
    --runs|--rounds) RUNS=$2; shift ;;
    --jvm) JVMS=$2; shift ;;
    --host-alloc) HOST_ALLOC=$2; shift ;;
    --host-live) HOST_LIVE=$2; shift ;;
    --syscalls) SYSCALLS=1 ;;
    --warmup) WARMUP=$2; shift ;;
    --duration) DURATION=$2; shift ;;
    --idle) IDLE=$2; shift ;;
    --workloads) WORKLOADS=$2; shift ;;
    --targets) TARGETS=$2; shift ;;
    --lb-threads) LB_THREADS=$2; shift ;;
    --lb-cpus) LB_CPUS=$2; shift ;;
    *) echo "compare.sh: unknown option $1" >&2; exit 2 ;;
  esac
  shift
done

# ---- tools -----------------------------------------------------------------------------------
missing=()
command -v haproxy >/dev/null || missing+=(haproxy)
command -v nginx >/dev/null || missing+=(nginx)
[ -e /usr/lib/nginx/modules/ngx_stream_module.so ] || missing+=(libnginx-mod-stream)
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
  echo "installing ${missing[*]}" >&2
  $SUDO apt-get install -y -q "${missing[@]}" >/dev/null 2>&1 \
    || { $SUDO apt-get update -q >/dev/null && $SUDO apt-get install -y -q "${missing[@]}" >/dev/null; }
fi
LB4J_JAR=$(ls "$ROOT"/core/target/lb4j-core-*.jar 2>/dev/null | grep -v -e '-sources' -e '-javadoc' -e '-tests' | head -1 || true)
BENCH_JAR="$ROOT/benchmarks/target/benchmarks.jar"
if [ -z "$LB4J_JAR" ] || [ ! -f "$BENCH_JAR" ]; then
  (cd "$ROOT" && mvn -B -ntp -q -DskipTests package -pl core,benchmarks -am)
  LB4J_JAR=$(ls "$ROOT"/core/target/lb4j-core-*.jar | grep -v -e '-sources' -e '-javadoc' -e '-tests' | head -1)
fi
# "lb4j" in --targets stands for one target per JVM setup
declare -A JVM_OF=()
if [ -n "$JVMS" ]; then
  expanded=""
  for target in $TARGETS; do
    if [ "$target" = lb4j ]; then
      for jvm in $JVMS; do
        case $jvm in
          default) expanded+=" lb4j-def"; JVM_OF[lb4j-def]=default ;;
          recommended) expanded+=" lb4j-rec"; JVM_OF[lb4j-rec]=recommended ;;
          host-g1) expanded+=" lb4j-host"; JVM_OF[lb4j-host]=host-g1 ;;
          host-zgc) expanded+=" lb4j-hzgc"; JVM_OF[lb4j-hzgc]=host-zgc ;;
          *) echo "compare.sh: --jvm: unknown setup $jvm (expected: default, recommended, host-g1, host-zgc)" >&2; exit 2 ;;
        esac
      done
    else
      expanded+=" $target"
    fi
  done
  TARGETS=$expanded
fi
JVM_OF[lb4j]=recommended
if [ "$(nproc)" -ge 2 ]; then LB_CPU=0 GEN_CPU=1; else LB_CPU=0 GEN_CPU=0; echo "one core only: not a fair figure" >&2; fi
[ -z "$LB_CPUS" ] || LB_CPU=$LB_CPUS
LOAD=(taskset -c "$GEN_CPU" java -Xms512m -Xmx1g -cp "$BENCH_JAR" io.lb4j.benchmarks.load.Load)

WORK=$(mktemp -d /tmp/lb4j-compare.XXXXXX)
RESULTS="$WORK/results.txt"
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT

# ---- backends: one process per mode, two ports each, on the generator's core ---------------------
declare -A PORTS=([rr]="19101 19102" [ws-echo]="19121 19122" [ws-idle]="19121 19122" [conn]="19111 19112" [bulk]="19131 19132")
declare -A MODE=([rr]=http [ws-echo]=ws [ws-idle]=ws [conn]=http-close [bulk]=bulk)
declare -A CONNS=([rr]=64 [ws-echo]=200 [conn]=16 [bulk]=2 [ws-idle]=$IDLE)
declare -A DEPTH=([rr]=4 [ws-echo]=4 [conn]=1 [bulk]=1 [ws-idle]=0)
declare -A BACKEND_PID
for mode in http http-close ws bulk; do
  case $mode in http) p="19101 19102";; http-close) p="19111 19112";; ws) p="19121 19122";; bulk) p="19131 19132";; esac
  # shellcheck disable=SC2086
  "${LOAD[@]}" serve $mode 127.0.0.1 $p >"$WORK/backend-$mode.log" 2>&1 &
  BACKEND_PID[$mode]=$!
  PIDS+=($!)
done

# ---- balancers: each pinned to core 0, round robin over the workload's two backends, no health checks
start_target() { # target workload -> sets TARGET_ADDR, TARGET_PID, TARGET_JAVA
  local target=$1 workload=$2 b1 b2
  read -r b1 b2 <<<"${PORTS[$workload]}"
  TARGET_PID=0 TARGET_JAVA=""
  case $target in
    direct)
      TARGET_ADDR=127.0.0.1:$b1 ;;
    lb4j*)
      TARGET_ADDR=127.0.0.1:19001
      case ${JVM_OF[$target]} in
        host-g1|host-zgc)
          host_opts=$HOST_G1_OPTS; [ "${JVM_OF[$target]}" = host-zgc ] && host_opts=$HOST_ZGC_OPTS
          # shellcheck disable=SC2086
          taskset -c "$LB_CPU" java $host_opts -cp "$BENCH_JAR" io.lb4j.benchmarks.load.HostJvm \
            --listen "$TARGET_ADDR" --backend 127.0.0.1:$b1 --backend 127.0.0.1:$b2 --threads "$LB_THREADS" \
            --alloc-mb "$HOST_ALLOC" --live-mb "$HOST_LIVE" >"$WORK/$target.log" 2>&1 &
          TARGET_PID=$! TARGET_JAVA="--proxy-java --host-threads host-,GC_Thread,G1_,ZWorker,ZDirector,ZDriver,ZStat,ZUnmapper,ZUncommitter" ;;
        *)
          opts=$LB4J_JAVA_OPTS
          [ "${JVM_OF[$target]}" = default ] && opts=""
          # shellcheck disable=SC2086
          taskset -c "$LB_CPU" java $opts -jar "$LB4J_JAR" --listen "$TARGET_ADDR" \
            --backend 127.0.0.1:$b1 --backend 127.0.0.1:$b2 --threads "$LB_THREADS" --probe none --policy round-robin \
            >"$WORK/$target.log" 2>&1 &
          TARGET_PID=$! TARGET_JAVA=--proxy-java ;;
      esac ;;
    haproxy)
      TARGET_ADDR=127.0.0.1:19002
      cat >"$WORK/haproxy.cfg" <<EOF
global
  nbthread $LB_THREADS
defaults
  mode tcp
  timeout connect 3s
  timeout client 4m
  timeout server 4m
frontend f
  bind $TARGET_ADDR
  default_backend b
backend b
  balance roundrobin
  server s1 127.0.0.1:$b1
  server s2 127.0.0.1:$b2
EOF
      taskset -c "$LB_CPU" haproxy -db -f "$WORK/haproxy.cfg" >"$WORK/haproxy.log" 2>&1 &
      TARGET_PID=$! ;;
    nginx)
      TARGET_ADDR=127.0.0.1:19003
      mkdir -p "$WORK/nginx"
      cat >"$WORK/nginx.conf" <<EOF
load_module /usr/lib/nginx/modules/ngx_stream_module.so;
daemon off;
master_process off;
worker_processes 1;
worker_rlimit_nofile 20000;
pid $WORK/nginx/nginx.pid;
error_log $WORK/nginx/error.log warn;
events { worker_connections 20000; }
stream {
  upstream b { server 127.0.0.1:$b1; server 127.0.0.1:$b2; }
  server { listen $TARGET_ADDR; proxy_pass b; proxy_timeout 4m; proxy_connect_timeout 3s; }
}
EOF
      taskset -c "$LB_CPU" nginx -p "$WORK/nginx" -e "$WORK/nginx/error.log" -c "$WORK/nginx.conf" \
        >"$WORK/nginx.log" 2>&1 &
      TARGET_PID=$! ;;
  esac
  [ "$TARGET_PID" = 0 ] || PIDS+=("$TARGET_PID")
}

stop_target() {
  if [ "$TARGET_PID" != 0 ]; then
    kill "$TARGET_PID" 2>/dev/null || true
    wait "$TARGET_PID" 2>/dev/null || true
  fi
}

{
  echo "# $(date -u +%Y-%m-%dT%H:%MZ) $(uname -srm), $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
  echo "# $(java -version 2>&1 | head -1); $(haproxy -v | head -1 | cut -d' ' -f1-3); $(nginx -v 2>&1)"
  echo "# balancers: $LB_THREADS thread(s) on core(s) $LB_CPU, generator and backends on core $GEN_CPU"
  for target in $TARGETS; do
    case ${JVM_OF[$target]:-} in
      default) opts="" ;; recommended) opts=$LB4J_JAVA_OPTS ;; host-g1) opts=$HOST_G1_OPTS ;;
      host-zgc) opts=$HOST_ZGC_OPTS ;; *) continue ;;
    esac
    # shellcheck disable=SC2086
    gc=$(taskset -c "$LB_CPU" java $opts -XX:+PrintFlagsFinal -version 2>/dev/null \
      | awk '$2 ~ /^Use(Serial|Parallel|G1|Z|Shenandoah)GC$/ && $4 == "true" {print $2}')
    # shellcheck disable=SC2086
    heap=$(taskset -c "$LB_CPU" java $opts -XX:+PrintFlagsFinal -version 2>/dev/null | awk '$2 == "MaxHeapSize" {printf "%d MiB", $4 / 1048576}')
    extra=""; [[ ${JVM_OF[$target]} = host-* ]] && extra=", embedded in HostJvm: a host thread allocating ${HOST_ALLOC} MB/s, ${HOST_LIVE} MB live"
    echo "# $target JVM: ${opts:-(no flags)} -> $gc, max heap $heap on core(s) $LB_CPU$extra"
  done
  echo "# warm-up ${WARMUP}s, measured ${DURATION}s, $RUNS run(s); load before: $(cut -d' ' -f1-3 /proc/loadavg)"
} | tee "$RESULTS"

for workload in $WORKLOADS; do
  for run in $(seq 1 "$RUNS"); do
    for target in $TARGETS; do
      [ "$workload" = ws-idle ] && [ "$target" = direct ] && continue # nothing in between to measure
      # the host's own heap growth, not the connections, would decide the embedded balancer's RSS
      [ "$workload" = ws-idle ] && [[ ${JVM_OF[$target]:-} = host-* ]] && continue
      start_target "$target" "$workload"
      PERF_PID=""
      if [ "$SYSCALLS" = 1 ] && [ "$TARGET_PID" != 0 ] && [[ $workload =~ ^(rr|ws-echo|conn)$ ]]; then
        # inside the measured window: starts 0.5 s after warm-up, ends 0.5 s before the end
        window=$(awk -v d="$DURATION" 'BEGIN { print (d > 2 ? d - 1 : d / 2) }')
        (sleep "$(awk -v w="$WARMUP" 'BEGIN { print w + 0.5 }')" && perf stat -x, -e 'syscalls:sys_enter_*' \
          -p "$TARGET_PID" -o "$WORK/perf.txt" -- sleep "$window" >/dev/null 2>&1) &
        PERF_PID=$!
      fi
      # shellcheck disable=SC2086
      if ! "${LOAD[@]}" run --workload "$workload" --target "$TARGET_ADDR" --connections "${CONNS[$workload]}" \
          --depth "${DEPTH[$workload]}" --warmup "$WARMUP" --duration "$DURATION" --label "$target" --run "$run" \
          --proxy-pid "$TARGET_PID" --backend-pid "${BACKEND_PID[${MODE[$workload]}]}" $TARGET_JAVA \
          >>"$RESULTS" 2>"$WORK/client.err"; then
        echo "# $workload $target run $run failed: $(tail -1 "$WORK/client.err")" | tee -a "$RESULTS" >&2
      fi
      tail -1 "$RESULTS" >&2
      if [ -n "$PERF_PID" ]; then
        wait "$PERF_PID" || true
        rate=$(tail -1 "$RESULTS" | grep -o ' rate=[0-9.e+]*' | cut -d= -f2)
        if [ -s "$WORK/perf.txt" ] && [ -n "$rate" ]; then
          awk -F, -v rate="$rate" -v w="$window" -v t="$target" -v wl="$workload" -v r="$run" '
            $3 ~ /^syscalls:sys_enter_/ && $1 ~ /^[0-9]+$/ && $1 > 0 {
              n = $1 / (rate * w); if (n >= 0.005) { sub("syscalls:sys_enter_", "", $3); line = line sprintf(" %s=%.2f", $3, n) } total += n }
            END { printf "# syscalls/op %s %s run %s: total=%.2f%s\n", wl, t, r, total, line }' "$WORK/perf.txt" \
            | tee -a "$RESULTS" >&2
        fi
        rm -f "$WORK/perf.txt"
      fi
      stop_target
    done
  done
done
echo "# load after: $(cut -d' ' -f1-3 /proc/loadavg)" >>"$RESULTS"
echo
grep '^#' "$RESULTS"
"${LOAD[@]}" table "$RESULTS"
echo "(raw results: $RESULTS)"
