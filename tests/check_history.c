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
#include "pl_record.h"
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

		ck_assert_int_eq(pl_record_parse(line, &e, why, sizeof(why)), 1);
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
 * is the one the model printed then: IPC objects with their holders, locks
 * and the deadlock too. */
START_TEST(test_history_rebuilds_objects_locks_and_deadlock)
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
	ck_assert_ptr_nonnull(
	        strstr(again, "\n  pipe     pipe:[5001] held by 2: 100 (fd 3 w) 101 (fd 0 r)\n"));
	ck_assert_ptr_nonnull(strstr(again, "\n  unix     socket:[6001] held by 1: 100 (fd 4) <-> "
	                                    "socket:[6002] held by 1: 200 (fd 5)\n"));
	ck_assert_str_eq(again, live);
	free(again);
	free(live);
	pl_model_free(&rebuilt);
	pl_history_free(&replayed);
	free(text);
}
END_TEST

/* Put into the model, in place of what it read, the N OBJECTS and the
 * NHOLDERS HOLDERS they point into. */
static void
set_objects(const struct pl_ipc_object *objects, size_t n, const struct pl_ipc_holder *holders,
            size_t nholders)
{
	m.objects = realloc(m.objects, (n + 1) * sizeof(*m.objects));
	m.holders = realloc(m.holders, (nholders + 1) * sizeof(*m.holders));
	ck_assert(m.objects != NULL && m.holders != NULL);
	m.cap_objects = n + 1;
	m.cap_holders = nholders + 1;
	if (n > 0)
		memcpy(m.objects, objects, n * sizeof(*objects));
	if (nholders > 0)
		memcpy(m.holders, holders, nholders * sizeof(*holders));
	m.nobjects = n;
	m.nholders = nholders;
}

/* The IPC lines of a snapshot of MODEL (what follows "IPC\n"). */
static char *
ipc_lines(const struct pl_model *model)
{
	char *text = dash_text_snapshot(model, "fake", true), *ipc, *copy;

	ck_assert_ptr_nonnull(text);
	ipc = strstr(text, "\nIPC\n");
	copy = strdup(ipc != NULL ? ipc + 1 : "");
	free(text);
	ck_assert_ptr_nonnull(copy);
	return copy;
}

/* Read TEXT, a recording, back, and check that the rebuilt model prints
 * the IPC lines M prints. */
static void
replay_agrees(const char *text)
{
	struct pl_history replayed;
	struct pl_model rebuilt;
	char *live = ipc_lines(&m), *again, *lines = strdup(text);

	ck_assert_ptr_nonnull(lines);
	replay_text(lines, &replayed); /* which cuts LINES at each newline */
	free(lines);
	ck_assert_int_eq(pl_model_init(&rebuilt, BEFORE, 0), 0);
	ck_assert_int_eq(pl_history_model(&replayed, &rebuilt, false), 0);
	again = ipc_lines(&rebuilt);
	ck_assert_str_eq(again, live);
	free(again);
	free(live);
	pl_model_free(&rebuilt);
	pl_history_free(&replayed);
}

/* How many lines of TEXT contain NEEDLE. */
static int
lines_with(const char *text, const char *needle)
{
	int n = 0;

	for (const char *p = text; (p = strstr(p, needle)) != NULL; p++)
		n++;
	return n;
}

/* Each shape of object the model gives (pl_ipc.h) is recorded once with
 * all its holders and replayed to the same line: a pipe many hold, a
 * connection with two sides, one end to outside, a listener, a mapping;
 * a change of holders is the same id added again, and a gone object is
 * deleted. */
START_TEST(test_history_objects_of_every_shape)
{
	struct pl_ipc_object o[5] = {
		{ .id = "pipe:7100", .kind = PL_IPC_PIPE, .inode = 7100, .label = "pipe:[7100]",
		  .queued = 0 },
		{ .id = "unix:6001", .kind = PL_IPC_UNIX, .inode = 6001, .peer = 6002,
		  .label = "/tmp/srv.sock", .ends = { "socket:[6001]", "socket:[6002]" },
		  .connection = true, .queued = -1 },
		{ .id = "tcp:9103", .kind = PL_IPC_TCP, .inode = 9103, .label = "10.0.0.2:5555",
		  .ends = { "10.0.0.2:5555", "93.184.216.34:80" }, .connection = true,
		  .outside = true, .queued = -1 },
		{ .id = "tcp:9100", .kind = PL_IPC_TCP, .inode = 9100, .label = "127.0.0.1:8080",
		  .ends = { "127.0.0.1:8080", "" }, .listening = true, .queued = -1 },
		{ .id = "mapping:2049:77", .kind = PL_IPC_MAPPING, .dev = 2049, .inode = 77,
		  .label = "/srv/data", .queued = -1 },
	};
	struct pl_ipc_holder hs[20];
	size_t n = 0, mark;
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	/* 100 writes the pipe, eight children (and 100, on fd 5) read it. */
	o[0].holder = n;
	hs[n++] = (struct pl_ipc_holder){ .pid = 100, .fd = 4, .end = 'w' };
	hs[n++] = (struct pl_ipc_holder){ .pid = 100, .fd = 5, .end = 'r' };
	for (pid_t pid = 101; pid <= 108; pid++)
		hs[n++] = (struct pl_ipc_holder){ .pid = pid, .fd = 0, .end = 'r' };
	o[0].nholders = n - o[0].holder;
	o[1].holder = n;
	hs[n++] = (struct pl_ipc_holder){ .pid = 100, .fd = 6 };
	hs[n++] = (struct pl_ipc_holder){ .pid = 200, .fd = 3, .side = 1 };
	hs[n++] = (struct pl_ipc_holder){ .pid = 300, .fd = 3, .side = 1 };
	o[1].nholders = 3;
	o[2].holder = n;
	hs[n++] = (struct pl_ipc_holder){ .pid = 101, .fd = 7 };
	o[2].nholders = 1;
	o[3].holder = n;
	hs[n++] = (struct pl_ipc_holder){ .pid = 102, .fd = 3 };
	hs[n++] = (struct pl_ipc_holder){ .pid = 103, .fd = 3 };
	o[3].nholders = 2;
	o[4].holder = n;
	hs[n++] = (struct pl_ipc_holder){ .pid = 104, .fd = -1 };
	hs[n++] = (struct pl_ipc_holder){ .pid = 104, .fd = 9 };
	hs[n++] = (struct pl_ipc_holder){ .pid = 105, .fd = -1 };
	o[4].nholders = 3;

	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(pl_history_record(&h, f, "fake", 10, ""), 0);
	m.ipc = false; /* the objects are ours, not the fake tree's */
	snprintf(m.proc, sizeof(m.proc), "%s", BEFORE);
	ck_assert_int_eq(pl_model_refresh(&m, 0.0), 0);
	set_objects(o, 5, hs, n);
	ck_assert_int_eq(pl_history_update(&h, &m), 0);
	ck_assert_uint_eq(h.nipc, 5);
	fflush(f);
	/* One line each, with every holder. */
	ck_assert_int_eq(lines_with(text, "\"type\":\"ipc\",\"op\":\"add\""), 5);
	ck_assert_ptr_nonnull(strstr(text, "\"id\":\"pipe:7100\",\"kind\":\"pipe\",\"label\":"
	                                   "\"pipe:[7100]\",\"dev\":0,\"inode\":7100,\"holders\":"
	                                   "[{\"pid\":100,\"fd\":4,\"end\":\"w\"},"
	                                   "{\"pid\":100,\"fd\":5,\"end\":\"r\"},"
	                                   "{\"pid\":101,\"fd\":0,\"end\":\"r\"},"));
	ck_assert_ptr_nonnull(strstr(text, "\"connection\":true,\"outside\":true,\"ends\":"
	                                   "[\"10.0.0.2:5555\",\"93.184.216.34:80\"]"));
	ck_assert_ptr_nonnull(strstr(text, "{\"pid\":200,\"fd\":3,\"side\":1}"));
	ck_assert_ptr_nonnull(strstr(text, "{\"pid\":104,\"fd\":-1}"));
	replay_agrees(text);

	/* Nothing changed: nothing written. A reader left: the pipe again,
	 * whole, under its id. The outside end closed: deleted. */
	mark = len;
	ck_assert_int_eq(pl_history_update(&h, &m), 0);
	fflush(f);
	ck_assert_uint_eq(len, mark);
	memmove(&hs[9], &hs[10], (n - 10) * sizeof(*hs));
	n--;
	o[0].nholders--;
	for (int i = 1; i < 5; i++)
		o[i].holder--;
	o[2] = o[3]; /* in the model's order (pl_ipc.c): by first holder */
	o[3] = o[4];
	set_objects(o, 4, hs, n);
	ck_assert_int_eq(pl_history_update(&h, &m), 0);
	fflush(f);
	ck_assert_int_eq(lines_with(text + mark, "\"op\":\"add\",\"id\":\"pipe:7100\""), 1);
	ck_assert_int_eq(lines_with(text + mark, "\"op\":\"add\""), 1);
	ck_assert_int_eq(lines_with(text + mark, "\"op\":\"del\",\"id\":\"tcp:9103\""), 1);
	ck_assert_ptr_null(strstr(text + mark, "{\"pid\":108,"));
	ck_assert_uint_eq(h.nipc, 4);
	ck_assert_int_eq(fclose(f), 0);
	replay_agrees(text);
	free(text);
}
END_TEST

/* A pipe that thousands of processes hold: its line stays under the
 * reader's bound with the first PL_HISTORY_HOLDERS holders, and reads back. */
START_TEST(test_history_object_with_very_many_holders)
{
	struct pl_ipc_object o = { .id = "pipe:7200", .kind = PL_IPC_PIPE, .inode = 7200,
		                   .label = "pipe:[7200]", .queued = -1 };
	size_t n = 3 * PL_HISTORY_HOLDERS;
	struct pl_ipc_holder *hs = calloc(n, sizeof(*hs));
	struct pl_history replayed;
	char *text = NULL, *line;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	ck_assert_ptr_nonnull(hs);
	for (size_t i = 0; i < n; i++)
		hs[i] = (struct pl_ipc_holder){ .pid = (pid_t)(2000000000 + i), .fd = 2000000000,
			                        .end = 'w', .side = 1 };
	o.nholders = n;
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(pl_history_record(&h, f, "fake", 10, ""), 0);
	m.ipc = false;
	snprintf(m.proc, sizeof(m.proc), "%s", BEFORE);
	ck_assert_int_eq(pl_model_refresh(&m, 0.0), 0);
	set_objects(&o, 1, hs, n);
	ck_assert_int_eq(pl_history_update(&h, &m), 0);
	ck_assert_int_eq(fclose(f), 0);
	ck_assert_int_eq(h.record_error, 0);
	ck_assert_uint_eq(h.ipc[0].object.nholders, PL_HISTORY_HOLDERS);
	line = strstr(text, "{\"t\":0.000,\"type\":\"ipc\"");
	ck_assert_ptr_nonnull(line);
	ck_assert_uint_lt((size_t)(strchr(line, '\n') - line), PL_HISTORY_LINE_MAX);
	replay_text(text, &replayed);
	ck_assert_uint_eq(replayed.nipc, 1);
	ck_assert_uint_eq(replayed.ipc[0].object.nholders, PL_HISTORY_HOLDERS);
	ck_assert_int_eq(replayed.ipc[0].holders[PL_HISTORY_HOLDERS - 1].pid,
	                 2000000000 + PL_HISTORY_HOLDERS - 1);
	ck_assert_int_eq(replayed.ipc[0].holders[0].side, 1);
	pl_history_free(&replayed);
	free(text);
	free(hs);
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
		"{\"t\":1,\"type\":\"ipc\",\"op\":\"add\",\"id\":\"x\"}",  /* no holders */
		"{\"t\":1,\"type\":\"ipc\",\"op\":\"add\",\"id\":\"x\",\"holders\":[]}",
		"{\"t\":1,\"type\":\"ipc\",\"op\":\"add\",\"id\":\"x\",\"holders\":[{\"fd\":3}]}",
		"{\"t\":1,\"type\":\"ipc\",\"op\":\"add\",\"id\":\"x\",\"holders\":{\"pid\":5}}",
		"{\"t\":1,\"type\":\"ipc\",\"op\":\"add\",\"id\":\"x\",\"holders\":[5]}",
		"{\"t\":1,\"type\":\"ipc\",\"op\":\"add\",\"id\":\"x\","
		"\"holders\":[{\"pid\":5,\"fd\":-2}]}",
		"{\"t\":1,\"type\":\"ipc\",\"op\":\"add\",\"id\":\"x\","
		"\"holders\":[{\"pid\":5,\"fd\":1.5}]}",
		"{\"t\":1,\"type\":\"ipc\",\"op\":\"add\",\"id\":\"x\","
		"\"holders\":[{\"pid\":5,\"side\":2}]}",
		"{\"t\":1,\"type\":\"ipc\",\"op\":\"add\",\"id\":\"x\","
		"\"holders\":[{\"pid\":5,\"end\":7}]}",
		"{\"t\":1,\"type\":\"ipc\",\"op\":\"add\",\"id\":\"x\",\"ends\":[1,2],"
		"\"holders\":[{\"pid\":5}]}",
		"{\"t\":1,\"type\":\"ipc\",\"op\":\"add\",\"id\":\"x\",\"listening\":1,"
		"\"holders\":[{\"pid\":5}]}",
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
		ck_assert_msg(pl_record_parse(bad[i], &e, why, sizeof(why)) == -1, "accepted: %s",
		              bad[i]);
		ck_assert_msg(why[0] != '\0', "no reason for: %s", bad[i]);
	}
	/* A type or an operation of a later version is skipped, not an error. */
	ck_assert_int_eq(pl_record_parse("{\"t\":1,\"type\":\"hologram\",\"pid\":5}", &e, why,
	                                 sizeof(why)),
	                 0);
	ck_assert_int_eq(pl_record_parse("{\"t\":1,\"type\":\"ipc\",\"op\":\"move\",\"id\":\"x\"}",
	                                 &e, why, sizeof(why)),
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
	ck_assert_int_eq(pl_record_parse(line, &e, why, sizeof(why)), 1);
	ck_assert_uint_eq(strlen(e.text), sizeof(((struct pl_history_proc *)0)->comm) - 1);
	ck_assert_int_eq(pl_record_parse("{\"t\":1,\"type\":\"proc\",\"pid\":5,"
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
	ck_assert_int_eq(pl_record_parse(line, &e, why, sizeof(why)), 1);
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
	tcase_add_test(fake, test_history_rebuilds_objects_locks_and_deadlock);
	tcase_add_test(fake, test_history_objects_of_every_shape);
	tcase_add_test(fake, test_history_object_with_very_many_holders);
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
