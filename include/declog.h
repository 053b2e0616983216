/* declog: the decision log's lines, written in batches by a thread of its
 * own.
 *
 * One write(2) per decision, made by the deciding thread, cost more than
 * the decision at 16 connections: the worker threads took turns on the
 * stream and paid a system call each. Workers now append their line to a
 * buffer under a mutex held for a memcpy, and a writer thread writes what
 * has gathered once it is DELAY old (or HIGH bytes long), in order, in one
 * call. A line is on its way to the log at most DELAY after its decision;
 * declog_flush and declog_stop write everything at once. When the log
 * cannot keep up and LIMIT bytes wait, workers wait too (as they did on a
 * slow write), so no line is dropped. */
#ifndef DOCKGATE_DECLOG_H
#define DOCKGATE_DECLOG_H

#include <stddef.h>

struct declog;
/* How long lines may gather before they are written: the decision log,
 * the JSON decision records and the audit log all use it. */
#define DECLOG_DELAY_MS 20

/* Starts the writer thread for fd (not closed by declog). delay_ms is how
 * long lines may gather (0: written as soon as the writer wakes). NULL
 * when the thread cannot start; the caller then writes lines itself. */
struct declog *declog_start(int fd, unsigned delay_ms);
/* Queues len bytes of line (its newline included). */
void declog_write(struct declog *dl, const char *line, size_t len);
/* Writes everything queued before it returns. */
void declog_flush(struct declog *dl);
/* Flushes, stops the thread and frees dl. NULL is fine. */
void declog_stop(struct declog *dl);

#endif
