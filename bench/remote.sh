#!/usr/bin/env bash
# bench/remote.sh [SIZE_MIB [RUNS]]: issue 16's benchmark as whole processes, the figures beside
# `vmtree bench remote` (in-process) in docs/performance.md, "Golden images: push, pull, bundle".
#
# The image (untimed) is made in-process by `vmtree bench remote --size SIZE_MIB --runs 1 --keep
# --no-peers`: a machine whose RAM (SIZE_MIB, default 256) is random pages, committed, then a commit
# with 1% of its pages rewritten with random bytes; it leaves a repository (branch golden at the
# update, golden~1 the image), the image's full bundle and the same bytes as two raw files. Through
# the CLI the only ways to put bytes into a machine without running it are `mem write` and writes
# through an NBD export, and each is a ReplayLog event whose payload a push would carry too; the
# bench's way stores the pages alone, as a guest that wrote them would. A second repository holding
# only the image is `vmtree init` + `vmtree bundle unbundle` of that bundle (untimed).
#
# Then RUNS times (default 5), with a fresh remote R (a path: the first push makes it a bare store)
# and clone C, each command a whole `bin/vmtree` process timed with date +%s%N:
#   vmtree -C V1 push R golden                   the image
#   vmtree clone R C
#   vmtree -C V1 bundle create full.bundle golden
#   vmtree -C V2 push R golden                   the 1% update, a fast-forward
#   vmtree -C C pull origin                      fetch, fast-forward, check the instance out
#   vmtree -C V2 bundle create thin.bundle golden --base golden~1
# Bytes moved: what appeared under the receiving directory (new files whole, grown files by their
# growth: `find -printf '%P %s'` before and after); a bundle's, its size. Peers in the same runs, on
# the raw files: rsync of the image to an empty directory; rsync -I --no-whole-file, and with
# -B4096, of the updated image onto a fresh copy of the image (bytes: --stats "Total bytes sent");
# git with the raw image committed and then the update: git bundle create v1 and v1..main.
# `vmtree branch` in the same repositories is the floor: a JVM start and a repository opened.
# Prints the median and range of the times and the median of the bytes.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)
size=${1:-256}
runs=${2:-5}
[[ $size =~ ^[1-9][0-9]*$ ]] && (( size >= 4 )) || { echo "remote: SIZE_MIB must be a number of at least 4, not '$size'" >&2; exit 2; }
[[ $runs =~ ^[1-9][0-9]*$ ]] || { echo "remote: RUNS must be a positive number, not '$runs'" >&2; exit 2; }
[ -f "$root/cli/target/vmtree-cli.jar" ] || { echo "remote: vmtree is not built (bin/build -q -DskipTests package)" >&2; exit 1; }
vm=$root/bin/vmtree
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
kept=$work/kept
export GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null LC_ALL=C

echo "bench/remote.sh: ${size} MiB image, $runs runs; $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg);" \
  "commit $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown); $(date -u '+%Y-%m-%d %H:%M UTC')"
"$vm" -q bench remote --size "$size" --runs 1 --dir "$kept" --keep --no-peers >/dev/null
"$vm" -q init "$work/v1" >/dev/null
"$vm" -q -C "$work/v1" bundle unbundle "$kept/golden-v1.bundle" >/dev/null
v1=$work/v1
v2=$kept/golden

# ms CMD...: one run's wall milliseconds; its output goes to $work/out (a failing command stops the script)
ms() {
  local t0 t1; t0=$(date +%s%N)
  "$@" >"$work/out" 2>"$work/err" || { echo "remote: '$*' failed: $(head -1 "$work/err")" >&2; exit 1; }
  t1=$(date +%s%N); echo $(( (t1 - t0) / 1000000 ))
}
listing() { if [ -e "$1" ]; then find "$1" -type f -printf '%P %s\n'; fi; }
# added BEFORE AFTER: bytes of the files AFTER has that BEFORE had not, and of their growth
added() { awk 'FILENAME == ARGV[1] { b[$1] = $2; next } { g = $2 - (($1 in b) ? b[$1] : 0); if (g > 0) s += g } END { printf "%d\n", s }' "$1" "$2"; }
sent() { sed -n 's/^Total bytes sent: \([0-9,]*\).*/\1/p' "$work/out" | tr -d ,; }
declare -A t=() b=() kind=()
order=()
# step NAME RECEIVER CMD...: times CMD and adds what appeared under RECEIVER (a file: its size)
step() {
  local name=$1 dest=$2; shift 2
  [[ " ${order[*]} " == *" $name "* ]] || order+=("$name")
  kind[$name]=moved
  listing "$dest" >"$work/before"
  t[$name]+="$(ms "$@") "
  listing "$dest" >"$work/after"
  if [ -f "$dest" ]; then b[$name]+="$(stat -c %s "$dest") "; else b[$name]+="$(added "$work/before" "$work/after") "; fi
}
# peer NAME CMD...: times CMD and adds the bytes rsync says it sent
peer() {
  local name=$1; shift
  [[ " ${order[*]} " == *" $name "* ]] || order+=("$name")
  kind[$name]=sent
  t[$name]+="$(ms "$@") "
  b[$name]+="$(sent) "
}
# floor NAME CMD...: times CMD, nothing moved
floor() {
  local name=$1; shift
  [[ " ${order[*]} " == *" $name "* ]] || order+=("$name")
  kind[$name]=none
  t[$name]+="$(ms "$@") "
}
have_rsync=$(command -v rsync || true)
have_git=$(command -v git || true)
if [ -n "$have_git" ]; then
  g=$work/git
  gitc() { git -C "$g" -c user.name="vmtree bench" -c user.email=bench@localhost -c gc.auto=0 "$@"; }
  git init -q -b main "$g"
  cp "$kept/image-v1.raw" "$g/image.raw"
  gadd=$(ms gitc add image.raw); gcommit=$(ms gitc commit -q -m v1); gitc tag v1
  cp "$kept/image-v2.raw" "$g/image.raw"
  gupdate=$(ms gitc commit -q -a -m v2)
fi

for _ in $(seq "$runs"); do
  rm -rf "$work/R" "$work/C" "$work/full.bundle" "$work/thin.bundle"
  step "vmtree push (image)" "$work/R" "$vm" -q -C "$v1" push "$work/R" golden
  step "vmtree clone (image)" "$work/C" "$vm" -q clone "$work/R" "$work/C"
  step "vmtree bundle create (image)" "$work/full.bundle" "$vm" -q -C "$v1" bundle create "$work/full.bundle" golden
  step "vmtree push (update)" "$work/R" "$vm" -q -C "$v2" push "$work/R" golden
  step "vmtree pull (update)" "$work/C" "$vm" -q -C "$work/C" pull origin
  step "vmtree bundle create --base (update)" "$work/thin.bundle" \
    "$vm" -q -C "$v2" bundle create "$work/thin.bundle" golden --base golden~1
  floor "vmtree branch (start-up floor)" "$vm" -q -C "$v2" branch
  if [ -n "$have_rsync" ]; then
    rm -rf "$work/rf"; mkdir -p "$work/rf" "$work/ru"
    peer "rsync (image, to an empty directory)" rsync --stats "$kept/image-v1.raw" "$work/rf/"
    cp "$kept/image-v1.raw" "$work/ru/image.raw"
    peer "rsync -I --no-whole-file (update)" rsync -I --no-whole-file --stats "$kept/image-v2.raw" "$work/ru/image.raw"
    cp "$kept/image-v1.raw" "$work/ru/image.raw"
    peer "rsync -I --no-whole-file -B4096 (update)" rsync -I --no-whole-file -B4096 --stats "$kept/image-v2.raw" "$work/ru/image.raw"
  fi
  if [ -n "$have_git" ]; then
    rm -f "$work/g1.bundle" "$work/g2.bundle"
    step "git bundle create v1 (image)" "$work/g1.bundle" gitc bundle create "$work/g1.bundle" v1
    step "git bundle create v1..main (update)" "$work/g2.bundle" gitc bundle create "$work/g2.bundle" v1..main
  fi
done

stats() { sort -n | awk '{a[NR]=$1} END {printf "median %6d ms (%d-%d)", (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2), a[1], a[NR]}'; }
mb() { sort -n | awk '{a[NR]=$1} END {printf "%.2f MB", (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2) / 1e6}'; }
for k in "${order[@]}"; do
  moved=
  [ "${kind[$k]}" = none ] || moved="${kind[$k]} $(tr ' ' '\n' <<< "${b[$k]}" | grep . | mb)"
  printf '%-42s %-28s %s\n' "$k" "$(tr ' ' '\n' <<< "${t[$k]}" | grep . | stats)" "$moved"
done
[ -n "$have_rsync" ] || echo "peer rsync: not available"
if [ -n "$have_git" ]; then
  printf '%-42s %d ms (once); the update'"'"'s commit %d ms\n' "git add + commit (image)" $(( gadd + gcommit )) "$gupdate"
else
  echo "peer git: not available"
fi
