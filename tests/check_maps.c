/* check_maps.c - lines of /proc/PID/maps (lib/pl_maps.c) and the Unix
 * socket peers of sock_diag (lib/pl_sockdiag.c). */
#include "config.h"

#include "check_main.h"
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>
#include <linux/unix_diag.h>

#include "pl_maps.h"
#include "pl_sockdiag.h"

START_TEST(test_maps_sysv_segment_zero)
{
	struct pl_maps_line l;

	/* The first segment after boot: its id, 0, is the inode column. */
	ck_assert_int_eq(pl_maps_parse_line("7f37eff1a000-7f37eff1b000 rw-s 00000000 00:01 0"
	                                    "                          /SYSV00000000 (deleted)\n",
	                                    &l),
	                 0);
	ck_assert_uint_eq(l.start, 0x7f37eff1a000ULL);
	ck_assert_uint_eq(l.end, 0x7f37eff1b000ULL);
	ck_assert_str_eq(l.perms, "rw-s");
	ck_assert(pl_maps_shared(&l));
	ck_assert_uint_eq(l.major, 0);
	ck_assert_uint_eq(l.minor, 1);
	ck_assert_uint_eq(l.inode, 0);
	ck_assert_str_eq(l.path, "/SYSV00000000 (deleted)");
}
END_TEST

START_TEST(test_maps_device_and_anonymous)
{
	struct pl_maps_line l;

	ck_assert_int_eq(pl_maps_parse_line("55d0-55d1 r-xp 0001a000 fe:01 4242 /usr/bin/x", &l), 0);
	ck_assert(!pl_maps_shared(&l));
	ck_assert_uint_eq(l.offset, 0x1a000);
	ck_assert_uint_eq(l.major, 0xfe);
	ck_assert_uint_eq(l.minor, 1);
	ck_assert_uint_eq(l.inode, 4242);
	ck_assert_str_eq(l.path, "/usr/bin/x");
	/* An anonymous mapping ends after the inode, with or without blanks. */
	ck_assert_int_eq(pl_maps_parse_line("7f08-7f09 rw-p 00000000 00:00 0 \n", &l), 0);
	ck_assert_str_eq(l.path, "");
	ck_assert_int_eq(pl_maps_parse_line("7f08-7f09 rw-p 00000000 00:00 0", &l), 0);
	ck_assert_str_eq(l.path, "");
	/* A path with blanks is kept whole. */
	ck_assert_int_eq(pl_maps_parse_line("1-2 rw-s 0 00:05 7 /dev/shm/a b\n", &l), 0);
	ck_assert_str_eq(l.path, "/dev/shm/a b");
}
END_TEST

START_TEST(test_maps_rejects_other_shapes)
{
	static const char *const bad[] = {
		"",
		"\n",
		"7f08 rw-p 00000000 00:00 0",
		"7f08-7f09 rw-x 00000000 00:00 0",
		"7f08-7f09 rw-p 00000000 00-00 0",
		"7f08-7f09 rw-p 00000000 00:00 -1",
		"7f08-7f09 rw-p 00000000 00:00 x",
		"7f08-7f09 rw-p 00000000 00:00",
		"-7f08-7f09 rw-p 00000000 00:00 0",
		"7f08-7f09 rw-p 00000000 00:00 99999999999999999999999",
		"7f08-7f09 rw 00000000 00:00 0",
		"g-7f09 rw-p 00000000 00:00 0",
	};
	struct pl_maps_line l;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		errno = 0;
		ck_assert_msg(pl_maps_parse_line(bad[i], &l) == -1, "accepted '%s'", bad[i]);
		ck_assert_int_eq(errno, EINVAL);
	}
}
END_TEST

START_TEST(test_maps_long_path_is_cut)
{
	char line[2048];
	struct pl_maps_line l;

	memset(line, 'a', sizeof(line));
	memcpy(line, "1-2 rw-s 0 00:05 7 /", 20);
	line[sizeof(line) - 1] = '\0';
	ck_assert_int_eq(pl_maps_parse_line(line, &l), 0);
	ck_assert_uint_eq(strlen(l.path), sizeof(l.path) - 1);
}
END_TEST

/* What the callback saw of two sockets A and B. */
struct seen {
	unsigned long long a, b;
	bool a_to_b, b_to_a;
	size_t n;
};

static void
note_peer(unsigned long long inode, unsigned long long peer, void *arg)
{
	struct seen *s = arg;

	s->a_to_b |= inode == s->a && peer == s->b;
	s->b_to_a |= inode == s->b && peer == s->a;
	s->n++;
}

static unsigned long long
inode_of(int fd)
{
	struct stat sb;

	ck_assert_int_eq(fstat(fd, &sb), 0);
	return sb.st_ino;
}

/* The kernel pairs the two ends of a socketpair: each end's inode with
 * the other's, as /proc/PID/fd shows them. */
START_TEST(test_sockdiag_pairs_a_socketpair)
{
	struct seen s = { 0 };
	int sv[2];

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	s.a = inode_of(sv[0]);
	s.b = inode_of(sv[1]);
	ck_assert_int_eq(pl_sockdiag_unix_peers(note_peer, &s), 0);
	ck_assert(s.a_to_b);
	ck_assert(s.b_to_a);
	close(sv[0]);
	close(sv[1]);
}
END_TEST

/* What pl_sockdiag_unix_list() said of the sockets a test looks for. */
struct named {
	unsigned long long listener, abstract;
	struct pl_sockdiag_unix of_listener, of_abstract;
};

static void
note_socket(const struct pl_sockdiag_unix *u, void *arg)
{
	struct named *n = arg;

	if (u->inode == n->listener)
		n->of_listener = *u;
	if (u->inode == n->abstract)
		n->of_abstract = *u;
}

/* The list says which socket listens and on what name: a path, or an
 * abstract name shown as ss(8) shows it, with '@' for its NUL. */
START_TEST(test_sockdiag_lists_names_and_listeners)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	struct named n = { 0 };
	char dir[] = "/tmp/proclab-check-sockdiag-XXXXXX";
	int listener, abstract;
	socklen_t len;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(addr.sun_path, sizeof(addr.sun_path), "%s/listener", dir);
	ck_assert_int_ne(listener = socket(AF_UNIX, SOCK_STREAM, 0), -1);
	ck_assert_int_eq(bind(listener, (struct sockaddr *)&addr, sizeof(addr)), 0);
	ck_assert_int_eq(listen(listener, 1), 0);
	ck_assert_int_ne(abstract = socket(AF_UNIX, SOCK_DGRAM, 0), -1);
	memset(addr.sun_path, 0, sizeof(addr.sun_path));
	snprintf(addr.sun_path + 1, sizeof(addr.sun_path) - 1, "proclab-%ld", (long)getpid());
	len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + strlen(addr.sun_path + 1));
	ck_assert_int_eq(bind(abstract, (struct sockaddr *)&addr, len), 0);
	n.listener = inode_of(listener);
	n.abstract = inode_of(abstract);
	ck_assert_int_eq(pl_sockdiag_unix_list(note_socket, &n), 0);
	ck_assert_int_eq(n.of_listener.state, 10); /* TCP_LISTEN */
	ck_assert_int_eq(n.of_listener.type, SOCK_STREAM);
	ck_assert_uint_eq(n.of_listener.peer, 0);
	ck_assert_str_eq(n.of_listener.path + strlen(dir), "/listener");
	ck_assert_int_eq(n.of_abstract.type, SOCK_DGRAM);
	ck_assert_int_eq(n.of_abstract.path[0], '@');
	ck_assert_str_eq(n.of_abstract.path + 1, addr.sun_path + 1);
	close(listener);
	close(abstract);
	snprintf(addr.sun_path, sizeof(addr.sun_path), "%s/listener", dir);
	ck_assert_int_eq(unlink(addr.sun_path), 0);
	ck_assert_int_eq(rmdir(dir), 0);
}
END_TEST

/* A reply as the kernel builds it: one message for socket INODE with a
 * UNIX_DIAG_PEER attribute, then NLMSG_DONE. Returns its length. */
static size_t
fake_reply(unsigned char *buf, size_t size, uint32_t inode, uint32_t peer)
{
	struct nlmsghdr h = { 0 };
	struct unix_diag_msg msg = { 0 };
	struct rtattr a = { 0 };
	size_t at = 0;

	memset(buf, 0, size);
	h.nlmsg_type = SOCK_DIAG_BY_FAMILY;
	h.nlmsg_len = NLMSG_LENGTH(sizeof(msg) + RTA_SPACE(sizeof(peer)));
	msg.udiag_family = AF_UNIX;
	msg.udiag_ino = inode;
	a.rta_type = UNIX_DIAG_PEER;
	a.rta_len = RTA_LENGTH(sizeof(peer));
	memcpy(buf + at, &h, sizeof(h));
	memcpy(buf + NLMSG_HDRLEN, &msg, sizeof(msg));
	at = NLMSG_ALIGN(NLMSG_LENGTH(sizeof(msg)));
	memcpy(buf + at, &a, sizeof(a));
	memcpy(buf + at + RTA_LENGTH(0), &peer, sizeof(peer));
	at = NLMSG_ALIGN(h.nlmsg_len);
	memset(&h, 0, sizeof(h));
	h.nlmsg_type = NLMSG_DONE;
	h.nlmsg_len = NLMSG_LENGTH(sizeof(int));
	memcpy(buf + at, &h, sizeof(h));
	return at + h.nlmsg_len;
}

START_TEST(test_sockdiag_parses_a_reply)
{
	unsigned char buf[256];
	struct seen s = { .a = 11, .b = 12 };
	size_t len = fake_reply(buf, sizeof(buf), 11, 12);

	ck_assert_int_eq(pl_sockdiag_parse_unix(buf, len, note_peer, &s), 1);
	ck_assert(s.a_to_b);
	ck_assert_uint_eq(s.n, 1);
}
END_TEST

/* Cut short anywhere, or with a length that lies, a reply is refused or
 * read only as far as it goes: never past its end (ASan watches). */
START_TEST(test_sockdiag_survives_short_and_lying_replies)
{
	unsigned char buf[256];
	struct seen s = { .a = 11, .b = 12 };
	size_t len = fake_reply(buf, sizeof(buf), 11, 12);

	for (size_t cut = 0; cut < len; cut++) {
		unsigned char *copy = malloc(cut ? cut : 1);

		memcpy(copy, buf, cut);
		ck_assert_int_le(pl_sockdiag_parse_unix(copy, cut, note_peer, &s), 1);
		free(copy);
	}
	struct nlmsghdr h;
	memcpy(&h, buf, sizeof(h));
	h.nlmsg_len = 4000; /* more than there is */
	memcpy(buf, &h, sizeof(h));
	errno = 0;
	ck_assert_int_eq(pl_sockdiag_parse_unix(buf, len, note_peer, &s), -1);
	ck_assert_int_eq(errno, EPROTO);
	h.nlmsg_type = NLMSG_ERROR;
	h.nlmsg_len = NLMSG_LENGTH(sizeof(int));
	memcpy(buf, &h, sizeof(h));
	ck_assert_int_eq(pl_sockdiag_parse_unix(buf, len, note_peer, &s), -1);
}
END_TEST

static Suite *
maps_suite(void)
{
	Suite *s = suite_create("maps");
	TCase *maps = tcase_create("maps");
	TCase *diag = tcase_create("sockdiag");

	tcase_add_test(maps, test_maps_sysv_segment_zero);
	tcase_add_test(maps, test_maps_device_and_anonymous);
	tcase_add_test(maps, test_maps_rejects_other_shapes);
	tcase_add_test(maps, test_maps_long_path_is_cut);
	suite_add_tcase(s, maps);
	tcase_add_test(diag, test_sockdiag_pairs_a_socketpair);
	tcase_add_test(diag, test_sockdiag_lists_names_and_listeners);
	tcase_add_test(diag, test_sockdiag_parses_a_reply);
	tcase_add_test(diag, test_sockdiag_survives_short_and_lying_replies);
	suite_add_tcase(s, diag);
	return s;
}

PL_CHECK_MAIN(maps_suite)
