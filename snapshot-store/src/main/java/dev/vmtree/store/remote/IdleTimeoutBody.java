package dev.vmtree.store.remote;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Flow;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * A response body as an InputStream whose reads fail when no byte comes for {@code idle}: the
 * JDK's own {@code ofInputStream} waits forever on a server that stops sending. It asks for one
 * batch of buffers at a time, so at most one batch is held; closing it cancels the response.
 * One reader thread.
 */
final class IdleTimeoutBody extends InputStream implements HttpResponse.BodySubscriber<InputStream> {
    private static final Object END = new Object();

    private final BlockingQueue<Object> arrived = new LinkedBlockingQueue<>();
    private final ArrayDeque<ByteBuffer> buffers = new ArrayDeque<>();
    private final Duration idle;
    private final Supplier<String> url;
    private volatile Flow.Subscription subscription;
    private boolean ended;
    private IOException failed;
    private boolean closed;

    IdleTimeoutBody(Duration idle, Supplier<String> url) {
        this.idle = idle;
        this.url = url;
    }

    @Override
    public CompletionStage<InputStream> getBody() {
        return CompletableFuture.completedFuture(this);
    }

    @Override
    public void onSubscribe(Flow.Subscription s) {
        subscription = s;
        s.request(1);
    }

    @Override
    public void onNext(List<ByteBuffer> item) {
        arrived.add(item);
    }

    @Override
    public void onError(Throwable t) {
        arrived.add(t);
    }

    @Override
    public void onComplete() {
        arrived.add(END);
    }

    /** The buffer to read next, or null at the end of the body. */
    private ByteBuffer current() throws IOException {
        if (failed != null) {
            throw failed;   // again: a reader that reads on after a failure never sees a clean end
        }
        if (closed) {
            throw new IOException(url.get() + ": read after close");
        }
        while (true) {
            ByteBuffer b = buffers.peek();
            if (b != null && b.hasRemaining()) {
                return b;
            }
            if (b != null) {
                buffers.poll();
                continue;
            }
            if (ended) {
                return null;
            }
            Object o;
            try {
                o = arrived.poll(idle.toMillis(), TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                close();
                throw new InterruptedIOException(url.get() + ": interrupted");
            }
            if (o == null) {
                close();
                failed = new HttpTimeoutException(url.get() + ": no data for " + idle.toSeconds() + " s");
                throw failed;
            }
            if (o == END) {
                ended = true;
            } else if (o instanceof Throwable t) {
                ended = true;
                failed = new IOException(url.get() + ": the connection failed midway ("
                        + (t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage().lines().findFirst().orElse(""))
                        + ")", t);
                throw failed;
            } else {
                @SuppressWarnings("unchecked")
                List<ByteBuffer> l = (List<ByteBuffer>) o;
                buffers.addAll(l);
                subscription.request(1);
            }
        }
    }

    @Override
    public int read() throws IOException {
        ByteBuffer b = current();
        return b == null ? -1 : b.get() & 0xff;
    }

    @Override
    public int read(byte[] dst, int off, int len) throws IOException {
        java.util.Objects.checkFromIndexSize(off, len, dst.length);
        if (len == 0) {
            return 0;
        }
        ByteBuffer b = current();
        if (b == null) {
            return -1;
        }
        int n = Math.min(len, b.remaining());
        b.get(dst, off, n);
        return n;
    }

    @Override
    public int available() {
        ByteBuffer b = buffers.peek();
        return b == null ? 0 : b.remaining();
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        buffers.clear();
        Flow.Subscription s = subscription;
        if (!ended && s != null) {
            s.cancel();
        }
    }
}
