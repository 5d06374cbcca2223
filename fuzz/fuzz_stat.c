/* fuzz_stat.c - pl_procfs_parse_stat(), the parser of /proc/PID/stat.
 *
 * The kernel writes that line, but field 2, comm, is whatever the process
 * chose with prctl(PR_SET_NAME): up to 15 bytes of anything but NUL,
 * spaces and parentheses included. So the parser must take any bytes.
 * Seeds: fuzz/corpus/stat/, real lines and names with ") (" in them.
 */
#include "config.h"

#include "fuzz.h"
#include "pl_procfs.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_string(data, size);
	struct pl_proc p;

	if (pl_procfs_parse_stat(text, &p) == 0) {
		const char *open_paren = strchr(text, '('), *close_paren = strrchr(text, ')');
		size_t len = strlen(p.comm);

		/* comm is the text between the first '(' and the LAST ')',
		 * cut to fit, and always terminated. */
		FUZZ_ASSERT(open_paren != NULL && close_paren != NULL && open_paren < close_paren);
		FUZZ_ASSERT(len < sizeof(p.comm));
		FUZZ_ASSERT(len == (size_t)(close_paren - open_paren - 1) ||
		            len == sizeof(p.comm) - 1);
		FUZZ_ASSERT(memcmp(p.comm, open_paren + 1, len) == 0);
		FUZZ_ASSERT(p.pid > 0);
		FUZZ_ASSERT(p.processor >= -1);
		FUZZ_ASSERT(p.wchan[0] == '\0');
		/* Every state has a name: a bad letter would be "unknown". */
		FUZZ_ASSERT(strcmp(pl_procfs_state_name(p.state), "unknown") != 0);
	}
	free(text);
	return 0;
}
