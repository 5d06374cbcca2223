/* fuzz_maps.c - pl_maps_parse_line(), one line of /proc/PID/maps.
 *
 * The dashboard reads the maps of every watched process, line by line,
 * and the path at the end of a line is any name a file can have: spaces,
 * " (deleted)", even a newline. The harness cuts the input into lines at
 * '\n', as fgets() would, and parses each. Seeds: fuzz/corpus/maps/,
 * real lines of a System V segment (id 0 too), a POSIX shm object and a
 * file with spaces in its name, each mapped shared and then deleted, and
 * anonymous, heap, stack and vdso mappings.
 */
#include "config.h"

#include "fuzz.h"
#include "pl_maps.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_string(data, size);
	struct pl_maps_line map;

	for (char *line = text, *next; line != NULL; line = next) {
		next = strchr(line, '\n');
		if (next != NULL)
			*next++ = '\0';
		if (pl_maps_parse_line(line, &map) == 0) {
			FUZZ_ASSERT(strlen(map.perms) == 4);
			FUZZ_ASSERT(map.perms[3] == 's' || map.perms[3] == 'p');
			FUZZ_ASSERT(pl_maps_shared(&map) == (map.perms[3] == 's'));
			FUZZ_ASSERT(memchr(map.path, '\0', sizeof(map.path)) != NULL);
			FUZZ_ASSERT(strchr(map.path, '\n') == NULL);
			FUZZ_ASSERT(map.major <= 0xfffff && map.minor <= 0xfffff);
		}
	}
	free(text);
	return 0;
}
