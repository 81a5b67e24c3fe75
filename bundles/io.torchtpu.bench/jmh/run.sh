#!/usr/bin/env bash
# Runs the JMH suite of the product's hot paths against the built distribution and prints JMH's table.
#
#   bundles/io.torchtpu.bench/jmh/run.sh               all benchmarks (about 4 minutes on 2 cores)
#   bundles/io.torchtpu.bench/jmh/run.sh Dispatch      a subset, by JMH's regular expression
#
# Needs `mvn -B -q install -DskipTests` first (the distribution in runtime-launcher/target/torchtpu and this
# module's target/benchmarks.jar). One fork, short iterations: sized for a shared 2-core machine.
# The JSON lands in target/jmh-results.json.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
home="$root/runtime-launcher/target/torchtpu"
cd "$root"
java -jar "$here/target/benchmarks.jar" "${1:-.}" -f 1 -t 1 -wi 3 -w 1s -i 5 -r 1s \
  -jvmArgs "-Xms1g -Xmx1g -Dtorchtpu.home=$home -Dlogback.configurationFile=$home/conf/logback.xml -Dtorchtpu.models=$root/bnd-workspace/src/test/resources/models" \
  -rf json -rff "$here/target/jmh-results.json"
