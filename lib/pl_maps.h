/* pl_maps.h - one line of /proc/PID/maps.
 *
 *   address           perms offset  dev   inode      pathname
 *   7f37eff1a000-7f37eff1b000 rw-s 00000000 00:01 0   /SYSV00000000 (deleted)
 *
 * proc_pid_maps(5) gives the fields. Two things trip readers up:
 *  - inode 0 does not mean "no file". A System V segment shows its shmid
 *    in the inode column, and the first segment after boot (or in a new
 *    IPC namespace) has id 0.
 *  - an inode number is unique only within its device: two files on two
 *    file systems can share one. An object is (dev, inode).
 */
#ifndef PL_MAPS_H
#define PL_MAPS_H

#include <stdbool.h>

struct pl_maps_line {
	unsigned long long start, end; /* the addresses [start, end) */
	char perms[5];                 /* "rw-s": 's' shared, 'p' private */
	unsigned long long offset;
	unsigned major, minor;         /* the device, hex in the file */
	unsigned long long inode;
	char path[512];                /* "" for an anonymous mapping */
};

/* Parse LINE, with or without its newline, into *OUT. Returns 0, or -1
 * with errno EINVAL when the line does not have the shape above. A path
 * longer than OUT->path is cut. */
int pl_maps_parse_line(const char *line, struct pl_maps_line *out);

/* Is it a shared mapping (perms "...s")? */
bool pl_maps_shared(const struct pl_maps_line *l);

#endif /* PL_MAPS_H */
