/* fuzz_sockdiag.c - pl_sockdiag_parse_unix(), one datagram of a sock_diag
 * reply: netlink messages, each a struct unix_diag_msg and its attributes.
 *
 * The kernel writes these, but the parser promises that any bytes are
 * safe: every length in a header is checked against what is left. The
 * first byte of the input puts the datagram 0 to 3 bytes past an aligned
 * address, because the parser says it copies headers out rather than
 * casting, and UBSan would catch a misaligned read. Seeds:
 * fuzz/corpus/sockdiag/, the replies about a socketpair, a datagram pair
 * and a server with a client (with and without names and queue lengths),
 * an end-of-dump message and an error message.
 */
#include "config.h"

#include <errno.h>

#include "fuzz.h"
#include "pl_sockdiag.h"

struct count {
	size_t calls;
};

static void
count_peer(unsigned long long inode, unsigned long long peer, void *arg)
{
	struct count *c = arg;

	(void)inode;
	(void)peer;
	c->calls++;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct count count = { 0 };
	size_t shift;
	char *copy;
	int rc;

	if (size == 0)
		return 0;
	shift = data[0] & 3;
	data++;
	size--;
	/* Exactly SIZE bytes after the shift, so AddressSanitizer sees any
	 * read past the end. */
	copy = malloc(shift + size);
	if (copy == NULL && shift + size > 0)
		abort();
	if (size > 0)
		memcpy(copy + shift, data, size);
	errno = 0;
	rc = pl_sockdiag_parse_unix(copy + shift, size, count_peer, &count);
	FUZZ_ASSERT(rc == -1 || rc == 0 || rc == 1);
	FUZZ_ASSERT(rc != -1 || errno == EPROTO);
	/* Each peer reported takes an attribute of 8 bytes at least. */
	FUZZ_ASSERT(count.calls <= size / 8);
	free(copy);
	return 0;
}
