/* check_record.c - the one reader of a recording (lib/pl_record.c): a
 * line's place in the file (the header first, time that goes back), the
 * strings it decodes, and, for real recordings, that the replay (events
 * applied to a history) and the exporter (events kept for a picture) see
 * the same processes, states, exits, narration and IPC objects. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_main.h"
#include "pl_export.h"
#include "pl_history.h"
#include "pl_record.h"

#define HEADER                                                                                     \
	"{\"t\":0,\"type\":\"header\",\"format\":\"proclab-record\",\"version\":1,"                \
	"\"command\":\"demo\"}"

static struct pl_record_reader r;
static struct pl_history_event *e; /* big: not on the stack */

static void
setup(void)
{
	e = malloc(sizeof(*e));
	ck_assert_ptr_nonnull(e);
	pl_record_init(&r, false);
}

static void
teardown(void)
{
	pl_record_free(&r);
	free(e);
}

/* Start again, with a new file. */
static void
restart(bool hold_time)
{
	pl_record_free(&r);
	pl_record_init(&r, hold_time);
}

/* Each of LINES (NULL-ended) to the reader; what the last one gave. */
static int
lines(const char *const *text)
{
	int got = 0;

	for (; *text != NULL; text++)
		if ((got = pl_record_line(&r, *text, e)) == -1)
			break;
	return got;
}

static void
assert_refused_at(unsigned long want_line, const char *want_words)
{
	unsigned long line = 0;
	const char *why = pl_record_error(&r, &line);

	ck_assert_int_eq(errno, EINVAL);
	ck_assert_uint_eq(line, want_line);
	ck_assert_msg(strstr(why, want_words) != NULL, "\"%s\" lacks \"%s\"", why, want_words);
}

START_TEST(test_record_needs_the_header_first)
{
	const char *text[] = { "{\"t\":0,\"type\":\"proc\",\"pid\":1}", NULL };
	const char *later[] = { "{\"t\":0,\"type\":\"hologram\"}", HEADER, NULL };

	ck_assert_int_eq(lines(text), -1);
	assert_refused_at(1, "header");
	/* Not even a line of a later version before it. */
	restart(false);
	ck_assert_int_eq(lines(later), -1);
	assert_refused_at(1, "header");
}
END_TEST

START_TEST(test_record_refuses_a_second_header)
{
	const char *text[] = { HEADER, "", HEADER, NULL };

	ck_assert_int_eq(lines(text), -1);
	assert_refused_at(3, "second header");
}
END_TEST

/* A replay refuses time that goes back; a picture holds it still. */
START_TEST(test_record_time_back_refused_or_held)
{
	const char *text[] = { HEADER, "{\"t\":0.5,\"type\":\"proc\",\"pid\":5}",
		               "{\"t\":0.2,\"type\":\"state\",\"pid\":5,\"state\":\"S\"}", NULL };

	ck_assert_int_eq(lines(text), -1);
	assert_refused_at(3, "time goes back");
	restart(true);
	ck_assert_int_eq(lines(text), 1);
	ck_assert_int_eq(e->type, PL_HISTORY_STATE);
	ck_assert_double_eq(e->t, 0.5);
}
END_TEST

START_TEST(test_record_skips_blank_lines_and_what_is_later)
{
	const char *text =
	        HEADER "\n\n   \n"
	               "{\"t\":1,\"type\":\"teleport\",\"pid\":5}\n"
	               "{\"t\":1,\"type\":\"ipc\",\"op\":\"rename\",\"id\":\"x\"}\n"
	               "{\"t\":2,\"type\":\"proc\",\"pid\":5,\"comm\":\"a\",\"new\":[{}]}\n";
	FILE *in = fmemopen((void *)text, strlen(text), "r");

	ck_assert_int_eq(pl_record_read(&r, in, e), 1);
	ck_assert_int_eq(e->type, PL_HISTORY_HEADER);
	ck_assert_str_eq(e->text, "demo");
	ck_assert_int_eq(pl_record_read(&r, in, e), 1);
	ck_assert_int_eq(e->type, PL_HISTORY_PROC);
	ck_assert_uint_eq(r.line, 6);
	ck_assert_int_eq(pl_record_read(&r, in, e), 0);
	fclose(in);
}
END_TEST

/* Whole files: a NUL byte and an empty file, each refused with a line. */
START_TEST(test_record_refuses_a_nul_and_an_empty_file)
{
	static const char nul[] = HEADER "\n{\"t\":1,\"type\":\"proc\",\"pid\":5\0}\n";
	FILE *in = fmemopen((void *)nul, sizeof(nul) - 1, "r");

	ck_assert_int_eq(pl_record_read(&r, in, e), 1);
	ck_assert_int_eq(pl_record_read(&r, in, e), -1);
	assert_refused_at(2, "NUL");
	fclose(in);
	restart(false);
	in = fmemopen((void *)"\n", 1, "r");
	ck_assert_int_eq(pl_record_read(&r, in, e), -1);
	assert_refused_at(1, "empty");
	fclose(in);
}
END_TEST

/* A character past U+FFFF comes as two \u escapes (RFC 8259, section 7):
 * one character, not two halves that are no UTF-8 at all. Half a pair
 * alone is no character: '?'. The replay's reader once wrote each half
 * as its own 3 bytes. */
START_TEST(test_record_decodes_a_pair_of_escapes)
{
	char why[128];

	ck_assert_int_eq(pl_record_parse("{\"t\":1,\"type\":\"proc\",\"pid\":5,"
	                                 "\"comm\":\"\\ud83d\\ude00 \\ud800 \\udc00x\"}",
	                                 e, why, sizeof(why)),
	                 1);
	ck_assert_str_eq(e->text, "\xf0\x9f\x98\x80 ? ?x");
}
END_TEST

/* A deadlock as the recorder writes it (its links, "of"), or as an older
 * one did ("pids", or only the text): the history counts only the first,
 * a picture draws them all. */
START_TEST(test_record_reads_a_deadlock_of_either_age)
{
	char why[128];

	ck_assert_int_eq(pl_record_parse("{\"t\":1,\"type\":\"deadlock\",\"pids\":[5,6],"
	                                 "\"text\":\"x\",\"index\":0,\"of\":1,\"links\":["
	                                 "{\"pid\":5,\"name\":\"a\",\"lock\":\"m\"},"
	                                 "{\"pid\":6,\"name\":\"b\",\"lock\":\"n\"}]}",
	                                 e, why, sizeof(why)),
	                 1);
	ck_assert_uint_eq(e->count, 1);
	ck_assert_uint_eq(e->cycle.length, 2);
	ck_assert_str_eq(e->cycle.links[1].lock, "n");
	ck_assert_int_eq(pl_record_parse("{\"t\":1,\"type\":\"deadlock\",\"pids\":[7,8,9],"
	                                 "\"text\":\"x\"}",
	                                 e, why, sizeof(why)),
	                 1);
	ck_assert_uint_eq(e->count, 0);
	ck_assert_uint_eq(e->cycle.length, 3);
	ck_assert_int_eq(pl_record_parse("{\"t\":1,\"type\":\"deadlock\",\"text\":\"5 (a) wants "
	                                 "m, held by 6 (b); 6 (b) wants n, held by 5 (a)\"}",
	                                 e, why, sizeof(why)),
	                 1);
	ck_assert_uint_eq(e->cycle.length, 2);
	ck_assert_int_eq(e->cycle.links[1].task, 6);
	ck_assert_int_eq(pl_record_parse("{\"t\":1,\"type\":\"deadlock\",\"text\":\"nobody\"}", e,
	                                 why, sizeof(why)),
	                 -1);
}
END_TEST

/* ------------------------------------------------------------------ */
/* One recording, two readers' consumers: the same run.                */

static FILE *
open_recording(const char *name)
{
	char path[512];
	FILE *in;

	snprintf(path, sizeof(path), "%s/record/%s.jsonl", PL_TEST_SRCDIR, name);
	in = fopen(path, "r");
	ck_assert_msg(in != NULL, "%s: %s", path, strerror(errno));
	return in;
}

/* The recording NAME replayed into H, as `proclab --replay` reads it. */
static void
replay(const char *name, struct pl_history *h)
{
	FILE *in = open_recording(name);
	int got;

	pl_history_init(h);
	restart(false);
	while ((got = pl_record_read(&r, in, e)) == 1)
		ck_assert_int_eq(pl_history_apply(h, e), 0);
	ck_assert_msg(got == 0, "%s: line %lu: %s", name, r.line, pl_record_error(&r, NULL));
	fclose(in);
}

/* The same recording read by the exporter, as proclab-export reads it. */
static struct pl_export *
read_for_export(const char *name)
{
	FILE *in = open_recording(name);
	struct pl_export *x = pl_export_new();

	ck_assert_ptr_nonnull(x);
	ck_assert_msg(pl_export_read(x, in) == 0, "%s: %s", name, pl_export_error(x, NULL));
	fclose(in);
	return x;
}

/* Every process: the same PID, parent, name, role, birth, exit and
 * status, and the same state at each moment either saw a change. */
static void
assert_same_processes(const struct pl_history *h, const struct pl_export *x)
{
	ck_assert_uint_eq(pl_export_processes(x), h->nprocs);
	for (size_t i = 0; i < h->nprocs; i++) {
		const struct pl_history_proc *hp = &h->procs[i];
		struct pl_export_process xp;
		char status[64];

		ck_assert_int_eq(pl_export_process(x, i, &xp), 0);
		ck_assert_int_eq(xp.pid, hp->pid);
		if (!hp->adopted)
			ck_assert_int_eq(xp.ppid, hp->ppid);
		ck_assert_str_eq(xp.comm, hp->comm);
		ck_assert_str_eq(xp.role, hp->role);
		ck_assert_double_eq(xp.born, hp->born);
		ck_assert_double_eq(xp.died, hp->gone_at);
		if (hp->gone_at >= 0) {
			pl_history_status(hp->exit_known, hp->exit_status, status, sizeof(status));
			ck_assert_str_eq(xp.status, status);
		}
		for (size_t k = 0; k < hp->nchanges; k++)
			for (double dt = 0; dt < 0.02; dt += 0.0005) {
				double t = hp->changes[k].t + dt;

				ck_assert_msg(pl_export_state_at(x, i, t) ==
				                      pl_history_state_at(hp, t),
				              "pid %d at %.4f: export '%c', replay '%c'",
				              (int)hp->pid, t, pl_export_state_at(x, i, t),
				              pl_history_state_at(hp, t));
			}
	}
}

/* Every line of narration, in order; every exit and adoption; and the
 * IPC objects there at the end, each with its holders. */
static void
assert_same_events(const struct pl_history *h, const struct pl_export *x)
{
	size_t said = 0, exits = 0, gone = 0, adoptions = 0, objects = 0;

	for (size_t i = 0; i < pl_export_events(x); i++) {
		struct pl_export_event ev;

		ck_assert_int_eq(pl_export_event(x, i, &ev), 0);
		if (strcmp(ev.what, "narration") == 0) {
			const struct pl_history_line *l = &h->narration[said++];

			ck_assert_uint_le(said, h->nnarration);
			ck_assert_double_eq(ev.t, l->t);
			ck_assert_str_eq(ev.text, l->text);
			ck_assert_str_eq(ev.kind, pl_history_kind_name(l->kind));
			ck_assert_int_eq(ev.pid, l->pid);
		}
		exits += strcmp(ev.what, "exit") == 0;
		adoptions += strcmp(ev.what, "adopt") == 0;
		if (strcmp(ev.what, "ipc") == 0 || strcmp(ev.what, "ipc-del") == 0) {
			bool later = false; /* the object has a later line */

			for (size_t k = i + 1; k < pl_export_events(x) && !later; k++) {
				struct pl_export_event next;

				ck_assert_int_eq(pl_export_event(x, k, &next), 0);
				later = strncmp(next.what, "ipc", 3) == 0 &&
				        strcmp(next.text, ev.text) == 0;
			}
			if (!later && strcmp(ev.what, "ipc") == 0) {
				const struct pl_history_ipc *o = NULL;

				for (size_t k = 0; k < h->nipc; k++)
					if (strcmp(h->ipc[k].object.id, ev.text) == 0)
						o = &h->ipc[k];
				ck_assert_msg(o != NULL, "the replay lost %s", ev.text);
				ck_assert_uint_eq(o->object.nholders, ev.nholders);
				ck_assert_str_eq(pl_ipc_name(o->object.kind), ev.kind);
				objects++;
			}
		}
	}
	ck_assert_uint_eq(said, h->nnarration);
	for (size_t i = 0; i < h->nprocs; i++)
		gone += h->procs[i].gone_at >= 0;
	ck_assert_uint_eq(exits, gone);
	ck_assert_uint_eq(adoptions, h->summary.orphans);
	ck_assert_uint_eq(objects, h->nipc);
}

/* Recordings of real runs of the demos, by `proclab --plain --record`:
 * they have what the recorder writes, each one a little of everything. */
static const char *const recordings[] = { "zombie", "deadlock", "pipe" };

START_TEST(test_record_replay_and_export_agree)
{
	const char *name = recordings[_i];
	struct pl_history h;
	struct pl_export *x;

	replay(name, &h);
	x = read_for_export(name);
	ck_assert_uint_gt(h.nprocs, 1);
	assert_same_processes(&h, x);
	assert_same_events(&h, x);
	if (strcmp(name, "deadlock") == 0)
		ck_assert_uint_gt(h.summary.deadlocks, 0);
	pl_export_free(x);
	pl_history_free(&h);
}
END_TEST

static Suite *
record_suite(void)
{
	Suite *s = suite_create("record");
	TCase *reading = tcase_create("reading");
	TCase *agree = tcase_create("agree");

	tcase_add_checked_fixture(reading, setup, teardown);
	tcase_add_test(reading, test_record_needs_the_header_first);
	tcase_add_test(reading, test_record_refuses_a_second_header);
	tcase_add_test(reading, test_record_time_back_refused_or_held);
	tcase_add_test(reading, test_record_skips_blank_lines_and_what_is_later);
	tcase_add_test(reading, test_record_refuses_a_nul_and_an_empty_file);
	tcase_add_test(reading, test_record_decodes_a_pair_of_escapes);
	tcase_add_test(reading, test_record_reads_a_deadlock_of_either_age);
	suite_add_tcase(s, reading);
	tcase_add_checked_fixture(agree, setup, teardown);
	tcase_add_loop_test(agree, test_record_replay_and_export_agree, 0,
	                    sizeof(recordings) / sizeof(recordings[0]));
	suite_add_tcase(s, agree);
	return s;
}

PL_CHECK_MAIN(record_suite)
