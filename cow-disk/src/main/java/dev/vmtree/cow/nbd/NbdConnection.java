package dev.vmtree.cow.nbd;

import static dev.vmtree.cow.nbd.NbdProtocol.*;

import dev.vmtree.cow.disk.BlockDevice;
import dev.vmtree.cow.disk.VirtualDisk;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.ByteBuffer;

/**
 * One client of an {@link NbdServer}: option haggling, then transmission until DISC, EOF or a
 * protocol violation that makes the stream impossible to follow (then the connection is closed).
 */
final class NbdConnection {

    /** Largest READ or WRITE payload (what clients assume anyway, and advertised in NBD_INFO_BLOCK_SIZE). */
    static final int MAX_PAYLOAD = 32 << 20;
    private static final int MAX_OPTION_LENGTH = 8192;
    private static final int MAX_OPTIONS = 256;
    private static final int NEGOTIATION_TIMEOUT_MS = 30_000;
    private static final int CHUNK = 1 << 20;

    private final NbdServer server;
    private final Socket socket;
    private DataInputStream in;
    private DataOutputStream out;
    private boolean noZeroes;

    NbdConnection(NbdServer server, Socket socket) {
        this.server = server;
        this.socket = socket;
    }

    /** A stream we can no longer follow: the connection is closed. */
    private static final class ProtocolViolation extends Exception {
        ProtocolViolation(String message) {
            super(message, null, false, false);
        }
    }

    void run() {
        try {
            socket.setTcpNoDelay(true);
            int idle = server.idleTimeoutMillis();
            socket.setSoTimeout(idle == 0 ? NEGOTIATION_TIMEOUT_MS : Math.min(idle, NEGOTIATION_TIMEOUT_MS));
            in = new DataInputStream(new BufferedInputStream(socket.getInputStream(), 64 * 1024));
            out = new DataOutputStream(new BufferedOutputStream(socket.getOutputStream(), 64 * 1024));
            NbdServer.Served served = negotiate();
            if (served != null) {
                socket.setSoTimeout(idle);      // a silent client gives its slot back (SocketTimeoutException)
                transmit(served);
            }
        } catch (IOException | ProtocolViolation e) {
            // EOF, reset, timeout or garbage: this client is done; the server carries on.
        }
    }

    // ---- negotiation ----

    private NbdServer.Served negotiate() throws IOException, ProtocolViolation {
        out.writeLong(NBDMAGIC);
        out.writeLong(IHAVEOPT);
        out.writeShort(FLAG_FIXED_NEWSTYLE | FLAG_NO_ZEROES);
        out.flush();
        int clientFlags = in.readInt();
        if ((clientFlags & ~CLIENT_FLAGS_KNOWN) != 0 || (clientFlags & FLAG_FIXED_NEWSTYLE) == 0) {
            throw new ProtocolViolation("unsupported client flags " + clientFlags);
        }
        noZeroes = (clientFlags & FLAG_NO_ZEROES) != 0;
        for (int n = 0; n < MAX_OPTIONS; n++) {
            if (in.readLong() != IHAVEOPT) {
                throw new ProtocolViolation("bad option magic");
            }
            int option = in.readInt();
            long length = Integer.toUnsignedLong(in.readInt());
            if (length > MAX_OPTION_LENGTH) {
                throw new ProtocolViolation("option of " + length + " bytes");
            }
            byte[] data = new byte[(int) length];
            in.readFully(data);
            switch (option) {
                case OPT_EXPORT_NAME -> {
                    NbdServer.Served s = server.find(utf8(data, 0, data.length));
                    if (s == null) {
                        throw new ProtocolViolation("unknown export"); // the protocol's only answer: disconnect
                    }
                    out.writeLong(s.export().device().size());
                    out.writeShort(transmissionFlags(s.export()));
                    if (!noZeroes) {
                        out.write(new byte[124]);
                    }
                    out.flush();
                    return s;
                }
                case OPT_ABORT -> {
                    optionReply(option, REP_ACK, new byte[0]);
                    return null;
                }
                case OPT_LIST -> {
                    if (length != 0) {
                        optionReply(option, REP_ERR_INVALID, "NBD_OPT_LIST takes no data".getBytes(StandardCharsets.UTF_8));
                        continue;
                    }
                    for (String name : server.exportNames()) {
                        byte[] b = name.getBytes(StandardCharsets.UTF_8);
                        optionReply(option, REP_SERVER, ByteBuffer.allocate(4 + b.length).putInt(b.length).put(b).array());
                    }
                    optionReply(option, REP_ACK, new byte[0]);
                }
                case OPT_INFO, OPT_GO -> {
                    NbdServer.Served s = infoOrGo(option, data);
                    if (s != null && option == OPT_GO) {
                        return s;
                    }
                }
                default -> optionReply(option, REP_ERR_UNSUP, "option not supported".getBytes(StandardCharsets.UTF_8));
            }
        }
        throw new ProtocolViolation("too many options");
    }

    /** Answers NBD_OPT_INFO / NBD_OPT_GO; returns the export when the answer was a success. */
    private NbdServer.Served infoOrGo(int option, byte[] data) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(data);
        String name;
        try {
            if (b.remaining() < 4) {
                throw new IllegalArgumentException();
            }
            int nameLength = b.getInt();
            if (nameLength < 0 || nameLength > b.remaining() - 2) {
                throw new IllegalArgumentException();
            }
            name = utf8(data, 4, nameLength);
            b.position(4 + nameLength);
            int requests = b.getShort() & 0xFFFF;
            if (b.remaining() != 2 * requests) {
                throw new IllegalArgumentException();
            }
        } catch (IllegalArgumentException | java.nio.BufferUnderflowException | ProtocolViolation e) {
            optionReply(option, REP_ERR_INVALID, "malformed NBD_OPT_INFO/GO request".getBytes(StandardCharsets.UTF_8));
            return null;
        }
        NbdServer.Served s = server.find(name);
        if (s == null) {
            optionReply(option, REP_ERR_UNKNOWN, ("no export named '" + name + "'").getBytes(StandardCharsets.UTF_8));
            return null;
        }
        NbdExport e = s.export();
        optionReply(option, REP_INFO, ByteBuffer.allocate(12)
                .putShort((short) INFO_EXPORT).putLong(e.device().size()).putShort((short) transmissionFlags(e)).array());
        // Sent unasked (the protocol allows it): any offset and length work, 64 KiB is efficient.
        optionReply(option, REP_INFO, ByteBuffer.allocate(14)
                .putShort((short) INFO_BLOCK_SIZE).putInt(1).putInt(VirtualDisk.BLOCK_SIZE).putInt(MAX_PAYLOAD).array());
        while (b.hasRemaining()) {
            if ((b.getShort() & 0xFFFF) == INFO_NAME) {
                byte[] n = e.name().getBytes(StandardCharsets.UTF_8);
                optionReply(option, REP_INFO, ByteBuffer.allocate(2 + n.length).putShort((short) INFO_NAME).put(n).array());
            }
        }
        optionReply(option, REP_ACK, new byte[0]);
        return s;
    }

    private static int transmissionFlags(NbdExport e) {
        int flags = TFLAG_HAS_FLAGS | TFLAG_SEND_FLUSH | TFLAG_SEND_FUA | TFLAG_CAN_MULTI_CONN;
        return e.readOnly() ? flags | TFLAG_READ_ONLY : flags | TFLAG_SEND_TRIM | TFLAG_SEND_WRITE_ZEROES;
    }

    private void optionReply(int option, int type, byte[] data) throws IOException {
        out.writeLong(OPTION_REPLY_MAGIC);
        out.writeInt(option);
        out.writeInt(type);
        out.writeInt(data.length);
        out.write(data);
        out.flush();
    }

    private static String utf8(byte[] b, int off, int len) throws ProtocolViolation {
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(b, off, len)).toString();
        } catch (CharacterCodingException e) {
            throw new ProtocolViolation("export name is not UTF-8");
        }
    }

    // ---- transmission ----

    private void transmit(NbdServer.Served served) throws IOException, ProtocolViolation {
        NbdExport export = served.export();
        BlockDevice device = export.device();
        long size = device.size();
        byte[] chunk = new byte[CHUNK];
        while (true) {
            int magic;
            try {
                magic = in.readInt();
            } catch (java.io.EOFException | SocketException e) {
                return; // the client went away between requests
            }
            if (magic != REQUEST_MAGIC) {
                throw new ProtocolViolation("bad request magic");
            }
            in.readShort(); // command flags: FUA needs nothing, every write is already visible
            int type = in.readShort() & 0xFFFF;
            long handle = in.readLong();
            long offset = in.readLong();
            long length = Integer.toUnsignedLong(in.readInt());
            boolean inRange = offset >= 0 && offset <= size - length;
            switch (type) {
                case CMD_READ -> {
                    if (length > MAX_PAYLOAD || !inRange) {
                        reply(handle, EINVAL);
                        continue;
                    }
                    read(served, handle, offset, (int) length, chunk);
                }
                case CMD_WRITE -> {
                    if (length > MAX_PAYLOAD) {
                        reply(handle, EINVAL);
                        throw new ProtocolViolation("write payload of " + length + " bytes"); // cannot skip it safely
                    }
                    byte[] data = new byte[(int) length];
                    in.readFully(data);
                    int error = export.readOnly() ? EPERM : !inRange ? ENOSPC : 0;
                    if (error == 0) {
                        error = apply(served, offset, length, () -> device.write(offset, data, 0, data.length));
                    }
                    reply(handle, error);
                }
                case CMD_WRITE_ZEROES, CMD_TRIM -> {
                    int error = export.readOnly() ? EPERM : !inRange ? ENOSPC : 0;
                    if (error == 0) {
                        error = apply(served, offset, length, () -> device.writeZeroes(offset, length));
                    }
                    reply(handle, error);
                }
                case CMD_FLUSH -> {
                    served.lock().lock();
                    try {
                        device.flush();
                    } finally {
                        served.lock().unlock();
                    }
                    reply(handle, 0);
                }
                case CMD_DISC -> {
                    return;
                }
                default -> reply(handle, EINVAL);
            }
        }
    }

    private void read(NbdServer.Served served, long handle, long offset, int length, byte[] chunk) throws IOException, ProtocolViolation {
        // Fill the first chunk before the reply header, so a failing device can still be reported as EIO.
        int first = Math.min(length, chunk.length);
        if (!readChunk(served, offset, chunk, first)) {
            reply(handle, EIO);
            return;
        }
        out.writeInt(SIMPLE_REPLY_MAGIC);
        out.writeInt(0);
        out.writeLong(handle);
        out.write(chunk, 0, first);
        for (int done = first; done < length; ) {
            int n = Math.min(length - done, chunk.length);
            if (!readChunk(served, offset + done, chunk, n)) {
                throw new ProtocolViolation("device failed in the middle of a read reply");
            }
            out.write(chunk, 0, n);
            done += n;
        }
        out.flush();
    }

    private static boolean readChunk(NbdServer.Served served, long offset, byte[] chunk, int n) {
        served.lock().lock();
        try {
            served.export().device().read(offset, chunk, 0, n);
            return true;
        } catch (RuntimeException e) {
            return false; // a page fault from the store or the like: EIO for this request only
        } finally {
            served.lock().unlock();
        }
    }

    /** Applies a change under the export lock and reports it; returns 0 or EIO. */
    private static int apply(NbdServer.Served served, long offset, long length, Runnable change) {
        served.lock().lock();
        try {
            change.run();
            if (length > 0) {
                served.export().listener().onWrite(offset, length);
            }
            return 0;
        } catch (RuntimeException e) {
            return EIO;
        } finally {
            served.lock().unlock();
        }
    }

    private void reply(long handle, int error) throws IOException {
        out.writeInt(SIMPLE_REPLY_MAGIC);
        out.writeInt(error);
        out.writeLong(handle);
        out.flush();
    }
}
