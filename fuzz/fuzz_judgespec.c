/* fuzz_judgespec.c - judge_spec_parse(), the judge's spec file (an INI
 * file an instructor writes, docs/judge-spec.md), read through libinih.
 *
 * A lab's spec comes from whoever wrote the lab, so the judge must refuse
 * any text with one clear line and never crash on it. The input is the
 * whole file; bytes after a NUL are given too, as a file could hold them.
 * Files it names are looked for in a folder that does not exist.
 * Seeds: fuzz/corpus/judgespec/, the specs of labs/ and tests/judge/.
 */
#include "config.h"

#include "fuzz.h"
#include "spec.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_string(data, size);
	struct judge_spec spec;
	char err[512];
	int rc;

	memset(err, 'x', sizeof(err));
	rc = judge_spec_parse(text, size, "fuzz.spec", "/nonexistent/fuzz-lab", &spec, err,
	                      sizeof(err));
	FUZZ_ASSERT(rc == 0 || rc == -1);
	FUZZ_ASSERT(memchr(err, '\0', sizeof(err)) != NULL);
	if (rc == -1) {
		/* One line that names the file. */
		FUZZ_ASSERT(strncmp(err, "fuzz.spec", 9) == 0);
		FUZZ_ASSERT(strchr(err, '\n') == NULL);
	} else {
		FUZZ_ASSERT(spec.nchecks == 0 || spec.checks != NULL);
		for (size_t i = 0; i < spec.nchecks; i++) {
			FUZZ_ASSERT(spec.checks[i].kind < JUDGE_NKINDS);
			FUZZ_ASSERT(judge_kind_name(spec.checks[i].kind) != NULL);
			FUZZ_ASSERT(spec.checks[i].nallow <= JUDGE_MAX_FDS);
		}
		judge_spec_free(&spec);
	}
	free(text);
	return 0;
}
