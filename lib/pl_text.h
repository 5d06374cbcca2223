/* pl_text.h - text from other processes, made safe to show on a terminal.
 *
 * A process chooses its own name (prctl(PR_SET_NAME), or the name of the
 * file it was started from), its command line, and what it writes on the
 * board or to a pipe. Printed as they are, such bytes drive the terminal
 * that shows them: ESC starts an escape sequence (move the cursor, clear
 * the screen, set the window title), and so do the C1 controls U+0080 to
 * U+009F on terminals that honour them (U+009B is CSI); BEL rings,
 * backspace and CR overwrite what is already on the line. A dashboard run
 * as root (proclab -p PID) would lend that power to whoever owns the
 * watched process. So such text goes through pl_text_clean() before it
 * reaches a terminal, and is cut with pl_text_fit(), on a character
 * boundary and by the columns it takes (wcwidth(3): a CJK character takes
 * two, a combining accent none).
 *
 * The width functions ask the current locale (LC_CTYPE), so a program that
 * shows UTF-8 calls setlocale(LC_CTYPE, "") first.
 */
#ifndef PL_TEXT_H
#define PL_TEXT_H

#include <stdbool.h>
#include <stddef.h>

/* Copy SRC into DST (SIZE bytes, always terminated), with '?' in place of
 * every control character (C0, DEL, C1) and of every byte that is not part
 * of a valid UTF-8 character (a stray continuation byte, an overlong form,
 * a surrogate, a character cut short). When UTF8 is false, every character
 * beyond ASCII becomes '?' too: the terminal would not show it right. When
 * it is true, valid characters stay, unless a UTF-8 locale is set and
 * iswprint(3) calls them unprintable (U+2028, unassigned code points).
 * If DST is too small the copy ends before the character that does not fit,
 * never inside it. Returns the length of DST. */
size_t pl_text_clean(char *dst, size_t size, const char *src, bool utf8);

/* How many bytes of TEXT fit in ROOM columns of a terminal, ending on a
 * character boundary. *WIDTH (may be NULL) gets the columns they take,
 * which is less than ROOM when a wide character would straddle the
 * edge. TEXT should be clean; a byte that starts no character counts one
 * column, as does a character whose width the locale does not know. */
size_t pl_text_fit(const char *text, int room, int *width);

/* The columns TEXT takes on a terminal. */
int pl_text_width(const char *text);

/* True when the current locale's character set (LC_CTYPE) is UTF-8. */
bool pl_text_locale_utf8(void);

#endif /* PL_TEXT_H */
