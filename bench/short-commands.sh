#!/usr/bin/env bash
# bench/short-commands.sh [RUNS]: issue 15's short-command benchmark. Whole-process wall time of
# `vmtree status`, `vmtree branch` and `vmtree ps -a` on a repository holding one 64 MiB kvshell
# machine, each interleaved with `git --git-dir=.vmtree/meta.git branch` (the peer) and `java
# -version` (the JVM's floor), first with no Dom0 running (VMTREE_NO_DAEMON=1), then while Dom0 runs
# the instance in the background (the short commands are then served by Dom0 over its socket).
# Prints the median and range of RUNS runs (default 15) per command. docs/performance.md quotes it.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)
runs=${1:-15}
[[ $runs =~ ^[1-9][0-9]*$ ]] || { echo "short-commands: RUNS must be a positive number, not '$runs'" >&2; exit 2; }
[ -f "$root/cli/target/vmtree-cli.jar" ] || { echo "short-commands: vmtree is not built (bin/build -q -DskipTests package)" >&2; exit 1; }
. "$root/bin/jdk25.sh"; vmtree_find_jdk25
vm=$root/bin/vmtree
work=$(mktemp -d)
trap '"$vm" -C "$work/r" stop -i kv >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
"$vm" init "$work/r" >/dev/null
cd "$work/r"
"$vm" create kv --image kvshell --memory 64M >/dev/null

# ms CMD...: one run's wall milliseconds (output discarded; a failing command stops the script)
ms() {
  local t0 t1; t0=$(date +%s%N); "$@" >/dev/null 2>&1 || { echo "short-commands: '$*' failed" >&2; exit 1; }
  t1=$(date +%s%N); echo $(( (t1 - t0) / 1000000 ))
}
stats() { sort -n | awk '{a[NR]=$1} END {printf "median %d ms (%d-%d)", (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2), a[1], a[NR]}'; }

measure() {
  local label=$1; shift
  local -A t=()
  for _ in 1 2; do "$@" status >/dev/null 2>&1; done          # warm-up (file cache, AOT cache)
  for _ in $(seq "$runs"); do
    t[status]+="$(ms "$@" status) "; t[branch]+="$(ms "$@" branch) "; t[ps]+="$(ms "$@" ps -a) "
    t[git]+="$(ms git --git-dir=.vmtree/meta.git branch) "; t[java]+="$(ms "$JAVA_HOME/bin/java" -version) "
  done
  for k in status branch ps git java; do
    printf '%-22s %-8s %s\n' "$label" "$k" "$(tr ' ' '\n' <<< "${t[$k]}" | grep . | stats)"
  done
}
measure "no Dom0" env VMTREE_NO_DAEMON=1 "$vm"
"$vm" start -i kv >/dev/null
measure "Dom0 running" "$vm"
