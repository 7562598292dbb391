#!/usr/bin/env bash
# bench/migrate.sh [RUNS [MEMORY]]: issue 17's live-migration benchmark, the figures in
# docs/performance.md ("Fleet scale: live migration"). A Debian Linux machine (the packages
# guests/fetch-debian.sh fetches; MEMORY of RAM, default 256M, and a 64 MiB ext4 disk) boots in the
# foreground until its shell has started, in the background, a loop that rewrites 1% of its RAM
# every second:
#     while :; do i=$((i+1)); yes $i | head -c BYTES > /tmp/d; sleep 1; done
# (/tmp is the initramfs's RAM; a background instance's virtual time never runs ahead of the host
# clock, so that is 1% a second of real time too). That state is committed; then RUNS times (default
# 3) an instance of it is started in the background, runs 8 s, and moves with
#     vmtree --json migrate --live INSTANCE DEST
# to a fresh repository DEST on this machine. Prints each run's rounds, pages per round, chunks and
# bytes moved, total time and downtime (with its parts), and the medians.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)
runs=${1:-3}
memory=${2:-256M}
[[ $runs =~ ^[1-9][0-9]*$ ]] || { echo "migrate: RUNS must be a positive number, not '$runs'" >&2; exit 2; }
[[ $memory =~ ^[1-9][0-9]*M$ ]] || { echo "migrate: MEMORY must be like 256M, not '$memory'" >&2; exit 2; }
[ -f "$root/cli/target/vmtree-cli.jar" ] || { echo "migrate: vmtree is not built (bin/build -q -DskipTests package)" >&2; exit 1; }
mapfile -t debs < <("$root/guests/fetch-debian.sh")
vm=$root/bin/vmtree
work=$(mktemp -d)
repos=()
cleanup() {
    for r in "${repos[@]}"; do
        # each repository's Dom0 ends by itself once nothing runs; one left running is ended here
        pid=$(cat "$r/.vmtree/dom0/pid" 2>/dev/null || true)
        [ -n "$pid" ] && kill "$pid" 2>/dev/null || true
    done
    rm -rf "$work"
}
trap cleanup EXIT
src=$work/src
repos+=("$src")
"$vm" -q init "$src"
"$vm" -q -C "$src" image import-deb "${debs[@]}" >/dev/null
"$vm" -q -C "$src" create lx --image debian --memory "$memory" --disk-size 64M --mkfs ext4 --clock-base 2026-01-01T00:00:00Z
bytes=$(( ${memory%M} * 1048576 / 100 ))
printf '\n%s\n' "i=0; while :; do i=\$((i+1)); yes \$i | head -c $bytes > /tmp/d; sleep 1; done &" > "$work/loop"
# the boot (about 1.6 G instructions) and some seconds of the loop; the budget ends the run
"$vm" -q -C "$src" run --input "$work/loop" --max-instructions 3000000000 >/dev/null || [ $? -eq 3 ]
"$vm" -q -C "$src" commit -m "booted, rewriting 1% of RAM a second" >/dev/null
booted=$("$vm" -C "$src" --json status | python3 -c 'import json,sys; print(json.load(sys.stdin)["head"])')
echo "image: Debian Linux, $memory RAM + 64 MiB ext4, rewriting $bytes bytes (1% of RAM) a second; $runs runs; $(nproc) cores"
results=()
for r in $(seq "$runs"); do
    dst=$work/dst-$r
    repos+=("$dst")
    "$vm" -q init "$dst"
    "$vm" -q -C "$src" instance add "m$r" "$booted" >/dev/null
    "$vm" -q -C "$src" start -i "m$r" >/dev/null
    sleep 8
    out=$("$vm" -C "$src" --json migrate --live "m$r" "$dst")
    results+=("$out")
    python3 - "$r" "$out" <<'PY'
import json, sys
m = json.loads(sys.argv[2])
d = m.get("downtime", {})
parts = ", ".join(f"{k[:-6]} {v/1000:.1f}" for k, v in d.items() if k.endswith("Micros"))
print(f"run {sys.argv[1]}: {m['rounds']} rounds (pages {m.get('pagesPerRound')}), {m['chunks']} chunks, "
      f"{m['bytes']/1e6:.1f} MB, total {m['totalMicros']/1e6:.2f} s, downtime {m['downtimeMicros']/1000:.1f} ms ({parts} ms)")
PY
    "$vm" -q -C "$dst" stop -i "m$r" >/dev/null 2>&1 || true
done
python3 - "${results[@]}" <<'PY'
import json, statistics, sys
ms = [json.loads(a) for a in sys.argv[1:]]
med = lambda k: statistics.median(m[k] for m in ms)
print(f"median: {statistics.median(m['rounds'] for m in ms)} rounds, total {med('totalMicros')/1e6:.2f} s, "
      f"downtime {med('downtimeMicros')/1000:.1f} ms (target <= 100 ms); range "
      f"{min(m['downtimeMicros'] for m in ms)/1000:.1f}-{max(m['downtimeMicros'] for m in ms)/1000:.1f} ms")
PY
