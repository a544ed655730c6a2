package org.diffusion4j.data;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/** Text files read as UTF-8, with a byte-order mark accepted and any other encoding refused in one line naming the place. */
public final class TextFiles {
    /** The byte-order mark, as the first character of decoded text. */
    public static final char BOM = '\uFEFF';

    private TextFiles() {
    }

    /**
     * The text of a UTF-8 file without its byte-order mark, if any.
     *
     * @throws IllegalArgumentException naming the file, the line and column and the first byte that is not UTF-8
     * @throws IOException              when the file cannot be read at all
     */
    public static String readUtf8(Path file) throws IOException {
        return decodeUtf8(Files.readAllBytes(file), file.toString());
    }

    /** Bytes as UTF-8 text without a leading byte-order mark; {@code source} names them in the message of a bad byte. */
    public static String decodeUtf8(byte[] bytes, String source) {
        CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer in = ByteBuffer.wrap(bytes);
        CharBuffer out = CharBuffer.allocate(bytes.length);
        CoderResult r = decoder.decode(in, out, true);
        if (r.isError()) {
            throw notUtf8(bytes, in.position(), source);
        }
        r = decoder.flush(out);
        if (r.isError()) {
            throw notUtf8(bytes, in.position(), source);
        }
        out.flip();
        return withoutBom(out.toString());
    }

    /** Strips a leading byte-order mark. */
    public static String withoutBom(String text) {
        return !text.isEmpty() && text.charAt(0) == BOM ? text.substring(1) : text;
    }

    private static IllegalArgumentException notUtf8(byte[] bytes, int offset, String source) {
        int line = 1;
        int lineStart = 0;
        for (int i = 0; i < offset; i++) {
            if (bytes[i] == '\n') {
                line++;
                lineStart = i + 1;
            }
        }
        int column = 1 + decodedLength(bytes, lineStart, offset);
        return new IllegalArgumentException(String.format(Locale.ROOT,
                "%s: not UTF-8 text: byte 0x%02X at line %d, column %d; save the file as UTF-8 (Latin-1 and other encodings are not read)",
                source, bytes[offset] & 0xFF, line, column));
    }

    /** Characters of the valid UTF-8 bytes [from, to) (the column of a bad byte counts characters, not bytes). */
    private static int decodedLength(byte[] bytes, int from, int to) {
        try {
            return StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(bytes, from, to - from)).length();
        } catch (CharacterCodingException e) {
            return to - from;
        }
    }
}
