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
. "$here/s3proxy.sh"
start_s3proxy
"$root/bin/vmtree" bench s3 --endpoint "$s3_endpoint" --bucket bench --size "$size" --runs "$runs"
