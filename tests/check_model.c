/* check_model.c - the model of a watched tree (lib/pl_model.c, pl_ipc.c),
 * and how the dashboard prints it (dashboard/text.c), on the fake /proc
 * trees in tests/fakeproc (see its README). */
#include "config.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check_main.h"
#include "pl_model.h"
#include "../dashboard/text.h"

#define BEFORE PL_TEST_SRCDIR "/fakeproc/before"
#define AFTER PL_TEST_SRCDIR "/fakeproc/after"
#define REAPED PL_TEST_SRCDIR "/fakeproc/reaped"

static struct pl_model m;

static void
setup(void)
{
	ck_assert_int_eq(pl_model_init(&m, BEFORE, 100), 0);
	ck_assert_int_eq(pl_model_refresh(&m, 0.0), 0);
}

static void
teardown(void)
{
	pl_model_free(&m);
}

/* The model moves on to the next snapshot of the same run. */
static void
next_snapshot(const char *tree, double now)
{
	snprintf(m.proc, sizeof(m.proc), "%s", tree);
	ck_assert_int_eq(pl_model_refresh(&m, now), 0);
}

/* The object of KIND and INODE in BM, or NULL. */
static const struct pl_ipc_object *
find_object(const struct pl_model *bm, enum pl_ipc_kind kind, unsigned long long inode)
{
	for (size_t i = 0; i < bm->nobjects; i++)
		if (bm->objects[i].kind == kind && bm->objects[i].inode == inode)
			return &bm->objects[i];
	return NULL;
}

/* PID's hold on O on SIDE, or NULL. */
static const struct pl_ipc_holder *
holder_of(const struct pl_model *bm, const struct pl_ipc_object *o, pid_t pid, int side)
{
	for (size_t i = o->holder; i < o->holder + o->nholders; i++)
		if (bm->holders[i].pid == pid && bm->holders[i].side == side)
			return &bm->holders[i];
	return NULL;
}

/* Do A and B both hold the object of KIND and INODE (on side 0)? */
static bool
shares(const struct pl_model *bm, enum pl_ipc_kind kind, pid_t a, pid_t b, unsigned long long inode)
{
	const struct pl_ipc_object *o = find_object(bm, kind, inode);

	return o != NULL && holder_of(bm, o, a, 0) != NULL && holder_of(bm, o, b, 0) != NULL;
}

START_TEST(test_model_tree_order_and_depth)
{
	static const pid_t expected[] = { 100, 101, 200, 102 };
	static const int depth[] = { 0, 1, 2, 1 };

	/* 1 (not a descendant) and 103 (vanished mid-read) are not there. */
	ck_assert_uint_eq(m.norder, 4);
	ck_assert_uint_eq(m.nprocs, 4);
	for (size_t k = 0; k < 4; k++) {
		ck_assert_int_eq(m.procs[m.order[k]].pid, expected[k]);
		ck_assert_int_eq(m.procs[m.order[k]].depth, depth[k]);
	}
	ck_assert_ptr_null(pl_model_find(&m, 1));
	ck_assert_ptr_null(pl_model_find(&m, 103));
	ck_assert_uint_eq(pl_model_alive(&m), 4);
}
END_TEST

START_TEST(test_model_states_wchan_and_odd_comm)
{
	struct pl_model_proc *root = pl_model_find(&m, 100), *odd = pl_model_find(&m, 101);

	ck_assert_int_eq(root->state, 'S');
	ck_assert_str_eq(root->wchan, "do_wait");
	ck_assert_int_eq(root->rss_kb, 100 * m.page_kb);
	/* The name holds spaces and ')': it ends at the LAST ')'. */
	ck_assert_str_eq(odd->comm, "my (odd) name)");
	ck_assert_int_eq(odd->state, 'R');
	ck_assert_str_eq(odd->wchan, ""); /* "0": running, no wait channel */
	ck_assert(!odd->adopted);
}
END_TEST

START_TEST(test_model_zombie_carries_exit_status)
{
	struct pl_model_proc *z = pl_model_find(&m, 102);
	char mark[128];

	ck_assert_int_eq(z->state, 'Z');
	ck_assert(z->exit_known);
	ck_assert(WIFEXITED(z->exit_status));
	ck_assert_int_eq(WEXITSTATUS(z->exit_status), 3);
	ck_assert_double_eq(z->zombie_since, 0.0);
	ck_assert_int_eq(z->zombie_ppid, 100); /* who should reap it */
	m.now = 2.5;
	dash_text_mark(&m, z, false, mark, sizeof(mark));
	ck_assert_str_eq(mark, "zombie, unreaped 2.5s");
	dash_text_mark(&m, z, true, mark, sizeof(mark));
	ck_assert_str_eq(mark, "zombie, unreaped");
}
END_TEST

START_TEST(test_model_pipe_is_one_object_with_its_ends)
{
	const struct pl_ipc_object *o = find_object(&m, PL_IPC_PIPE, 5001);
	char text[256];

	ck_assert_ptr_nonnull(o);
	ck_assert_str_eq(o->id, "pipe:5001");
	ck_assert_uint_eq(o->npids, 2);
	ck_assert_int_eq(holder_of(&m, o, 100, 0)->end, 'w');
	ck_assert_int_eq(holder_of(&m, o, 100, 0)->fd, 3);
	ck_assert_int_eq(holder_of(&m, o, 101, 0)->end, 'r');
	dash_text_object(&m, o, true, text, sizeof(text));
	ck_assert_str_eq(text, "pipe     pipe:[5001] held by 2: 100 (fd 3 w) 101 (fd 0 r)");
}
END_TEST

START_TEST(test_model_socketpair_and_shared_memory)
{
	const struct pl_ipc_object *s = find_object(&m, PL_IPC_UNIX, 6001);
	const struct pl_ipc_object *shm = find_object(&m, PL_IPC_SHM, 8001);
	char text[256];

	/* Two inodes, paired by the kernel's peer table: one connection,
	 * end to end. */
	ck_assert_ptr_nonnull(s);
	ck_assert(s->connection);
	ck_assert(!s->outside);
	ck_assert_uint_eq(s->peer, 6002);
	ck_assert_ptr_nonnull(holder_of(&m, s, 100, 0));
	ck_assert_ptr_nonnull(holder_of(&m, s, 200, 1));
	ck_assert_ptr_null(find_object(&m, PL_IPC_UNIX, 6002));
	dash_text_object(&m, s, true, text, sizeof(text));
	ck_assert_str_eq(text, "unix     socket:[6001] held by 1: 100 (fd 4) <-> "
	                       "socket:[6002] held by 1: 200 (fd 5)");
	ck_assert_ptr_nonnull(shm);
	ck_assert_str_eq(shm->label, "/dev/shm/proclab-demo-shm");
	/* Mapped twice by 100, still one holder; 101's private map is none. */
	ck_assert_uint_eq(shm->nholders, 2);
	ck_assert_uint_eq(m.nobjects, 3);
	/* 100 holds a socket: the socket tables were read, once. */
	ck_assert_uint_eq(m.socket_reads, 1);
}
END_TEST

START_TEST(test_model_locks_and_deadlock)
{
	char text[512];

	/* 4242's lock is not a watched process's: left out. */
	ck_assert_uint_eq(m.nlocks, 4);
	ck_assert(!m.locks[0].waiting);
	ck_assert(m.locks[1].waiting);
	ck_assert_int_eq(m.locks[1].pid, 200);
	ck_assert_uint_eq(m.locks[1].inode, 7001);
	ck_assert_uint_eq(m.ncycles, 1);
	dash_text_deadlock(&m.cycles[0], text, sizeof(text));
	ck_assert_str_eq(text, "DEADLOCK: 100 (proclab-fork) wants inode 7002, held by 200 "
	                       "(worker); 200 (worker) wants inode 7001, held by 100 "
	                       "(proclab-fork)");
}
END_TEST

/* A root the caller reaped has no threads left: its row is a gone row,
 * without the threads it had when last read. */
START_TEST(test_model_reaped_root_has_no_threads)
{
	struct pl_model_proc *root = pl_model_find(&m, 100);
	char *text;

	m.threads = true;
	ck_assert_int_eq(pl_model_refresh(&m, 0.5), 0);
	ck_assert_uint_eq(root->nthreads, 2);
	pl_model_root_reaped(&m, 0);
	ck_assert_uint_eq(root->nthreads, 0);
	text = dash_text_snapshot(&m, "fake", true);
	ck_assert_ptr_null(strstr(text, "{helper thread}"));
	free(text);
}
END_TEST

START_TEST(test_model_threads_behind_a_toggle)
{
	struct pl_model_proc *root = pl_model_find(&m, 100);

	ck_assert_uint_eq(root->nthreads, 0);
	m.threads = true;
	ck_assert_int_eq(pl_model_refresh(&m, 0.5), 0);
	ck_assert_uint_eq(root->nthreads, 2);
	for (size_t i = 0; i < 2; i++)
		if (root->threads[i].tid == 150) {
			ck_assert_str_eq(root->threads[i].comm, "helper thread");
			ck_assert_str_eq(root->threads[i].wchan, "futex_wait_queue");
		}
}
END_TEST

START_TEST(test_model_exits_adoption_and_new_children)
{
	struct pl_model_proc *p;
	char mark[128];

	next_snapshot(AFTER, 1.0);
	/* 101 left without being seen as a zombie: status unknown. */
	p = pl_model_find(&m, 101);
	ck_assert_ptr_nonnull(p);
	ck_assert_double_eq(p->gone_at, 1.0);
	dash_text_mark(&m, p, true, mark, sizeof(mark));
	ck_assert_str_eq(mark, "exited");
	/* 102 was a zombie with status 3 when last seen. */
	dash_text_mark(&m, pl_model_find(&m, 102), true, mark, sizeof(mark));
	ck_assert_str_eq(mark, "exited with status 3");
	/* 200 lost its parent: adopted by init, still on the books. */
	p = pl_model_find(&m, 200);
	ck_assert(p->adopted);
	ck_assert_int_eq(p->adopter, 1);
	dash_text_mark(&m, p, true, mark, sizeof(mark));
	ck_assert_str_eq(mark, "adopted by PID 1 (systemd)");
	ck_assert_str_eq(p->wchan, "hrtimer_nanosleep");
	/* A child of an orphan is still watched. */
	ck_assert_ptr_nonnull(pl_model_find(&m, 300));
	ck_assert_uint_eq(pl_model_alive(&m), 3);
	/* The edges went with 101 and the locks with the deadlock. */
	ck_assert_uint_eq(m.ncycles, 0);
	ck_assert_uint_eq(m.nlocks, 0);
	ck_assert_ptr_null(find_object(&m, PL_IPC_PIPE, 5001));
	/* 20 ticks in 1 s: 20 % of a core, at 100 ticks a second. */
	p = pl_model_find(&m, 100);
	ck_assert_double_eq_tol(p->cpu, 20.0 * 100 / (double)m.ticks_per_second, 0.01);
	/* The orphan's tree is drawn on its own, after the root's. */
	ck_assert_int_eq(m.procs[m.order[0]].pid, 100);
	ck_assert_int_eq(m.procs[m.order[m.norder - 2]].pid, 200);
	ck_assert_int_eq(m.procs[m.order[m.norder - 1]].pid, 300);
	ck_assert_int_eq(m.procs[m.order[m.norder - 1]].depth, 1);

	/* Gone processes fade out after PL_MODEL_FADE_SECONDS. */
	next_snapshot(AFTER, 1.0 + PL_MODEL_FADE_SECONDS + 0.1);
	ck_assert_ptr_null(pl_model_find(&m, 101));
	ck_assert_ptr_null(pl_model_find(&m, 102));
	ck_assert_uint_eq(m.nprocs, 3);
}
END_TEST

/* A watched process whose stat cannot be read is gone, even though its
 * PID is still listed: it was reaped, and the PID may already be someone
 * else's. Kept as alive, it would let that stranger's children join the
 * tree, and the end of the run would SIGTERM and SIGKILL them. */
START_TEST(test_model_unreadable_stat_means_gone)
{
	struct pl_model_proc *p;

	next_snapshot(REAPED, 1.0);
	p = pl_model_find(&m, 101);
	ck_assert_ptr_nonnull(p);
	ck_assert_double_eq(p->gone_at, 1.0);
	ck_assert_int_eq(p->state, 'X');
	for (int i = 1; i <= PL_MODEL_FOREIGN_EVERY; i++) {
		next_snapshot(REAPED, 1.0 + 0.1 * i);
		ck_assert_ptr_null(pl_model_find(&m, 400));
	}
	ck_assert_ptr_nonnull(pl_model_find(&m, 200)); /* ours, adopted by 1 */
	ck_assert_uint_eq(pl_model_alive(&m), 3);
}
END_TEST

/* A big tree, made at run time: root 1000 and 70 children, all asleep,
 * each with one task. 1000 writes pipe 7001 (fd 3), 1001 reads it. */
#define BIG 70

static char big[64];

static void
put(const char *text, const char *fmt, ...)
{
	char path[512];
	va_list ap;
	FILE *f;

	va_start(ap, fmt);
	vsnprintf(path, sizeof(path), fmt, ap);
	va_end(ap);
	ck_assert_ptr_nonnull(f = fopen(path, "w"));
	fputs(text, f);
	ck_assert_int_eq(fclose(f), 0);
}

/* A sleeping process of TASKS tasks, started at clock tick START. */
static void
put_stat_started(pid_t pid, pid_t ppid, int tasks, unsigned long long start)
{
	char text[256];

	snprintf(text, sizeof(text),
	         "%ld (sleeper) S %ld %ld %ld 0 -1 0 0 0 0 0 1 0 0 0 20 0 %d 0 %llu 1000 10 0\n",
	         (long)pid, (long)ppid, (long)pid, (long)pid, tasks, start);
	put(text, "%s/%ld/stat", big, (long)pid);
}

static void
put_stat(pid_t pid, pid_t ppid, int tasks)
{
	put_stat_started(pid, ppid, tasks, 1000);
}

/* PID's directory in the big tree, with no descriptors and no mappings. */
static void
add_sleeper(pid_t pid, pid_t ppid)
{
	const char *sub[] = { "", "/fd", "/fdinfo" };
	char path[512];

	for (size_t i = 0; i < 3; i++) {
		snprintf(path, sizeof(path), "%s/%ld%s", big, (long)pid, sub[i]);
		ck_assert_int_eq(mkdir(path, 0700), 0);
	}
	put_stat(pid, ppid, 1);
	put("0\n", "%s/%ld/wchan", big, (long)pid);
	put("", "%s/%ld/maps", big, (long)pid);
	put("5000000 0 10\n", "%s/%ld/schedstat", big, (long)pid);
}

static void
make_big_tree(void)
{
	snprintf(big, sizeof(big), "/tmp/proclab-check-model-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(big));
	for (pid_t pid = 1000; pid <= 1000 + BIG; pid++)
		add_sleeper(pid, pid == 1000 ? 1 : 1000);
	put("pipe:[7001]", "%s/1000/fd/3", big);
	put("pos:\t0\nflags:\t01\n", "%s/1000/fdinfo/3", big);
	put("pipe:[7001]", "%s/1001/fd/3", big);
	put("pos:\t0\nflags:\t00\n", "%s/1001/fdinfo/3", big);
	put("", "%s/locks", big);
	/* 1002 and 1003 attach one SysV segment (shmat), 1002 also a
	 * private file mapping that is nobody's channel. */
	put("7f0000000000-7f0000001000 rw-s 00000000 00:01 32770   /SYSV00000000 (deleted)\n"
	    "7f0000002000-7f0000003000 r--p 00000000 fe:00 4242    /usr/lib/libc.so.6\n",
	    "%s/1002/maps", big);
	put("7f0000000000-7f0000001000 rw-s 00000000 00:01 32770   /SYSV00000000 (deleted)\n",
	    "%s/1003/maps", big);
}

static void
remove_big_tree(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", big);
	ck_assert_int_eq(system(cmd), 0);
}

/* Refresh at NOW, then SLEEPERS more times just after: in a big tree a
 * sleeper's stat is read only every few refreshes. */
static void
refresh_big(struct pl_model *bm, double now, int sleepers)
{
	ck_assert_int_eq(pl_model_refresh(bm, now), 0);
	for (int i = 1; i <= sleepers; i++)
		ck_assert_int_eq(pl_model_refresh(bm, now + 0.01 * i), 0);
}

static bool
big_pipe(const struct pl_model *bm)
{
	return shares(bm, PL_IPC_PIPE, 1000, 1001, 7001);
}

START_TEST(test_model_big_tree_rereads_only_what_ran)
{
	struct pl_model bm;

	make_big_tree();
	ck_assert_int_eq(pl_model_init(&bm, big, 1000), 0);
	refresh_big(&bm, 0.0, 0);
	ck_assert_uint_eq(pl_model_alive(&bm), BIG + 1);
	ck_assert(big_pipe(&bm));
	/* The SysV segment: one object, held by its two users. */
	size_t sysv = 0;
	for (size_t i = 0; i < bm.nobjects; i++)
		if (bm.objects[i].kind == PL_IPC_SYSV_SHM) {
			ck_assert_uint_eq(bm.objects[i].nholders, 2);
			ck_assert_int_eq(bm.holders[bm.objects[i].holder].pid, 1002);
			ck_assert_int_eq(bm.holders[bm.objects[i].holder + 1].pid, 1003);
			ck_assert_uint_eq(bm.objects[i].inode, 32770);
			sysv++;
		}
	ck_assert_uint_eq(sysv, 1);
	/* No process of it holds a socket: the host's socket tables, every
	 * socket of every process, were not read. */
	ck_assert_uint_eq(bm.socket_reads, 0);

	/* 1001's table "changes" while its time on a CPU stands still: it
	 * cannot have run, and the model keeps what it read last time. */
	put("pipe:[7002]", "%s/1001/fd/3", big);
	refresh_big(&bm, 3.0, 0);
	ck_assert(big_pipe(&bm));

	/* Now it has run: its table is read again, and the edge is gone. */
	put("5000001 0 11\n", "%s/1001/schedstat", big);
	refresh_big(&bm, 6.0, 0);
	ck_assert(!big_pipe(&bm));

	/* A process of two tasks is read every time, run or not. */
	put("pipe:[7001]", "%s/1001/fd/3", big);
	put_stat(1001, 1000, 2);
	refresh_big(&bm, 6.5, 6); /* the stat is read again; no fd reading yet */
	ck_assert(!big_pipe(&bm));
	refresh_big(&bm, 9.0, 0);
	ck_assert(big_pipe(&bm));

	pl_model_free(&bm);
	remove_big_tree();
}
END_TEST

/* An MPI rank's role comes from OMPI_COMM_WORLD_RANK in its environment
 * when nothing is on the board for it; a value that is not a number is
 * no role. */
static void
put_environ(pid_t pid, const char *vars, size_t len)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%ld/environ", big, (long)pid);
	ck_assert_ptr_nonnull(f = fopen(path, "w"));
	ck_assert_uint_eq(fwrite(vars, 1, len, f), len);
	ck_assert_int_eq(fclose(f), 0);
}

START_TEST(test_model_mpi_rank_role_from_environ)
{
	static const char rank3[] = "PATH=/bin\0OMPI_COMM_WORLD_RANK=3\0HOME=/";
	static const char bad[] = "OMPI_COMM_WORLD_RANK=3x\0";
	struct pl_model bm;

	make_big_tree();
	put_environ(1001, rank3, sizeof(rank3));
	put_environ(1002, bad, sizeof(bad));
	ck_assert_int_eq(pl_model_init(&bm, big, 1000), 0);
	refresh_big(&bm, 0.0, 0);
	ck_assert_str_eq(pl_model_find(&bm, 1001)->role, "rank 3");
	ck_assert_str_eq(pl_model_find(&bm, 1002)->role, "");
	ck_assert_str_eq(pl_model_find(&bm, 1003)->role, ""); /* no environ file */
	pl_model_free(&bm);
	remove_big_tree();
}
END_TEST

/* Maps are read every few seconds in a big tree (once a second in a small
 * one); a snapshot that asks for them (--once) gets them read at once. */
START_TEST(test_model_read_ipc_next_reads_maps_now)
{
	struct pl_model bm;

	make_big_tree();
	ck_assert_int_eq(pl_model_init(&bm, big, 1000), 0);
	refresh_big(&bm, 0.0, 0);
	ck_assert(shares(&bm, PL_IPC_SYSV_SHM, 1002, 1003, 32770));

	/* 1004 and 1005 attach a second segment, and have run since. */
	put("7f0000000000-7f0000001000 rw-s 00000000 00:01 32771   /SYSV00000000 (deleted)\n",
	    "%s/1004/maps", big);
	put("7f0000000000-7f0000001000 rw-s 00000000 00:01 32771   /SYSV00000000 (deleted)\n",
	    "%s/1005/maps", big);
	put("5000001 0 11\n", "%s/1004/schedstat", big);
	put("5000001 0 11\n", "%s/1005/schedstat", big);
	refresh_big(&bm, 1.0, 0);
	ck_assert(!shares(&bm, PL_IPC_SYSV_SHM, 1004, 1005, 32771)); /* not due yet */

	pl_model_read_ipc_next(&bm);
	refresh_big(&bm, 1.1, 0);
	ck_assert(shares(&bm, PL_IPC_SYSV_SHM, 1004, 1005, 32771));
	ck_assert(shares(&bm, PL_IPC_SYSV_SHM, 1002, 1003, 32770));

	pl_model_free(&bm);
	remove_big_tree();
}
END_TEST

/* An object is its device and inode. The first System V segment after
 * boot, or in a new IPC namespace, has id 0, which maps shows as its
 * inode; and two files on two file systems can have one inode number. */
START_TEST(test_model_object_is_device_and_inode)
{
	struct pl_model bm;

	make_big_tree();
	put("7f0000000000-7f0000001000 rw-s 00000000 00:01 0   /SYSV00000000 (deleted)\n",
	    "%s/1006/maps", big);
	put("7f0000000000-7f0000001000 rw-s 00000000 00:01 0   /SYSV00000000 (deleted)\n",
	    "%s/1007/maps", big);
	put("7f0000000000-7f0000001000 rw-s 00000000 08:01 9001   /srv/a\n", "%s/1008/maps", big);
	put("7f0000000000-7f0000001000 rw-s 00000000 08:02 9001   /home/b\n", "%s/1009/maps", big);
	put("7f0000000000-7f0000001000 rw-s 00000000 08:02 9001   /home/b\n", "%s/1010/maps", big);
	ck_assert_int_eq(pl_model_init(&bm, big, 1000), 0);
	refresh_big(&bm, 0.0, 0);
	ck_assert(shares(&bm, PL_IPC_SYSV_SHM, 1006, 1007, 0));
	ck_assert(!shares(&bm, PL_IPC_MAPPING, 1008, 1009, 9001));
	ck_assert(shares(&bm, PL_IPC_MAPPING, 1009, 1010, 9001));
	pl_model_free(&bm);
	remove_big_tree();
}
END_TEST

/* The text of the object of KIND and INODE in BM ("" if there is none). */
static const char *
object_text(const struct pl_model *bm, enum pl_ipc_kind kind, unsigned long long inode)
{
	static char text[512];
	const struct pl_ipc_object *o = find_object(bm, kind, inode);

	text[0] = '\0';
	if (o != NULL)
		dash_text_object(bm, o, true, text, sizeof(text));
	return text;
}

/* Sockets from the host's tables (here the fake tree's net/tcp, net/udp
 * and unix-peers): a pre-fork listener with every process that shares
 * it, a connection over loopback end to end, an end to outside, a bound
 * UDP socket, a UDP socket connected to another that a watched process
 * has bound (no connection to outside: tests/dashboard-oracle.sh found
 * it said so, where ss shows a watched process's socket), a Unix socket
 * listening on a path. A socket only one process holds and that listens
 * on nothing is no channel. */
START_TEST(test_model_sockets_listening_paired_and_outside)
{
	struct pl_model bm;

	make_big_tree();
	for (pid_t pid = 1010; pid <= 1013; pid++)
		put("socket:[9100]", "%s/%ld/fd/3", big, (long)pid);
	put("socket:[9101]", "%s/1014/fd/3", big);
	put("socket:[9102]", "%s/1012/fd/4", big);
	put("socket:[9103]", "%s/1015/fd/3", big);
	put("socket:[9104]", "%s/1016/fd/3", big);
	put("socket:[9105]", "%s/1016/fd/4", big);
	put("socket:[9106]", "%s/1019/fd/3", big);
	put("socket:[9200]", "%s/1017/fd/4", big);
	put("socket:[9201]", "%s/1018/fd/4", big);
	char net[128];
	snprintf(net, sizeof(net), "%s/net", big);
	ck_assert_int_eq(mkdir(net, 0700), 0);
	/* 127.0.0.1:8080 listening (0A); 127.0.0.1:40000 -> :8080 and its
	 * accepted end; 10.0.0.2:5555 -> 93.184.216.34:80; one in TIME_WAIT
	 * (06), which no process holds (inode 0). Addresses as the host
	 * stores them, in hex. */
	put("  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  "
	    "timeout inode\n"
	    "   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0 "
	    "       0 9100 1 0000000000000000 100 0 0 10 0\n"
	    "   1: 0100007F:9C40 0100007F:1F90 01 00000000:00000000 00:00000000 00000000     0 "
	    "       0 9101 1 0000000000000000 20 4 30 10 -1\n"
	    "   2: 0100007F:1F90 0100007F:9C40 01 00000000:00000000 00:00000000 00000000     0 "
	    "       0 9102 1 0000000000000000 20 4 30 10 -1\n"
	    "   3: 0200000A:15B3 22D8B85D:0050 01 00000000:00000000 00:00000000 00000000     0 "
	    "       0 9103 1 0000000000000000 20 4 30 10 -1\n"
	    "   4: 0100007F:9C41 0100007F:1F90 06 00000000:00000000 03:00001770 00000000     0 "
	    "       0 0 3 0000000000000000\n",
	    "%s/net/tcp", big);
	put("   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  "
	    "timeout inode ref pointer drops\n"
	    "  100: 00000000:14E9 00000000:0000 07 00000000:00000000 00:00000000 00000000   0 "
	    "       0 9104 2 0000000000000000 0\n"
	    "  101: 0100007F:14EA 00000000:0000 07 00000000:00000000 00:00000000 00000000   0 "
	    "       0 9105 2 0000000000000000 0\n"
	    "  102: 0100007F:9C42 0100007F:14EA 01 00000000:00000000 00:00000000 00000000   0 "
	    "       0 9106 2 0000000000000000 0\n",
	    "%s/net/udp", big);
	put("9200 0 10 /tmp/srv.sock\n9201 0 7\n", "%s/unix-peers", big);
	ck_assert_int_eq(pl_model_init(&bm, big, 1000), 0);
	refresh_big(&bm, 0.0, 0);
	ck_assert_str_eq(object_text(&bm, PL_IPC_TCP, 9100),
	                 "tcp      127.0.0.1:8080 listening, held by 4: 1010 (fd 3) 1011 (fd 3) "
	                 "1012 (fd 3) 1013 (fd 3)");
	ck_assert_str_eq(object_text(&bm, PL_IPC_TCP, 9101),
	                 "tcp      127.0.0.1:40000 held by 1: 1014 (fd 3) <-> 127.0.0.1:8080 held "
	                 "by 1: 1012 (fd 4)");
	ck_assert_ptr_null(find_object(&bm, PL_IPC_TCP, 9102)); /* the same connection */
	ck_assert_str_eq(
	        object_text(&bm, PL_IPC_TCP, 9103),
	        "tcp      10.0.0.2:5555 held by 1: 1015 (fd 3) -> 93.184.216.34:80 outside");
	ck_assert(find_object(&bm, PL_IPC_TCP, 9103)->outside);
	ck_assert_str_eq(object_text(&bm, PL_IPC_UDP, 9104),
	                 "udp      0.0.0.0:5353 listening, held by 1: 1016 (fd 3)");
	ck_assert_str_eq(
	        object_text(&bm, PL_IPC_UDP, 9106),
	        "udp      127.0.0.1:40002 held by 1: 1019 (fd 3) <-> 127.0.0.1:5354 held by 1: "
	        "1016 (fd 4)");
	ck_assert_str_eq(object_text(&bm, PL_IPC_UDP, 9105), /* and its own line */
	                 "udp      127.0.0.1:5354 listening, held by 1: 1016 (fd 4)");
	ck_assert_str_eq(object_text(&bm, PL_IPC_UNIX, 9200),
	                 "unix     /tmp/srv.sock listening, held by 1: 1017 (fd 4)");
	ck_assert_ptr_null(find_object(&bm, PL_IPC_UNIX, 9201));
	ck_assert_str_eq(find_object(&bm, PL_IPC_TCP, 9100)->id, "tcp:9100");
	pl_model_free(&bm);
	remove_big_tree();
}
END_TEST

/* In a big tree the host's socket tables are read again only when the
 * watched processes hold other sockets than at the last reading, when
 * one of those was not settled (not in the tables, or neither listening
 * nor connected), or after SOCKETS_PERIOD_BIG (10 s). The fd tables are
 * read every 2 s, and each process's again only if it ran. */
static void
ran(pid_t pid, int times)
{
	char text[64];

	snprintf(text, sizeof(text), "%d 0 %d\n", 5000000 + times, 10 + times);
	put(text, "%s/%ld/schedstat", big, (long)pid);
}

START_TEST(test_model_big_tree_reads_socket_tables_when_due)
{
	static const char head[] = "  sl  local_address rem_address   st tx_queue rx_queue tr "
	                           "tm->when retrnsmt   uid  timeout inode\n";
	static const char listener[] = "   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 "
	                               "00:00000000 00000000     0        0 9100 1 0 100 0 0 10 0\n";
	static const char client[] = "   1: 0100007F:9C40 0100007F:1F90 01 00000000:00000000 "
	                             "00:00000000 00000000     0        0 9101 1 0 20 4 30 10 -1\n";
	struct pl_model bm;
	char net[128], tcp[512];

	make_big_tree();
	snprintf(net, sizeof(net), "%s/net", big);
	ck_assert_int_eq(mkdir(net, 0700), 0);
	put("socket:[9100]", "%s/1010/fd/3", big);
	put("socket:[9100]", "%s/1011/fd/3", big);
	snprintf(tcp, sizeof(tcp), "%s%s", head, listener);
	put(tcp, "%s/net/tcp", big);
	ck_assert_int_eq(pl_model_init(&bm, big, 1000), 0);
	refresh_big(&bm, 0.0, 0);
	ck_assert_uint_eq(bm.socket_reads, 1);
	ck_assert_ptr_nonnull(find_object(&bm, PL_IPC_TCP, 9100));
	/* The same sockets, one listening: not read again. */
	ran(1010, 1);
	refresh_big(&bm, 2.5, 0);
	ck_assert_uint_eq(bm.socket_reads, 1);
	ck_assert_ptr_nonnull(find_object(&bm, PL_IPC_TCP, 9100));
	/* A new socket, connected: read. */
	put("socket:[9101]", "%s/1012/fd/3", big);
	ran(1012, 1);
	snprintf(tcp, sizeof(tcp), "%s%s%s", head, listener, client);
	put(tcp, "%s/net/tcp", big);
	refresh_big(&bm, 5.0, 0);
	ck_assert_uint_eq(bm.socket_reads, 2);
	ck_assert_ptr_nonnull(find_object(&bm, PL_IPC_TCP, 9101));
	refresh_big(&bm, 7.5, 0);
	ck_assert_uint_eq(bm.socket_reads, 2);
	/* Ten seconds on, read anyway. */
	refresh_big(&bm, 15.5, 0);
	ck_assert_uint_eq(bm.socket_reads, 3);
	/* A socket in no table (made, not yet bound or connected): read at
	 * each reading of the fd tables until it settles. */
	put("socket:[9150]", "%s/1013/fd/3", big);
	ran(1013, 1);
	refresh_big(&bm, 18.0, 0);
	ck_assert_uint_eq(bm.socket_reads, 4);
	refresh_big(&bm, 20.5, 0);
	ck_assert_uint_eq(bm.socket_reads, 5);
	pl_model_free(&bm);
	remove_big_tree();
}
END_TEST

/* Names that teach: a semaphore is no "shm", an anonymous shared mapping
 * is no file, and an eventfd two processes hold is one object (a fake
 * tree gives each anon-inode file an "ino:" of its own; the real /proc
 * needs kcmp, in test_model_real_proc_sockets_and_anon_fds). */
START_TEST(test_model_labels_that_teach)
{
	struct pl_model bm;
	const char *maps =
	        "7f0000000000-7f0000001000 rw-s 00000000 00:01 9301   /dev/shm/sem.mp-abc (deleted)\n"
	        "7f0000001000-7f0000002000 rw-s 00000000 00:01 9302   /dev/zero (deleted)\n";

	make_big_tree();
	put(maps, "%s/1020/maps", big);
	put(maps, "%s/1021/maps", big);
	put("anon_inode:[eventfd]", "%s/1020/fd/5", big);
	put("pos:\t0\nflags:\t02\nino:\t9400\n", "%s/1020/fdinfo/5", big);
	put("anon_inode:[eventfd]", "%s/1021/fd/5", big);
	put("pos:\t0\nflags:\t02\nino:\t9400\n", "%s/1021/fdinfo/5", big);
	put("anon_inode:[eventpoll]", "%s/1021/fd/6", big); /* its own: not shown */
	put("pos:\t0\nflags:\t02\nino:\t9401\n", "%s/1021/fdinfo/6", big);
	ck_assert_int_eq(pl_model_init(&bm, big, 1000), 0);
	refresh_big(&bm, 0.0, 0);
	ck_assert_str_eq(object_text(&bm, PL_IPC_SEM, 9301),
	                 "sem      /dev/shm/sem.mp-abc (deleted) held by 2: 1020 (map) 1021 (map)");
	ck_assert_str_eq(object_text(&bm, PL_IPC_ANON_SHM, 9302),
	                 "anonshm  anonymous shared memory held by 2: 1020 (map) 1021 (map)");
	ck_assert_str_eq(object_text(&bm, PL_IPC_EVENTFD, 9400),
	                 "eventfd  eventfd held by 2: 1020 (fd 5) 1021 (fd 5)");
	ck_assert_ptr_null(find_object(&bm, PL_IPC_EPOLL, 9401));
	ck_assert_ptr_null(find_object(&bm, PL_IPC_SHM, 9301));
	pl_model_free(&bm);
	remove_big_tree();
}
END_TEST

/* Many holders: one line, and the text gives their number and the first
 * PIDs only. */
START_TEST(test_model_many_holders_summarised)
{
	struct pl_model bm;

	make_big_tree();
	for (pid_t pid = 1030; pid < 1040; pid++) {
		put("pipe:[7100]", "%s/%ld/fd/1", big, (long)pid);
		put("pos:\t0\nflags:\t01\n", "%s/%ld/fdinfo/1", big, (long)pid);
	}
	ck_assert_int_eq(pl_model_init(&bm, big, 1000), 0);
	refresh_big(&bm, 0.0, 0);
	ck_assert_uint_eq(find_object(&bm, PL_IPC_PIPE, 7100)->npids, 10);
	ck_assert_uint_eq(find_object(&bm, PL_IPC_PIPE, 7100)->nholders, 10);
	ck_assert_str_eq(object_text(&bm, PL_IPC_PIPE, 7100),
	                 "pipe     pipe:[7100] held by 10: 1030 1031 1032 1033 1034 1035 ...");
	pl_model_free(&bm);
	remove_big_tree();
}
END_TEST

/* A PID found not to be ours is skipped, and looked at again every
 * PL_MODEL_FOREIGN_EVERY refreshes: a process adopted by a watched subreaper,
 * or a new child of ours under a PID that was someone else's, joins the
 * tree within that many refreshes. */
START_TEST(test_model_foreign_pids_are_looked_at_again)
{
	struct pl_model bm;
	struct pl_model_proc *adopted, *reused;
	int refreshes = 0;

	make_big_tree();
	add_sleeper(5000, 1);
	add_sleeper(5001, 1);
	ck_assert_int_eq(pl_model_init(&bm, big, 1000), 0);
	refresh_big(&bm, 0.0, 0);
	ck_assert_ptr_null(pl_model_find(&bm, 5000));
	ck_assert_ptr_null(pl_model_find(&bm, 5001));

	/* 5000's parent ended and 1000, a subreaper, took it; 5001 ended and
	 * its PID went to a new child of 1001 (a later start time). */
	put_stat_started(5000, 1000, 1, 1000);
	put_stat_started(5001, 1001, 1, 2000);
	do {
		ck_assert_int_eq(pl_model_refresh(&bm, 0.1 * ++refreshes), 0);
		adopted = pl_model_find(&bm, 5000);
		reused = pl_model_find(&bm, 5001);
	} while ((adopted == NULL || reused == NULL) && refreshes < PL_MODEL_FOREIGN_EVERY);
	ck_assert_ptr_nonnull(adopted);
	ck_assert_ptr_nonnull(reused);
	ck_assert_int_eq(adopted->ppid, 1000);
	ck_assert_int_eq(adopted->depth, 1);
	ck_assert_int_eq(reused->ppid, 1001);
	ck_assert_int_eq(reused->depth, 2);
	ck_assert_uint_eq(pl_model_alive(&bm), BIG + 3);

	pl_model_free(&bm);
	remove_big_tree();
}
END_TEST

/* In a big tree a sleeper's stat is left unread on most refreshes. If
 * its PID went to a stranger meanwhile, the stranger's child must not join
 * the tree on the word of the listing alone: the parent is read first. */
START_TEST(test_model_skipped_sleeper_is_read_before_a_child_joins)
{
	struct pl_model bm;
	pid_t victim = 1001;

	make_big_tree();
	ck_assert_int_eq(pl_model_init(&bm, big, 1000), 0);
	refresh_big(&bm, 0.0, 0);
	ck_assert_ptr_nonnull(pl_model_find(&bm, 1001 + BIG - 1));
	/* A sleeper the next refresh skips (see scan_proc in pl_model.c). */
	while ((bm.refreshes + (unsigned)victim) % 5 != 1)
		victim++;
	/* It ended; its PID now names a stranger (a later start, parent 1)
	 * with a child of its own. */
	put_stat_started(victim, 1, 1, 5000);
	add_sleeper(5002, victim);
	for (int i = 1; i <= 5; i++) {
		ck_assert_int_eq(pl_model_refresh(&bm, 0.1 * i), 0);
		ck_assert_ptr_null(pl_model_find(&bm, 5002));
	}
	ck_assert_double_ge(pl_model_find(&bm, victim)->gone_at, 0);

	pl_model_free(&bm);
	remove_big_tree();
}
END_TEST

/* The root is watched from its first sighting to its end, and never
 * again: its PID may go to a stranger. With its start time known, a
 * stranger already at its PID is not taken for it either. */
START_TEST(test_model_root_pid_reused_is_not_watched)
{
	struct pl_model bm;
	struct pl_model_proc *root;

	make_big_tree();
	ck_assert_int_eq(pl_model_init(&bm, big, 1000), 0);
	refresh_big(&bm, 0.0, 0);
	put_stat_started(1000, 1, 1, 9000);
	refresh_big(&bm, 1.0, 5); /* a sleeper: read within 5 refreshes */
	root = pl_model_find(&bm, 1000);
	ck_assert_ptr_nonnull(root);
	ck_assert_double_ge(root->gone_at, 1.0);
	ck_assert_uint_eq(root->start, 1000);
	pl_model_free(&bm);

	ck_assert_int_eq(pl_model_init(&bm, big, 1000), 0);
	bm.root_start = 1000; /* the caller's; the stat now says 9000 */
	refresh_big(&bm, 0.0, 0);
	ck_assert_ptr_null(pl_model_find(&bm, 1000));
	ck_assert_uint_eq(pl_model_alive(&bm), 0);
	pl_model_free(&bm);
	remove_big_tree();
}
END_TEST

START_TEST(test_model_timeline_samples_states)
{
	struct pl_model_proc *z;

	next_snapshot(BEFORE, 0.2); /* too soon for a new cell */
	next_snapshot(BEFORE, 0.6);
	next_snapshot(AFTER, 1.2);
	z = pl_model_find(&m, 102);
	ck_assert_uint_eq(z->timeline_len, 3);
	ck_assert_int_eq(z->timeline[0], 'Z');
	ck_assert_int_eq(z->timeline[2], '.');
}
END_TEST

START_TEST(test_model_reads_the_board)
{
	struct pl_board *b = calloc(1, sizeof(*b));
	struct pl_model_proc *p;

	ck_assert_ptr_nonnull(b);
	b->magic = PL_BOARD_MAGIC;
	b->slots[3].pid = 101;
	snprintf(b->slots[3].role, sizeof(b->slots[3].role), "reader");
	snprintf(b->slots[3].wants, sizeof(b->slots[3].wants), "the mutex");
	b->slots[5].pid = 200;
	snprintf(b->slots[5].holds[0], sizeof(b->slots[5].holds[0]), "the mutex");
	b->events[0].seq = 1;
	snprintf(b->events[0].text, sizeof(b->events[0].text), "Step 1: hello");
	b->events[0].kind = 's';
	b->nevents = 1;
	b->step_waiting = 1;
	m.board = b;
	ck_assert_int_eq(pl_model_refresh(&m, 0.1), 0);
	p = pl_model_find(&m, 101);
	ck_assert_str_eq(p->role, "reader");
	ck_assert_uint_eq(m.nnarration, 1);
	ck_assert_str_eq(m.narration[0], "Step 1: hello");
	ck_assert(m.step_waiting);
	/* 101 wants what 200 holds: a wait, not a cycle; the lock cycle
	 * from /proc/locks is still there. */
	ck_assert_uint_eq(m.ncycles, 1);
	m.board = NULL;
	free(b);
}
END_TEST

START_TEST(test_model_plain_snapshot)
{
	char *text = dash_text_snapshot(&m, "fake", true);

	ck_assert_ptr_nonnull(text);
	ck_assert_ptr_nonnull(strstr(text, "proclab: fake\n"));
	ck_assert_ptr_nonnull(strstr(text, "    100      50 S sleeping   do_wait"));
	ck_assert_ptr_nonnull(strstr(text, "`-my (odd) name)"));
	ck_assert_ptr_nonnull(strstr(text, "Z zombie"));
	ck_assert_ptr_nonnull(
	        strstr(text,
	               "\nIPC\n  pipe     pipe:[5001] held by 2: 100 (fd 3 w) 101 (fd 0 r)\n"));
	ck_assert_ptr_nonnull(strstr(text, "  FLOCK  WRITE 200 waits for inode 7001\n"));
	ck_assert_ptr_nonnull(strstr(text, "\nDEADLOCK: 100 (proclab-fork) wants"));
	free(text);
}
END_TEST

START_TEST(test_model_missing_proc_is_an_error)
{
	struct pl_model bad;

	ck_assert_int_eq(pl_model_init(&bad, PL_TEST_SRCDIR "/fakeproc/none", 1), 0);
	ck_assert_int_eq(pl_model_refresh(&bad, 0), -1);
	pl_model_free(&bad);
}
END_TEST

START_TEST(test_model_real_proc_sees_a_child)
{
	struct pl_model real;
	int pfd[2], status;
	pid_t child;
	char c;

	/* The real /proc: a child blocked reading a pipe we write. */
	ck_assert_int_eq(pipe(pfd), 0);
	child = fork();
	if (child == 0) {
		close(pfd[1]);
		_exit(read(pfd[0], &c, 1) == 1 ? 0 : 1);
	}
	close(pfd[0]);
	ck_assert_int_eq(pl_model_init(&real, "/proc", getpid()), 0);
	for (int i = 0; i < 500; i++) {
		struct pl_model_proc *p;
		ck_assert_int_eq(pl_model_refresh(&real, i * 0.01), 0);
		p = pl_model_find(&real, child);
		/* Asleep, and in the read: just after fork() the child may
		 * sleep elsewhere for a moment (a busy machine, a page fault). */
		if (p != NULL && p->state == 'S' && strstr(p->wchan, "pipe") != NULL &&
		    real.nobjects > 0)
			break;
		usleep(10000);
	}
	ck_assert_ptr_nonnull(pl_model_find(&real, child));
	ck_assert_int_eq(pl_model_find(&real, child)->state, 'S');
	ck_assert_ptr_nonnull(strstr(pl_model_find(&real, child)->wchan, "pipe"));
	ck_assert_uint_ge(real.nobjects, 1);
	struct stat sb;
	ck_assert_int_eq(fstat(pfd[1], &sb), 0);
	const struct pl_ipc_object *o = find_object(&real, PL_IPC_PIPE, sb.st_ino);
	ck_assert_ptr_nonnull(o);
	ck_assert_int_eq(holder_of(&real, o, getpid(), 0)->end, 'w');
	ck_assert_int_eq(holder_of(&real, o, child, 0)->end, 'r');
	ck_assert_int_eq(o->queued, 0);
	ck_assert_int_eq(write(pfd[1], "x", 1), 1);
	ck_assert_int_eq(waitpid(child, &status, 0), child);
	close(pfd[1]);
	pl_model_free(&real);
}
END_TEST

/* /proc is listed again only when a task was born or reaped since the
 * last listing (or once a second): a child forked between two refreshes
 * is seen at the next one, and so is its reaping, while refreshes with
 * nothing born in between read only the watched PIDs. */
START_TEST(test_model_real_proc_lists_again_after_a_birth)
{
	struct pl_model real;
	unsigned long long before, skipped = 0;
	int pfd[2];
	pid_t child;
	char c;

	ck_assert_int_eq(pl_model_init(&real, "/proc", getpid()), 0);
	ck_assert(real.loadavg_usable);
	ck_assert_int_eq(pl_model_refresh(&real, 0), 0);
	/* The time floor of one listing a second is not reached: t < 1. */
	for (int i = 1; i < 2000 && skipped == 0; i++) {
		before = real.listings;
		ck_assert_int_eq(pl_model_refresh(&real, i * 1e-4), 0);
		skipped += real.listings == before;
	}
	ck_assert_uint_ge(skipped, 1);
	for (int round = 0; round < 20; round++) {
		ck_assert_int_eq(pipe(pfd), 0);
		child = fork();
		ck_assert_int_ne(child, -1);
		if (child == 0) {
			close(pfd[1]);
			_exit(read(pfd[0], &c, 1) >= 0 ? 0 : 1);
		}
		close(pfd[0]);
		ck_assert_int_eq(pl_model_refresh(&real, 0.2 + round * 1e-3), 0);
		ck_assert_ptr_nonnull(pl_model_find(&real, child));
		close(pfd[1]);
		ck_assert_int_eq(waitpid(child, NULL, 0), child);
		ck_assert_int_eq(pl_model_refresh(&real, 0.2 + round * 1e-3 + 5e-4), 0);
		ck_assert(pl_model_find(&real, child)->gone_at >= 0);
	}
	pl_model_free(&real);
}
END_TEST

/* More watched processes than descriptors it may keep: the rest are read
 * by path, every one is seen, and the model keeps no more than it may (at
 * 10,000 processes it failed with EMFILE when it kept two for each). */
START_TEST(test_model_real_proc_keeps_few_descriptors)
{
	struct pl_model real;
	pid_t kids[6];
	int pfd[2], seen = 0;
	char c;

	ck_assert_int_eq(pipe(pfd), 0);
	for (int i = 0; i < 6; i++) {
		kids[i] = fork();
		if (kids[i] == 0) {
			close(pfd[1]);
			_exit(read(pfd[0], &c, 1) >= 0 ? 0 : 1);
		}
		ck_assert_int_ne(kids[i], -1);
	}
	close(pfd[0]);
	ck_assert_int_eq(pl_model_init(&real, "/proc", getpid()), 0);
	real.max_kept_fds = 3;
	for (int t = 0; t < 500 && seen < 6; t++) {
		ck_assert_int_eq(pl_model_refresh(&real, t * 0.01), 0);
		ck_assert_uint_le(real.kept_fds, 3);
		seen = 0;
		for (int i = 0; i < 6; i++) {
			struct pl_model_proc *p = pl_model_find(&real, kids[i]);

			seen += p != NULL && p->state == 'S';
		}
		usleep(10000);
	}
	ck_assert_int_eq(seen, 6);
	close(pfd[1]); /* end of file: each child exits */
	for (int i = 0; i < 6; i++)
		ck_assert_int_eq(waitpid(kids[i], NULL, 0), kids[i]);
	pl_model_free(&real);
	ck_assert_uint_eq(real.kept_fds, 0);
}
END_TEST

/* The real /proc, sock_diag and /proc/net/tcp: a child shares our
 * listening TCP socket and accepts our connection on it (one object
 * listening, held by both; one connection end to end), and shares an
 * eventfd and an anonymous shared mapping, which only kcmp(2) and the
 * maps tell apart from their kin. */
START_TEST(test_model_real_proc_sockets_and_anon_fds)
{
	struct sockaddr_in addr = { .sin_family = AF_INET };
	socklen_t len = sizeof(addr);
	struct pl_model real;
	int listener, client, event, status, ready[2], poller, pidfd, own_poller;
	const struct pl_ipc_object *tcp = NULL, *conn = NULL, *ev = NULL, *anon = NULL;
	const struct pl_ipc_object *ep = NULL, *pf = NULL;
	size_t epolls = 0;
	char label[64];
	pid_t child;
	char c;
	void *shared;

	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_ne(listener = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), -1);
	ck_assert_int_eq(bind(listener, (struct sockaddr *)&addr, sizeof(addr)), 0);
	ck_assert_int_eq(listen(listener, 1), 0);
	ck_assert_int_eq(getsockname(listener, (struct sockaddr *)&addr, &len), 0);
	ck_assert_int_ne(event = eventfd(0, EFD_CLOEXEC), -1);
	ck_assert_int_ne(poller = epoll_create1(EPOLL_CLOEXEC), -1);
	ck_assert_int_ne(pidfd = (int)syscall(SYS_pidfd_open, getpid(), 0), -1);
	shared = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ck_assert_ptr_ne(shared, MAP_FAILED);
	ck_assert_int_eq(pipe(ready), 0);
	child = fork();
	if (child == 0) {
		int fd = accept(listener, NULL, NULL);
		close(ready[1]);
		/* Hold everything until the parent closes its end. */
		_exit(fd != -1 && read(ready[0], &c, 1) == 0 ? 0 : 1);
	}
	close(ready[0]);
	ck_assert_int_ne(own_poller = epoll_create1(EPOLL_CLOEXEC), -1); /* ours alone */
	ck_assert_int_ne(client = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), -1);
	ck_assert_int_eq(connect(client, (struct sockaddr *)&addr, sizeof(addr)), 0);
	ck_assert_int_eq(pl_model_init(&real, "/proc", getpid()), 0);
	for (int i = 0; i < 500; i++) {
		ck_assert_int_eq(pl_model_refresh(&real, i * 0.01), 0);
		tcp = conn = ev = anon = ep = pf = NULL;
		epolls = 0;
		for (size_t k = 0; k < real.nobjects; k++) {
			const struct pl_ipc_object *o = &real.objects[k];
			if (o->kind == PL_IPC_TCP && o->listening && o->npids == 2)
				tcp = o;
			if (o->kind == PL_IPC_TCP && o->connection && !o->outside)
				conn = o;
			if (o->kind == PL_IPC_EVENTFD && o->npids == 2)
				ev = o;
			if (o->kind == PL_IPC_ANON_SHM && o->npids == 2)
				anon = o;
			if (o->kind == PL_IPC_EPOLL && o->npids == 2)
				ep = o;
			epolls += o->kind == PL_IPC_EPOLL;
			if (o->kind == PL_IPC_PIDFD && o->npids == 2)
				pf = o;
		}
		if (tcp != NULL && conn != NULL && ev != NULL && anon != NULL && ep != NULL &&
		    pf != NULL)
			break;
		usleep(10000);
	}
	ck_assert_ptr_nonnull(tcp);
	ck_assert_ptr_nonnull(holder_of(&real, tcp, child, 0));
	ck_assert_ptr_nonnull(conn);
	ck_assert_ptr_nonnull(holder_of(&real, conn, getpid(), 0)
	                              ? holder_of(&real, conn, child, 1)
	                              : holder_of(&real, conn, child, 0));
	ck_assert_ptr_nonnull(ev);
	ck_assert_str_eq(ev->label, "eventfd");
	ck_assert_ptr_nonnull(anon);
	/* kcmp(2) tells the shared epoll from our own, which the child
	 * does not hold and which is no object. */
	ck_assert_ptr_nonnull(ep);
	ck_assert_uint_eq(ep->nholders, 2);
	ck_assert_uint_eq(epolls, 1);
	ck_assert_ptr_nonnull(pf);
	snprintf(label, sizeof(label), "pidfd of process %ld", (long)getpid());
	ck_assert_str_eq(pf->label, label);
	ck_assert_uint_ge(real.socket_reads, 1);
	close(ready[1]);
	ck_assert_int_eq(waitpid(child, &status, 0), child);
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	close(client);
	close(listener);
	close(event);
	close(poller);
	close(own_poller);
	close(pidfd);
	munmap(shared, 4096);
	pl_model_free(&real);
}
END_TEST

/* Two threads of this process report a lock cycle on a real board. */
static pthread_barrier_t reported, checked;

static void *
philosopher(void *arg)
{
	const char *me = arg;

	pl_board_set_role(me[0] == 'A' ? "thread A" : "thread B");
	pl_board_lock_holds(me[0] == 'A' ? "mutex 1" : "mutex 2");
	pl_board_lock_wants(me[0] == 'A' ? "mutex 2" : "mutex 1");
	pthread_barrier_wait(&reported);
	pthread_barrier_wait(&checked);
	pl_board_leave();
	return NULL;
}

START_TEST(test_model_threads_deadlock_on_the_board)
{
	struct pl_model real;
	struct pl_board *board;
	char name[64], text[512];
	pthread_t a, b;

	board = pl_board_create(name, sizeof(name));
	ck_assert_ptr_nonnull(board);
	pl_board_use(board);
	pthread_barrier_init(&reported, NULL, 3);
	pthread_barrier_init(&checked, NULL, 3);
	ck_assert_int_eq(pthread_create(&a, NULL, philosopher, "A"), 0);
	ck_assert_int_eq(pthread_create(&b, NULL, philosopher, "B"), 0);
	pthread_barrier_wait(&reported);

	ck_assert_int_eq(pl_model_init(&real, "/proc", getpid()), 0);
	real.board = board;
	real.ipc = false;
	ck_assert_int_eq(pl_model_refresh(&real, 0), 0);
	ck_assert_uint_eq(real.ncycles, 1);
	dash_text_deadlock(&real.cycles[0], text, sizeof(text));
	ck_assert_ptr_nonnull(strstr(text, "(thread A) wants mutex 2, held by "));
	ck_assert_ptr_nonnull(strstr(text, "(thread B) wants mutex 1, held by "));
	/* The threads are not processes: no row of their own. */
	ck_assert_uint_eq(real.nprocs, 1);

	pthread_barrier_wait(&checked);
	pthread_join(a, NULL);
	pthread_join(b, NULL);
	ck_assert_int_eq(pl_model_refresh(&real, 0.1), 0);
	ck_assert_uint_eq(real.ncycles, 0);
	pl_model_free(&real);
	pl_board_use(NULL);
	ck_assert_int_eq(pl_board_remove(board, name), 0);
}
END_TEST

static Suite *
model_suite(void)
{
	Suite *s = suite_create("model");
	TCase *fake = tcase_create("fake-proc");
	TCase *real = tcase_create("real-proc");

	tcase_add_checked_fixture(fake, setup, teardown);
	tcase_add_test(fake, test_model_tree_order_and_depth);
	tcase_add_test(fake, test_model_states_wchan_and_odd_comm);
	tcase_add_test(fake, test_model_zombie_carries_exit_status);
	tcase_add_test(fake, test_model_pipe_is_one_object_with_its_ends);
	tcase_add_test(fake, test_model_socketpair_and_shared_memory);
	tcase_add_test(fake, test_model_locks_and_deadlock);
	tcase_add_test(fake, test_model_threads_behind_a_toggle);
	tcase_add_test(fake, test_model_reaped_root_has_no_threads);
	tcase_add_test(fake, test_model_exits_adoption_and_new_children);
	tcase_add_test(fake, test_model_unreadable_stat_means_gone);
	tcase_add_test(fake, test_model_timeline_samples_states);
	tcase_add_test(fake, test_model_big_tree_rereads_only_what_ran);
	tcase_add_test(fake, test_model_big_tree_reads_socket_tables_when_due);
	tcase_add_test(fake, test_model_mpi_rank_role_from_environ);
	tcase_add_test(fake, test_model_read_ipc_next_reads_maps_now);
	tcase_add_test(fake, test_model_object_is_device_and_inode);
	tcase_add_test(fake, test_model_sockets_listening_paired_and_outside);
	tcase_add_test(fake, test_model_labels_that_teach);
	tcase_add_test(fake, test_model_many_holders_summarised);
	tcase_add_test(fake, test_model_foreign_pids_are_looked_at_again);
	tcase_add_test(fake, test_model_skipped_sleeper_is_read_before_a_child_joins);
	tcase_add_test(fake, test_model_root_pid_reused_is_not_watched);
	tcase_add_test(fake, test_model_reads_the_board);
	tcase_add_test(fake, test_model_plain_snapshot);
	tcase_add_test(fake, test_model_missing_proc_is_an_error);
	suite_add_tcase(s, fake);
	tcase_set_timeout(real, 30);
	tcase_add_test(real, test_model_real_proc_sees_a_child);
	tcase_add_test(real, test_model_real_proc_lists_again_after_a_birth);
	tcase_add_test(real, test_model_real_proc_keeps_few_descriptors);
	tcase_add_test(real, test_model_real_proc_sockets_and_anon_fds);
	tcase_add_test(real, test_model_threads_deadlock_on_the_board);
	suite_add_tcase(s, real);
	return s;
}

PL_CHECK_MAIN(model_suite)
