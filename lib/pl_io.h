/* pl_io.h - reading and writing all of it, and naming errors.
 *
 * read(2) and write(2) may move fewer bytes than asked (a pipe, a socket, a
 * signal), and -1 with EINTR only means "try again". Demos that move data
 * between processes want all or nothing.
 */
#ifndef PL_IO_H
#define PL_IO_H

#include <stddef.h>
#include <sys/types.h>

/* Write all LEN bytes. Returns 0, or -1 with errno (EPIPE: no reader). */
int pl_write_all(int fd, const void *buf, size_t len);

/* Read until LEN bytes or end of file. Returns the bytes read (less than
 * LEN only at end of file), or -1 with errno. */
ssize_t pl_read_full(int fd, void *buf, size_t len);

/* The symbolic name of an errno value: "ENOENT" for ENOENT, or "E?" for
 * one it does not know. strerror(3) gives the sentence. */
const char *pl_errno_name(int err);

#endif /* PL_IO_H */
