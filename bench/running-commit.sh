#!/usr/bin/env bash
# bench/running-commit.sh [COMMITS]: issue 15's running-commit benchmark. A 256 MiB machine runs
# guests/bin/dirty.elf (which keeps 655 pages, 1% of its RAM, dirty) in the background under
# `vmtree start --engine translator`; the script commits it COMMITS times (default 10) while it runs
# and reports, from each `vmtree --json commit`, the pause the guest saw (pauseMicros: the capture,
# during which the guest does not run) and the commit's time in Dom0 (totalMicros), as medians and
# the longest pause. Peer in the same run: QEMU (TCG) running the same ELF with 256 MiB RAM and a
# qcow2 disk; `savevm` over its monitor, timed from the request to the answer (the guest is stopped
# for all of it in QEMU), COMMITS times. Needs python3 for the monitor, qemu-system-riscv64 and
# qemu-img (apt-get install qemu-system-misc qemu-utils). docs/performance.md quotes it.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)
n=${1:-10}
[[ $n =~ ^[1-9][0-9]*$ ]] || { echo "running-commit: COMMITS must be a positive number, not '$n'" >&2; exit 2; }
elf=$root/guests/bin/dirty.elf
vm=$root/bin/vmtree
[ -f "$root/cli/target/vmtree-cli.jar" ] || { echo "running-commit: vmtree is not built (bin/build -q -DskipTests package)" >&2; exit 1; }
work=$(mktemp -d)
trap '"$vm" -C "$work/r" stop -i d >/dev/null 2>&1 || true; [ -n "${qpid:-}" ] && kill "$qpid" 2>/dev/null; rm -rf "$work"' EXIT
"$vm" init "$work/r" >/dev/null
"$vm" -C "$work/r" create d --kernel "$elf" --memory 256M >/dev/null
"$vm" -C "$work/r" start -i d --engine translator >/dev/null
sleep 3
pauses=(); totals=()
for i in $(seq "$n"); do
  j=$("$vm" -C "$work/r" --json commit -i d -m "running commit $i")
  pauses+=("$(sed -E 's/.*"pauseMicros":([0-9]+).*/\1/' <<< "$j")")
  totals+=("$(sed -E 's/.*"totalMicros":([0-9]+).*/\1/' <<< "$j")")
  t=$(grep -o '"totalMicros":[0-9]*' "$work/r/.vmtree/audit.log" 2>/dev/null | tail -1 || true)
  sleep 0.5
done
"$vm" -C "$work/r" stop -i d >/dev/null
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
max() { printf '%s\n' "$@" | sort -n | tail -1; }
echo "vmtree running commit of a 256 MiB instance, 1% dirty ($n commits): guest pause median $(median "${pauses[@]}") us, longest $(max "${pauses[@]}") us"
echo "  pauses (us): ${pauses[*]}"
echo "  whole commit in Dom0 (us): median $(median "${totals[@]}"), each: ${totals[*]}"

if command -v qemu-system-riscv64 >/dev/null && command -v qemu-img >/dev/null && command -v python3 >/dev/null; then
  qemu-img create -q -f qcow2 "$work/disk.qcow2" 64M
  qemu-system-riscv64 -M virt -m 256M -nographic -bios default -kernel "$elf" \
    -drive file="$work/disk.qcow2",if=none,id=d0,format=qcow2 -device virtio-blk-device,drive=d0 \
    -monitor unix:"$work/mon",server,nowait -serial null -display none >/dev/null 2>&1 &
  qpid=$!
  sleep 3
  python3 - "$work/mon" "$n" <<'PY'
import socket, sys, time, statistics
path, n = sys.argv[1], int(sys.argv[2])
s = socket.socket(socket.AF_UNIX); s.connect(path)
def until_prompt():
    buf = b""
    while not buf.endswith(b"(qemu) "):
        chunk = s.recv(65536)
        if not chunk:
            raise SystemExit("qemu monitor closed")
        buf += chunk
    return buf
until_prompt()
times = []
for i in range(n):
    t0 = time.perf_counter()
    s.sendall(b"savevm s%d\n" % i)
    out = until_prompt()
    times.append((time.perf_counter() - t0) * 1e6)
    if b"Error" in out:
        raise SystemExit("savevm failed: " + out.decode(errors="replace"))
    time.sleep(0.5)
print("qemu savevm of the same guest, 256 MiB ({} snapshots): guest pause median {:.0f} us, longest {:.0f} us".format(
    n, statistics.median(times), max(times)))
print("  pauses (us): " + " ".join("%.0f" % t for t in times))
PY
else
  echo "qemu peer skipped: needs qemu-system-riscv64, qemu-img and python3"
fi
