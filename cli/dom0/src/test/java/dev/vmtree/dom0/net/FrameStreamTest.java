package dev.vmtree.dom0.net;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class FrameStreamTest {
    @Test
    void framesRoundTripBehindBigEndianLengths() throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] a = HubTest.frame(1, 1), b = new byte[Frames.MAX];
        Arrays.fill(b, (byte) 7);
        FrameStream.write(out, a, 0, a.length);
        FrameStream.write(out, b, 0, b.length);
        byte[] wire = out.toByteArray();
        assertThat(Arrays.copyOf(wire, 4)).containsExactly(0, 0, 0, 64);
        FrameStream.Reader r = new FrameStream.Reader(new ByteArrayInputStream(wire));
        assertThat(r.next()).isEqualTo(64);
        assertThat(Arrays.copyOf(r.buffer(), 64)).isEqualTo(a);
        assertThat(r.next()).isEqualTo(Frames.MAX);
        assertThat(Arrays.copyOf(r.buffer(), Frames.MAX)).isEqualTo(b);
        assertThat(r.next()).isEqualTo(-1);
    }

    @Test
    void runtsAndJumboFramesAreReadPastAndCounted() throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        FrameStream.write(out, new byte[5], 0, 5);
        FrameStream.write(out, new byte[9000], 0, 9000);
        FrameStream.write(out, new byte[0], 0, 0);
        byte[] a = HubTest.frame(3, 3);
        FrameStream.write(out, a, 0, a.length);
        FrameStream.Reader r = new FrameStream.Reader(new ByteArrayInputStream(out.toByteArray()));
        assertThat(r.next()).isEqualTo(64);
        assertThat(Arrays.copyOf(r.buffer(), 64)).isEqualTo(a);
        assertThat(r.skipped()).isEqualTo(3);
    }

    @Test
    void aLengthPastTheProtocolEndsTheStreamWithOneLine() {
        byte[] wire = {0x7f, (byte) 0xff, (byte) 0xff, (byte) 0xff, 1, 2, 3};
        assertThatThrownBy(() -> new FrameStream.Reader(new ByteArrayInputStream(wire)).next())
                .isInstanceOf(IOException.class)
                .hasMessage("frame stream: a length of 2147483647 bytes (at most 65549): not a frame stream, or out of step");
    }

    @Test
    void aStreamCutInsideAFrameSaysSo() throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] a = HubTest.frame(1, 1);
        FrameStream.write(out, a, 0, a.length);
        byte[] wire = out.toByteArray();
        for (int cut = 1; cut < wire.length; cut++) {
            FrameStream.Reader r = new FrameStream.Reader(new ByteArrayInputStream(Arrays.copyOf(wire, cut)));
            assertThatThrownBy(r::next).isInstanceOf(EOFException.class).hasMessageStartingWith("frame stream: cut inside");
        }
    }
}
