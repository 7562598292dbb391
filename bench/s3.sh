#!/usr/bin/env bash
# bench/s3.sh [SIZE_MIB [RUNS]]: issue 17's push and clone throughput to an S3-compatible server,
# the figures in docs/performance.md ("Fleet scale: S3 remotes"). Starts S3Proxy (the jar Maven
# copies into cli/dom0/target/s3proxy/, filesystem store in a temporary directory, on a free port of
# 127.0.0.1), then `vmtree bench s3 --endpoint http://127.0.0.1:PORT --bucket bench` with its key pair
# in AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY: push and clone of a SIZE_MIB (default 256) image,
# beside the S3 client's own PUT and GET of the same bytes as one file, RUNS (default 5) times.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)
size=${1:-256}
runs=${2:-5}
[[ $size =~ ^[1-9][0-9]*$ ]] && (( size >= 4 )) || { echo "s3: SIZE_MIB must be a number of at least 4, not '$size'" >&2; exit 2; }
[[ $runs =~ ^[1-9][0-9]*$ ]] || { echo "s3: RUNS must be a positive number, not '$runs'" >&2; exit 2; }
[ -f "$root/cli/target/vmtree-cli.jar" ] || { echo "s3: vmtree is not built (bin/build -q -DskipTests package)" >&2; exit 1; }
jar=$(ls "$root"/cli/dom0/target/s3proxy/s3proxy-4.*-jar-with-dependencies.jar 2>/dev/null | head -1)
[ -n "$jar" ] || { echo "s3: no S3Proxy jar in cli/dom0/target/s3proxy (bin/build -pl cli/dom0 -am verify -DskipTests copies it)" >&2; exit 1; }
java=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}/bin/java
work=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat > "$work/s3proxy.properties" <<PROPS
s3proxy.endpoint=http://127.0.0.1:$port
s3proxy.authorization=aws-v2-or-v4
s3proxy.identity=bench-access
s3proxy.credential=bench-secret
jclouds.provider=filesystem-nio2
jclouds.filesystem.basedir=$work/data
PROPS
mkdir -p "$work/data"
"$java" -Xmx1g -jar "$jar" --properties "$work/s3proxy.properties" > "$work/s3proxy.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 300); do
    (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null && break
    kill -0 $pid 2>/dev/null || { cat "$work/s3proxy.log" >&2; exit 1; }
    sleep 0.2
done
echo "S3Proxy $(basename "$jar") on 127.0.0.1:$port, objects in $work/data (the same disk as the repositories)"
AWS_ACCESS_KEY_ID=bench-access AWS_SECRET_ACCESS_KEY=bench-secret AWS_REGION=us-east-1 \
    "$root/bin/vmtree" bench s3 --endpoint "http://127.0.0.1:$port" --bucket bench --size "$size" --runs "$runs"
