#!/usr/bin/env bash
# bench/exec-cold.sh [RUNS]: issue 14's cold, whole-process benchmark. Wall time of a whole
# `vmtree exec guests/bin/bench-long.elf` process (2 * 10^9 guest instructions, then SRST shutdown)
# against `qemu-system-riscv64 -M virt -m 256M -nographic -bios default -kernel` on the same ELF,
# each minus the wall time of the same command on guests/bin/hello.elf (which shuts down at once):
# start-up is subtracted on both sides. Commands run in turn (vmtree, qemu, vmtree, ...) after one
# warm-up each; prints each run, the median of (long - start-up) per side and the ratio
# vmtree/qemu. Every run must exit 0 and print its PASS (or hello) line, else the script stops.
#   ENGINES="interpreter translator"  vmtree engines to measure, each a side (default: translator)
#   ICOUNT=1                          also QEMU with -icount shift=0 (one instruction per ns)
#   TIMEOUT=600                       seconds one run may take
# docs/performance.md ("Cold, whole process") quotes this benchmark.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)
runs=${1:-5}
[[ $runs =~ ^[1-9][0-9]*$ ]] || { echo "exec-cold: RUNS must be a positive number, not '$runs'" >&2; exit 2; }
read -r -a engines <<< "${ENGINES:-translator}"
[ ${#engines[@]} -gt 0 ] || { echo "exec-cold: ENGINES is empty" >&2; exit 2; }
timeout_s=${TIMEOUT:-600}
command -v qemu-system-riscv64 >/dev/null || { echo "exec-cold: qemu-system-riscv64 is missing (apt-get install qemu-system-misc)" >&2; exit 1; }
long=$root/guests/bin/bench-long.elf
quick=$root/guests/bin/hello.elf
for f in "$long" "$quick"; do [ -f "$f" ] || { echo "exec-cold: $f is missing (make -C guests)" >&2; exit 1; }; done
[ -f "$root/cli/target/vmtree-cli.jar" ] || { echo "exec-cold: vmtree is not built (bin/build -q -DskipTests package)" >&2; exit 1; }

# Sides: a name and the command without its program. The same RAM (256 MiB) on every side.
names=(); cmds=()
for e in "${engines[@]}"; do
  names+=("vmtree $e"); cmds+=("$root/bin/vmtree exec --memory 256M --engine $e")
done
qemu="qemu-system-riscv64 -M virt -m 256M -nographic -bios default"
names+=("qemu"); cmds+=("$qemu -kernel")
if [ "${ICOUNT:-0}" = 1 ]; then names+=("qemu -icount 0"); cmds+=("$qemu -icount shift=0 -kernel"); fi

# timed SIDE PROGRAM LINE: runs side SIDE's command on PROGRAM; requires exit status 0, the console
# line LINE and no FAIL; prints the wall seconds
timed() {
  local out; out=$(mktemp)
  local t0; t0=$(date +%s.%N)
  local rc=0
  # shellcheck disable=SC2086  # the command is words on purpose
  timeout "$timeout_s" ${cmds[$1]} "$2" < /dev/null > "$out" 2>&1 || rc=$?
  local t1; t1=$(date +%s.%N)
  if [ "$rc" != 0 ] || ! tr -d '\r' < "$out" | grep -x "$3" >/dev/null || grep -q "FAIL" "$out"; then
    local why="exit status $rc"; [ "$rc" = 124 ] && why="timed out after ${timeout_s} s"
    echo "exec-cold: ${names[$1]} on $(basename "$2"): $why, wanted status 0 and the line '$3'; output:" >&2
    tail -20 "$out" >&2; rm -f "$out"; exit 1
  fi
  rm -f "$out"
  awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.3f\n", b - a}'
}
median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
long_pass="bench-long: PASS"
quick_pass="Hello from a vmtree guest"

n=${#names[@]}
for ((s = 0; s < n; s++)); do timed "$s" "$long" "$long_pass" >/dev/null; timed "$s" "$quick" "$quick_pass" >/dev/null; done  # warm-up
declare -A L Q D                        # [side,run]: long, start-up, long - start-up (seconds)
for ((i = 1; i <= runs; i++)); do
  line="run $i:"
  for ((s = 0; s < n; s++)); do
    L[$s,$i]=$(timed "$s" "$long" "$long_pass")
    Q[$s,$i]=$(timed "$s" "$quick" "$quick_pass")
    D[$s,$i]=$(awk -v a="${L[$s,$i]}" -v b="${Q[$s,$i]}" 'BEGIN {printf "%.3f\n", a - b}')
    line+=$(printf '   %s %.2f - %.2f = %.2f s' "${names[$s]}" "${L[$s,$i]}" "${Q[$s,$i]}" "${D[$s,$i]}")
  done
  echo "$line"
done
declare -a med
for ((s = 0; s < n; s++)); do
  med[s]=$(for ((i = 1; i <= runs; i++)); do echo "${D[$s,$i]}"; done | median)
  ml=$(for ((i = 1; i <= runs; i++)); do echo "${L[$s,$i]}"; done | median)
  mq=$(for ((i = 1; i <= runs; i++)); do echo "${Q[$s,$i]}"; done | median)
  printf 'median %-20s long %6.2f s   start-up %5.2f s   long - start-up %6.2f s\n' "${names[$s]}:" "$ml" "$mq" "${med[s]}"
done
nq=${#engines[@]}                       # index of the plain qemu side
for ((s = 0; s < ${#engines[@]}; s++)); do
  for ((r = nq; r < n; r++)); do
    awk -v v="${med[s]}" -v q="${med[r]}" -v a="${names[s]}" -v b="${names[r]}" \
      'BEGIN {if (q > 0) printf "ratio %s / %s: %.2f\n", a, b, v / q; else printf "ratio %s / %s: none (%s is not slower than its start-up)\n", a, b, b}'
  done
done
