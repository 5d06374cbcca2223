/* check_export.c - a recording read (lib/pl_export.c), and drawn as a
 * Chrome trace and an SVG picture: what is accepted, what is refused with
 * which line, and what the pictures must never contain. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_main.h"
#include "pl_export.h"

#define HEADER                                                                                     \
	"{\"t\":0,\"type\":\"header\",\"format\":\"proclab-record\",\"version\":1,"                \
	"\"command\":\"demo\"}"

static struct pl_export *x;
static char *drawn; /* the last picture, as text */

static void
setup(void)
{
	x = pl_export_new();
	ck_assert_ptr_nonnull(x);
	drawn = NULL;
}

static void
teardown(void)
{
	pl_export_free(x);
	free(drawn);
}

/* Read TEXT (lines) as a whole recording; the result of pl_export_read. */
static int
read_text(const char *text)
{
	FILE *in = fmemopen((void *)text, strlen(text), "r");
	int r;

	ck_assert_ptr_nonnull(in);
	r = pl_export_read(x, in);
	fclose(in);
	return r;
}

static const char *
draw(int (*how)(const struct pl_export *, FILE *))
{
	size_t size;
	FILE *out;

	free(drawn);
	out = open_memstream(&drawn, &size);
	ck_assert_ptr_nonnull(out);
	ck_assert_int_eq(how(x, out), 0);
	fclose(out);
	return drawn;
}

static size_t
count(const char *text, const char *what)
{
	size_t n = 0;

	for (const char *s = text; (s = strstr(s, what)) != NULL; s++)
		n++;
	return n;
}

static void
assert_refused_at(const char *text, long want_line, const char *want_words)
{
	long line = 0;

	errno = 0;
	ck_assert_int_eq(read_text(text), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_str_ne(pl_export_error(x, &line), "");
	ck_assert_int_eq(line, want_line);
	ck_assert_msg(strstr(pl_export_error(x, NULL), want_words) != NULL,
	              "error \"%s\" lacks \"%s\"", pl_export_error(x, NULL), want_words);
}

START_TEST(test_export_needs_a_header_first)
{
	assert_refused_at("{\"t\":0,\"type\":\"proc\",\"pid\":1}\n", 1, "header");
}
END_TEST

START_TEST(test_export_refuses_an_empty_file)
{
	assert_refused_at("", 1, "empty");
}
END_TEST

START_TEST(test_export_refuses_a_newer_version)
{
	assert_refused_at(
	        "{\"t\":0,\"type\":\"header\",\"format\":\"proclab-record\",\"version\":2}\n", 1,
	        "version 2");
}
END_TEST

START_TEST(test_export_names_the_bad_line)
{
	assert_refused_at(HEADER
	                  "\n{\"t\":0.1,\"type\":\"proc\",\"pid\":5}\n{\"t\":0.2,\"type\":\n",
	                  3, "JSON");
}
END_TEST

START_TEST(test_export_refuses_what_is_not_an_object)
{
	assert_refused_at(HEADER "\n[1,2]\n", 2, "not a JSON object");
	pl_export_free(x);
	x = pl_export_new();
	assert_refused_at(HEADER "\n{\"t\":1,\"type\":\"end\"} trailing\n", 2, "after");
}
END_TEST

START_TEST(test_export_refuses_a_line_without_its_keys)
{
	assert_refused_at(HEADER "\n{\"type\":\"proc\",\"pid\":5}\n", 2, "\"t\"");
	pl_export_free(x);
	x = pl_export_new();
	assert_refused_at(HEADER "\n{\"t\":1,\"type\":\"state\",\"state\":\"S\"}\n", 2, "pid");
	pl_export_free(x);
	x = pl_export_new();
	assert_refused_at(HEADER "\n{\"t\":1,\"type\":\"state\",\"pid\":3,\"state\":\"SS\"}\n", 2,
	                  "state letter");
	pl_export_free(x);
	x = pl_export_new();
	assert_refused_at(HEADER "\n{\"t\":1,\"type\":\"proc\",\"pid\":\"3\"}\n", 2, "number");
	pl_export_free(x);
	x = pl_export_new();
	assert_refused_at(HEADER "\n{\"t\":1,\"type\":\"proc\",\"pid\":3.5}\n", 2, "whole");
}
END_TEST

START_TEST(test_export_skips_what_a_newer_format_adds)
{
	ck_assert_int_eq(read_text(
	                         HEADER
	                         "\n"
	                         "{\"t\":0.1,\"type\":\"proc\",\"pid\":5,\"ppid\":1,\"comm\":\"a\","
	                         "\"colour\":{\"r\":[1,2,{\"x\":null}]},\"ok\":true}\n"
	                         "{\"t\":0.2,\"type\":\"teleport\",\"pid\":5,\"to\":\"mars\"}\n"
	                         "{\"t\":0.3,\"type\":\"ipc\",\"op\":\"rename\",\"id\":\"x\"}\n"),
	                 0);
	ck_assert_uint_eq(pl_export_processes(x), 1);
}
END_TEST

START_TEST(test_export_counts_a_reused_pid_twice)
{
	ck_assert_int_eq(
	        read_text(HEADER
	                  "\n"
	                  "{\"t\":0.1,\"type\":\"proc\",\"pid\":5,\"ppid\":1,\"comm\":\"a\"}\n"
	                  "{\"t\":0.2,\"type\":\"exit\",\"pid\":5,\"status\":\"exited\"}\n"
	                  "{\"t\":0.3,\"type\":\"proc\",\"pid\":5,\"ppid\":1,\"comm\":\"b\"}\n"),
	        0);
	ck_assert_uint_eq(pl_export_processes(x), 2);
}
END_TEST

/* The dashboard signals every process it knows at the end of a run, and
 * one may be gone by then: no row for a PID never seen. */
START_TEST(test_export_draws_no_row_for_a_signal_to_nobody)
{
	ck_assert_int_eq(
	        read_text(HEADER
	                  "\n"
	                  "{\"t\":0.1,\"type\":\"proc\",\"pid\":5,\"ppid\":1,\"comm\":\"a\"}\n"
	                  "{\"t\":0.2,\"type\":\"signal\",\"pid\":5,\"signal\":15}\n"
	                  "{\"t\":0.2,\"type\":\"signal\",\"pid\":77,\"signal\":15}\n"),
	        0);
	ck_assert_uint_eq(pl_export_processes(x), 1);
	draw(pl_export_svg);
	ck_assert_uint_eq(count(drawn, "<g class=\"signal\""), 1);
}
END_TEST

/* Every "X" slice of pid P's main track, as [start, end) pairs in order:
 * each must start where the one before ended, or later. */
static void
assert_no_overlap(const char *trace, long pid)
{
	char key[64];
	long long last_end = -1;
	int slices = 0;

	snprintf(key, sizeof(key), "\"pid\":%ld,\"tid\":%ld,\"args\":{\"state\"", pid, pid);
	for (const char *s = trace; (s = strstr(s, "\"ph\":\"X\"")) != NULL; s++) {
		const char *line_end = strchr(s, '\n');
		const char *mine = strstr(s, key);
		long long ts, dur;

		if (mine == NULL || (line_end != NULL && mine > line_end))
			continue;
		ck_assert_int_eq(sscanf(s, "\"ph\":\"X\",\"ts\":%lld,\"dur\":%lld", &ts, &dur), 2);
		ck_assert_int_gt(dur, 0);
		ck_assert_int_ge(ts, last_end);
		last_end = ts + dur;
		slices++;
	}
	ck_assert_int_gt(slices, 0);
}

START_TEST(test_export_trace_slices_meet_but_never_overlap)
{
	/* The third change comes "before" the second, as a writer with two
	 * clocks might write it: it is held at the second's time. */
	ck_assert_int_eq(
	        read_text(
	                HEADER
	                "\n"
	                "{\"t\":0.1,\"type\":\"proc\",\"pid\":5,\"ppid\":1,\"comm\":\"a\"}\n"
	                "{\"t\":0.1,\"type\":\"state\",\"pid\":5,\"state\":\"R\"}\n"
	                "{\"t\":0.5,\"type\":\"state\",\"pid\":5,\"state\":\"S\"}\n"
	                "{\"t\":0.4,\"type\":\"state\",\"pid\":5,\"state\":\"Z\"}\n"
	                "{\"t\":0.9,\"type\":\"state\",\"pid\":5,\"state\":\"R\"}\n"
	                "{\"t\":1.0,\"type\":\"exit\",\"pid\":5,\"status\":\"exited 0\",\"code\":0}\n"),
	        0);
	draw(pl_export_trace);
	assert_no_overlap(drawn, 5);
	ck_assert_uint_eq(count(drawn, "\"ph\":\"X\""), 3); /* R, Z, R: the S lasted no time */
	ck_assert_ptr_nonnull(strstr(drawn, "\"ts\":900000,\"dur\":100000"));
	ck_assert_ptr_nonnull(strstr(drawn, "\"name\":\"exit\""));
	ck_assert_ptr_nonnull(strstr(drawn, "\"code\":0"));
}
END_TEST

START_TEST(test_export_trace_names_processes_and_threads)
{
	ck_assert_int_eq(
	        read_text(
	                HEADER
	                "\n"
	                "{\"t\":0,\"type\":\"proc\",\"pid\":5,\"ppid\":1,\"comm\":\"a\",\"role\":\"parent\"}\n"
	                "{\"t\":0,\"type\":\"state\",\"pid\":5,\"state\":\"R\"}\n"
	                "{\"t\":0.1,\"type\":\"thread\",\"pid\":5,\"tid\":6,\"comm\":\"w\",\"state\":\"S\"}\n"
	                "{\"t\":0.1,\"type\":\"thread\",\"pid\":5,\"tid\":5,\"comm\":\"a\",\"state\":\"S\"}\n"
	                "{\"t\":0.2,\"type\":\"narration\",\"pid\":5,\"kind\":\"step\",\"text\":\"Step 1\"}\n"
	                "{\"t\":0.3,\"type\":\"ipc\",\"op\":\"add\",\"id\":\"p\",\"kind\":\"pipe\","
	                "\"holders\":[{\"pid\":5,\"fd\":4,\"end\":\"w\"}]}\n"
	                "{\"t\":0.4,\"type\":\"queued\",\"id\":\"p\",\"bytes\":512}\n"),
	        0);
	draw(pl_export_trace);
	ck_assert_ptr_nonnull(strstr(drawn, "\"args\":{\"name\":\"a - parent\"}"));
	ck_assert_ptr_nonnull(
	        strstr(drawn, "\"thread_name\",\"ph\":\"M\",\"ts\":0,\"pid\":5,\"tid\":6"));
	ck_assert_ptr_nonnull(strstr(drawn, "\"ph\":\"C\",\"ts\":400000,\"pid\":5"));
	ck_assert_ptr_nonnull(strstr(drawn, "\"args\":{\"bytes\":512}"));
	ck_assert_ptr_nonnull(strstr(drawn, "\"text\":\"Step 1\""));
	/* The main thread's line is the process's own state, not a second track. */
	ck_assert_uint_eq(count(drawn, "\"tid\":5,\"args\":{\"state\""), 1);
}
END_TEST

/* Names and narration that try to end the string, the element or the
 * document; a \u0000 and a lone surrogate. */
#define HOSTILE                                                                                                 \
	HEADER "\n"                                                                                             \
	       "{\"t\":0,\"type\":\"proc\",\"pid\":5,\"ppid\":1,\"comm\":\"</text><script>\\\"&\","             \
	       "\"role\":\"]]><!--\\u0000\\ud800\"}\n"                                                          \
	       "{\"t\":0,\"type\":\"state\",\"pid\":5,\"state\":\"R\"}\n"                                       \
	       "{\"t\":0.1,\"type\":\"narration\",\"pid\":5,\"kind\":\"step\",\"text\":\"a<b>&c\\u001b[2J\"}\n" \
	       "{\"t\":0.2,\"type\":\"exit\",\"pid\":5,\"status\":\"<x/>\"}\n"

START_TEST(test_export_svg_escapes_what_the_recording_says)
{
	ck_assert_int_eq(read_text(HOSTILE), 0);
	draw(pl_export_svg);
	ck_assert_ptr_null(strstr(drawn, "<script"));
	ck_assert_ptr_null(strstr(drawn, "]]>"));
	ck_assert_ptr_null(strstr(drawn, "<!--"));
	ck_assert_ptr_null(strstr(drawn, "<x/>"));
	ck_assert_ptr_null(strchr(drawn, '\033'));
	ck_assert_ptr_nonnull(strstr(drawn, "&lt;/text&gt;&lt;script&gt;&quot;&amp;"));
	ck_assert_ptr_nonnull(strstr(drawn, "a&lt;b&gt;&amp;c?[2J"));
}
END_TEST

START_TEST(test_export_trace_escapes_what_the_recording_says)
{
	ck_assert_int_eq(read_text(HOSTILE), 0);
	draw(pl_export_trace);
	ck_assert_ptr_null(strchr(drawn, '\033'));
	ck_assert_ptr_nonnull(strstr(drawn, "\"</text><script>\\\"& - ]]><!--??\""));
}
END_TEST

START_TEST(test_export_svg_has_a_row_and_marks_per_process)
{
	ck_assert_int_eq(
	        read_text(
	                HEADER
	                "\n"
	                "{\"t\":0,\"type\":\"proc\",\"pid\":5,\"ppid\":1,\"comm\":\"a\"}\n"
	                "{\"t\":0,\"type\":\"state\",\"pid\":5,\"state\":\"S\"}\n"
	                "{\"t\":0.1,\"type\":\"proc\",\"pid\":6,\"ppid\":5,\"comm\":\"b\"}\n"
	                "{\"t\":0.1,\"type\":\"state\",\"pid\":6,\"state\":\"Z\"}\n"
	                "{\"t\":0.2,\"type\":\"narration\",\"pid\":5,\"kind\":\"step\",\"text\":\"s\"}\n"
	                "{\"t\":0.3,\"type\":\"deadlock\",\"pids\":[5,6],\"text\":\"cycle\"}\n"
	                "{\"t\":0.4,\"type\":\"exit\",\"pid\":6,\"status\":\"exited 1\",\"code\":1}\n"),
	        0);
	draw(pl_export_svg);
	ck_assert_uint_eq(count(drawn, "<g class=\"row\""), 2);
	ck_assert_uint_eq(count(drawn, "class=\"fork\""), 1);
	ck_assert_uint_eq(count(drawn, "<g class=\"exit\""), 1);
	ck_assert_uint_eq(count(drawn, "<g class=\"step\""), 1);
	ck_assert_uint_eq(count(drawn, "<g class=\"deadlock\""), 1);
	ck_assert_ptr_nonnull(strstr(drawn, ">exited 1<"));
	ck_assert_ptr_nonnull(strstr(drawn, "#d62728")); /* the zombie band, in red */
}
END_TEST

/* h/history's recorder names a deadlock's processes only in its text,
 * as pl_waitfor_describe writes it, and ends it with an empty text. */
START_TEST(test_export_finds_a_deadlock_in_its_text)
{
	ck_assert_int_eq(read_text(
	                         HEADER
	                         "\n"
	                         "{\"t\":0,\"type\":\"proc\",\"pid\":5,\"ppid\":1,\"comm\":\"a\"}\n"
	                         "{\"t\":0,\"type\":\"proc\",\"pid\":6,\"ppid\":5,\"comm\":\"b\"}\n"
	                         "{\"t\":0.3,\"type\":\"deadlock\",\"text\":\"5 (a) wants fork 2, "
	                         "held by 6 (b); 6 (b) wants fork 1, held by 5 (a)\"}\n"
	                         "{\"t\":0.4,\"type\":\"deadlock\",\"text\":\"\"}\n"),
	                 0);
	draw(pl_export_trace);
	ck_assert_uint_eq(count(drawn, "\"pids\":[5,6]"), 1);
	draw(pl_export_svg);
	ck_assert_uint_eq(count(drawn, "<g class=\"deadlock\""), 1);
}
END_TEST

/* Found by fuzz/fuzz_export: a recording with nothing read yet (no
 * header) has no command, and the SVG's title used it unchecked. */
START_TEST(test_export_draws_an_empty_recording)
{
	draw(pl_export_svg);
	ck_assert_uint_eq(count(drawn, "<g class=\"row\""), 0);
	ck_assert_ptr_nonnull(strstr(drawn, "</svg>"));
	draw(pl_export_trace);
	ck_assert_ptr_nonnull(strstr(drawn, "\"traceEvents\":["));
}
END_TEST

static Suite *
export_suite(void)
{
	Suite *s = suite_create("export");
	TCase *reading = tcase_create("reading");
	TCase *trace = tcase_create("trace");
	TCase *svg = tcase_create("svg");

	tcase_add_checked_fixture(reading, setup, teardown);
	tcase_add_test(reading, test_export_needs_a_header_first);
	tcase_add_test(reading, test_export_refuses_an_empty_file);
	tcase_add_test(reading, test_export_refuses_a_newer_version);
	tcase_add_test(reading, test_export_names_the_bad_line);
	tcase_add_test(reading, test_export_refuses_what_is_not_an_object);
	tcase_add_test(reading, test_export_refuses_a_line_without_its_keys);
	tcase_add_test(reading, test_export_skips_what_a_newer_format_adds);
	tcase_add_test(reading, test_export_counts_a_reused_pid_twice);
	tcase_add_test(reading, test_export_finds_a_deadlock_in_its_text);
	tcase_add_test(reading, test_export_draws_no_row_for_a_signal_to_nobody);
	suite_add_tcase(s, reading);
	tcase_add_checked_fixture(trace, setup, teardown);
	tcase_add_test(trace, test_export_trace_slices_meet_but_never_overlap);
	tcase_add_test(trace, test_export_trace_names_processes_and_threads);
	tcase_add_test(trace, test_export_trace_escapes_what_the_recording_says);
	suite_add_tcase(s, trace);
	tcase_add_checked_fixture(svg, setup, teardown);
	tcase_add_test(svg, test_export_svg_escapes_what_the_recording_says);
	tcase_add_test(svg, test_export_svg_has_a_row_and_marks_per_process);
	tcase_add_test(svg, test_export_draws_an_empty_recording);
	suite_add_tcase(s, svg);
	return s;
}

PL_CHECK_MAIN(export_suite)
