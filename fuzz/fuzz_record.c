/* fuzz_record.c - pl_record_parse(), pl_record_line() and
 * pl_history_apply(), what `proclab --replay` (and, for the reading,
 * proclab-export) does with each line of a recording.
 *
 * A recording is a file anyone can hand to a student: every line is
 * data. The input is a whole recording; each line is parsed on its own
 * and in its place in the file, and those that parse are applied to one
 * history, which is then rebuilt into a model as the replay's screen
 * would draw it.
 * Seeds: fuzz/corpus/record/, lines of real recordings.
 */
#include "config.h"

#include "fuzz.h"
#include "pl_history.h"
#include "pl_record.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_string(data, size), *line, *save = NULL, why[128];
	struct pl_history h;
	struct pl_model m;
	struct pl_record_reader r;

	pl_history_init(&h);
	pl_record_init(&r, false);
	for (line = strtok_r(text, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save)) {
		struct pl_history_event e;
		int got, in_place;

		why[0] = '\0';
		/* In its place first: the reader's verdict can only be harder. */
		in_place = pl_record_line(&r, line, &e);
		FUZZ_ASSERT(in_place >= -1 && in_place <= 1);
		FUZZ_ASSERT((in_place == -1) == (pl_record_error(&r, NULL)[0] != '\0'));
		FUZZ_ASSERT(r.line > 0);
		got = pl_record_parse(line, &e, why, sizeof(why));
		FUZZ_ASSERT(got >= -1 && got <= 1);
		FUZZ_ASSERT(in_place != 1 || got == 1);
		if (got == -1) {
			FUZZ_ASSERT(why[0] != '\0' && strlen(why) < sizeof(why));
			continue;
		}
		if (got == 0)
			continue;
		/* What parsed is in range: the history can take it. */
		FUZZ_ASSERT(e.t >= 0 && e.pid >= 0 && e.ppid >= 0);
		FUZZ_ASSERT(strlen(e.text) < sizeof(e.text) && strlen(e.id) < sizeof(e.id));
		FUZZ_ASSERT(e.cycle.length <= PL_WAITFOR_CYCLE_MAX);
		FUZZ_ASSERT(e.type != PL_HISTORY_DEADLOCK || e.count == 0 || e.index < e.count);
		FUZZ_ASSERT(e.type != PL_HISTORY_IPC_ADD ||
		            (e.object.nholders >= 1 && e.object.nholders <= PL_HISTORY_HOLDERS));
		if (pl_history_apply(&h, &e) == -1)
			break; /* no memory */
	}
	if (pl_model_init(&m, "/nonexistent", 0) == 0) {
		if (pl_history_model(&h, &m, false) == 0)
			FUZZ_ASSERT(m.norder == m.nprocs);
		if (pl_history_model(&h, &m, true) == 0) {
			FUZZ_ASSERT(m.nprocs == h.nprocs && m.ncycles <= PL_MODEL_CYCLES);
			/* Each object's holders are within the model's. */
			for (size_t i = 0; i < m.nobjects; i++)
				FUZZ_ASSERT(m.objects[i].holder + m.objects[i].nholders <= m.nholders);
		}
		pl_model_free(&m);
	}
	pl_history_free(&h);
	pl_record_free(&r);
	free(text);
	return 0;
}
