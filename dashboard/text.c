/* text.c - the model as text. */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pl_child.h"
#include "pl_procfs.h"
#include "pl_text.h"
#include "text.h"

size_t
dash_text_clean(char *dst, size_t size, const char *src)
{
	return pl_text_clean(dst, size, src, pl_text_locale_utf8());
}

/* SRC cleaned, cut to WIDTH columns and padded to WIDTH with spaces: one
 * column of the table. printf's "%-10.10s" would count bytes, and so cut
 * a UTF-8 character in two and pad "grüße" one column short. */
static const char *
column(char *dst, size_t size, const char *src, int width)
{
	char clean[256];
	int used;
	size_t n;

	dash_text_clean(clean, sizeof(clean), src);
	n = pl_text_fit(clean, width, &used);
	snprintf(dst, size, "%.*s%*s", (int)n, clean, width - used, "");
	return dst;
}

void
dash_text_print_narration(FILE *out, const char *line)
{
	char clean[1024];

	dash_text_clean(clean, sizeof(clean), line);
	fprintf(out, "> %s\n", clean);
}

int
dash_text_header(char *buf, size_t size)
{
	return snprintf(buf, size, "%7s %7s %-12s %-16s %5s %6s %-10s %s", "PID", "PPID", "STATE",
	                "WCHAN", "CPU%", "RSS", "ROLE", "COMMAND");
}

static void
human_kb(long kb, char *buf, size_t size)
{
	if (kb < 1024)
		snprintf(buf, size, "%ldK", kb);
	else if (kb < 1024 * 1024)
		snprintf(buf, size, "%.1fM", (double)kb / 1024);
	else
		snprintf(buf, size, "%.1fG", (double)kb / (1024 * 1024));
}

int
dash_text_mark(const struct pl_model *m, const struct pl_model_proc *p, bool stable, char *buf,
               size_t size)
{
	char status[96] = "exited", adopter[64];
	int n = 0;

	buf[0] = '\0';
	if (p->gone_at >= 0) {
		if (p->exit_known)
			pl_status_describe(p->exit_status, status, sizeof(status));
		return snprintf(buf, size, "%s%s", status, p->adopted ? " (was adopted)" : "");
	}
	if (p->adopted) {
		dash_text_clean(adopter, sizeof(adopter), p->adopter_comm);
		n = snprintf(buf, size, "adopted by PID %ld (%s)", (long)p->adopter, adopter);
	}
	if (p->state == 'Z' && (size_t)n < size) {
		if (stable)
			n += snprintf(buf + n, size - (size_t)n, "%szombie, unreaped",
			              n ? "; " : "");
		else
			n += snprintf(buf + n, size - (size_t)n, "%szombie, unreaped %.1fs",
			              n ? "; " : "", m->now - p->zombie_since);
	}
	return n;
}

int
dash_text_row(const struct pl_model *m, const struct pl_model_proc *p, bool stable, char *buf,
              size_t size, int *state_at, int *state_len)
{
	char state[24], cpu[32], rss[32], mark[160], indent[64] = "";
	char wchan[80], role[48], comm[64];
	const char *word;
	int n, at;

	if (p->gone_at >= 0)
		snprintf(state, sizeof(state), "- gone");
	else
		snprintf(state, sizeof(state), "%c %s", p->state, pl_procfs_state_name(p->state));
	word = state;
	if (stable || p->gone_at >= 0 || p->state == 'Z' || p->rss_kb < 0) {
		snprintf(cpu, sizeof(cpu), "-");
		snprintf(rss, sizeof(rss), "-");
	} else {
		snprintf(cpu, sizeof(cpu), "%.1f", p->cpu);
		human_kb(p->rss_kb, rss, sizeof(rss));
	}
	for (int d = 0; d < p->depth && (size_t)(2 * d + 3) < sizeof(indent); d++)
		strcat(indent, d + 1 == p->depth ? "`-" : "  ");
	dash_text_mark(m, p, stable, mark, sizeof(mark));
	at = snprintf(buf, size, "%7ld %7ld ", (long)p->pid, (long)p->ppid);
	column(wchan, sizeof(wchan), p->wchan[0] ? p->wchan : "-", 16);
	column(role, sizeof(role), p->role[0] ? p->role : "-", 10);
	dash_text_clean(comm, sizeof(comm), p->comm);
	n = snprintf(buf + at, size > (size_t)at ? size - (size_t)at : 0,
	             "%-12s %s %5s %6s %s %s%s%s%s", word, wchan, cpu, rss, role, indent, comm,
	             mark[0] ? "  " : "", mark);
	if (state_at)
		*state_at = at;
	if (state_len)
		*state_len = (int)strlen(state);
	return at + n;
}

int
dash_text_header_narrow(char *buf, size_t size)
{
	return snprintf(buf, size, "%7s %-10s %-10s %s", "PID", "STATE", "WCHAN", "COMMAND");
}

int
dash_text_row_narrow(const struct pl_model *m, const struct pl_model_proc *p, char *buf,
                     size_t size, int *state_at, int *state_len)
{
	char state[24], mark[160], indent[64] = "", wchan[80], comm[64];

	if (p->gone_at >= 0)
		snprintf(state, sizeof(state), "- gone");
	else
		snprintf(state, sizeof(state), "%c %s", p->state, pl_procfs_state_name(p->state));
	column(wchan, sizeof(wchan), p->wchan[0] ? p->wchan : "-", 10);
	dash_text_clean(comm, sizeof(comm), p->comm);
	for (int d = 0; d < p->depth && (size_t)(d + 2) < sizeof(indent); d++)
		strcat(indent, d + 1 == p->depth ? "`" : " ");
	dash_text_mark(m, p, false, mark, sizeof(mark));
	if (state_at)
		*state_at = 8;
	if (state_len)
		*state_len = (int)strlen(state) < 10 ? (int)strlen(state) : 10;
	return snprintf(buf, size, "%7ld %-10.10s %s %s%s%s%s", (long)p->pid, state, wchan, indent,
	                comm, mark[0] ? " " : "", mark);
}

int
dash_text_thread(const struct pl_model_thread *t, int depth, char *buf, size_t size)
{
	char state[24], wchan[80], comm[64];

	snprintf(state, sizeof(state), "%c %s", t->state, pl_procfs_state_name(t->state));
	column(wchan, sizeof(wchan), t->wchan[0] ? t->wchan : "-", 16);
	dash_text_clean(comm, sizeof(comm), t->comm);
	return snprintf(buf, size, "%7ld %7s %-12s %s %5s %6s %-10s %*s{%s}", (long)t->tid,
	                "thread", state, wchan, "", "", "", 2 * depth + 2, "", comm);
}

/* Past this many processes, a side of an object lists only their PIDs. */
#define HOLDERS_IN_FULL 6

/* Append to BUF of SIZE, which holds *LEN bytes; cut at its end. */
static void __attribute__((format(printf, 4, 5)))
append(char *buf, size_t size, size_t *len, const char *format, ...)
{
	va_list ap;
	int n;

	if (*len >= size - 1)
		return;
	va_start(ap, format);
	n = vsnprintf(buf + *len, size - *len, format, ap);
	va_end(ap);
	if (n > 0)
		*len = *len + (size_t)n < size ? *len + (size_t)n : size - 1;
}

/* "held by 2: 100 (fd 4 w) 101 (fd 3 r, map)" for one side of O: each
 * process once, with its fds (and the end of a pipe) and its mappings.
 * The holders come sorted by side, PID and fd. */
static void
holders_text(const struct pl_model *m, const struct pl_ipc_object *o, int side, char *buf,
             size_t size)
{
	const struct pl_ipc_holder *h = &m->holders[o->holder];
	size_t n = o->nholders, pids = 0, len = 0, shown = 0;

	for (size_t i = 0; i < n; i++)
		if (h[i].side == side &&
		    (i == 0 || h[i - 1].side != side || h[i - 1].pid != h[i].pid))
			pids++;
	buf[0] = '\0';
	append(buf, size, &len, "held by %zu:", pids);
	for (size_t i = 0, j; i < n; i = j) {
		for (j = i; j < n && h[j].side == h[i].side && h[j].pid == h[i].pid;)
			j++;
		if (h[i].side != side)
			continue;
		if (pids > HOLDERS_IN_FULL) { /* many: their PIDs, and not all */
			if (shown < HOLDERS_IN_FULL)
				append(buf, size, &len, " %ld", (long)h[i].pid);
			else if (shown == HOLDERS_IN_FULL)
				append(buf, size, &len, " ...");
			shown++;
			continue;
		}
		append(buf, size, &len, " %ld (", (long)h[i].pid);
		for (size_t k = i; k < j; k++) {
			const char *comma = k > i ? ", " : "";
			if (h[k].fd < 0)
				append(buf, size, &len, "%smap", comma);
			else if (h[k].end != '\0')
				append(buf, size, &len, "%sfd %d %c", comma, h[k].fd, h[k].end);
			else
				append(buf, size, &len, "%sfd %d", comma, h[k].fd);
		}
		append(buf, size, &len, ")");
	}
}

int
dash_text_object(const struct pl_model *m, const struct pl_ipc_object *o, bool stable, char *buf,
                 size_t size)
{
	char label[sizeof(o->label)], ends[2][sizeof(o->ends[0])], side[2][512];
	char queued[48] = "";

	dash_text_clean(label, sizeof(label), o->label);
	dash_text_clean(ends[0], sizeof(ends[0]), o->ends[0]);
	dash_text_clean(ends[1], sizeof(ends[1]), o->ends[1]);
	holders_text(m, o, 0, side[0], sizeof(side[0]));
	if (o->queued >= 0 && !stable)
		snprintf(queued, sizeof(queued), ", %ld bytes queued", o->queued);
	if (o->outside)
		return snprintf(buf, size, "%-8s %s %s -> %s outside", pl_ipc_name(o->kind),
		                ends[0], side[0], ends[1]);
	if (o->connection) {
		holders_text(m, o, 1, side[1], sizeof(side[1]));
		/* A Unix connection to a named socket says the name once. */
		return snprintf(buf, size, "%-8s %s%s%s %s <-> %s %s", pl_ipc_name(o->kind),
		                strcmp(label, ends[0]) != 0 && o->kind == PL_IPC_UNIX ? label : "",
		                strcmp(label, ends[0]) != 0 && o->kind == PL_IPC_UNIX ? ": " : "",
		                ends[0], side[0], ends[1], side[1]);
	}
	return snprintf(buf, size, "%-8s %s%s %s%s", pl_ipc_name(o->kind), label,
	                o->listening ? " listening," : "", side[0], queued);
}

int
dash_text_lock(const struct pl_ipc_lock *l, char *buf, size_t size)
{
	char name[80];

	if (l->name[0])
		dash_text_clean(name, sizeof(name), l->name);
	else
		snprintf(name, sizeof(name), "inode %llu", l->inode);
	return snprintf(buf, size, "%-6s %-5s %ld %s %s%s%s%s", l->type, l->mode, (long)l->pid,
	                l->waiting ? "waits for" : "holds", name, l->range[0] ? " [" : "", l->range,
	                l->range[0] ? "]" : "");
}

int
dash_text_deadlock(const struct pl_waitfor_cycle *c, char *buf, size_t size)
{
	char text[1024];
	int n = snprintf(buf, size, "DEADLOCK: ");

	if (n < 0 || (size_t)n >= size)
		return n;
	/* Roles and lock names come from the demo's board. */
	pl_waitfor_describe(c, text, sizeof(text));
	return n + (int)dash_text_clean(buf + n, size - (size_t)n, text);
}

char *
dash_text_snapshot(const struct pl_model *m, const char *title, bool stable)
{
	char *text = NULL, line[1024];
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	if (f == NULL)
		return NULL;
	/* The title names the command, which may be a file of anyone's. */
	dash_text_clean(line, sizeof(line), title);
	if (stable)
		fprintf(f, "proclab: %s\n", line);
	else
		fprintf(f, "proclab: %s  t=%.1fs\n", line, m->now);
	dash_text_header(line, sizeof(line));
	fprintf(f, "%s\n", line);
	for (size_t k = 0; k < m->norder; k++) {
		const struct pl_model_proc *p = &m->procs[m->order[k]];

		dash_text_row(m, p, stable, line, sizeof(line), NULL, NULL);
		fprintf(f, "%s\n", line);
		for (size_t t = 0; t < p->nthreads; t++) {
			dash_text_thread(&p->threads[t], p->depth, line, sizeof(line));
			fprintf(f, "%s\n", line);
		}
	}
	if (m->nobjects > 0) {
		fprintf(f, "IPC\n");
		for (size_t i = 0; i < m->nobjects; i++) {
			dash_text_object(m, &m->objects[i], stable, line, sizeof(line));
			fprintf(f, "  %s\n", line);
		}
	}
	if (m->nlocks > 0) {
		fprintf(f, "LOCKS\n");
		for (size_t i = 0; i < m->nlocks; i++) {
			dash_text_lock(&m->locks[i], line, sizeof(line));
			fprintf(f, "  %s\n", line);
		}
	}
	for (size_t i = 0; i < m->ncycles; i++) {
		dash_text_deadlock(&m->cycles[i], line, sizeof(line));
		fprintf(f, "%s\n", line);
	}
	if (m->step_waiting)
		fprintf(f, "STEP: waiting at a --step checkpoint\n");
	if (fclose(f) != 0) {
		free(text);
		return NULL;
	}
	return text;
}

int
dash_text_summary(const struct pl_history *h, char *buf, size_t size)
{
	const struct pl_history_summary *s = &h->summary;
	char zombies[96], deadlocks[48], checks[48];

	if (s->zombies == 0)
		snprintf(zombies, sizeof(zombies), "no zombie");
	else
		snprintf(zombies, sizeof(zombies), "%zu zombie%s, unreaped up to %.1f s", s->zombies,
		         s->zombies == 1 ? "" : "s", s->zombie_max);
	if (s->deadlocks == 0)
		snprintf(deadlocks, sizeof(deadlocks), "no deadlock");
	else
		snprintf(deadlocks, sizeof(deadlocks), "%zu deadlock%s", s->deadlocks,
		         s->deadlocks == 1 ? "" : "s");
	if (s->checks == 0)
		snprintf(checks, sizeof(checks), "no checks");
	else
		snprintf(checks, sizeof(checks), "checks: %zu of %zu held", s->checks_held,
		         s->checks);
	return snprintf(buf, size,
	                "Summary: %zu process%s made, at most %zu alive at once; %s; "
	                "%zu orphan%s adopted; %s; %s",
	                s->made, s->made == 1 ? "" : "es", s->most_alive, zombies, s->orphans,
	                s->orphans == 1 ? "" : "s", deadlocks, checks);
}

void
dash_text_narration(const struct pl_history_line *l, char *buf, size_t size)
{
	snprintf(buf, size, "%s%s", l->kind == 's' || l->kind == 'o' ? "" : "  ", l->text);
}
