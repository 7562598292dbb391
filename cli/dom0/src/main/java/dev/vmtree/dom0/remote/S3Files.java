package dev.vmtree.dom0.remote;

import dev.vmtree.store.remote.ObjectFiles;
import dev.vmtree.store.remote.RemoteFiles;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.nio.file.NoSuchFileException;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import software.amazon.awssdk.core.ResponseInputStream;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.CommonPrefix;
import software.amazon.awssdk.services.s3.model.CompletedPart;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Response;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * The objects under {@code s3://BUCKET/PREFIX} as {@link ObjectFiles}, through the AWS SDK's S3
 * client (which signs, retries with backoff, and parses the XML). A path maps to the key
 * {@code PREFIX/path}; a "directory" is a key prefix. Objects up to {@link #MULTIPART} bytes go in
 * one PUT, bigger ones as a multipart upload of {@link #PART}-byte parts (aborted on failure), so
 * a file appears whole or not at all either way. Not thread-safe beyond what the client is.
 */
public final class S3Files implements ObjectFiles {
    /** A file of at least this many bytes is uploaded in parts. */
    static final int MULTIPART = 16 << 20;
    /** A directory listing longer than this is refused (a server that never ends one). */
    static final int MAX_NAMES = 1 << 20;
    /** The size of each part but the last (S3 wants at least 5 MiB). */
    static final int PART = 8 << 20;

    private final S3Client s3;
    private final String bucket;
    private final String prefix;
    private final String describe;

    /** @param prefix the key prefix, without a leading or trailing '/' ("" for the bucket's root) */
    public S3Files(S3Client s3, String bucket, String prefix, String describe) {
        this.s3 = s3;
        this.bucket = bucket;
        this.prefix = prefix;
        this.describe = describe;
    }

    private String key(String path) {
        if (path.startsWith("/") || path.contains("//") || path.equals("..") || path.startsWith("../")
                || path.contains("/../") || path.endsWith("/..")) {
            throw new IllegalArgumentException("path " + path + " leaves " + describe);
        }
        return prefix.isEmpty() ? path : path.isEmpty() ? prefix : prefix + "/" + path;
    }

    /** The key prefix of a directory: its key and '/' ("" for the bucket's root). */
    private String dirKey(String dir) {
        String k = key(dir);
        return k.isEmpty() ? "" : k.endsWith("/") ? k : k + "/";
    }

    @Override
    public String describe() {
        return describe;
    }

    @Override
    public boolean concurrentReads() {
        return true;  // every read is a request of its own (the SDK's client is thread-safe)
    }

    @Override
    public boolean writable() {
        return true;
    }

    /** One line for what went wrong, as an IOException (a transport failure: the caller may try again). */
    private IOException failure(String what, SdkException e) {
        if (Thread.currentThread().isInterrupted() || e.getCause() instanceof InterruptedException) {
            InterruptedIOException ie = new InterruptedIOException(describe + ": interrupted");
            ie.initCause(e);
            return ie;
        }
        String why;
        if (e instanceof S3Exception s && s.awsErrorDetails() != null) {
            String code = s.awsErrorDetails().errorCode();
            if ("NoSuchBucket".equals(code)) {
                return new IOException("bucket " + bucket + " does not exist (" + describe
                        + "): create it with your S3 tools first (aws s3 mb s3://" + bucket + ")", e);
            }
            if ("AccessDenied".equals(code) || "InvalidAccessKeyId".equals(code) || "SignatureDoesNotMatch".equals(code)) {
                return new IOException(describe + " refused the credentials (" + code + "): check AWS_ACCESS_KEY_ID,"
                        + " AWS_SECRET_ACCESS_KEY or the profile (docs/remotes.md, \"Object stores\")", e);
            }
            why = s.statusCode() + " " + (code == null ? "" : code + ": ") + s.awsErrorDetails().errorMessage();
        } else {
            why = String.valueOf(e.getMessage());
        }
        int nl = why.indexOf('\n');
        return new IOException(describe + ": cannot " + what + ": " + printable(nl < 0 ? why : why.substring(0, nl)), e);
    }

    /** What a server said, as a message may show it: printable characters only (else '?'), at most 200. */
    static String printable(String text) {
        StringBuilder b = new StringBuilder();
        text.codePoints().limit(200).forEach(c -> b.append(c >= 0x20 && c != 0x7f && !(c >= 0x80 && c < 0xa0) ? Character.toString(c) : "?"));
        return text.codePointCount(0, text.length()) > 200 ? b + "..." : b.toString();
    }

    private static boolean notFound(SdkException e) {
        return e instanceof NoSuchKeyException || (e instanceof S3Exception s && s.statusCode() == 404
                && (s.awsErrorDetails() == null || !"NoSuchBucket".equals(s.awsErrorDetails().errorCode())));
    }

    @Override
    public boolean exists(String path) throws IOException {
        try {
            if (path.isEmpty() && prefix.isEmpty()) {
                s3.headBucket(b -> b.bucket(bucket));
                return true;
            }
            if (!path.isEmpty()) {
                try {
                    s3.headObject(b -> b.bucket(bucket).key(key(path)));
                    return true;
                } catch (SdkException e) {
                    if (!notFound(e)) {
                        throw e;
                    }
                }
            }
            String p = dirKey(path);
            return !s3.listObjectsV2(b -> b.bucket(bucket).prefix(p).maxKeys(1)).contents().isEmpty();
        } catch (SdkException e) {
            if (notFound(e)) {
                return false;
            }
            throw failure("look up " + path, e);
        }
    }

    @Override
    public byte[] readAll(String path, int max) throws IOException {
        try (ResponseInputStream<GetObjectResponse> in = s3.getObject(b -> b.bucket(bucket).key(key(path)))) {
            Long length = in.response().contentLength();
            if (length != null && length > max) {
                in.abort();
                throw new TooLargeException(describe + "/" + path + " is " + length + " bytes, more than the " + max
                        + " it may be");
            }
            byte[] b = in.readNBytes(max + 1);
            if (b.length > max) {
                in.abort();
                throw new TooLargeException(describe + "/" + path + " is more than the " + max + " bytes it may be");
            }
            return b;
        } catch (SdkException e) {
            if (notFound(e)) {
                throw new NoSuchFileException(describe + "/" + path);
            }
            throw failure("read " + path, e);
        }
    }

    @Override
    public InputStream read(String path, long offset, long length) throws IOException {
        if (length == 0) {
            return InputStream.nullInputStream();
        }
        String range = "bytes=" + offset + "-" + (offset + length - 1);
        ResponseInputStream<GetObjectResponse> in;
        try {
            in = s3.getObject(b -> b.bucket(bucket).key(key(path)).range(range));
        } catch (SdkException e) {
            if (notFound(e)) {
                throw new NoSuchFileException(describe + "/" + path);
            }
            throw failure("read " + path, e);
        }
        String got = in.response().contentRange();
        String want = "bytes " + offset + "-" + (offset + length - 1) + "/";
        if (got == null || !got.startsWith(want) || in.response().contentLength() == null
                || in.response().contentLength() != length) {
            in.abort();
            throw new IOException(describe + ": asked for " + range + " of " + path + " and got "
                    + (got == null ? "no range" : RemoteFiles.shown(got)));
        }
        // the SDK's stream fails with its own unchecked exceptions (an aborted or reset body): a transport failure here
        return new java.io.FilterInputStream(in) {
            @Override
            public int read() throws IOException {
                try {
                    return super.read();
                } catch (SdkException e) {
                    throw failure("read " + path, e);
                }
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                try {
                    return super.read(b, off, len);
                } catch (SdkException e) {
                    throw failure("read " + path, e);
                }
            }
        };
    }

    @Override
    public List<String> list(String dir) throws IOException {
        String p = dirKey(dir);
        TreeSet<String> out = new TreeSet<>();
        String token = null;
        try {
            do {
                String t = token;
                ListObjectsV2Response r = s3.listObjectsV2(b -> b.bucket(bucket).prefix(p).delimiter("/").continuationToken(t));
                // a listing is the server's word: keys outside the prefix asked for (or none) are not ours
                for (S3Object o : r.contents()) {
                    if (o.key() != null && o.key().startsWith(p) && o.key().length() > p.length() && !o.key().endsWith("/")) {
                        out.add(o.key().substring(p.length()));
                    }
                }
                for (CommonPrefix c : r.commonPrefixes()) {
                    if (c.prefix() != null && c.prefix().startsWith(p) && c.prefix().length() > p.length() + 1) {
                        String name = c.prefix().substring(p.length());
                        out.add(name.endsWith("/") ? name.substring(0, name.length() - 1) : name);
                    }
                }
                String was = token;
                token = Boolean.TRUE.equals(r.isTruncated()) ? r.nextContinuationToken() : null;
                if (token != null && (token.equals(was) || out.size() > MAX_NAMES)) {
                    throw new IOException(describe + ": the listing of " + (dir.isEmpty() ? "the root" : dir)
                            + " does not end (the same continuation token again, or more than " + MAX_NAMES + " names)");
                }
            } while (token != null);
        } catch (SdkException e) {
            throw failure("list " + (dir.isEmpty() ? "the root" : dir), e);
        }
        return List.copyOf(out);
    }

    @Override
    public List<String> listRecursive(String dir, String startAfter, int max) throws IOException {
        String p = dirKey(dir);
        List<String> out = new ArrayList<>();
        String token = null;
        try {
            do {
                String t = token;
                int want = Math.min(1000, max - out.size());
                ListObjectsV2Response r = s3.listObjectsV2(b -> {
                    b.bucket(bucket).prefix(p).maxKeys(want).continuationToken(t);
                    if (t == null && startAfter != null) {
                        b.startAfter(p + startAfter);
                    }
                });
                for (S3Object o : r.contents()) {
                    // a key ending in '/' is a "directory marker" some stores and tools make: not an object of ours
                    if (o.key() != null && o.key().startsWith(p) && o.key().length() > p.length() && !o.key().endsWith("/")
                            && out.size() < max) {
                        out.add(o.key().substring(p.length()));
                    }
                }
                String was = token;
                token = Boolean.TRUE.equals(r.isTruncated()) && out.size() < max ? r.nextContinuationToken() : null;
                if (token != null && token.equals(was)) {
                    throw new IOException(describe + ": the listing of " + dir + " does not advance (the same continuation token again)");
                }
            } while (token != null);
        } catch (SdkException e) {
            throw failure("list " + dir, e);
        }
        return out;
    }

    @Override
    public void mkdirs(String dir) {
        // an object store has no directories: a key's prefix is one
    }

    @Override
    public OutputStream create(String path) {
        return new Upload(key(path), path);
    }

    /**
     * A file being written: filled into {@link #PART}-byte buffers. Up to {@link #MULTIPART} bytes
     * stay here and go as one PUT when it is closed; past that a multipart upload starts, and each
     * full buffer goes as a part as soon as it is full (so at most one part is held), the rest as
     * the last part on close. The request bodies read the buffers in place, without a copy.
     */
    private final class Upload extends OutputStream {
        private final String key;
        private final String path;
        private final List<byte[]> held = new ArrayList<>();
        private byte[] cur = new byte[PART];
        private int fill;
        private String upload;
        private final List<CompletedPart> parts = new ArrayList<>();
        private boolean closed;

        Upload(String key, String path) {
            this.key = key;
            this.path = path;
        }

        @Override
        public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            while (len > 0) {
                int n = Math.min(len, PART - fill);
                System.arraycopy(b, off, cur, fill, n);
                fill += n;
                off += n;
                len -= n;
                if (fill == PART) {
                    full();
                }
            }
        }

        /** {@link #cur} is full: held while the whole file may still go in one PUT, else sent as a part. */
        private void full() throws IOException {
            held.add(cur);
            cur = new byte[PART];
            fill = 0;
            if (upload == null && (long) held.size() * PART < MULTIPART) {
                return;
            }
            try {
                if (upload == null) {
                    upload = s3.createMultipartUpload(b -> b.bucket(bucket).key(key)).uploadId();
                }
                for (byte[] part : held) {
                    sendPart(part, PART);
                }
                held.clear();
            } catch (SdkException e) {
                abort();
                throw failure("upload " + path, e);
            }
        }

        private void sendPart(byte[] buf, int len) {
            int number = parts.size() + 1;
            String etag = s3.uploadPart(b -> b.bucket(bucket).key(key).uploadId(upload).partNumber(number)
                    .contentLength((long) len), body(List.of(), buf, len)).eTag();
            parts.add(CompletedPart.builder().partNumber(number).eTag(etag).build());
        }

        /** The bytes of {@code whole} then {@code tail[0, len)}, readable again for each retry. */
        private static RequestBody body(List<byte[]> whole, byte[] tail, int len) {
            long length = (long) whole.size() * PART + len;
            return RequestBody.fromContentProvider(() -> {
                List<InputStream> ins = new ArrayList<>();
                for (byte[] w : whole) {
                    ins.add(new java.io.ByteArrayInputStream(w));
                }
                ins.add(new java.io.ByteArrayInputStream(tail, 0, len));
                return new java.io.SequenceInputStream(java.util.Collections.enumeration(ins));
            }, length, "application/octet-stream");
        }

        private void abort() {
            if (upload != null) {
                try {
                    s3.abortMultipartUpload(b -> b.bucket(bucket).key(key).uploadId(upload));
                } catch (SdkException ignored) {
                    // an upload left behind is invisible; a bucket lifecycle rule removes it
                }
                upload = null;
            }
        }

        @Override
        public void close() throws IOException {
            if (closed) {
                return;
            }
            closed = true;
            try {
                if (upload == null) {
                    long length = (long) held.size() * PART + fill;
                    s3.putObject(b -> b.bucket(bucket).key(key).contentLength(length), body(held, cur, fill));
                    return;
                }
                if (fill > 0) {
                    sendPart(cur, fill);
                }
                s3.completeMultipartUpload(b -> b.bucket(bucket).key(key).uploadId(upload)
                        .multipartUpload(m -> m.parts(parts)));
            } catch (SdkException e) {
                abort();
                throw failure("upload " + path, e);
            }
        }
    }

    @Override
    public boolean createIfAbsent(String path, byte[] data) throws IOException {
        String key = key(path);
        for (int attempt = 0; ; attempt++) {
            try {
                s3.putObject(b -> b.bucket(bucket).key(key).ifNoneMatch("*").contentLength((long) data.length),
                        RequestBody.fromBytes(data));
                return true;
            } catch (S3Exception e) {
                if (e.statusCode() == 412) {
                    return false;
                }
                String code = e.awsErrorDetails() == null ? null : e.awsErrorDetails().errorCode();
                if (e.statusCode() == 501 || "NotImplemented".equals(code)) {
                    throw new ConditionalUnsupportedException(describe + " does not implement conditional writes");
                }
                if (e.statusCode() == 409 && attempt < 5) {
                    sleep(50L << attempt);  // ConditionalRequestConflict: another create of this key is in flight
                    continue;
                }
                throw failure("create " + path, e);
            } catch (SdkException e) {
                throw failure("create " + path, e);
            }
        }
    }

    private static void sleep(long ms) throws InterruptedIOException {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted");
        }
    }

    @Override
    public void rename(String from, String to) throws IOException {
        try {
            s3.copyObject(b -> b.sourceBucket(bucket).sourceKey(key(from)).destinationBucket(bucket).destinationKey(key(to)));
            s3.deleteObject(b -> b.bucket(bucket).key(key(from)));
        } catch (SdkException e) {
            if (notFound(e)) {
                throw new NoSuchFileException(describe + "/" + from);
            }
            throw failure("rename " + from, e);
        }
    }

    @Override
    public void delete(String path) throws IOException {
        try {
            s3.deleteObject(b -> b.bucket(bucket).key(key(path)));
        } catch (SdkException e) {
            if (!notFound(e)) {
                throw failure("delete " + path, e);
            }
        }
    }

    @Override
    public void close() {
        s3.close();
    }
}
