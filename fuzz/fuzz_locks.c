/* fuzz_locks.c - pl_procfs_parse_lock(), one line of /proc/locks.
 *
 * The format is in pl_procfs.h. The dashboard and the filelock and
 * deadlock demos parse every line of the file, other users' locks too.
 * Seeds: fuzz/corpus/locks/, lines of POSIX, OFD and flock locks, waiters
 * at depth 1 and 2, a lease, and "<none>:0".
 */
#include "config.h"

#include "fuzz.h"
#include "pl_procfs.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_string(data, size);
	struct pl_lock_line l;

	if (pl_procfs_parse_lock(text, &l) == 0) {
		FUZZ_ASSERT(l.id >= 0);
		FUZZ_ASSERT(l.kind[0] != '\0' && strlen(l.kind) < sizeof(l.kind));
		FUZZ_ASSERT(l.access[0] != '\0' && strlen(l.access) < sizeof(l.access));
		FUZZ_ASSERT(l.waiting ? l.depth >= 0 : l.depth == 0);
		FUZZ_ASSERT(l.end >= -1);
	}
	free(text);
	return 0;
}
