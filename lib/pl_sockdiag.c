/* pl_sockdiag.c - Unix socket peers from sock_diag (see pl_sockdiag.h). */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>
#include <linux/unix_diag.h>

#include "pl_sockdiag.h"

int
pl_sockdiag_parse_unix_list(const void *buf, size_t len, pl_sockdiag_unix_fn *fn, void *arg)
{
	const char *p = buf;

	/* NLMSG_OK and RTA_OK check each header against what is left, so a
	 * short or lying length ends the walk instead of reading past it. The
	 * messages are 4-byte aligned in the kernel's reply, but BUF may not
	 * be: copy each header out rather than cast. */
	while (len >= sizeof(struct nlmsghdr)) {
		struct nlmsghdr h;
		struct unix_diag_msg msg;
		struct pl_sockdiag_unix s;
		size_t step;

		memcpy(&h, p, sizeof(h));
		if (h.nlmsg_len < sizeof(h) || h.nlmsg_len > len)
			goto bad;
		if (h.nlmsg_type == NLMSG_DONE)
			return 1;
		if (h.nlmsg_type == NLMSG_ERROR || h.nlmsg_len < NLMSG_LENGTH(sizeof(msg)))
			goto bad;
		memcpy(&msg, p + NLMSG_HDRLEN, sizeof(msg));
		memset(&s, 0, sizeof(s));
		s.inode = msg.udiag_ino;
		s.state = msg.udiag_state;
		s.type = msg.udiag_type;
		/* The attributes follow the message, each a struct rtattr and
		 * its data, padded to RTA_ALIGNTO. */
		size_t at = NLMSG_LENGTH(sizeof(msg));
		at = NLMSG_ALIGN(at);
		while (at + sizeof(struct rtattr) <= h.nlmsg_len) {
			struct rtattr a;
			size_t data;

			memcpy(&a, p + at, sizeof(a));
			if (a.rta_len < sizeof(a) || at + a.rta_len > h.nlmsg_len)
				break;
			data = a.rta_len - RTA_LENGTH(0);
			if (a.rta_type == UNIX_DIAG_PEER && data >= sizeof(uint32_t)) {
				uint32_t peer;

				memcpy(&peer, p + at + RTA_LENGTH(0), sizeof(peer));
				s.peer = peer;
			} else if (a.rta_type == UNIX_DIAG_NAME && data > 0) {
				/* sun_path, not NUL-terminated; an abstract
				 * name begins with a NUL byte (unix(7)). */
				const char *name = p + at + RTA_LENGTH(0);
				size_t n = data < sizeof(s.path) - 1 ? data : sizeof(s.path) - 1;

				memcpy(s.path, name, n);
				s.path[n] = '\0';
				/* An abstract name may hold more NULs: ss(8)
				 * shows each as '@' too. */
				for (size_t i = 0; i < n && name[0] == '\0'; i++)
					if (s.path[i] == '\0')
						s.path[i] = '@';
			}
			at += RTA_ALIGN(a.rta_len);
		}
		fn(&s, arg);
		step = NLMSG_ALIGN(h.nlmsg_len);
		if (step >= len)
			break;
		p += step;
		len -= step;
	}
	return 0;
bad:
	errno = EPROTO;
	return -1;
}

/* The old interface: only the sockets that have a peer. */
struct peer_only {
	pl_sockdiag_peer_fn *fn;
	void *arg;
};

static void
call_if_peer(const struct pl_sockdiag_unix *s, void *arg)
{
	const struct peer_only *p = arg;

	if (s->peer != 0)
		p->fn(s->inode, s->peer, p->arg);
}

int
pl_sockdiag_parse_unix(const void *buf, size_t len, pl_sockdiag_peer_fn *fn, void *arg)
{
	struct peer_only p = { fn, arg };

	return pl_sockdiag_parse_unix_list(buf, len, call_if_peer, &p);
}

/* Dump every Unix socket, asking for SHOW, and parse the replies. */
static int
dump_unix(unsigned show, pl_sockdiag_unix_fn *fn, void *arg)
{
	struct {
		struct nlmsghdr nlh;
		struct unix_diag_req req;
	} request;
	/* A datagram the kernel cannot fit in BUF is cut (MSG_TRUNC says so);
	 * the kernel sizes its replies to a page or so, well below this. */
	char buf[32768] __attribute__((aligned(NLMSG_ALIGNTO)));
	int fd, rc = -1, saved;

	fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
	if (fd == -1)
		return -1;
	memset(&request, 0, sizeof(request));
	request.nlh.nlmsg_len = sizeof(request);
	request.nlh.nlmsg_type = SOCK_DIAG_BY_FAMILY;
	request.nlh.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	request.req.sdiag_family = AF_UNIX;
	request.req.udiag_states = ~0u;
	request.req.udiag_show = show;
	if (send(fd, &request, sizeof(request), 0) != (ssize_t)sizeof(request))
		goto out;
	for (;;) {
		ssize_t n = recv(fd, buf, sizeof(buf), MSG_TRUNC);
		int done;

		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			goto out;
		if ((size_t)n > sizeof(buf)) {
			errno = EMSGSIZE;
			goto out;
		}
		if ((done = pl_sockdiag_parse_unix_list(buf, (size_t)n, fn, arg)) == -1)
			goto out;
		if (done)
			break;
	}
	rc = 0;
out:
	saved = errno;
	close(fd);
	errno = saved;
	return rc;
}

int
pl_sockdiag_unix_peers(pl_sockdiag_peer_fn *fn, void *arg)
{
	struct peer_only p = { fn, arg };

	return dump_unix(UDIAG_SHOW_PEER, call_if_peer, &p);
}

int
pl_sockdiag_unix_list(pl_sockdiag_unix_fn *fn, void *arg)
{
	return dump_unix(UDIAG_SHOW_PEER | UDIAG_SHOW_NAME, fn, arg);
}
