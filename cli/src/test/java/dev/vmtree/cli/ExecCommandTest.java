package dev.vmtree.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.vmtree.dom0.MachineValues;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class ExecCommandTest {
    @TempDir
    Path dir;

    record Result(int status, String out, String err) {}

    /** Runs exec in-process with an empty standard input (exec reads it as the guest asks). */
    static synchronized Result exec(String... args) {
        StringWriter out = new StringWriter(), err = new StringWriter();
        CommandLine cl = VmtreeCommand.commandLine();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        String[] full = new String[args.length + 1];
        full[0] = "exec";
        System.arraycopy(args, 0, full, 1, args.length);
        java.io.InputStream saved = System.in;
        System.setIn(new java.io.ByteArrayInputStream(new byte[0]));
        try {
            int status = cl.execute(full);
            return new Result(status, out.toString(), err.toString());
        } finally {
            System.setIn(saved);
        }
    }

    static int addi(int rd, int rs1, int imm) {
        return (imm & 0xFFF) << 20 | rs1 << 15 | rd << 7 | 0x13;
    }

    static final int ECALL = 0x73, LOOP = 0x6F;

    static byte[] words(int... w) {
        ByteBuffer b = ByteBuffer.allocate(w.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (int x : w) b.putInt(x);
        return b.array();
    }

    /** Prints text through legacy putchar, then SBI SRST shutdown with {@code reason}. */
    static byte[] sbiProgram(String text, int reason) {
        int[] w = new int[text.length() * 2 + 8];
        int n = 0;
        w[n++] = addi(17, 0, 1); // a7 = 1: legacy console putchar
        for (char c : text.toCharArray()) {
            w[n++] = addi(10, 0, c);
            w[n++] = ECALL;
        }
        w[n++] = 0x535258b7; // lui a7, 0x53525
        w[n++] = 0x3548889b; // addiw a7, a7, 0x354: SRST
        w[n++] = addi(16, 0, 0);
        w[n++] = addi(10, 0, 0);
        w[n++] = addi(11, 0, reason);
        w[n++] = ECALL;
        w[n++] = LOOP;
        return words(java.util.Arrays.copyOf(w, n));
    }

    Path file(String name, byte[] content) throws Exception {
        Path p = dir.resolve(name);
        Files.write(p, content);
        return p;
    }

    @Test
    void helloWorldPrintsThroughSbiAndShutsDownWithStatus0() throws Exception {
        Result r = exec(file("hello.bin", sbiProgram("hello, world\n", 0)).toString());
        assertThat(r.status()).as(r.err()).isZero();
        assertThat(r.out()).isEqualTo("hello, world\n");
    }

    @Test
    void guestReportingSystemFailureExits1() throws Exception {
        Result r = exec(file("fail.bin", sbiProgram("", 1)).toString());
        assertThat(r.status()).isEqualTo(1);
        assertThat(r.err()).contains("system failure");
    }

    @Test
    void htifTohostFailurePrintsTheTestNumberAndExits1() throws Exception {
        Path elf = file("t.elf", htifElf(5));
        Result r = exec("--m-mode", elf.toString());
        assertThat(r.status()).isEqualTo(1);
        assertThat(r.out()).contains("FAIL: test 2");
        Result ok = exec("--m-mode", file("ok.elf", htifElf(1)).toString());
        assertThat(ok.status()).isZero();
    }

    @Test
    void exhaustedBudgetExits3() throws Exception {
        Result r = exec("--max-instructions", "1000", file("loop.bin", words(LOOP)).toString());
        assertThat(r.status()).isEqualTo(3);
        assertThat(r.err()).contains("budget");
    }

    @Test
    void usageErrorsExit2() throws Exception {
        assertThat(exec("--bogus", "x").status()).isEqualTo(2);
        assertThat(exec().status()).isEqualTo(2);
        assertThat(exec("--memory", "lots", file("a.bin", words(LOOP)).toString()).status()).isEqualTo(2);
    }

    @Test
    void programsThatCannotRunExit4WithOneLine() throws Exception {
        Result missing = exec(dir.resolve("nope.elf").toString());
        assertThat(missing.status()).isEqualTo(4);
        assertThat(missing.err().strip().lines()).hasSize(1);
        assertThat(missing.err()).contains("nope.elf: No such file or directory");
        Result bad = exec(file("bad.elf", new byte[] {0x7F, 'E', 'L', 'F', 2, 1, 1}).toString());
        assertThat(bad.status()).isEqualTo(4);
        assertThat(bad.err()).contains("truncated ELF header");
        Result small = exec("--memory", "64K", file("p.bin", words(LOOP)).toString());
        assertThat(small.status()).isEqualTo(2);
        assertThat(small.err()).contains("--memory must be a multiple of 4K from 128K to 64G: 64K");
        Result harts = exec("--harts", "0", file("q.bin", words(LOOP)).toString());
        assertThat(harts.status()).isEqualTo(2);
    }

    static Path guest(String name) {
        return Path.of(System.getProperty("vmtree.project.root"), "guests", "bin", name);
    }

    @Test
    void aTextFileTakenAsARawProgramStopsWithStatus1NamingTheStuckHart() throws Exception {
        Path text = file("text.txt", "hello, this is a text file and not a program\n".getBytes());
        // the budget only keeps a regression from spinning for ever: before, it was the only way out (status 3)
        Result r = exec("--max-instructions", "200000000", text.toString());
        assertThat(r.status()).as(r.err()).isEqualTo(1);
        assertThat(r.err().strip().lines()).hasSize(1);
        assertThat(r.err()).startsWith("vmtree: hart 0 is stuck at instruction ")
                .contains("instruction access fault").contains("S-mode trap vector 0x0");
    }

    @Test
    void aSupervisorGuestStartedInMachineModeStopsAtItsFirstUnhandledTrap() throws Exception {
        // hello.elf calls SBI with ecall; in M-mode with no firmware that traps to mtvec = 0
        Result r = exec("--m-mode", "--max-instructions", "200000000", guest("hello.elf").toString());
        assertThat(r.status()).as(r.err()).isEqualTo(1);
        assertThat(r.err()).contains("hart 0 is stuck").contains("M-mode trap vector 0x0");
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("at instruction ([0-9,]+)").matcher(r.err());
        assertThat(m.find()).isTrue();
        assertThat(Long.parseLong(m.group(1).replace(",", ""))).isLessThan(1_000_000);
        assertThat(exec("--m-mode", "--max-instructions", "200000000", guest("hello.elf").toString()).err())
                .as("the same every time").isEqualTo(r.err());
    }

    @Test
    void execIdleStopsASilentGuestOnceItsInputEndedAndOnlyWhenAsked() throws Exception {
        Path ticker = file("ticker.bin", RawPrograms.echoWithTicker());
        // standard input's end is seen by a reader thread; an idle guest skips through virtual time so fast
        // (10^9 instructions in 33 ms, seen under load) that a small budget can run out before that thread runs
        Result quiet = exec("--idle", "1s", "--max-instructions", "100000000000", ticker.toString());
        assertThat(quiet.status()).as(quiet.err()).isEqualTo(1);
        assertThat(quiet.err()).contains("the input ended and the guest printed nothing for 1s of virtual time");
        Result budget = exec("--max-instructions", "300000000", ticker.toString());
        assertThat(budget.status()).as("no --idle: a silent guest may compute for long").isEqualTo(3);
    }

    @Test
    void helpDocumentsTheExitStatusTable() {
        Result r = exec("--help");
        assertThat(r.out()).contains("Exit status:").contains("instruction budget").contains("could not run");
    }

    @Test
    void sizesAcceptBinaryUnits() {
        assertThat(MachineValues.memory("--memory", "512K")).isEqualTo(512L << 10);
        assertThat(MachineValues.memory("--memory", "128M")).isEqualTo(128L << 20);
        assertThat(MachineValues.memory("--memory", "1G")).isEqualTo(1L << 30);
        assertThat(MachineValues.memory("--memory", "131072")).isEqualTo(128 << 10);
        assertThat(MachineValues.memory("--memory", "2GiB")).isEqualTo(2L << 30);
        assertThat(exec("--memory", "0", "x.elf").status()).isEqualTo(2);
        assertThat(exec("--memory", "lots", "x.elf").status()).isEqualTo(2);
    }

    /** An M-mode ELF at 0x80000000 that writes {@code value} to its tohost symbol (at 0x80001000). */
    static byte[] htifElf(int value) {
        // auipc t0, 1 ; addi t1, zero, value ; sd t1, 0(t0) ; j .
        int lui = 1 << 12 | 5 << 7 | 0x17; // auipc t0, 1: t0 = 0x80001000
        int li = addi(6, 0, value);
        int sd = 6 << 20 | 5 << 15 | 3 << 12 | 0x23;
        byte[] text = words(lui, li, sd, LOOP);
        long base = 0x8000_0000L;
        int codeOff = 64 + 56;
        byte[] strtab = "\0tohost\0".getBytes();
        int symOff = 0x100, strOff = 0x130, shOff = 0x140;
        ByteBuffer b = ByteBuffer.allocate(shOff + 3 * 64).order(ByteOrder.LITTLE_ENDIAN);
        b.put(new byte[] {0x7F, 'E', 'L', 'F', 2, 1, 1, 0});
        b.putShort(16, (short) 2).putShort(18, (short) 243).putInt(20, 1).putLong(24, base).putLong(32, 64)
                .putLong(40, shOff).putShort(52, (short) 64).putShort(54, (short) 56).putShort(56, (short) 1)
                .putShort(58, (short) 64).putShort(60, (short) 3);
        b.putInt(64, 1).putInt(68, 7).putLong(72, codeOff).putLong(80, base).putLong(88, base)
                .putLong(96, text.length).putLong(104, 0x1008).putLong(112, 0x1000);
        b.put(codeOff, text);
        b.putInt(symOff + 24, 1).putLong(symOff + 32, base + 0x1000);
        b.put(strOff, strtab);
        b.putInt(shOff + 64 + 4, 2).putLong(shOff + 64 + 24, symOff).putLong(shOff + 64 + 32, 48)
                .putInt(shOff + 64 + 40, 2).putLong(shOff + 64 + 56, 24);
        b.putInt(shOff + 128 + 4, 3).putLong(shOff + 128 + 24, strOff).putLong(shOff + 128 + 32, strtab.length);
        return b.array();
    }
}
