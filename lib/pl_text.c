/* pl_text.c - text from other processes, made safe to show on a terminal. */
#include "config.h"

#include <langinfo.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>
#include <wctype.h>

#include "pl_text.h"

/* The length (1 to 4) of the valid UTF-8 character that S starts, with its
 * code point in *CP; or 0 when S starts none. The rules are RFC 3629's: a
 * lead byte says how many continuation bytes (10xxxxxx) follow; a
 * character written with more bytes than it needs (an overlong form, such
 * as C0 AF for '/'), a UTF-16 surrogate (U+D800 to U+DFFF) and anything
 * past U+10FFFF are invalid. The NUL that ends S is no continuation byte,
 * so a character cut short by the end is invalid too. */
static int
utf8_decode(const unsigned char *s, uint32_t *cp)
{
	uint32_t c, least;
	int len;

	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	if ((s[0] & 0xe0) == 0xc0) { /* 110xxxxx */
		len = 2;
		least = 0x80;
	} else if ((s[0] & 0xf0) == 0xe0) { /* 1110xxxx */
		len = 3;
		least = 0x800;
	} else if ((s[0] & 0xf8) == 0xf0) { /* 11110xxx */
		len = 4;
		least = 0x10000;
	} else {
		return 0; /* a continuation byte, or F8-FF: no lead byte */
	}
	c = s[0] & (0x7f >> len); /* the lead byte's x bits */
	for (int i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = c << 6 | (s[i] & 0x3f);
	}
	if (c < least || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return len;
}

/* May code point CP go to the terminal as it is? */
static bool
printable(uint32_t cp, bool utf8)
{
	if (cp < 0x20 || cp == 0x7f) /* C0 controls (ESC, BEL, BS, CR, ...), DEL */
		return false;
	if (cp < 0x80)
		return true;
	if (!utf8 || cp < 0xa0) /* C1 controls: U+009B is CSI, U+009D OSC */
		return false;
	/* glibc's wchar_t holds the Unicode code point (__STDC_ISO_10646__).
	 * In the C locale iswprint knows nothing past ASCII: keep the rest. */
	return MB_CUR_MAX == 1 || iswprint((wint_t)cp);
}

size_t
pl_text_clean(char *dst, size_t size, const char *src, bool utf8)
{
	const unsigned char *s = (const unsigned char *)src;
	size_t n = 0;

	if (size == 0)
		return 0;
	while (*s != '\0') {
		uint32_t cp;
		int len = utf8_decode(s, &cp);
		const void *out = s;
		size_t out_len = (size_t)len;

		if (len == 0 || !printable(cp, utf8)) {
			out = "?";
			out_len = 1;
			if (len == 0)
				len = 1; /* one bad byte: resynchronise at the next */
		}
		if (n + out_len >= size)
			break; /* the whole character, or none of it */
		memcpy(dst + n, out, out_len);
		n += out_len;
		s += len;
	}
	dst[n] = '\0';
	return n;
}

size_t
pl_text_fit(const char *text, int room, int *width)
{
	const unsigned char *s = (const unsigned char *)text;
	int used = 0;

	while (*s != '\0') {
		uint32_t cp;
		int len = utf8_decode(s, &cp), w;

		if (len == 0) {
			len = 1;
			w = 1;
		} else {
			w = cp < 0x80 ? 1 : wcwidth((wchar_t)cp);
			if (w < 0)
				w = 1;
		}
		if (w > room - used)
			break;
		used += w;
		s += len;
	}
	if (width != NULL)
		*width = used;
	return (size_t)(s - (const unsigned char *)text);
}

int
pl_text_width(const char *text)
{
	int width;

	pl_text_fit(text, INT_MAX, &width);
	return width;
}

bool
pl_text_locale_utf8(void)
{
	return strcmp(nl_langinfo(CODESET), "UTF-8") == 0;
}
