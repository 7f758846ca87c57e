package org.subhost.linux.disk;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;

/** Reads fixed-size blocks of an image file; what lies past its end reads as zeros. */
final class ImageBytes {
    private ImageBytes() {}

    /**
     * {@code length} bytes of {@code image} from {@code position}, little-endian, with
     * zeros past the end of the file (a short image simply has no signature there).
     */
    static ByteBuffer read(FileChannel image, long position, int length) throws IOException {
        ByteBuffer buffer = ByteBuffer.allocate(length).order(ByteOrder.LITTLE_ENDIAN);
        long at = position;
        while (buffer.hasRemaining()) {
            int n = image.read(buffer, at);
            if (n < 0) {
                break;
            }
            at += n;
        }
        buffer.clear();
        return buffer;
    }

    /** Whether {@code bytes} at {@code offset} hold the ASCII text {@code text}. */
    static boolean hasText(ByteBuffer bytes, int offset, String text) {
        for (int i = 0; i < text.length(); i++) {
            if (bytes.get(offset + i) != (byte) text.charAt(i)) {
                return false;
            }
        }
        return true;
    }

    /** The unsigned 16-bit little-endian value at {@code offset}. */
    static int u16(ByteBuffer bytes, int offset) {
        return Short.toUnsignedInt(bytes.getShort(offset));
    }

    /** The unsigned 32-bit little-endian value at {@code offset}. */
    static long u32(ByteBuffer bytes, int offset) {
        return Integer.toUnsignedLong(bytes.getInt(offset));
    }
}
