#!/usr/bin/env bash
# bench/lazy.sh [RUNS]: issue 17's lazy start, the figures in docs/performance.md ("Fleet scale:
# S3 remotes"). Starts S3Proxy (bench/s3proxy.sh) and runs `vmtree bench lazy
# --endpoint ... --bucket lazy DEB...` on the Debian kernel and busybox that guests/fetch-debian.sh
# fetches (or finds in its cache): a Linux machine pushed to the bucket, then per run a full clone
# and a lazy clone of it, each booted until its shell answers, RUNS (default 3) times.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)
runs=${1:-3}
[[ $runs =~ ^[1-9][0-9]*$ ]] || { echo "lazy: RUNS must be a positive number, not '$runs'" >&2; exit 2; }
[ -f "$root/cli/target/vmtree-cli.jar" ] || { echo "lazy: vmtree is not built (bin/build -q -DskipTests package)" >&2; exit 1; }
mapfile -t debs < <("$root/guests/fetch-debian.sh")
. "$here/s3proxy.sh"
start_s3proxy
"$root/bin/vmtree" bench lazy --endpoint "$s3_endpoint" --bucket lazy --runs "$runs" "${debs[@]}"
