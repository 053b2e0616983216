/* audit: one line per decision on the log stream. Only the request line,
 * identity, action, image and rule ids: never bodies, headers or values a
 * client could use to smuggle secrets or forged lines into the log. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include "audit.h"
#include "strbuf.h"

void audit_add_time(struct strbuf *sb)
{
	/* The date and time to the second change once a second: each
	 * thread formats them then, and only the milliseconds otherwise
	 * (gmtime and strftime were a tenth of writing a line). */
	static __thread time_t last = -1;
	static __thread char stamp[32];
	static __thread size_t stamp_len;
	struct timeval tv;

	gettimeofday(&tv, NULL);
	if (tv.tv_sec != last) {
		struct tm tm;
		gmtime_r(&tv.tv_sec, &tm);
		stamp_len = strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &tm);
		last = tv.tv_sec;
	}
	unsigned ms = (unsigned)(tv.tv_usec / 1000);
	char frac[6] = {'.', (char)('0' + ms / 100), (char)('0' + ms / 10 % 10),
	                (char)('0' + ms % 10), 'Z', '\0'};
	strbuf_add(sb, stamp, stamp_len);
	strbuf_add(sb, frac, 5);
}

static void add_field(struct strbuf *sb, const char *name, const char *value)
{
	/* Plain appends: this runs for every decision, and vsnprintf costs
	 * more than the rest of the line. */
	strbuf_addc(sb, ' ');
	strbuf_adds(sb, name);
	strbuf_adds(sb, "=\"");
	strbuf_add_escaped(sb, value ? value : "");
	strbuf_addc(sb, '"');
}

/* The rule ids of d's violations that are (enforced == want), comma
 * separated, or "-". */
static void add_rules(struct strbuf *sb, const char *name,
                      const struct decision *d, bool want)
{
	size_t n = 0;
	strbuf_addc(sb, ' ');
	strbuf_adds(sb, name);
	strbuf_addc(sb, '=');
	for (size_t i = 0; i < d->n; i++) {
		if (d->v[i].enforced != want)
			continue;
		/* A rule can fail more than once (three missing limits); list
		 * each id once. */
		bool seen = false;
		for (size_t j = 0; j < i && !seen; j++)
			seen = d->v[j].enforced == want && d->v[j].rule == d->v[i].rule;
		if (!seen) {
			if (n++)
				strbuf_addc(sb, ',');
			strbuf_adds(sb, rule_name(d->v[i].rule));
		}
	}
	if (n == 0)
		strbuf_addc(sb, '-');
}

char *audit_line(const struct request *rq, const struct decision *d,
                 long latency_us)
{
	struct strbuf sb = STRBUF_INIT;

	/* Room for a usual line at once, not three reallocations. */
	strbuf_reserve(&sb, 256);
	audit_line_add(&sb, rq, d, latency_us);
	return strbuf_detach(&sb);
}

void audit_line_add(struct strbuf *sb, const struct request *rq,
                    const struct decision *d, long latency_us)
{
	audit_add_time(sb);
	strbuf_adds(sb, d->allow ? " dockgate: allow" : " dockgate: deny");
	if (rq != NULL) {
		strbuf_adds(sb, " action=");
		strbuf_adds(sb, action_name(rq->route.action));
		add_field(sb, "method", rq->method);
		add_field(sb, "path", rq->route.path);
		add_field(sb, "user", rq->user);
		if (rq->authn_method && rq->authn_method[0])
			add_field(sb, "authn", rq->authn_method);
	}
	if (d->image != NULL)
		add_field(sb, "image", d->image);
	add_rules(sb, "rules", d, true);
	add_rules(sb, "audit", d, false);
	strbuf_adds(sb, " latency_us=");
	strbuf_add_int(sb, latency_us);
	strbuf_addc(sb, '\n');
}

void audit_log(FILE *out, const struct request *rq, const struct decision *d,
               long latency_us)
{
	if (out == NULL)
		return;
	char *line = audit_line(rq, d, latency_us);
	if (line != NULL) {
		fputs(line, out);
		fflush(out);
	}
	free(line);
}
