/* pl_sockdiag.h - which Unix socket is connected to which, from the
 * kernel's sock_diag netlink interface (sock_diag(7)).
 *
 * /proc/PID/fd shows a socket as "socket:[INODE]". The two ends of a
 * socketpair, or a client and the server's accepted socket, are two
 * inodes; only the kernel knows they are one connection. Asked for
 * UDIAG_SHOW_PEER, it answers each socket's inode with its peer's.
 */
#ifndef PL_SOCKDIAG_H
#define PL_SOCKDIAG_H

#include <stddef.h>

/* One Unix socket, as pl_sockdiag_unix_list() reports it. */
struct pl_sockdiag_unix {
	unsigned long long inode;
	unsigned long long peer; /* the inode of its other end, or 0 */
	int state;               /* TCP_LISTEN (10) for a listening socket */
	int type;                /* SOCK_STREAM, SOCK_DGRAM, SOCK_SEQPACKET */
	char path[108];          /* its bound name, "@name" if abstract, or "" */
};

typedef void pl_sockdiag_unix_fn(const struct pl_sockdiag_unix *s, void *arg);

/* Called once for each socket that has a peer. */
typedef void pl_sockdiag_peer_fn(unsigned long long inode, unsigned long long peer, void *arg);

/* Ask the kernel for every Unix socket of this network namespace and call
 * FN for each that has a peer. Returns 0, or -1 with errno (no netlink,
 * a malformed or error reply). */
int pl_sockdiag_unix_peers(pl_sockdiag_peer_fn *fn, void *arg);

/* Parse one reply datagram BUF of LEN bytes, a run of netlink messages,
 * calling FN as above. Returns 1 at the end of the dump (NLMSG_DONE), 0
 * when more datagrams follow, -1 with errno EPROTO for an error message
 * or a message that does not fit. Any bytes are safe to give it. */
int pl_sockdiag_parse_unix(const void *buf, size_t len, pl_sockdiag_peer_fn *fn, void *arg);

/* Ask for every Unix socket with its peer, state and bound name, and
 * call FN for each, peer or not. Returns as pl_sockdiag_unix_peers(). */
int pl_sockdiag_unix_list(pl_sockdiag_unix_fn *fn, void *arg);

/* Parse one reply datagram to such a request, as pl_sockdiag_parse_unix()
 * does, calling FN for every socket. Any bytes are safe to give it. */
int pl_sockdiag_parse_unix_list(const void *buf, size_t len, pl_sockdiag_unix_fn *fn, void *arg);

#endif /* PL_SOCKDIAG_H */
