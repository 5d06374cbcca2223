/* check_main.h - the main() every Check unit test shares.
 *
 * CK_ENV lets the environment choose: CK_FORK=no to run under gdb or
 * valgrind, CK_RUN_CASE=name to run one case. make check sets
 * CK_TAP_LOG_FILE_NAME=- so the results go out as TAP, one line a test.
 */
#ifndef CHECK_MAIN_H
#define CHECK_MAIN_H

#include <check.h>
#include <stdlib.h>

#define PL_CHECK_MAIN(make_suite)                              \
	int main(void)                                         \
	{                                                      \
		SRunner *sr = srunner_create(make_suite());    \
		int failed;                                    \
		srunner_run_all(sr, CK_ENV);                   \
		failed = srunner_ntests_failed(sr);            \
		srunner_free(sr);                              \
		return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE; \
	}

#endif /* CHECK_MAIN_H */
