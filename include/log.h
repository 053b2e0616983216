/* log: the daemon's own messages on stderr, human-readable (default) or
 * one JSON object per line (--log-format json), filtered by --log-level.
 * Process-wide settings, made once at start; the decision path never
 * calls this module except through the record hook. */
#ifndef DOCKGATE_LOG_H
#define DOCKGATE_LOG_H

#include <stdbool.h>

enum log_level { LOG_DEBUG = 0, LOG_INFO, LOG_WARN, LOG_ERROR };
enum log_format { LOG_HUMAN = 0, LOG_JSON };

/* Parse a flag's value; return 0, or -1 when it is not one. */
int log_parse_level(const char *s, enum log_level *out);
int log_parse_format(const char *s, enum log_format *out);

/* Sets the format and the lowest level written. Call before threads. */
void log_setup(enum log_format f, enum log_level min);
enum log_format log_format(void);
bool log_enabled(enum log_level l);

/* Writes one line: "dockgate: MESSAGE" (human; warnings and errors say
 * so), or {"time":...,"level":...,"msg":...} (json). One write(2). */
void log_msg(enum log_level l, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Writes a line as given (human) or as {"time","level","msg"} (json), for
 * text that has its own prefix, such as "FILE:LINE:COL: message". */
void log_line(enum log_level l, const char *text);
/* Writes a ready JSON object (one line, "{...}\n") with "level" and "msg"
 * put in front of its fields. json format only. */
void log_json_record(enum log_level l, const char *msg, const char *record);

/* Called before every line this module writes (with arg), so that lines
 * queued elsewhere for stderr (the decision log's, declog.h) come first.
 * fn NULL: none. Set while a server runs. */
void log_set_flush(void (*fn)(void *), void *arg);

/* Where log_json_record's lines go instead of a write(2) of their own:
 * fn(arg, line, len) queues them for stderr (declog.h), so a decision
 * record costs the deciding thread no system call. fn NULL: written
 * directly. Set while a server runs. */
void log_set_queue(void (*fn)(void *, const char *, size_t), void *arg);

#endif
