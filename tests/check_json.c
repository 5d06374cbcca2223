/* check_json.c - JSON Lines encoding (lib/pl_json.c). */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <string.h>

#include "check_main.h"
#include "pl_json.h"

static char buf[512];
static size_t len;

static const char *
encode(const char *text)
{
	len = 0;
	ck_assert_int_eq(pl_json_put_string(buf, sizeof(buf), &len, text), 0);
	ck_assert_uint_eq(len, strlen(buf));
	return buf;
}

START_TEST(test_json_escapes_what_json_requires)
{
	ck_assert_str_eq(encode("plain"), "\"plain\"");
	ck_assert_str_eq(encode("say \"hi\""), "\"say \\\"hi\\\"\"");
	ck_assert_str_eq(encode("back\\slash"), "\"back\\\\slash\"");
	ck_assert_str_eq(encode("a\nb\tc\rd"), "\"a\\nb\\tc\\rd\"");
	ck_assert_str_eq(encode("bell\a esc\033"), "\"bell\\u0007 esc\\u001b\"");
	ck_assert_str_eq(encode(""), "\"\"");
}
END_TEST

START_TEST(test_json_passes_utf8_through)
{
	ck_assert_str_eq(encode("caf\xc3\xa9 \xe2\x86\x92"), "\"caf\xc3\xa9 \xe2\x86\x92\"");
}
END_TEST

START_TEST(test_json_string_overflow_leaves_buffer_whole)
{
	char small[8] = "ab";
	size_t n = 2;

	ck_assert_int_eq(pl_json_put_string(small, sizeof(small), &n, "too long"), -1);
	ck_assert_int_eq(errno, ENOBUFS);
	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(small, "ab");
}
END_TEST

START_TEST(test_json_event_has_every_field)
{
	static const long squares[] = { 0, 1, 4, 9 };
	int n = pl_json_format_event(
		buf, sizeof(buf), 1.5, 42, "reaped", "child \"1\" done",
		PL_FIELDS(PL_INT("status", -3), PL_DOUBLE("ratio", 0.25), PL_STR("role", "worker"),
	                  PL_BOOL("ok", true), PL_BOOL("bad", false), PL_CHAR("state", 'Z'),
	                  PL_INTS("squares", squares, 4), PL_INTS("none", squares, 0),
	                  PL_DOUBLE("nan", NAN), PL_STR("missing", NULL)));

	ck_assert_int_eq(n, (int)strlen(buf));
	ck_assert_str_eq(buf, "{\"t\":1.500000,\"pid\":42,\"event\":\"reaped\","
	                      "\"text\":\"child \\\"1\\\" done\",\"status\":-3,\"ratio\":0.25,"
	                      "\"role\":\"worker\",\"ok\":true,\"bad\":false,\"state\":\"Z\","
	                      "\"squares\":[0,1,4,9],\"none\":[],\"nan\":null,\"missing\":null}\n");
}
END_TEST

START_TEST(test_json_event_without_text_or_fields)
{
	pl_json_format_event(buf, sizeof(buf), 0, 7, "start", NULL, NULL);
	ck_assert_str_eq(buf, "{\"t\":0.000000,\"pid\":7,\"event\":\"start\"}\n");
}
END_TEST

START_TEST(test_json_event_too_long_fails_cleanly)
{
	char small[40];

	ck_assert_int_eq(pl_json_format_event(small, sizeof(small), 0, 1, "an-event",
	                                      "a text that will never fit in forty bytes", NULL),
	                 -1);
	ck_assert_int_eq(errno, ENOBUFS);
	ck_assert_uint_lt(strlen(small), sizeof(small));
}
END_TEST

static Suite *
json_suite(void)
{
	Suite *s = suite_create("json");
	TCase *strings = tcase_create("strings");
	TCase *events = tcase_create("events");

	tcase_add_test(strings, test_json_escapes_what_json_requires);
	tcase_add_test(strings, test_json_passes_utf8_through);
	tcase_add_test(strings, test_json_string_overflow_leaves_buffer_whole);
	tcase_add_test(events, test_json_event_has_every_field);
	tcase_add_test(events, test_json_event_without_text_or_fields);
	tcase_add_test(events, test_json_event_too_long_fails_cleanly);
	suite_add_tcase(s, strings);
	suite_add_tcase(s, events);
	return s;
}

PL_CHECK_MAIN(json_suite)
