#!/usr/bin/env bash
# bench/linux-boot.sh KERNEL INITRD [RUNS]: wall time from start to busybox's banner (printed just
# before the shell prompt) for `vmtree exec` and qemu-system-riscv64 on the same kernel and
# initramfs, 256 MiB, runs in turn (vmtree, qemu, vmtree, ...) after one warm-up each; prints each
# run and the medians. The kernel and initramfs of an imported Debian image are the two files in
# .vmtree/images/.blobs/ (docs/linux.md); docs/performance.md quotes this benchmark.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
kernel=${1:?usage: bench/linux-boot.sh KERNEL INITRD [RUNS]}
initrd=${2:?usage: bench/linux-boot.sh KERNEL INITRD [RUNS]}
runs=${3:-5}
command -v qemu-system-riscv64 >/dev/null || { echo "linux-boot: qemu-system-riscv64 is missing (apt-get install qemu-system-misc)" >&2; exit 1; }

# to_prompt CMD...: runs CMD, its output into a FIFO, until the banner appears; prints the seconds
to_prompt() {
  local f; f=$(mktemp -u); mkfifo "$f"
  local t0; t0=$(date +%s.%N)
  "$@" > "$f" 2>&1 < /dev/null &
  local pid=$!
  if ! grep -a -m1 -q "Enter 'help' for a list of built-in commands" < "$f"; then
    echo "linux-boot: no shell banner from: $*" >&2; kill "$pid" 2>/dev/null; rm -f "$f"; exit 1
  fi
  local t1; t1=$(date +%s.%N)
  kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null || true; rm -f "$f"
  awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.3f\n", b - a}'
}
median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }

vm=("$here/../bin/vmtree" exec --memory 256M --initrd "$initrd" --append console=ttyS0 "$kernel")
qemu=(qemu-system-riscv64 -M virt -m 256M -nographic -bios default -kernel "$kernel" -initrd "$initrd" -append console=ttyS0)
to_prompt "${vm[@]}" >/dev/null; to_prompt "${qemu[@]}" >/dev/null       # warm-up
v=(); q=()
for ((i = 1; i <= runs; i++)); do
  v+=("$(to_prompt "${vm[@]}")"); q+=("$(to_prompt "${qemu[@]}")")
  printf 'run %d: vmtree %6.2f s   qemu %6.2f s\n' "$i" "${v[-1]}" "${q[-1]}"
done
mv=$(printf '%s\n' "${v[@]}" | median); mq=$(printf '%s\n' "${q[@]}" | median)
awk -v v="$mv" -v q="$mq" 'BEGIN {printf "median: vmtree %.2f s, qemu %.2f s, ratio %.2f\n", v, q, v / q}'
