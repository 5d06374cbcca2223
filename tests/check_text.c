/* check_text.c - text from other processes, made safe for a terminal
 * (lib/pl_text.c), and the dashboard's rows that use it (dashboard/text.c). */
#include "config.h"

#include <locale.h>
#include <stdio.h>
#include <string.h>

#include "check_main.h"
#include "pl_text.h"
#include "../dashboard/text.h"

/* "grüße-ø", spelt in bytes so that the test does not depend on how this
 * file is read: ü is C3 BC, ß C3 9F (a continuation byte in the C1 range),
 * ø C3 B8. */
#define GRUESSE "gr\303\274\303\237e-\303\270"
#define O_SLASH "\303\270"

static char buf[256];

static const char *
clean(const char *text, bool utf8)
{
	size_t n = pl_text_clean(buf, sizeof(buf), text, utf8);

	ck_assert_uint_eq(n, strlen(buf));
	return buf;
}

START_TEST(test_text_replaces_c0_controls_and_del)
{
	ck_assert_str_eq(clean("a\033[31mb", true), "a?[31mb");
	ck_assert_str_eq(clean("\033]0;title\a", true), "?]0;title?");
	ck_assert_str_eq(clean("x\by\rz\n\t\177\001", true), "x?y?z????");
	ck_assert_str_eq(clean("plain text, (and) 100%", true), "plain text, (and) 100%");
	ck_assert_str_eq(clean("", true), "");
}
END_TEST

START_TEST(test_text_replaces_c1_controls)
{
	/* CSI (U+009B) and NEL (U+0085) written in UTF-8, and as raw
	 * bytes, which are not UTF-8 at all: one '?' each. */
	ck_assert_str_eq(clean("a\302\23331mb\302\205", true), "a?31mb?");
	ck_assert_str_eq(clean("a\23331m\200\237", true), "a?31m??");
	/* U+00A0, the first character past C1, stays. */
	ck_assert_str_eq(clean("\302\240", true), "\302\240");
}
END_TEST

START_TEST(test_text_replaces_invalid_utf8)
{
	ck_assert_str_eq(clean("a\277b", true), "a?b");            /* stray continuation */
	ck_assert_str_eq(clean("\300\257", true), "??");           /* overlong '/' */
	ck_assert_str_eq(clean("\340\200\257", true), "???");      /* overlong, 3 bytes */
	ck_assert_str_eq(clean("\355\240\200", true), "???");      /* a surrogate */
	ck_assert_str_eq(clean("\364\220\200\200", true), "????"); /* past U+10FFFF */
	ck_assert_str_eq(clean("\370\210\200\200\200\377\376", true), "???????");
	ck_assert_str_eq(clean("ab\303", true), "ab?");    /* cut short at the end */
	ck_assert_str_eq(clean("\342\202x", true), "??x"); /* cut short inside */
	ck_assert_str_eq(clean("\360\237\230\200", true), "\360\237\230\200"); /* U+1F600 is fine */
}
END_TEST

START_TEST(test_text_ascii_only_without_utf8)
{
	/* One '?' for each character, not for each of its bytes. */
	ck_assert_str_eq(clean(GRUESSE, false), "gr??e-?");
	ck_assert_str_eq(clean("\344\270\255\360\237\230\200.", false), "??.");
	ck_assert_str_eq(clean("\033\302\233\377", false), "???");
}
END_TEST

START_TEST(test_text_cut_never_splits_a_character)
{
	char small[8];

	/* "grüß" is 6 bytes, "e" makes 7: all that fits in 8 with the NUL. */
	ck_assert_uint_eq(pl_text_clean(small, sizeof(small), GRUESSE, true), 7);
	ck_assert_str_eq(small, "gr\303\274\303\237e");
	/* 6 bytes of room: "grü" (4), and ß would end at byte 6, past the 5 usable. */
	ck_assert_uint_eq(pl_text_clean(small, 6, GRUESSE, true), 4);
	ck_assert_str_eq(small, "gr\303\274");
	ck_assert_uint_eq(pl_text_clean(small, 1, GRUESSE, true), 0);
	ck_assert_str_eq(small, "");
}
END_TEST

/* The width cases need a UTF-8 locale: wcwidth asks LC_CTYPE. */
static bool have_utf8;

static void
utf8_locale(void)
{
	have_utf8 = setlocale(LC_CTYPE, "C.UTF-8") != NULL ||
	            setlocale(LC_CTYPE, "C.utf8") != NULL ||
	            setlocale(LC_CTYPE, "en_US.UTF-8") != NULL;
	if (!have_utf8)
		fprintf(stderr, "# no UTF-8 locale: the width cases test nothing\n");
}

static void
c_locale(void)
{
	setlocale(LC_CTYPE, "C");
}

START_TEST(test_text_locale_utf8)
{
	if (!have_utf8)
		return;
	ck_assert(pl_text_locale_utf8());
	setlocale(LC_CTYPE, "C");
	ck_assert(!pl_text_locale_utf8());
}
END_TEST

START_TEST(test_text_fit_counts_columns_not_bytes)
{
	int width;

	if (!have_utf8)
		return;
	ck_assert_int_eq(pl_text_width(GRUESSE), 7);
	/* A cut after "grüße": 5 columns, 7 bytes. */
	ck_assert_uint_eq(pl_text_fit(GRUESSE, 5, &width), 7);
	ck_assert_int_eq(width, 5);
	/* Room for all of it. */
	ck_assert_uint_eq(pl_text_fit(GRUESSE, 80, &width), strlen(GRUESSE));
	ck_assert_int_eq(width, 7);
	ck_assert_uint_eq(pl_text_fit(GRUESSE, 0, &width), 0);
	ck_assert_int_eq(width, 0);
}
END_TEST

START_TEST(test_text_fit_wide_and_combining_characters)
{
	int width;

	if (!have_utf8)
		return;
	/* 中文 takes four columns: three hold only the first character. */
	ck_assert_int_eq(pl_text_width("\344\270\255\346\226\207"), 4);
	ck_assert_uint_eq(pl_text_fit("\344\270\255\346\226\207", 3, &width), 3);
	ck_assert_int_eq(width, 2);
	ck_assert_uint_eq(pl_text_fit("\344\270\255\346\226\207", 1, &width), 0);
	ck_assert_int_eq(width, 0);
	/* e and a combining acute accent: one column, and the accent goes
	 * with its letter. */
	ck_assert_uint_eq(pl_text_fit("e\314\201x", 1, &width), 3);
	ck_assert_int_eq(width, 1);
}
END_TEST

START_TEST(test_text_unprintable_in_a_utf8_locale)
{
	if (!have_utf8)
		return;
	/* U+2028 LINE SEPARATOR and the unassigned U+0378: iswprint says no. */
	ck_assert_str_eq(clean("a\342\200\250b\315\270", true), "a?b?");
}
END_TEST

/* A row of the dashboard's table for a process with this role and name. */
static const char *
row(const char *role, const char *comm)
{
	static struct pl_model m;
	static struct pl_model_proc p;

	memset(&p, 0, sizeof(p));
	p.pid = 1234;
	p.ppid = 1;
	p.state = 'S';
	p.gone_at = -1;
	p.zombie_since = -1;
	p.depth = 1;
	snprintf(p.role, sizeof(p.role), "%s", role);
	snprintf(p.comm, sizeof(p.comm), "%s", comm);
	dash_text_row(&m, &p, true, buf, sizeof(buf), NULL, NULL);
	return buf;
}

/* The column at which the command name starts in ROW. */
static int
comm_column(const char *text)
{
	char prefix[256];

	snprintf(prefix, sizeof(prefix), "%.*s", (int)(strstr(text, "`-") - text), text);
	return pl_text_width(prefix);
}

START_TEST(test_text_row_cuts_and_pads_by_columns)
{
	int ascii;

	if (!have_utf8)
		return;
	ascii = comm_column(row("abc", "x"));
	/* The role is cut to its 10 columns between two characters, and the
	 * command name starts in the same column as after an ASCII role. */
	ck_assert_ptr_nonnull(strstr(row(GRUESSE O_SLASH O_SLASH O_SLASH O_SLASH O_SLASH, "x"),
	                             " " GRUESSE O_SLASH O_SLASH O_SLASH " `-x"));
	ck_assert_int_eq(comm_column(buf), ascii);
	ck_assert_int_eq(comm_column(row(GRUESSE, "x")), ascii);
	/* A UTF-8 name stays whole. */
	ck_assert_ptr_nonnull(strstr(row("abc", GRUESSE), "`-" GRUESSE));
}
END_TEST

START_TEST(test_text_row_has_no_control_bytes)
{
	const char *text = row("r\033[1m\302\233", "\033]0;x\a\233");

	/* Not the row itself in the message: it would reach the terminal. */
	for (size_t i = 0; text[i] != '\0'; i++)
		ck_assert_msg((unsigned char)text[i] >= 0x20 && text[i] != 0x7f, "byte %#x at %zu",
		              (unsigned char)text[i], i);
	ck_assert_ptr_nonnull(strstr(text, "r?[1m?     `-?]0;x??"));
}
END_TEST

START_TEST(test_text_row_ascii_locale)
{
	/* The C locale: what is not ASCII shows as '?', one a character. */
	ck_assert_ptr_nonnull(strstr(row(GRUESSE O_SLASH O_SLASH O_SLASH O_SLASH O_SLASH, GRUESSE),
	                             " gr??e-???? `-gr??e-?"));
}
END_TEST

static Suite *
text_suite(void)
{
	Suite *s = suite_create("text");
	TCase *clean_case = tcase_create("clean");
	TCase *width_case = tcase_create("width");
	TCase *rows_case = tcase_create("rows");

	tcase_add_test(clean_case, test_text_replaces_c0_controls_and_del);
	tcase_add_test(clean_case, test_text_replaces_c1_controls);
	tcase_add_test(clean_case, test_text_replaces_invalid_utf8);
	tcase_add_test(clean_case, test_text_ascii_only_without_utf8);
	tcase_add_test(clean_case, test_text_cut_never_splits_a_character);
	tcase_add_test(clean_case, test_text_row_ascii_locale);
	tcase_add_checked_fixture(width_case, utf8_locale, c_locale);
	tcase_add_test(width_case, test_text_locale_utf8);
	tcase_add_test(width_case, test_text_fit_counts_columns_not_bytes);
	tcase_add_test(width_case, test_text_fit_wide_and_combining_characters);
	tcase_add_test(width_case, test_text_unprintable_in_a_utf8_locale);
	tcase_add_checked_fixture(rows_case, utf8_locale, c_locale);
	tcase_add_test(rows_case, test_text_row_cuts_and_pads_by_columns);
	tcase_add_test(rows_case, test_text_row_has_no_control_bytes);
	suite_add_tcase(s, clean_case);
	suite_add_tcase(s, width_case);
	suite_add_tcase(s, rows_case);
	return s;
}

PL_CHECK_MAIN(text_suite)
