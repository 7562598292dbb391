#!/usr/bin/env bash
# Proves the guest programs themselves correct on QEMU before they judge vmtree's core:
# S-mode programs on qemu-system-riscv64 -M virt with OpenSBI (fw_dynamic, SBI 1.0 in QEMU 7.2),
# the M-mode program on -M spike (which has HTIF tohost, like vmtree exec --m-mode).
# Usage: guests/qemu-check.sh [DIR]   (DIR holds the *.elf files; default guests/bin)
set -u
dir=${1:-$(dirname "$0")/bin}
failed=0
run_s() {   # program, expected console line, extra qemu flags
  local out
  out=$(timeout 60 qemu-system-riscv64 -M virt -nographic -bios default $3 -kernel "$dir/$1.elf" </dev/null 2>&1 | tr -d '\r')
  if grep -qx "$2" <<<"$out" && ! grep -q "^FAIL" <<<"$out"; then
    echo "ok   $1"
  else
    echo "FAIL $1"; grep -E "FAIL|PASS" <<<"$out" | head -20; failed=1
  fi
}
run_s hello "Hello from a vmtree guest" ""
run_s fail "fail: this guest reports a failure on purpose" ""
for p in rv64i m a c zicsr smc mmu sbi-base sbi-time sbi-ipi sbi-rfence sbi-srst sbi-dbcn sbi-legacy sbi-hostile illegal \
         bench-loop bench-long bench-mem; do
  run_s "$p" "$p: PASS" ""
done
run_s sbi-hsm "sbi-hsm: PASS" "-smp 2"
run_s churn "churn: PASS" "-smp 2"
run_s planted "planted: total 44999798663, canary 201337" ""
timeout 60 qemu-system-riscv64 -M spike -nographic -bios none -kernel "$dir/traps.elf" </dev/null >/dev/null 2>&1
rc=$?
if [ $rc = 0 ]; then echo "ok   traps"; else echo "FAIL traps (check $rc)"; failed=1; fi
exit $failed
