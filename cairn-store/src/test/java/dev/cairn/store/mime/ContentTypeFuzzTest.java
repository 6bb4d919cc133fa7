// SPDX-License-Identifier: Apache-2.0
package dev.cairn.store.mime;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.DictionaryFile;
import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.cairn.store.ParsedMessage.Parameter;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * Content-Type and Content-Disposition values (RFC 2045 §5.1, RFC 2183) with RFC 2231 parameter
 * continuations and charsets: never an exception, a lower-case type and subtype (the default when
 * the value does not parse), parameter names unique, and output bounded by the input.
 */
class ContentTypeFuzzTest {
    @FuzzTest
    @DictionaryFile(resourcePath = "/dev/cairn/store/mime/ContentTypeFuzzTest.dict")
    void parse(byte[] data) {
        String value = new String(data, StandardCharsets.UTF_8);
        for (boolean digest : new boolean[] {false, true}) {
            ContentType ct = ContentType.parse(value, digest);
            assertThat(ct.type).isNotEmpty().isEqualTo(ct.type.toLowerCase(Locale.ROOT));
            assertThat(ct.subtype).isNotEmpty().isEqualTo(ct.subtype.toLowerCase(Locale.ROOT));
            checkParameters(ct, value);
        }
        ContentType disposition = ContentType.parseDisposition(value);
        if (disposition != null) {
            assertThat(disposition.type).isNotEmpty();
            checkParameters(disposition, value);
        }
    }

    private static void checkParameters(ContentType ct, String value) {
        long total = 0;
        for (Parameter p : ct.parameters) {
            assertThat(p.name()).isNotEmpty();
            assertThat(p.value()).isNotNull();
            total += p.name().length() + p.value().length();
        }
        assertThat(ct.parameters.stream().map(Parameter::name).distinct().count()).isEqualTo(ct.parameters.size());
        assertThat(total).isLessThanOrEqualTo(32 + 3L * value.length());
    }
}
