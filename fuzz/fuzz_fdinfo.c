/* fuzz_fdinfo.c - pl_procfs_parse_field() and pl_procfs_parse_number() on
 * the text of /proc/PID/fdinfo/N (proc(5)): "pos:", "flags:" in octal,
 * "mnt_id:", "ino:", and lines that depend on the kind of descriptor
 * ("eventfd-count:", "inotify wd:...", "tfd:..."). pl_procfs_fd() reads
 * "flags" from it to tell a pipe's read end from its write end.
 * Seeds: fuzz/corpus/fdinfo/, from a pipe, a file, an eventfd, an epoll
 * and an inotify descriptor.
 */
#include "config.h"

#include <fcntl.h>

#include "fuzz.h"
#include "pl_procfs.h"

static const struct {
	const char *key;
	int base;
} keys[] = {
	{ "flags", 8 },          { "pos", 10 }, { "mnt_id", 10 },     { "ino", 10 },
	{ "eventfd-count", 16 }, { "tfd", 10 }, { "inotify wd", 16 },
};

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_string(data, size);
	char value[64];

	for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
		unsigned long long number;

		if (pl_procfs_parse_field(text, keys[k].key, value, sizeof(value)) == 0)
			FUZZ_ASSERT(strlen(value) < sizeof(value) && strchr(value, '\n') == NULL);
		if (pl_procfs_parse_number(text, keys[k].key, keys[k].base, &number) == 0 &&
		    keys[k].base == 8) {
			/* What pl_procfs_fd() makes of it: one of three modes. */
			int access = (int)(number & O_ACCMODE);

			FUZZ_ASSERT(access >= 0 && access <= O_ACCMODE);
			FUZZ_ASSERT(pl_procfs_access_name(access) != NULL);
		}
	}
	free(text);
	return 0;
}
