/* proclab.h - everything a demo or an exercise needs from libproclab.
 *
 * Include this one header:
 *
 *     #include <proclab.h>
 *
 * and build with `cc ex.c $(pkg-config --cflags --libs proclab)`.
 *
 * The modules, one header each:
 *   pl_parse.h    strict parsing of numbers from the command line
 *   pl_opts.h     the command line every demo shares, plus its own options
 *   pl_json.h     JSON Lines events: typed fields and their encoding
 *   pl_narrate.h  narrating steps, printing evidence, checking claims, pauses
 *   pl_say.h      the same lines, their text filled from their JSON fields
 *   pl_evidence.h readings that prove a claim, and reports between processes
 *   pl_procfs.h   what the kernel says about a process in /proc/PID
 *   pl_pidfd.h    signalling a process only while its PID surely names it
 *   pl_child.h    forking tracked children and reaping them
 *   pl_cleanup.h  leaving nothing behind on exit or Ctrl-C
 *   pl_demo.h     helpers for a demo's main(): start-up, dying with a message
 *   pl_io.h       reading and writing all of it; errno names
 *   pl_name.h     names for shared objects that nobody can guess, and their owners
 *   pl_measure.h  clocks, medians and percentiles; CPU work sized to the machine
 *   pl_board.h    the status board a demo shares with the dashboard
 *   pl_waitfor.h  the wait-for graph of processes and locks, and its cycles
 *   pl_lock.h     mutexes and semaphores that report who holds and who waits
 *   pl_maps.h     one line of /proc/PID/maps: a mapping, its device and inode
 *   pl_sockdiag.h which Unix socket is connected to which (sock_diag)
 *   pl_text.h     text from other processes, made safe to show on a terminal
 *   pl_model.h    a watched tree of processes: states, zombies, orphans, exits,
 *                 locks, board and deadlocks, refreshed from /proc
 *   pl_ipc.h      the pipes, sockets, shared memory and queues between them
 *   pl_history.h  a whole run kept: every process, its states, the narration,
 *                 a summary; recorded as JSON Lines and replayed
 *   pl_record.h   the one reader of a recording, for the replay and the export
 *   pl_export.h   a recorded run drawn as a Chrome trace or an SVG picture
 *
 * Library functions never print and never exit: they return 0, or -1 with
 * errno set. Only pl_demo.h's functions, meant for main(), may exit.
 */
#ifndef PROCLAB_H
#define PROCLAB_H

#include "pl_parse.h"
#include "pl_opts.h"
#include "pl_json.h"
#include "pl_narrate.h"
#include "pl_say.h"
#include "pl_evidence.h"
#include "pl_procfs.h"
#include "pl_pidfd.h"
#include "pl_child.h"
#include "pl_cleanup.h"
#include "pl_demo.h"
#include "pl_io.h"
#include "pl_name.h"
#include "pl_measure.h"
#include "pl_board.h"
#include "pl_waitfor.h"
#include "pl_lock.h"
#include "pl_maps.h"
#include "pl_sockdiag.h"
#include "pl_text.h"
#include "pl_model.h"
#include "pl_history.h"
#include "pl_record.h"
#include "pl_ipc.h"
#include "pl_export.h"

#endif /* PROCLAB_H */
