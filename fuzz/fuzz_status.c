/* fuzz_status.c - pl_procfs_parse_field() and pl_procfs_parse_number() on
 * the text of /proc/PID/status: "Key:\tvalue" lines (proc(5)).
 *
 * The demos read a few keys from it: the signal masks (hex), the context
 * switch counts (decimal), Cpus_allowed_list (text). The harness asks for
 * those on any text, with buffers from 1 byte up, and checks that a value
 * fits its buffer and holds no newline. Seeds: fuzz/corpus/status/.
 */
#include "config.h"

#include "fuzz.h"
#include "pl_procfs.h"

static const struct {
	const char *key;
	int base;
} keys[] = {
	{ "State", 0 },
	{ "Name", 0 },
	{ "Cpus_allowed_list", 0 },
	{ "PPid", 10 },
	{ "SigIgn", 16 },
	{ "SigCgt", 16 },
	{ "ShdPnd", 16 },
	{ "voluntary_ctxt_switches", 10 },
	{ "nonvoluntary_ctxt_switches", 10 },
	{ "", 10 }, /* an empty key matches a line that starts with ':' */
};

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const size_t sizes[] = { 1, 2, 16, 64, 4096 };
	char *text = fuzz_string(data, size);
	char value[4096];

	for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
		unsigned long long number;

		for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
			memset(value, 'x', sizeof(value));
			if (pl_procfs_parse_field(text, keys[k].key, value, sizes[s]) == 0) {
				FUZZ_ASSERT(memchr(value, '\0', sizes[s]) != NULL);
				FUZZ_ASSERT(strchr(value, '\n') == NULL);
				/* Blanks are trimmed from both ends. */
				FUZZ_ASSERT(value[0] != ' ' && value[0] != '\t');
			}
		}
		if (keys[k].base != 0)
			(void)pl_procfs_parse_number(text, keys[k].key, keys[k].base, &number);
	}
	/* A buffer of 0 bytes is an error, never a write. */
	FUZZ_ASSERT(pl_procfs_parse_field(text, "State", NULL, 0) == -1);
	free(text);
	return 0;
}
