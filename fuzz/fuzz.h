/* fuzz.h - what every libFuzzer harness in fuzz/ shares.
 *
 * libFuzzer calls LLVMFuzzerTestOneInput() with bytes that are not a C
 * string: no NUL at the end, and maybe NULs inside. The parsers take C
 * strings, as they get them from read() or fgets(), so each harness first
 * copies the bytes into a string of their own (a fresh malloc, so that
 * AddressSanitizer catches a read one past its end).
 *
 * A harness checks more than "it did not crash": FUZZ_ASSERT states what a
 * parser promises (a value fits its buffer, a parsed field is in range),
 * and abort() makes libFuzzer save the input that broke the promise.
 */
#ifndef PL_FUZZ_H
#define PL_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_ASSERT(condition)                                                                     \
	do {                                                                                       \
		if (!(condition)) {                                                                \
			fprintf(stderr, "%s:%d: broken promise: %s\n", __FILE__, __LINE__,         \
			        #condition);                                                       \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

/* DATA as a C string; it ends at the first NUL byte, as a read buffer
 * handed to the parser would. Free it with free(). */
static inline char *
fuzz_string(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);

	if (text == NULL)
		abort();
	memcpy(text, data, size);
	text[size] = '\0';
	return text;
}

#endif /* PL_FUZZ_H */
