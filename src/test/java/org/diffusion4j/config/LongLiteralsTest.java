package org.diffusion4j.config;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** The rewrite of 19-digit integer literals that Jackson's TOML lexer misreads: values only, never strings, comments or keys. */
class LongLiteralsTest {

    @Test
    void valuesAreRewrittenExactlyAndEverythingElseIsKept() {
        String text = """
                name = "1234567890123456789" # 1234567890123456789
                x = [1234567890123456789, '1234567890123456789', -1234567890123456789]
                1234567890123456789 = 1_234_567_890_123_456_789
                t = { a = 1234567890123456789, b = 123456789012345678, 1234567890123456789 = 1 }
                s = \"""
                1234567890123456789\"""
                f = 1234567890123456789.5
                """;
        String expected = """
                name = "1234567890123456789" # 1234567890123456789
                x = [0x112210f47de98115, '1234567890123456789', -1234567890123456789.0]
                1234567890123456789 = 0x112210f47de98115
                t = { a = 0x112210f47de98115, b = 123456789012345678, 1234567890123456789 = 1 }
                s = \"""
                1234567890123456789\"""
                f = 1234567890123456789.5
                """;
        assertEquals(expected, ConfigToml.exactLongLiterals(text));
    }
}
