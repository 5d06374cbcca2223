/* check_history.c - the history of a whole run (lib/pl_history.c): fed
 * from the model on the fake /proc trees of tests/fakeproc, recorded as
 * JSON Lines, parsed back and rebuilt into a model. */
#include "config.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "check_main.h"
#include "pl_history.h"
#include "../dashboard/text.h"

#define BEFORE PL_TEST_SRCDIR "/fakeproc/before"
#define AFTER PL_TEST_SRCDIR "/fakeproc/after"

static struct pl_model m;
static struct pl_history h;

static void
setup(void)
{
	ck_assert_int_eq(pl_model_init(&m, BEFORE, 100), 0);
	pl_history_init(&h);
}

static void
teardown(void)
{
	pl_history_free(&h);
	pl_model_free(&m);
}

/* The model takes a snapshot of TREE at NOW, and the history follows. */
static void
snapshot(const char *tree, double now)
{
	snprintf(m.proc, sizeof(m.proc), "%s", tree);
	ck_assert_int_eq(pl_model_refresh(&m, now), 0);
	ck_assert_int_eq(pl_history_update(&h, &m), 0);
}

static const struct pl_history_proc *
find(pid_t pid)
{
	for (size_t i = 0; i < h.nprocs; i++)
		if (h.procs[i].pid == pid)
			return &h.procs[i];
	return NULL;
}

/* The fake run: before at 0 s, after at 1 s, and after again once the
 * gone have faded from the model. */
static void
whole_run(void)
{
	snapshot(BEFORE, 0.0);
	snapshot(AFTER, 1.0);
	snapshot(AFTER, 1.0 + PL_MODEL_FADE_SECONDS + 0.5);
}

START_TEST(test_history_keeps_every_process)
{
	const struct pl_history_proc *p;

	whole_run();
	/* The model has forgotten 101 and 102; the history has not. */
	ck_assert_ptr_null(pl_model_find(&m, 101));
	ck_assert_uint_eq(h.nprocs, 5); /* 100 101 102 200 300; 103 never read */
	p = find(101);
	ck_assert_ptr_nonnull(p);
	ck_assert_str_eq(p->comm, "my (odd) name)");
	ck_assert_double_eq(p->gone_at, 1.0);
	ck_assert(!p->exit_known);
	ck_assert(p->forgotten);
	/* 102 was a zombie whose status the kernel kept: 3. */
	p = find(102);
	ck_assert(p->exit_known);
	ck_assert(WIFEXITED(p->exit_status));
	ck_assert_int_eq(WEXITSTATUS(p->exit_status), 3);
	/* 200 was adopted by init. */
	p = find(200);
	ck_assert(p->adopted);
	ck_assert_int_eq(p->adopter, 1);
	ck_assert_str_eq(p->adopter_comm, "systemd");
	ck_assert_int_eq(p->ppid, 1);
	ck_assert_double_lt(p->gone_at, 0);
}
END_TEST

START_TEST(test_history_timeline_from_birth_to_exit)
{
	const struct pl_history_proc *p;

	whole_run();
	p = find(102);
	ck_assert_int_eq(pl_history_state_at(p, 0.0), 'Z');
	ck_assert_int_eq(pl_history_state_at(p, 0.9), 'Z');
	ck_assert_int_eq(pl_history_state_at(p, 1.0), '.');
	ck_assert_int_eq(pl_history_state_at(p, 100.0), '.');
	p = find(300); /* born at 1 s */
	ck_assert_int_eq(pl_history_state_at(p, 0.5), ' ');
	ck_assert_int_ne(pl_history_state_at(p, 1.0), ' ');
	/* A state that lasts costs nothing: one change for 100 in 5.5 s. */
	ck_assert_uint_eq(find(100)->nchanges, 1);
}
END_TEST

START_TEST(test_history_summary)
{
	whole_run();
	ck_assert_int_eq(pl_history_end(&h, true, 0), 0);
	ck_assert(h.ended);
	ck_assert_uint_eq(h.summary.made, 5);
	ck_assert_uint_eq(h.summary.most_alive, 4); /* 100 101 102 200 at 0 s */
	ck_assert_uint_eq(h.summary.zombies, 1);
	ck_assert_double_eq_tol(h.summary.zombie_max, 1.0, 1e-9);
	ck_assert_uint_eq(h.summary.orphans, 1);
	ck_assert_uint_eq(h.summary.deadlocks, 1); /* the flocks of 100 and 200 */
	ck_assert_uint_eq(h.ncycles, 0);           /* over by 1 s */
}
END_TEST

START_TEST(test_history_narration_and_checks)
{
	const struct pl_history_line *l;

	snapshot(BEFORE, 0.0);
	pl_model_narrate(&m, "a line the command printed");
	snapshot(BEFORE, 0.5);
	ck_assert_uint_eq(h.nnarration, 1);
	l = &h.narration[0];
	ck_assert_int_eq(l->kind, 'o');
	ck_assert_str_eq(l->text, "a line the command printed");
	/* A check from the board: held when it says [ok]. */
	m.narration_kind[m.nnarration] = 'c';
	m.narration_pid[m.nnarration] = 100;
	snprintf(m.narration[m.nnarration++], sizeof(m.narration[0]), "  [ok] it held");
	m.narration_kind[m.nnarration] = 'c';
	m.narration_pid[m.nnarration] = 100;
	snprintf(m.narration[m.nnarration++], sizeof(m.narration[0]), "  [FAIL] it did not");
	m.narrated += 2;
	snapshot(BEFORE, 1.0);
	ck_assert_uint_eq(h.nnarration, 3);
	ck_assert_str_eq(h.narration[1].text, "[ok] it held"); /* the indent is the view's */
	ck_assert_uint_eq(h.summary.checks, 2);
	ck_assert_uint_eq(h.summary.checks_held, 1);
	/* The caller may empty the window: nothing is taken twice. */
	m.nnarration = 0;
	snapshot(BEFORE, 1.5);
	ck_assert_uint_eq(h.nnarration, 3);
}
END_TEST

/* Parse every line of TEXT, a recording, and apply it to a new history. */
static void
replay_text(char *text, struct pl_history *out)
{
	char *line, *save, why[128];

	pl_history_init(out);
	for (line = strtok_r(text, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save)) {
		struct pl_history_event e;

		ck_assert_int_eq(pl_history_parse(line, &e, why, sizeof(why)), 1);
		ck_assert_int_eq(pl_history_apply(out, &e), 0);
	}
}

/* What a recording says, read back, builds the same history and the same
 * snapshots: what --replay relies on. */
START_TEST(test_history_record_and_replay_agree)
{
	struct pl_history replayed;
	struct pl_model rebuilt;
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	char *again;

	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(pl_history_record(&h, f, "fake", 10, ""), 0);
	snapshot(BEFORE, 0.0);
	snapshot(AFTER, 1.0);
	snapshot(AFTER, 6.0);
	ck_assert_int_eq(pl_history_end(&h, true, 0), 0);
	ck_assert_int_eq(fclose(f), 0);

	replay_text(text, &replayed);
	ck_assert_int_eq(pl_model_init(&rebuilt, BEFORE, 0), 0);
	ck_assert_uint_eq(replayed.nprocs, h.nprocs);
	ck_assert_mem_eq(&replayed.summary, &h.summary, sizeof(h.summary));
	ck_assert(replayed.ended && replayed.end_known);
	for (size_t i = 0; i < h.nprocs; i++) {
		ck_assert_int_eq(replayed.procs[i].pid, h.procs[i].pid);
		ck_assert_uint_eq(replayed.procs[i].nchanges, h.procs[i].nchanges);
		ck_assert_int_eq(replayed.procs[i].exit_status, h.procs[i].exit_status);
		ck_assert_str_eq(replayed.procs[i].comm, h.procs[i].comm);
	}

	/* The end, as the model showed it and as the replay rebuilds it. */
	ck_assert_int_eq(pl_history_model(&replayed, &rebuilt, false), 0);
	{
		char *now = dash_text_snapshot(&m, "fake", true);
		again = dash_text_snapshot(&rebuilt, "fake", true);
		ck_assert_str_eq(again, now);
		free(now);
		free(again);
	}
	/* The whole run: every process, the gone ones with their status. */
	ck_assert_int_eq(pl_history_model(&replayed, &rebuilt, true), 0);
	ck_assert_uint_eq(rebuilt.nprocs, 5);
	again = dash_text_snapshot(&rebuilt, "fake", true);
	ck_assert_ptr_nonnull(strstr(again, "exited with status 3"));
	ck_assert_ptr_nonnull(strstr(again, "`-my (odd) name)"));
	free(again);
	pl_model_free(&rebuilt);
	pl_history_free(&replayed);
	free(text);
}
END_TEST

/* The first snapshot, rebuilt from the lines of the first refresh alone,
 * is the one the model printed then: edges, locks and the deadlock too. */
START_TEST(test_history_rebuilds_edges_locks_and_deadlock)
{
	struct pl_history replayed;
	struct pl_model rebuilt;
	char *text = NULL, *live, *again;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(pl_history_record(&h, f, "fake", 10, ""), 0);
	snapshot(BEFORE, 0.0);
	ck_assert_int_eq(fclose(f), 0);
	live = dash_text_snapshot(&m, "fake", true);

	replay_text(text, &replayed);
	ck_assert_int_eq(pl_model_init(&rebuilt, BEFORE, 0), 0);
	ck_assert_int_eq(pl_history_model(&replayed, &rebuilt, false), 0);
	again = dash_text_snapshot(&rebuilt, "fake", true);
	ck_assert_ptr_nonnull(strstr(again, "DEADLOCK: 100 (proclab-fork) wants"));
	ck_assert_ptr_nonnull(strstr(again, "  pipe       100 -> 101  pipe:[5001]\n"));
	ck_assert_str_eq(again, live);
	free(again);
	free(live);
	pl_model_free(&rebuilt);
	pl_history_free(&replayed);
	free(text);
}
END_TEST

/* Only changes are written: a refresh where nothing changed adds no line. */
START_TEST(test_history_records_only_changes)
{
	char *text = NULL;
	size_t len = 0, before;
	FILE *f = open_memstream(&text, &len);

	ck_assert_int_eq(pl_history_record(&h, f, "fake", 10, ""), 0);
	snapshot(AFTER, 0.0);
	fflush(f);
	before = len;
	for (int i = 1; i <= 10; i++)
		snapshot(AFTER, 0.1 * i);
	fflush(f);
	ck_assert_uint_eq(len, before);
	fclose(f);
	free(text);
}
END_TEST

START_TEST(test_history_parse_rejects_bad_lines)
{
	static const char *const bad[] = {
		"",
		"not json",
		"[1,2]",
		"{\"type\":\"proc\",\"pid\":5}",                      /* no t */
		"{\"t\":1}",                                          /* no type */
		"{\"t\":-1,\"type\":\"state\",\"pid\":5,\"state\":\"S\"}",
		"{\"t\":1,\"type\":\"state\",\"state\":\"S\"}",       /* no pid */
		"{\"t\":1,\"type\":\"state\",\"pid\":-5,\"state\":\"S\"}",
		"{\"t\":1,\"type\":\"state\",\"pid\":1.5,\"state\":\"S\"}",
		"{\"t\":1,\"type\":\"state\",\"pid\":99999999999,\"state\":\"S\"}",
		"{\"t\":1,\"type\":\"state\",\"pid\":5,\"state\":\"Q\"}",
		"{\"t\":1,\"type\":\"state\",\"pid\":5,\"state\":\"SS\"}",
		"{\"t\":1,\"type\":\"proc\",\"pid\":5,\"comm\":\"unterminated}",
		"{\"t\":1,\"type\":\"proc\",\"pid\":5,\"comm\":\"bad \\q escape\"}",
		"{\"t\":1,\"type\":\"proc\",\"pid\":5} trailing",
		"{\"t\":1,\"type\":\"ipc\",\"op\":\"add\"}",          /* no id */
		"{\"t\":1,\"type\":\"ipc\",\"op\":\"move\",\"id\":\"x\"}",
		"{\"t\":1,\"type\":\"header\",\"format\":\"other\",\"version\":1}",
		"{\"t\":1,\"type\":\"header\",\"format\":\"proclab-record\",\"version\":9}",
		"{\"t\":1,\"type\":\"deadlock\",\"index\":5,\"of\":1,\"links\":[]}",
		"{\"t\":1,\"type\":\"proc\",\"pid\":5,\"x\":[[[[[[[[[[[[1]]]]]]]]]]]]}",
		"{\"t\":1e999,\"type\":\"proc\",\"pid\":5}",
	};
	struct pl_history_event e;
	char why[128];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		why[0] = '\0';
		ck_assert_msg(pl_history_parse(bad[i], &e, why, sizeof(why)) == -1, "accepted: %s",
		              bad[i]);
		ck_assert_msg(why[0] != '\0', "no reason for: %s", bad[i]);
	}
	/* A type of a later version is skipped, not an error. */
	ck_assert_int_eq(pl_history_parse("{\"t\":1,\"type\":\"hologram\",\"pid\":5}", &e, why,
	                                  sizeof(why)),
	                 0);
}
END_TEST

/* Strings are data: cut to their fields, escapes decoded, and control
 * characters kept for the view to clean (dashboard/text.h). */
START_TEST(test_history_parse_strings_are_cut_and_cleaned_later)
{
	struct pl_history_event e;
	char why[128], line[1024], clean[256];

	snprintf(line, sizeof(line), "{\"t\":1,\"type\":\"proc\",\"pid\":5,\"comm\":\"%0300d\"}",
	         0);
	ck_assert_int_eq(pl_history_parse(line, &e, why, sizeof(why)), 1);
	ck_assert_uint_eq(strlen(e.text), sizeof(((struct pl_history_proc *)0)->comm) - 1);
	ck_assert_int_eq(pl_history_parse("{\"t\":1,\"type\":\"proc\",\"pid\":5,"
	                                  "\"comm\":\"a\\u001b[2Jb\\u0000c\"}",
	                                  &e, why, sizeof(why)),
	                 1);
	ck_assert_str_eq(e.text, "a\033[2Jb?c");
	dash_text_clean(clean, sizeof(clean), e.text);
	ck_assert_ptr_null(strchr(clean, '\033'));
}
END_TEST

START_TEST(test_history_status_words)
{
	char buf[64];

	pl_history_status(true, 3 << 8, buf, sizeof(buf));
	ck_assert_str_eq(buf, "exited 3");
	pl_history_status(true, SIGKILL, buf, sizeof(buf));
	ck_assert_str_eq(buf, "killed by SIGKILL");
	pl_history_status(false, 0, buf, sizeof(buf));
	ck_assert_str_eq(buf, "exited");
}
END_TEST

/* Many processes, and a PID that comes back: every line about a PID
 * goes to the newest process with it. */
START_TEST(test_history_many_processes_and_a_pid_reused)
{
	struct pl_history_event e;

	for (int i = 0; i < 1000; i++) {
		memset(&e, 0, sizeof(e));
		e.type = PL_HISTORY_PROC;
		e.t = 1;
		e.pid = 1000 + i;
		ck_assert_int_eq(pl_history_apply(&h, &e), 0);
	}
	/* 1500 exits, and a new process gets its PID. */
	e.type = PL_HISTORY_EXIT;
	e.pid = 1500;
	e.t = 2;
	ck_assert_int_eq(pl_history_apply(&h, &e), 0);
	e.type = PL_HISTORY_PROC;
	e.t = 3;
	snprintf(e.text, sizeof(e.text), "new");
	ck_assert_int_eq(pl_history_apply(&h, &e), 0);
	e.type = PL_HISTORY_STATE;
	e.state = 'R';
	ck_assert_int_eq(pl_history_apply(&h, &e), 0);
	ck_assert_uint_eq(h.nprocs, 1001);
	ck_assert_uint_eq(h.summary.made, 1001);
	ck_assert_uint_eq(h.summary.most_alive, 1000);
	ck_assert_int_eq(h.procs[500].state, 'X'); /* the old 1500: gone */
	ck_assert_double_eq(h.procs[500].gone_at, 2);
	ck_assert_int_eq(h.procs[1000].state, 'R');      /* the new one */
	ck_assert_str_eq(h.procs[1000].comm, "new");
	ck_assert_int_eq(h.procs[999].pid, 1999);
}
END_TEST

/* A signal the dashboard sent: written and read back. */
START_TEST(test_history_signal_line)
{
	struct pl_history_event e = { .t = 1.5, .type = PL_HISTORY_SIGNAL, .pid = 42,
		                      .signal = SIGTERM };
	char line[512], why[128];

	ck_assert_int_gt(pl_history_format(&h.summary, &e, line, sizeof(line)), 0);
	ck_assert_str_eq(line,
	                 "{\"t\":1.500,\"type\":\"signal\",\"pid\":42,\"signal\":15,\"from\":\"dashboard\"}\n");
	memset(&e, 0, sizeof(e));
	ck_assert_int_eq(pl_history_parse(line, &e, why, sizeof(why)), 1);
	ck_assert_int_eq(e.type, PL_HISTORY_SIGNAL);
	ck_assert_int_eq(e.pid, 42);
	ck_assert_int_eq(e.signal, SIGTERM);
}
END_TEST

static Suite *
history_suite(void)
{
	Suite *s = suite_create("history");
	TCase *fake = tcase_create("fake");

	tcase_add_checked_fixture(fake, setup, teardown);
	tcase_add_test(fake, test_history_keeps_every_process);
	tcase_add_test(fake, test_history_timeline_from_birth_to_exit);
	tcase_add_test(fake, test_history_summary);
	tcase_add_test(fake, test_history_narration_and_checks);
	tcase_add_test(fake, test_history_record_and_replay_agree);
	tcase_add_test(fake, test_history_rebuilds_edges_locks_and_deadlock);
	tcase_add_test(fake, test_history_records_only_changes);
	tcase_add_test(fake, test_history_parse_rejects_bad_lines);
	tcase_add_test(fake, test_history_parse_strings_are_cut_and_cleaned_later);
	tcase_add_test(fake, test_history_status_words);
	tcase_add_test(fake, test_history_many_processes_and_a_pid_reused);
	tcase_add_test(fake, test_history_signal_line);
	suite_add_tcase(s, fake);
	return s;
}

PL_CHECK_MAIN(history_suite)
