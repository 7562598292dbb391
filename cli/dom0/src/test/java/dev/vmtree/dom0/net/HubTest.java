package dev.vmtree.dom0.net;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class HubTest {
    static byte[] frame(int from, int seq) {
        byte[] f = new byte[64];
        for (int i = 0; i < 6; i++) {
            f[i] = (byte) 0xff;
        }
        f[6] = 0x02;
        f[11] = (byte) from;
        f[12] = 0x08;
        f[14] = (byte) seq;
        f[15] = (byte) (seq >>> 8);
        return f;
    }

    static int sender(byte[] f) {
        return f[11];
    }

    @Test
    void everyFrameGoesToEveryOtherPortAndNeverBack() {
        Hub hub = new Hub("lan");
        AtomicInteger wakeups = new AtomicInteger();
        Hub.Port a = hub.attach("a", wakeups::incrementAndGet), b = hub.attach("b", () -> {}), c = hub.attach("c", () -> {});
        a.send(frame(1, 0), 0, 64);
        assertThat(a.poll()).isNull();
        assertThat(b.poll()).isEqualTo(frame(1, 0));
        assertThat(c.poll()).isEqualTo(frame(1, 0));
        assertThat(b.poll()).isNull();
        b.send(frame(2, 0), 0, 64);
        assertThat(wakeups).hasValue(1);
        assertThat(a.waiting()).isEqualTo(1);
        assertThat(a.poll()).isEqualTo(frame(2, 0));
        assertThat(a.counters()).isEqualTo(new Hub.Counters(1, 1, 0, 0));
    }

    @Test
    void theSendersBufferIsCopied() {
        Hub hub = new Hub("lan");
        Hub.Port a = hub.attach("a", () -> {}), b = hub.attach("b", () -> {});
        byte[] buf = new byte[100];
        System.arraycopy(frame(1, 7), 0, buf, 10, 64);
        a.send(buf, 10, 64);
        buf[20] = 99;
        assertThat(b.poll()).isEqualTo(frame(1, 7));
    }

    @Test
    void aFloodFillsOnlyItsOwnShareSoAnotherSenderStillGetsThrough() {
        Hub hub = new Hub("lan");
        Hub.Port flood = hub.attach("flood", () -> {}), quiet = hub.attach("quiet", () -> {}), sink = hub.attach("sink", () -> {});
        for (int i = 0; i < 10_000; i++) {
            flood.send(frame(1, i), 0, 64);
        }
        quiet.send(frame(2, 0), 0, 64);
        quiet.send(frame(2, 1), 0, 64);
        assertThat(sink.waiting()).isEqualTo(Hub.SHARE + 2);
        assertThat(sink.counters().dropped()).isEqualTo(10_000 - Hub.SHARE);
        // the quiet sender's frames come within the first few polls, in turn with the flood's
        List<Integer> order = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            order.add(sender(sink.poll()));
        }
        assertThat(order).containsExactly(1, 2, 1, 2);
        // the flood's frames arrive in the order sent: the first SHARE of them
        int seq = 2;
        byte[] f;
        while ((f = sink.poll()) != null) {
            assertThat((f[14] & 0xFF) | (f[15] & 0xFF) << 8).isEqualTo(seq++);
        }
        assertThat(seq).isEqualTo(Hub.SHARE);
    }

    @Test
    void whatCannotBeAFrameIsDroppedAndCountedOnTheSender() {
        Hub hub = new Hub("lan");
        Hub.Port a = hub.attach("a", () -> {}), b = hub.attach("b", () -> {});
        a.send(new byte[13], 0, 13);
        a.send(new byte[Frames.MAX + 1], 0, Frames.MAX + 1);
        assertThat(b.poll()).isNull();
        assertThat(a.counters().malformed()).isEqualTo(2);
        assertThat(a.counters().sent()).isZero();
    }

    @Test
    void aDetachedPortTakesNothingAndItsFramesWaitingElsewhereGo() {
        Hub hub = new Hub("lan");
        Hub.Port a = hub.attach("a", () -> {}), b = hub.attach("b", () -> {});
        a.send(frame(1, 0), 0, 64);
        b.send(frame(2, 0), 0, 64);
        a.detach();
        assertThat(b.waiting()).isZero();
        b.send(frame(2, 1), 0, 64);
        assertThat(a.poll()).isNull();
        assertThat(hub.ports()).containsExactly(b);
    }

    @Test
    void clonesSharingAnAddressAreReported() {
        Hub hub = new Hub("lan");
        Hub.Port a = hub.attach("web1", () -> {}), b = hub.attach("web2", () -> {}), c = hub.attach("db", () -> {});
        a.send(frame(1, 0), 0, 64);
        b.send(frame(1, 0), 0, 64);
        c.send(frame(3, 0), 0, 64);
        assertThat(hub.duplicateAddresses()).containsOnlyKeys("02:00:00:00:00:01");
        assertThat(hub.duplicateAddresses().get("02:00:00:00:00:01")).containsExactly("web1", "web2");
    }

    @Test
    void portsAreBounded() {
        Hub hub = new Hub("lan");
        for (int i = 0; i < Hub.MAX_PORTS; i++) {
            hub.attach("p" + i, () -> {});
        }
        assertThatThrownBy(() -> hub.attach("one-more", () -> {})).hasMessageContaining("32 ports");
    }

    @Test
    void sendersOnManyThreadsLoseNothingWithinTheirShare() throws Exception {
        Hub hub = new Hub("lan");
        Hub.Port sink = hub.attach("sink", () -> {});
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < 8; t++) {
            Hub.Port p = hub.attach("s" + t, () -> {});
            int id = t + 1;
            threads.add(Thread.ofPlatform().start(() -> {
                for (int i = 0; i < Hub.SHARE; i++) {
                    p.send(frame(id, i), 0, 64);
                }
            }));
        }
        for (Thread t : threads) {
            t.join();
        }
        int[] next = new int[9];
        byte[] f;
        int n = 0;
        while ((f = sink.poll()) != null) {
            int s = sender(f);
            assertThat((f[14] & 0xFF) | (f[15] & 0xFF) << 8).isEqualTo(next[s]++);
            n++;
        }
        assertThat(n).isEqualTo(8 * Hub.SHARE);
        assertThat(sink.counters().dropped()).isZero();
    }
}
