/* policy_load: a YAML policy file (libyaml) into a struct policy.
 *
 * Loading runs in two passes over the same bytes. The first pass reads the
 * event stream and refuses what the document API would hide: anchors and
 * aliases (which also defuses "billion laughs" files), foreign tags, more
 * than one document, and any syntax error. Only a clean stream is loaded a
 * second time as a document, whose nodes carry the marks every error
 * message needs, and walked into the policy. The walk visits a bounded
 * number of known keys and never recurses into values it does not know, so
 * deep or huge input costs time linear in its size.
 *
 * Every error of a file is collected, sorted by position and appended to
 * the caller's list as "FILE:LINE:COL: message" (1-based, columns counted
 * in characters as libyaml counts them); a policy is returned only when
 * there was none. Nothing here writes global state. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <yaml.h>

#include "hostpath.h"
#include "imageref.h"
#include "policy.h"

/* Larger files are refused before parsing. */
#define LOAD_MAX_BYTES (1024 * 1024)
/* Messages kept per file; the rest are counted in one closing line. */
#define LOAD_MAX_ERRORS 100
/* Longest name that gets a did-you-mean suggestion. */
#define LOAD_SUGGEST_MAX 64
/* Docker refuses memory limits below 6 MiB, so a lower ceiling is a
 * mistake (usually a missing unit: "4096" is 4096 bytes). */
#define LOAD_MIN_MEMORY (6 * 1024 * 1024)
/* Deepest nesting of collections accepted. A policy needs four; the
 * limit also keeps libyaml's scanner, which rescans the stack of flow
 * levels for every token, from going quadratic on "[[[[...". */
#define LOAD_MAX_DEPTH 64
/* Keys of the largest mapping we know ("rules"). */
#define LOAD_MAX_KEYS 32

/* One collected error; line and col are 1-based, 0 for the file itself. */
struct load_error {
	size_t line, col, seq;
	char *msg; /* "FILE:LINE:COL: message", owned */
};

struct loader {
	const char *name; /* for messages; borrowed */
	const unsigned char *data;
	size_t len;
	yaml_document_t *doc; /* during the walk */
	struct policy *p;     /* being filled; owned until returned */
	struct load_error *errv;
	size_t nerrv, caperrv;
	size_t last; /* see load_error_last */
	size_t nerr; /* every error, including those not kept */
	int oom;     /* an allocation failed; the load must fail */
};

/* ---- errors ---------------------------------------------------------- */

static int load_error_cmp(const void *a, const void *b)
{
	const struct load_error *x = a, *y = b;
	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	if (x->col != y->col)
		return x->col < y->col ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* The kept error that comes last in file order (LOAD_MAX_ERRORS kept). */
static size_t load_error_last(const struct loader *ld)
{
	size_t last = 0;
	for (size_t i = 1; i < ld->nerrv; i++)
		if (load_error_cmp(&ld->errv[i], &ld->errv[last]) > 0)
			last = i;
	return last;
}

/* True when an error at line:col would be kept, so that work spent on its
 * message (suggestions) is not wasted on the thousands that are not. */
static int load_keeps(const struct loader *ld, size_t line, size_t col)
{
	if (ld->nerrv < LOAD_MAX_ERRORS)
		return 1;
	const struct load_error *l = &ld->errv[ld->last];
	return line < l->line || (line == l->line && col < l->col);
}

/* Where a new error goes: a free slot, or, once LOAD_MAX_ERRORS are kept,
 * the slot of the last one in file order when the new one comes before it
 * (so the messages shown are the first of the file). NULL when it is not
 * kept. */
static struct load_error *load_error_slot(struct loader *ld,
                                          const struct load_error *e)
{
	if (ld->nerrv < LOAD_MAX_ERRORS) {
		if (ld->nerrv == ld->caperrv) {
			size_t cap = ld->caperrv ? ld->caperrv * 2 : 8;
			struct load_error *v =
			    realloc(ld->errv, cap * sizeof *v);
			if (v == NULL)
				return NULL;
			ld->errv = v;
			ld->caperrv = cap;
		}
		ld->errv[ld->nerrv].msg = NULL;
		return &ld->errv[ld->nerrv++];
	}
	if (!load_keeps(ld, e->line, e->col))
		return NULL;
	return &ld->errv[ld->last];
}

/* Records an error at line:col (1-based; line 0 means the whole file). The
 * message is formatted into a new string owned by ld. */
__attribute__((format(printf, 4, 5))) static void
load_errf(struct loader *ld, size_t line, size_t col, const char *fmt, ...)
{
	struct load_error e = {line, col, ld->nerr++, NULL};
	struct load_error *slot = load_error_slot(ld, &e);
	if (slot == NULL) {
		if (ld->nerrv < LOAD_MAX_ERRORS)
			ld->oom = 1;
		return;
	}

	char head[64];
	if (line == 0)
		head[0] = '\0';
	else
		snprintf(head, sizeof head, "%zu:%zu:", line, col);
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	size_t pre = strlen(ld->name) + 1 + strlen(head) + 1;
	char *msg = n < 0 ? NULL : malloc(pre + (size_t)n + 1);
	if (msg != NULL) {
		snprintf(msg, pre + 1, "%s:%s ", ld->name, head);
		va_start(ap, fmt);
		vsnprintf(msg + pre, (size_t)n + 1, fmt, ap);
		va_end(ap);
	} else {
		ld->oom = 1;
	}
	/* A slot whose message could not be made keeps its place in the
	 * order but is skipped when flushed. */
	free(slot->msg);
	e.msg = msg;
	*slot = e;
	if (ld->nerrv == LOAD_MAX_ERRORS)
		ld->last = load_error_last(ld);
}

/* Drops every error recorded so far (the scan's, when a syntax error
 * makes them moot). */
static void load_errors_drop(struct loader *ld)
{
	while (ld->nerrv > 0)
		free(ld->errv[--ld->nerrv].msg);
	ld->nerr = 0;
}

/* Moves the collected messages, in file order, to errs (which may be
 * NULL). Messages that cannot be appended are dropped; the load still
 * fails. */
static void load_errors_flush(struct loader *ld, struct policy_errors *errs)
{
	if (ld->nerrv > 1)
		qsort(ld->errv, ld->nerrv, sizeof *ld->errv, load_error_cmp);
	size_t more = ld->nerr - ld->nerrv;
	char *tail = NULL;
	if (more > 0) {
		int n = snprintf(NULL, 0, "%s: %zu more errors not shown",
		                 ld->name, more);
		if (n > 0 && (tail = malloc((size_t)n + 1)) != NULL)
			snprintf(tail, (size_t)n + 1,
			         "%s: %zu more errors not shown", ld->name,
			         more);
	}
	size_t add = ld->nerrv + (tail != NULL);
	char **v = NULL;
	if (errs != NULL && add > 0)
		v = realloc(errs->msg, (errs->n + add) * sizeof *v);
	if (v != NULL) {
		errs->msg = v;
		for (size_t i = 0; i < ld->nerrv; i++)
			if (ld->errv[i].msg != NULL)
				v[errs->n++] = ld->errv[i].msg;
		if (tail != NULL)
			v[errs->n++] = tail;
	} else {
		for (size_t i = 0; i < ld->nerrv; i++)
			free(ld->errv[i].msg);
		free(tail);
	}
	free(ld->errv);
	ld->errv = NULL;
	ld->nerrv = ld->caperrv = 0;
}

/* Error at a libyaml mark (0-based). */
#define load_err_at(ld, mark, ...)                                         \
	load_errf((ld), (mark).line + 1, (mark).column + 1, __VA_ARGS__)

/* ---- text helpers ---------------------------------------------------- */

/* Room for a value quoted into a message: at most 60 input bytes, each at
 * most 4 bytes escaped, "...", two quotes and a NUL. */
struct load_quoted {
	char s[256];
};

/* Returns s[0..len) in single quotes with control, non-ASCII, quote and
 * backslash bytes escaped, so a message is always one printable line;
 * long values are cut. The result lives in *q. */
static const char *load_quote(struct load_quoted *q, const char *s,
                              size_t len)
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0;
	q->s[o++] = '\'';
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (i == 60) {
			memcpy(q->s + o, "...", 3);
			o += 3;
			break;
		}
		if (c == '\'' || c == '\\') {
			q->s[o++] = '\\';
			q->s[o++] = (char)c;
		} else if (c < 0x20 || c >= 0x7f) {
			q->s[o++] = '\\';
			q->s[o++] = 'x';
			q->s[o++] = hex[c >> 4];
			q->s[o++] = hex[c & 0xf];
		} else {
			q->s[o++] = (char)c;
		}
	}
	q->s[o++] = '\'';
	q->s[o] = '\0';
	return q->s;
}

static const char *load_scalar(const yaml_node_t *n)
{
	return (const char *)n->data.scalar.value;
}

/* Says what a node is, for "expected X, got Y": "a mapping", "a list",
 * "an empty value" or the scalar quoted. The result lives in *q. */
static const char *load_describe(struct load_quoted *q, const yaml_node_t *n)
{
	switch (n->type) {
	case YAML_MAPPING_NODE:
		return "a mapping";
	case YAML_SEQUENCE_NODE:
		return "a list";
	case YAML_SCALAR_NODE:
		if (n->data.scalar.length == 0 &&
		    n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE)
			return "an empty value";
		return load_quote(q, load_scalar(n), n->data.scalar.length);
	default:
		return "nothing";
	}
}

/* True when n is a scalar whose text is exactly s (embedded NULs never
 * match). */
static int load_is(const yaml_node_t *n, const char *s)
{
	size_t l = strlen(s);
	return n->type == YAML_SCALAR_NODE && n->data.scalar.length == l &&
	       memcmp(n->data.scalar.value, s, l) == 0;
}

static unsigned char load_lower(unsigned char c)
{
	return c >= 'A' && c <= 'Z' ? (unsigned char)(c - 'A' + 'a') : c;
}

/* Optimal string alignment distance (an adjacent swap costs one). Both
 * lengths are at most LOAD_SUGGEST_MAX; three rows of the table suffice. */
static size_t load_distance(const char *a, size_t la, const char *b,
                            size_t lb)
{
	size_t rows[3][LOAD_SUGGEST_MAX + 1];
	size_t *pp = rows[0], *prev = rows[1], *cur = rows[2];
	for (size_t j = 0; j <= lb; j++)
		prev[j] = j;
	for (size_t i = 1; i <= la; i++) {
		cur[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t cost = a[i - 1] != b[j - 1];
			size_t v = prev[j] + 1;
			if (cur[j - 1] + 1 < v)
				v = cur[j - 1] + 1;
			if (prev[j - 1] + cost < v)
				v = prev[j - 1] + cost;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] &&
			    a[i - 2] == b[j - 1] && pp[j - 2] + 1 < v)
				v = pp[j - 2] + 1;
			cur[j] = v;
		}
		size_t *t = pp;
		pp = prev;
		prev = cur;
		cur = t;
	}
	return prev[lb];
}

/* The candidate (NULL-terminated list) that s[0..len) most likely meant:
 * one equal but for case, else the closest within two edits (and not so
 * short that two edits make it another word). NULL when none; static
 * text otherwise. */
static const char *load_suggest(const char *s, size_t len,
                                const char *const *cands)
{
	if (len > LOAD_SUGGEST_MAX)
		return NULL;
	const char *best = NULL;
	size_t best_d = 3;
	for (size_t i = 0; cands[i] != NULL; i++) {
		size_t cl = strlen(cands[i]);
		if (cl > LOAD_SUGGEST_MAX)
			continue;
		size_t j = 0;
		while (j < len && j < cl &&
		       load_lower((unsigned char)s[j]) ==
		           load_lower((unsigned char)cands[i][j]))
			j++;
		if (j == len && j == cl)
			return cands[i];
		size_t d = load_distance(s, len, cands[i], cl);
		if (d < best_d && 2 * d < cl) {
			best = cands[i];
			best_d = d;
		}
	}
	return best;
}

/* " (did you mean 'x'?)" into buf for an error about node n, or "" when
 * there is no suggestion or the error will not be shown. Returns buf. */
static const char *load_hint(const struct loader *ld, const yaml_node_t *n,
                             char *buf, size_t size, const char *s, size_t len,
                             const char *const *cands)
{
	const char *m = NULL;
	if (load_keeps(ld, n->start_mark.line + 1, n->start_mark.column + 1))
		m = load_suggest(s, len, cands);
	if (m == NULL)
		buf[0] = '\0';
	else
		snprintf(buf, size, " (did you mean '%s'?)", m);
	return buf;
}

/* ---- units ----------------------------------------------------------- */

enum load_num { NUM_OK = 0, NUM_SYNTAX, NUM_RANGE, NUM_PRECISION };

static int load_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Digits s[*i..) into *v, setting *over when the value passes INT64_MAX.
 * Returns how many digits were read. */
static size_t load_digits(const char *s, size_t len, size_t *i, int64_t *v,
                          int *over)
{
	size_t start = *i;
	for (; *i < len && load_digit(s[*i]); (*i)++) {
		int d = s[*i] - '0';
		if (*v > (INT64_MAX - d) / 10)
			*over = 1;
		else
			*v = *v * 10 + d;
	}
	return *i - start;
}

/* A memory size as go-units RAMInBytes reads it:
 * ^[0-9]+(\.[0-9]+)? ?[kKmMgGtTpP]?[iI]?[bB]?$, 1024-based, a plain number
 * is bytes, the fraction truncated. Computed exactly, without floats. */
static enum load_num load_memory(const char *s, size_t len, int64_t *out)
{
	size_t i = 0;
	int64_t ip = 0;
	int over = 0;
	if (load_digits(s, len, &i, &ip, &over) == 0)
		return NUM_SYNTAX;
	/* Only the first 60 fraction digits can change the result: every
	 * k / 1024^5 has at most 50 decimals. */
	unsigned char frac[60];
	size_t nfrac = 0;
	if (i < len && s[i] == '.') {
		size_t start = ++i;
		for (; i < len && load_digit(s[i]); i++)
			if (nfrac < sizeof frac)
				frac[nfrac++] = (unsigned char)(s[i] - '0');
		if (i == start)
			return NUM_SYNTAX;
	}
	if (i < len && s[i] == ' ')
		i++;
	unsigned shift = 0;
	if (i < len) {
		const char *units = "kmgtp", *u;
		char c = (char)load_lower((unsigned char)s[i]);
		if (c != '\0' && (u = strchr(units, c)) != NULL) {
			shift = 10 * (unsigned)(u - units + 1);
			i++;
		}
	}
	if (i < len && (s[i] == 'i' || s[i] == 'I'))
		i++;
	if (i < len && (s[i] == 'b' || s[i] == 'B'))
		i++;
	if (i != len)
		return NUM_SYNTAX;
	if (over)
		return NUM_RANGE;

	uint64_t mul = (uint64_t)1 << shift;
	/* floor(0.frac * mul) by long multiplication from the last digit;
	 * the carry stays below mul, so nothing overflows. */
	uint64_t carry = 0;
	for (size_t k = nfrac; k-- > 0;)
		carry = (frac[k] * mul + carry) / 10;
	if ((uint64_t)ip > (uint64_t)INT64_MAX / mul)
		return NUM_RANGE;
	uint64_t v = (uint64_t)ip * mul;
	if (v > (uint64_t)INT64_MAX - carry)
		return NUM_RANGE;
	*out = (int64_t)(v + carry);
	return NUM_OK;
}

/* CPUs as a decimal ("2", "0.5", ".25") to nano CPUs, like the docker
 * CLI's --cpus: more than nine significant decimals is too precise. */
static enum load_num load_cpus(const char *s, size_t len, int64_t *out)
{
	size_t i = 0;
	int64_t ip = 0, fp = 0;
	int over = 0;
	size_t nd = load_digits(s, len, &i, &ip, &over);
	size_t nf = 0;
	int precise = 0;
	if (i < len && s[i] == '.') {
		for (i++; i < len && load_digit(s[i]); i++, nf++) {
			if (nf < 9)
				fp = fp * 10 + (s[i] - '0');
			else if (s[i] != '0')
				precise = 1;
		}
	}
	if (nd + nf == 0 || i != len)
		return NUM_SYNTAX;
	if (precise)
		return NUM_PRECISION;
	for (size_t k = nf; k < 9; k++)
		fp *= 10;
	if (over || ip > (INT64_MAX - fp) / 1000000000)
		return NUM_RANGE;
	*out = ip * 1000000000 + fp;
	return NUM_OK;
}

/* A pids count: decimal digits only. */
static enum load_num load_pids(const char *s, size_t len, int64_t *out)
{
	size_t i = 0;
	int64_t v = 0;
	int over = 0;
	if (load_digits(s, len, &i, &v, &over) == 0 || i != len)
		return NUM_SYNTAX;
	if (over)
		return NUM_RANGE;
	*out = v;
	return NUM_OK;
}

int policy_parse_memory(const char *s, int64_t *bytes)
{
	int64_t v;
	if (s == NULL || load_memory(s, strlen(s), &v) != NUM_OK)
		return -1;
	*bytes = v;
	return 0;
}

int policy_parse_cpus(const char *s, int64_t *nano)
{
	int64_t v;
	if (s == NULL || load_cpus(s, strlen(s), &v) != NUM_OK)
		return -1;
	*nano = v;
	return 0;
}

/* ---- the YAML layer -------------------------------------------------- */

/* Line and column (1-based, columns in characters) of byte offset off,
 * for reader errors, which libyaml reports as an offset only. */
static void load_position(const struct loader *ld, size_t off, size_t *line,
                          size_t *col)
{
	size_t l = 1, c = 1;
	if (off > ld->len)
		off = ld->len;
	for (size_t i = 0; i < off; i++) {
		unsigned char b = ld->data[i];
		if (b == '\n' ||
		    (b == '\r' && (i + 1 >= ld->len || ld->data[i + 1] != '\n'))) {
			l++;
			c = 1;
		} else if (b != '\r' && (b & 0xc0) != 0x80) {
			c++;
		}
	}
	*line = l;
	*col = c;
}

/* Records the parser's error: one message at libyaml's problem mark with
 * its problem text, and its context when it gives one. */
static void load_yaml_error(struct loader *ld, const yaml_parser_t *pr)
{
	const char *problem = pr->problem ? pr->problem : "invalid YAML";
	size_t line, col;
	switch (pr->error) {
	case YAML_MEMORY_ERROR:
		ld->oom = 1;
		load_errf(ld, 0, 0, "out of memory");
		break;
	case YAML_READER_ERROR:
		load_position(ld, pr->problem_offset, &line, &col);
		if (pr->problem_value >= 0)
			load_errf(ld, line, col, "%s (0x%02x)", problem,
			          (unsigned)pr->problem_value);
		else
			load_errf(ld, line, col, "%s", problem);
		break;
	case YAML_SCANNER_ERROR:
	case YAML_PARSER_ERROR:
	case YAML_COMPOSER_ERROR:
		if (pr->context != NULL)
			load_err_at(ld, pr->problem_mark, "%s (%s at %zu:%zu)",
			            problem, pr->context,
			            pr->context_mark.line + 1,
			            pr->context_mark.column + 1);
		else
			load_err_at(ld, pr->problem_mark, "%s", problem);
		break;
	default:
		load_errf(ld, 1, 1, "%s", problem);
		break;
	}
}

/* The standard tags, which change nothing here; "!" is the non-specific
 * tag of a quoted scalar. */
static int load_tag_ok(const yaml_char_t *tag)
{
	static const char *const ok[] = {
	    "!",
	    "tag:yaml.org,2002:str",
	    "tag:yaml.org,2002:int",
	    "tag:yaml.org,2002:float",
	    "tag:yaml.org,2002:bool",
	    "tag:yaml.org,2002:null",
	    "tag:yaml.org,2002:map",
	    "tag:yaml.org,2002:seq",
	};
	if (tag == NULL)
		return 1;
	for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++)
		if (strcmp((const char *)tag, ok[i]) == 0)
			return 1;
	return 0;
}

/* First pass over the event stream. Returns 1 when the input is one clean
 * YAML document the walk can trust; otherwise records why (only the syntax
 * error when there is one; the first anchor, alias and foreign tag; a
 * second document) and returns 0. */
static int load_scan(struct loader *ld)
{
	yaml_parser_t pr;
	if (!yaml_parser_initialize(&pr)) {
		ld->oom = 1;
		load_errf(ld, 0, 0, "out of memory");
		return 0;
	}
	yaml_parser_set_encoding(&pr, YAML_UTF8_ENCODING);
	yaml_parser_set_input_string(&pr, ld->data, ld->len);

	int docs = 0, anchor = 0, alias = 0, tag = 0, done = 0, depth = 0;
	while (!done) {
		yaml_event_t ev;
		if (!yaml_parser_parse(&pr, &ev)) {
			load_errors_drop(ld);
			load_yaml_error(ld, &pr);
			break;
		}
		const yaml_char_t *a = NULL, *t = NULL;
		switch (ev.type) {
		case YAML_DOCUMENT_START_EVENT:
			if (++docs > 1) {
				load_err_at(ld, ev.start_mark,
				            "more than one YAML document");
				done = 1;
			}
			break;
		case YAML_ALIAS_EVENT:
			if (!alias++)
				load_err_at(ld, ev.start_mark,
				            "YAML aliases are not supported");
			break;
		case YAML_SCALAR_EVENT:
			a = ev.data.scalar.anchor;
			t = ev.data.scalar.tag;
			break;
		case YAML_SEQUENCE_START_EVENT:
			a = ev.data.sequence_start.anchor;
			t = ev.data.sequence_start.tag;
			break;
		case YAML_MAPPING_START_EVENT:
			a = ev.data.mapping_start.anchor;
			t = ev.data.mapping_start.tag;
			break;
		case YAML_SEQUENCE_END_EVENT:
		case YAML_MAPPING_END_EVENT:
			depth--;
			break;
		case YAML_STREAM_END_EVENT:
			done = 1;
			break;
		default:
			break;
		}
		if ((ev.type == YAML_SEQUENCE_START_EVENT ||
		     ev.type == YAML_MAPPING_START_EVENT) &&
		    ++depth > LOAD_MAX_DEPTH) {
			load_err_at(ld, ev.start_mark,
			            "nesting is deeper than %d levels",
			            LOAD_MAX_DEPTH);
			done = 1;
		}
		if (a != NULL && !anchor++)
			load_err_at(ld, ev.start_mark,
			            "YAML anchors are not supported");
		if (!load_tag_ok(t) && !tag++) {
			/* Shown as written when it was "!!x". */
			static const char std[] = "tag:yaml.org,2002:";
			struct load_quoted q;
			char buf[80];
			const char *ts = (const char *)t;
			if (strncmp(ts, std, sizeof std - 1) == 0) {
				snprintf(buf, sizeof buf, "!!%s",
				         ts + sizeof std - 1);
				ts = buf;
			}
			load_err_at(ld, ev.start_mark,
			            "unsupported YAML tag %s",
			            load_quote(&q, ts, strlen(ts)));
		}
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&pr);
	if (ld->nerr == 0 && docs == 0)
		load_errf(ld, 1, 1, "policy file is empty");
	return ld->nerr == 0;
}

/* ---- the walk -------------------------------------------------------- */

static yaml_node_t *load_node(struct loader *ld, int index)
{
	return yaml_document_get_node(ld->doc, index);
}

/* The known keys of one mapping, found by load_keys. */
struct load_keys {
	const char *what;  /* "rule": "unknown rule 'x'" */
	const char *where; /* appended, e.g. " for rule 'no-root'" */
	const char *const *names; /* NULL-terminated, < LOAD_MAX_KEYS */
	/* Names that belong elsewhere, and the hint saying where. */
	const char *const *elsewhere;
	const char *elsewhere_hint;
	yaml_node_t *key[LOAD_MAX_KEYS]; /* NULL when absent */
	yaml_node_t *val[LOAD_MAX_KEYS];
};

/* Fills k->key/val from mapping m: reports keys that are not scalars,
 * unknown keys (with a suggestion) and duplicates (the first one wins). */
static void load_keys(struct loader *ld, yaml_node_t *m, struct load_keys *k)
{
	memset(k->key, 0, sizeof k->key);
	memset(k->val, 0, sizeof k->val);
	for (yaml_node_pair_t *pr = m->data.mapping.pairs.start;
	     pr < m->data.mapping.pairs.top; pr++) {
		yaml_node_t *key = load_node(ld, pr->key);
		yaml_node_t *val = load_node(ld, pr->value);
		struct load_quoted q;
		if (key == NULL || val == NULL)
			continue;
		if (key->type != YAML_SCALAR_NODE) {
			load_err_at(ld, key->start_mark,
			            "expected a key name, got %s",
			            load_describe(&q, key));
			continue;
		}
		const char *s = load_scalar(key);
		size_t len = key->data.scalar.length;
		size_t i = 0;
		while (k->names[i] != NULL && !load_is(key, k->names[i]))
			i++;
		if (k->names[i] == NULL) {
			char hint[128];
			load_hint(ld, key, hint, sizeof hint, s, len, k->names);
			for (size_t j = 0; k->elsewhere && k->elsewhere[j]; j++)
				if (load_is(key, k->elsewhere[j]))
					snprintf(hint, sizeof hint, "%s",
					         k->elsewhere_hint);
			load_err_at(ld, key->start_mark, "unknown %s %s%s%s",
			            k->what, load_quote(&q, s, len), k->where,
			            hint);
			continue;
		}
		if (k->key[i] != NULL) {
			load_err_at(ld, key->start_mark,
			            "duplicate key '%s' (first at %zu:%zu)",
			            k->names[i], k->key[i]->start_mark.line + 1,
			            k->key[i]->start_mark.column + 1);
			continue;
		}
		k->key[i] = key;
		k->val[i] = val;
	}
}

/* Index of n's text in names (NULL-terminated), or -1 after reporting
 * "expected <expected>, got ...". */
static int load_enum(struct loader *ld, const yaml_node_t *n,
                     const char *const *names, const char *expected)
{
	for (int i = 0; names[i] != NULL; i++)
		if (load_is(n, names[i]))
			return i;
	struct load_quoted q;
	load_err_at(ld, n->start_mark, "expected %s, got %s", expected,
	            load_describe(&q, n));
	return -1;
}

/* Reports "expected <what> for 'key', got ..." unless n has type t. */
static int load_want(struct loader *ld, const yaml_node_t *n,
                     yaml_node_type_t t, const char *key)
{
	if (n->type == t)
		return 1;
	/* key may come from the file (a group name): quoted like any value
	 * so that a message is always one printable line. */
	struct load_quoted q, qk;
	load_err_at(ld, n->start_mark, "expected %s for %s, got %s",
	            t == YAML_MAPPING_NODE ? "a mapping" : "a list",
	            load_quote(&qk, key, strlen(key)), load_describe(&q, n));
	return 0;
}

static void load_version(struct loader *ld, const yaml_node_t *n)
{
	struct load_quoted q;
	if (load_is(n, "1"))
		ld->p->version = 1;
	else
		load_err_at(ld, n->start_mark, "expected version 1, got %s",
		            load_describe(&q, n));
}

static void load_mode(struct loader *ld, const yaml_node_t *n)
{
	static const char *const modes[] = {"enforce", "audit", NULL};
	int m = load_enum(ld, n, modes, "enforce or audit");
	if (m >= 0)
		ld->p->mode = m == 0 ? POLICY_ENFORCE : POLICY_AUDIT;
}

static void load_action(struct loader *ld, enum rule_id id,
                        const yaml_node_t *n)
{
	static const char *const actions[] = {"deny", "audit", "off", NULL};
	static const enum rule_action map[] = {RULE_DENY, RULE_AUDIT, RULE_OFF};
	int a = load_enum(ld, n, actions, "deny, audit or off");
	if (a >= 0)
		ld->p->action[id] = map[a];
}

static void load_unset_user(struct loader *ld, const yaml_node_t *n)
{
	static const char *const v[] = {"deny", "allow", "inspect", NULL};
	int a = load_enum(ld, n, v, "deny, allow or inspect");
	if (a >= 0) {
		ld->p->unset_user_allow = a == 1;
		ld->p->unset_user_inspect = a == 2; /* issue 6 */
	}
}

static const char *const load_limit_names[] = {"memory", "cpus", "pids",
                                               NULL};
static const unsigned load_limit_bits[] = {LIMIT_MEMORY, LIMIT_CPUS,
                                           LIMIT_PIDS};

static void load_require(struct loader *ld, yaml_node_t *n)
{
	if (!load_want(ld, n, YAML_SEQUENCE_NODE, "require"))
		return;
	unsigned bits = 0;
	for (yaml_node_item_t *it = n->data.sequence.items.start;
	     it < n->data.sequence.items.top; it++) {
		yaml_node_t *e = load_node(ld, *it);
		struct load_quoted q;
		char hint[128];
		if (e == NULL)
			continue;
		if (e->type != YAML_SCALAR_NODE) {
			load_err_at(ld, e->start_mark,
			            "expected memory, cpus or pids, got %s",
			            load_describe(&q, e));
			continue;
		}
		size_t i = 0;
		while (load_limit_names[i] != NULL &&
		       !load_is(e, load_limit_names[i]))
			i++;
		if (load_limit_names[i] == NULL) {
			load_err_at(ld, e->start_mark,
			            "unknown limit %s in 'require'%s",
			            load_describe(&q, e),
			            load_hint(ld, e, hint, sizeof hint,
			                      load_scalar(e),
			                      e->data.scalar.length,
			                      load_limit_names));
			continue;
		}
		bits |= load_limit_bits[i];
	}
	ld->p->limits_require = bits;
}

/* One ceiling of resource-limits.max into *out. */
static void load_ceiling(struct loader *ld, size_t which, const yaml_node_t *n,
                         int64_t *out)
{
	static const char *const expect[] = {
	    "a size like 512m or 4g",
	    "a number of CPUs like 0.5 or 2",
	    "a whole number like 4096",
	};
	const char *key = load_limit_names[which];
	struct load_quoted q;
	enum load_num r = NUM_SYNTAX;
	int64_t v = 0;
	if (n->type == YAML_SCALAR_NODE) {
		const char *s = load_scalar(n);
		size_t len = n->data.scalar.length;
		r = which == 0 ? load_memory(s, len, &v)
		    : which == 1 ? load_cpus(s, len, &v)
		                 : load_pids(s, len, &v);
	}
	switch (r) {
	case NUM_OK:
		break;
	case NUM_SYNTAX:
		load_err_at(ld, n->start_mark, "expected %s for '%s', got %s",
		            expect[which], key, load_describe(&q, n));
		return;
	case NUM_RANGE:
		load_err_at(ld, n->start_mark, "%s %s is too large", key,
		            load_describe(&q, n));
		return;
	case NUM_PRECISION:
		load_err_at(ld, n->start_mark,
		            "cpus %s is too precise (at most 9 decimals)",
		            load_describe(&q, n));
		return;
	}
	if (v == 0) {
		load_err_at(ld, n->start_mark, "%s must be greater than 0",
		            key);
		return;
	}
	if (which == 0 && v < LOAD_MIN_MEMORY) {
		size_t len = n->data.scalar.length, i = 0;
		while (i < len && load_digit(load_scalar(n)[i]))
			i++;
		if (i == len && len <= 20)
			load_err_at(ld, n->start_mark,
			            "memory %s is below Docker's 6 MiB minimum "
			            "(a plain number is bytes; did you mean "
			            "'%sm'?)",
			            load_describe(&q, n), load_scalar(n));
		else
			load_err_at(ld, n->start_mark,
			            "memory %s is below Docker's 6 MiB minimum",
			            load_describe(&q, n));
		return;
	}
	*out = v;
}

static void load_max(struct loader *ld, yaml_node_t *n)
{
	if (!load_want(ld, n, YAML_MAPPING_NODE, "max"))
		return;
	struct load_keys k = {.what = "limit",
	                      .where = " in 'max'",
	                      .names = load_limit_names};
	load_keys(ld, n, &k);
	int64_t *out[] = {&ld->p->max_memory, &ld->p->max_nano_cpus,
	                  &ld->p->max_pids};
	for (size_t i = 0; i < 3; i++)
		if (k.val[i] != NULL)
			load_ceiling(ld, i, k.val[i], out[i]);
}

/* Linux capability names without "CAP_", in kernel order, then "ALL". */
static const char *const load_cap_names[] = {
    "CHOWN",        "DAC_OVERRIDE",     "DAC_READ_SEARCH", "FOWNER",
    "FSETID",       "KILL",             "SETGID",          "SETUID",
    "SETPCAP",      "LINUX_IMMUTABLE",  "NET_BIND_SERVICE", "NET_BROADCAST",
    "NET_ADMIN",    "NET_RAW",          "IPC_LOCK",        "IPC_OWNER",
    "SYS_MODULE",   "SYS_RAWIO",        "SYS_CHROOT",      "SYS_PTRACE",
    "SYS_PACCT",    "SYS_ADMIN",        "SYS_BOOT",        "SYS_NICE",
    "SYS_RESOURCE", "SYS_TIME",         "SYS_TTY_CONFIG",  "MKNOD",
    "LEASE",        "AUDIT_WRITE",      "AUDIT_CONTROL",   "SETFCAP",
    "MAC_OVERRIDE", "MAC_ADMIN",        "SYSLOG",          "WAKE_ALARM",
    "BLOCK_SUSPEND", "AUDIT_READ",      "PERFMON",         "BPF",
    "CHECKPOINT_RESTORE", "ALL",        NULL,
};

/* Index in load_cap_names of s[0..len) read as docker reads a capability
 * (any case, optional "CAP_" prefix), or -1. The upper-cased name without
 * prefix is left in norm (for suggestions), cut at LOAD_SUGGEST_MAX. */
static int load_cap_index(const char *s, size_t len,
                          char norm[LOAD_SUGGEST_MAX + 1], size_t *nlen)
{
	size_t i = 0, o = 0;
	if (len >= 4 && load_lower((unsigned char)s[0]) == 'c' &&
	    load_lower((unsigned char)s[1]) == 'a' &&
	    load_lower((unsigned char)s[2]) == 'p' && s[3] == '_')
		i = 4;
	for (; i < len && o < LOAD_SUGGEST_MAX; i++) {
		unsigned char c = (unsigned char)s[i];
		norm[o++] = c >= 'a' && c <= 'z' ? (char)(c - 'a' + 'A')
		                                 : (char)c;
	}
	norm[o] = '\0';
	*nlen = o;
	if (i != len)
		return -1;
	for (int k = 0; load_cap_names[k] != NULL; k++)
		if (strlen(load_cap_names[k]) == o &&
		    memcmp(load_cap_names[k], norm, o) == 0)
			return k;
	return -1;
}

/* capabilities.allow into p->cap_allow: normalized, without duplicates,
 * in kernel order. */
static void load_caps(struct loader *ld, yaml_node_t *n)
{
	if (!load_want(ld, n, YAML_SEQUENCE_NODE, "allow"))
		return;
	uint64_t set = 0;
	for (yaml_node_item_t *it = n->data.sequence.items.start;
	     it < n->data.sequence.items.top; it++) {
		yaml_node_t *e = load_node(ld, *it);
		struct load_quoted q;
		if (e == NULL)
			continue;
		if (e->type != YAML_SCALAR_NODE) {
			load_err_at(ld, e->start_mark,
			            "expected a capability name, got %s",
			            load_describe(&q, e));
			continue;
		}
		char norm[LOAD_SUGGEST_MAX + 1], hint[128];
		size_t nlen;
		int k = load_cap_index(load_scalar(e), e->data.scalar.length,
		                       norm, &nlen);
		if (k < 0) {
			load_err_at(ld, e->start_mark,
			            "unknown capability %s%s",
			            load_describe(&q, e),
			            load_hint(ld, e, hint, sizeof hint, norm,
			                      nlen, load_cap_names));
			continue;
		}
		set |= (uint64_t)1 << k;
	}
	size_t count = 0;
	for (int k = 0; load_cap_names[k] != NULL; k++)
		count += (set >> k) & 1;
	if (count == 0)
		return;
	struct policy *p = ld->p;
	if ((p->cap_allow = calloc(count, sizeof *p->cap_allow)) == NULL) {
		ld->oom = 1;
		return;
	}
	for (int k = 0; load_cap_names[k] != NULL; k++) {
		if (!((set >> k) & 1))
			continue;
		char *c = strdup(load_cap_names[k]);
		if (c == NULL) {
			ld->oom = 1;
			return;
		}
		p->cap_allow[p->n_cap_allow++] = c;
	}
}

/* registries.allow into p->registries, each checked by
 * imageref_pattern_valid() and kept as written. */
static void load_registries(struct loader *ld, yaml_node_t *n)
{
	if (!load_want(ld, n, YAML_SEQUENCE_NODE, "allow"))
		return;
	struct policy *p = ld->p;
	size_t max = (size_t)(n->data.sequence.items.top -
	                      n->data.sequence.items.start);
	if (max == 0)
		return;
	if ((p->registries = calloc(max, sizeof *p->registries)) == NULL) {
		ld->oom = 1;
		return;
	}
	for (yaml_node_item_t *it = n->data.sequence.items.start;
	     it < n->data.sequence.items.top; it++) {
		yaml_node_t *e = load_node(ld, *it);
		struct load_quoted q;
		const char *why = NULL;
		if (e == NULL)
			continue;
		if (e->type != YAML_SCALAR_NODE) {
			load_err_at(ld, e->start_mark,
			            "expected a registry pattern, got %s",
			            load_describe(&q, e));
			continue;
		}
		const char *s = load_scalar(e);
		size_t len = e->data.scalar.length;
		int ok = memchr(s, '\0', len) == NULL;
		if (!ok)
			why = "contains a NUL character";
		else if (!(ok = imageref_pattern_valid(s, &why)) && why == NULL)
			why = "not a registry pattern";
		if (!ok) {
			load_err_at(ld, e->start_mark,
			            "invalid registry pattern %s: %s",
			            load_describe(&q, e), why);
			continue;
		}
		char *c = strdup(s);
		if (c == NULL) {
			ld->oom = 1;
			return;
		}
		p->registries[p->n_registries++] = c;
	}
}

/* allow or deny into *deny_out. */
static void load_allow_deny(struct loader *ld, const yaml_node_t *n,
                            bool *deny_out)
{
	static const char *const v[] = {"allow", "deny", NULL};
	int a = load_enum(ld, n, v, "allow or deny");
	if (a >= 0)
		*deny_out = a == 1;
}

static void load_bool(struct loader *ld, const yaml_node_t *n, bool *out)
{
	static const char *const v[] = {"false", "true", NULL};
	int a = load_enum(ld, n, v, "true or false");
	if (a >= 0)
		*out = a == 1;
}

/* Frees a list of strings. */
static void load_free_list(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/* A list of absolute host paths (host-mounts deny/allow) into *out,
 * replacing what was there, each cleaned as dockerd cleans a bind source. */
static void load_paths(struct loader *ld, yaml_node_t *n, const char *key,
                       char ***out, size_t *count)
{
	if (!load_want(ld, n, YAML_SEQUENCE_NODE, key))
		return;
	load_free_list(*out, *count);
	*out = NULL;
	*count = 0;
	size_t max = (size_t)(n->data.sequence.items.top -
	                      n->data.sequence.items.start);
	if (max == 0)
		return;
	if ((*out = calloc(max, sizeof **out)) == NULL) {
		ld->oom = 1;
		return;
	}
	for (yaml_node_item_t *it = n->data.sequence.items.start;
	     it < n->data.sequence.items.top; it++) {
		yaml_node_t *e = load_node(ld, *it);
		struct load_quoted q;
		if (e == NULL)
			continue;
		if (e->type != YAML_SCALAR_NODE || load_scalar(e)[0] != '/' ||
		    memchr(load_scalar(e), '\0', e->data.scalar.length) != NULL) {
			load_err_at(ld, e->start_mark,
			            "expected an absolute host path for '%s', got %s",
			            key, load_describe(&q, e));
			continue;
		}
		char *c = hostpath_clean(load_scalar(e));
		if (c == NULL) {
			ld->oom = 1;
			return;
		}
		(*out)[(*count)++] = c;
	}
}

/* security-profiles.sysctls: kernel parameter names as runc writes them
 * ("net.ipv4.ip_forward", or with '/' for '.'), kept with '.'; a final
 * ".*" allows a whole subtree. */
static void load_sysctls(struct loader *ld, yaml_node_t *n)
{
	if (!load_want(ld, n, YAML_SEQUENCE_NODE, "sysctls"))
		return;
	struct policy *p = ld->p;
	p->has_sysctls = true;
	size_t max = (size_t)(n->data.sequence.items.top -
	                      n->data.sequence.items.start);
	if (max == 0)
		return;
	if ((p->sysctls = calloc(max, sizeof *p->sysctls)) == NULL) {
		ld->oom = 1;
		return;
	}
	for (yaml_node_item_t *it = n->data.sequence.items.start;
	     it < n->data.sequence.items.top; it++) {
		yaml_node_t *e = load_node(ld, *it);
		struct load_quoted q;
		if (e == NULL)
			continue;
		const char *s = e->type == YAML_SCALAR_NODE ? load_scalar(e) : "";
		size_t len = e->type == YAML_SCALAR_NODE ? e->data.scalar.length : 0;
		int ok = len > 0 && s[0] != '.' && s[0] != '/' && s[0] != '*';
		for (size_t i = 0; ok && i < len; i++) {
			unsigned char c = (unsigned char)s[i];
			if (c == '*')
				ok = i + 1 == len && (s[i - 1] == '.' || s[i - 1] == '/');
			else
				ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
				     (c >= '0' && c <= '9') || c == '_' || c == '-' ||
				     c == '.' || c == '/';
		}
		if (!ok) {
			load_err_at(ld, e->start_mark,
			            "expected a sysctl name like net.ipv4.ip_forward "
			            "or net.ipv4.*, got %s",
			            load_describe(&q, e));
			continue;
		}
		char *c = strdup(s);
		if (c == NULL) {
			ld->oom = 1;
			return;
		}
		for (char *x = c; *x; x++)
			if (*x == '/')
				*x = '.';
		p->sysctls[p->n_sysctls++] = c;
	}
}

/* api.allow / api.deny: "METHOD /path" patterns into *out. */
static void load_api_list(struct loader *ld, yaml_node_t *n, const char *key,
                          char ***out, size_t *count)
{
	if (!load_want(ld, n, YAML_SEQUENCE_NODE, key))
		return;
	size_t max = (size_t)(n->data.sequence.items.top -
	                      n->data.sequence.items.start);
	if (max == 0)
		return;
	if ((*out = calloc(max, sizeof **out)) == NULL) {
		ld->oom = 1;
		return;
	}
	for (yaml_node_item_t *it = n->data.sequence.items.start;
	     it < n->data.sequence.items.top; it++) {
		yaml_node_t *e = load_node(ld, *it);
		struct load_quoted q;
		const char *why = "expected 'METHOD /path'";
		if (e == NULL)
			continue;
		if (e->type != YAML_SCALAR_NODE ||
		    memchr(load_scalar(e), '\0', e->data.scalar.length) != NULL ||
		    !policy_api_valid(load_scalar(e), &why)) {
			load_err_at(ld, e->start_mark, "invalid api pattern %s: %s",
			            load_describe(&q, e), why);
			continue;
		}
		char *c = strdup(load_scalar(e));
		if (c == NULL) {
			ld->oom = 1;
			return;
		}
		(*out)[(*count)++] = c;
	}
}

/* Per-rule options; "action" is first everywhere. */
static const char *const load_rule_opts[RULE__COUNT][8] = {
    [RULE_NO_ROOT] = {"action", "unset-user", NULL},
    [RULE_READ_ONLY_ROOTFS] = {"action", NULL},
    [RULE_RESOURCE_LIMITS] = {"action", "require", "max", NULL},
    [RULE_CAPABILITIES] = {"action", "allow", "require-drop-all", NULL},
    [RULE_REGISTRIES] = {"action", "allow", "load", "import", "build", NULL},
    [RULE_PRIVILEGED] = {"action", NULL},
    [RULE_HOST_NAMESPACES] = {"action", "container", NULL},
    [RULE_HOST_MOUNTS] = {"action", "deny", "allow", "volumes-from", NULL},
    [RULE_DEVICES] = {"action", NULL},
    [RULE_NO_NEW_PRIVILEGES] = {"action", NULL},
    [RULE_SECURITY_PROFILES] = {"action", "sysctls", NULL},
    [RULE_IMAGE_TAGS] = {"action", "require-digest", NULL},
    [RULE_EXEC] = {"action", "root", NULL},
    [RULE_UPDATE] = {"action", NULL},
    [RULE_API] = {"action", "allow", "deny", "default", NULL},
};

/* One rule: a scalar action, or a mapping of its options (deny when the
 * mapping has no action). */
static void load_rule(struct loader *ld, enum rule_id id, yaml_node_t *key,
                      yaml_node_t *n)
{
	struct load_quoted q;
	if (n->type == YAML_SCALAR_NODE) {
		load_action(ld, id, n);
		if (id == RULE_REGISTRIES && ld->p->action[id] != RULE_OFF)
			load_err_at(ld, key->start_mark,
			            "rule 'registries' requires an 'allow' list");
		return;
	}
	if (n->type != YAML_MAPPING_NODE) {
		load_err_at(ld, n->start_mark,
		            "expected an action or a mapping for rule '%s', "
		            "got %s",
		            rule_name(id), load_describe(&q, n));
		return;
	}
	char where[64];
	snprintf(where, sizeof where, " for rule '%s'", rule_name(id));
	struct load_keys k = {
	    .what = "option", .where = where, .names = load_rule_opts[id]};
	load_keys(ld, n, &k);
	ld->p->action[id] = RULE_DENY;
	if (k.val[0] != NULL)
		load_action(ld, id, k.val[0]);
	switch (id) {
	case RULE_NO_ROOT:
		if (k.val[1] != NULL)
			load_unset_user(ld, k.val[1]);
		break;
	case RULE_RESOURCE_LIMITS:
		if (k.val[1] != NULL)
			load_require(ld, k.val[1]);
		if (k.val[2] != NULL)
			load_max(ld, k.val[2]);
		break;
	case RULE_CAPABILITIES:
		if (k.val[1] != NULL)
			load_caps(ld, k.val[1]);
		if (k.val[2] != NULL)
			load_bool(ld, k.val[2], &ld->p->require_drop_all);
		break;
	case RULE_REGISTRIES:
		if (k.val[1] != NULL)
			load_registries(ld, k.val[1]);
		else if (ld->p->action[id] != RULE_OFF)
			load_err_at(ld, key->start_mark,
			            "rule 'registries' requires an 'allow' list");
		for (int i = 2; i <= 4; i++) {
			bool deny = i != 4;
			if (k.val[i] == NULL)
				continue;
			load_allow_deny(ld, k.val[i], &deny);
			if (i == 2)
				ld->p->load_allow = !deny;
			else if (i == 3)
				ld->p->import_allow = !deny;
			else
				ld->p->build_deny = deny;
		}
		break;
	case RULE_HOST_NAMESPACES:
		if (k.val[1] != NULL)
			load_allow_deny(ld, k.val[1], &ld->p->ns_container_deny);
		break;
	case RULE_HOST_MOUNTS:
		if (k.val[1] != NULL)
			load_paths(ld, k.val[1], "deny", &ld->p->mounts_deny,
			           &ld->p->n_mounts_deny);
		if (k.val[2] != NULL) {
			ld->p->has_mounts_allow = true;
			load_paths(ld, k.val[2], "allow", &ld->p->mounts_allow,
			           &ld->p->n_mounts_allow);
		}
		if (k.val[3] != NULL) {
			bool deny = true;
			load_allow_deny(ld, k.val[3], &deny);
			ld->p->volumes_from_allow = !deny;
		}
		break;
	case RULE_SECURITY_PROFILES:
		if (k.val[1] != NULL)
			load_sysctls(ld, k.val[1]);
		break;
	case RULE_EXEC:
		if (k.val[1] != NULL) {
			bool deny = true;
			load_allow_deny(ld, k.val[1], &deny);
			ld->p->exec_root_allow = !deny;
		}
		break;
	case RULE_API:
		if (k.val[1] != NULL)
			load_api_list(ld, k.val[1], "allow", &ld->p->api_allow,
			              &ld->p->n_api_allow);
		if (k.val[2] != NULL)
			load_api_list(ld, k.val[2], "deny", &ld->p->api_deny,
			              &ld->p->n_api_deny);
		if (k.val[3] != NULL)
			load_allow_deny(ld, k.val[3], &ld->p->api_default_deny);
		break;
	case RULE_IMAGE_TAGS:
		if (k.val[1] != NULL)
			load_bool(ld, k.val[1], &ld->p->require_digest);
		break;
	default:
		break;
	}
}

static const char *const load_top_names[] = {
    "version", "mode", "rules", "groups", "exceptions", NULL};

/* A list of non-empty strings (user names) into a new array. what names
 * an item in messages. */
static void load_names(struct loader *ld, yaml_node_t *n, const char *key,
                       const char *what, char ***out, size_t *count)
{
	if (!load_want(ld, n, YAML_SEQUENCE_NODE, key))
		return;
	size_t max = (size_t)(n->data.sequence.items.top -
	                      n->data.sequence.items.start);
	if (max == 0)
		return;
	if ((*out = calloc(max, sizeof **out)) == NULL) {
		ld->oom = 1;
		return;
	}
	for (yaml_node_item_t *it = n->data.sequence.items.start;
	     it < n->data.sequence.items.top; it++) {
		yaml_node_t *e = load_node(ld, *it);
		struct load_quoted q;
		if (e == NULL)
			continue;
		if (e->type != YAML_SCALAR_NODE || e->data.scalar.length == 0 ||
		    memchr(load_scalar(e), '\0', e->data.scalar.length) != NULL) {
			load_err_at(ld, e->start_mark, "expected %s, got %s", what,
			            load_describe(&q, e));
			continue;
		}
		char *c = strdup(load_scalar(e));
		if (c == NULL) {
			ld->oom = 1;
			return;
		}
		(*out)[(*count)++] = c;
	}
}

/* groups: NAME: [user, ...]. */
static void load_groups(struct loader *ld, yaml_node_t *n)
{
	if (!load_want(ld, n, YAML_MAPPING_NODE, "groups"))
		return;
	struct policy *p = ld->p;
	size_t max = (size_t)(n->data.mapping.pairs.top -
	                      n->data.mapping.pairs.start);
	if (max == 0)
		return;
	if ((p->groups = calloc(max, sizeof *p->groups)) == NULL) {
		ld->oom = 1;
		return;
	}
	for (yaml_node_pair_t *pr = n->data.mapping.pairs.start;
	     pr < n->data.mapping.pairs.top; pr++) {
		yaml_node_t *key = load_node(ld, pr->key);
		yaml_node_t *val = load_node(ld, pr->value);
		struct load_quoted q;
		if (key == NULL || val == NULL)
			continue;
		if (key->type != YAML_SCALAR_NODE || key->data.scalar.length == 0 ||
		    memchr(load_scalar(key), '\0', key->data.scalar.length) != NULL) {
			load_err_at(ld, key->start_mark, "expected a group name, got %s",
			            load_describe(&q, key));
			continue;
		}
		bool dup = false;
		for (size_t i = 0; i < p->n_groups && !dup; i++)
			dup = strcmp(p->groups[i].name, load_scalar(key)) == 0;
		if (dup) {
			load_err_at(ld, key->start_mark, "duplicate group %s",
			            load_describe(&q, key));
			continue;
		}
		struct policy_group *g = &p->groups[p->n_groups];
		if ((g->name = strdup(load_scalar(key))) == NULL) {
			ld->oom = 1;
			return;
		}
		p->n_groups++;
		load_names(ld, val, g->name, "a user name", &g->users, &g->n_users);
	}
}

static const char *const load_exception_keys[] = {
    "users", "groups", "images", "rules", "reason", NULL};

/* One exceptions[] entry. */
static void load_exception(struct loader *ld, yaml_node_t *n,
                           struct policy_exception *e)
{
	struct load_quoted q;
	if (n->type != YAML_MAPPING_NODE) {
		load_err_at(ld, n->start_mark, "expected a mapping for an exception, "
		            "got %s", load_describe(&q, n));
		return;
	}
	struct load_keys k = {.what = "key", .where = " in an exception",
	                      .names = load_exception_keys};
	load_keys(ld, n, &k);
	if (k.val[0] != NULL)
		load_names(ld, k.val[0], "users", "a user name", &e->users,
		           &e->n_users);
	if (k.val[1] != NULL) {
		load_names(ld, k.val[1], "groups", "a group name", &e->groups,
		           &e->n_groups);
		/* Every group named must exist: a typo must not be a silent
		 * "nobody". */
		const char *names[65];
		size_t nn = 0;
		for (size_t i = 0; i < ld->p->n_groups && nn < 64; i++)
			names[nn++] = ld->p->groups[i].name;
		names[nn] = NULL;
		for (yaml_node_item_t *it = k.val[1]->type == YAML_SEQUENCE_NODE
		                                ? k.val[1]->data.sequence.items.start
		                                : NULL;
		     it != NULL && it < k.val[1]->data.sequence.items.top; it++) {
			yaml_node_t *x = load_node(ld, *it);
			char hint[128];
			if (x == NULL || x->type != YAML_SCALAR_NODE ||
			    x->data.scalar.length == 0)
				continue; /* reported by load_names */
			bool found = false;
			for (size_t j = 0; j < ld->p->n_groups && !found; j++)
				found = load_is(x, ld->p->groups[j].name);
			if (!found)
				load_err_at(ld, x->start_mark, "unknown group %s%s",
				            load_describe(&q, x),
				            load_hint(ld, x, hint, sizeof hint, load_scalar(x),
				                      x->data.scalar.length, names));
		}
	}
	if (k.val[2] != NULL) {
		char **saved = ld->p->registries;
		size_t nsaved = ld->p->n_registries;
		ld->p->registries = NULL;
		ld->p->n_registries = 0;
		load_registries(ld, k.val[2]);
		e->images = ld->p->registries;
		e->n_images = ld->p->n_registries;
		ld->p->registries = saved;
		ld->p->n_registries = nsaved;
	}
	if (k.val[3] != NULL && load_want(ld, k.val[3], YAML_SEQUENCE_NODE, "rules")) {
		const char *names[RULE__COUNT + 1];
		for (int i = 0; i < RULE__COUNT; i++)
			names[i] = rule_name((enum rule_id)i);
		names[RULE__COUNT] = NULL;
		for (yaml_node_item_t *it = k.val[3]->data.sequence.items.start;
		     it < k.val[3]->data.sequence.items.top; it++) {
			yaml_node_t *x = load_node(ld, *it);
			char hint[128];
			int r = -1;
			if (x == NULL)
				continue;
			if (x->type == YAML_SCALAR_NODE)
				for (int i = 0; i < RULE__COUNT && r < 0; i++)
					if (load_is(x, names[i]))
						r = i;
			if (r < 0) {
				load_err_at(ld, x->start_mark, "unknown rule %s%s",
				            load_describe(&q, x),
				            x->type == YAML_SCALAR_NODE
				                ? load_hint(ld, x, hint, sizeof hint, load_scalar(x),
				                            x->data.scalar.length, names)
				                : "");
				continue;
			}
			e->rules |= (uint32_t)1 << r;
		}
	}
	if (k.val[4] != NULL && k.val[4]->type != YAML_SCALAR_NODE)
		load_err_at(ld, k.val[4]->start_mark, "expected a text for 'reason', "
		            "got %s", load_describe(&q, k.val[4]));
	/* An empty list is not "anyone": a waiver for nobody is a mistake,
	 * and read as no condition it would waive the rules for everyone. */
	static const char *const list_names[] = {"users", "groups", "images",
	                                         "rules"};
	size_t counts[] = {e->n_users, e->n_groups, e->n_images,
	                   e->rules != 0 ? 1 : 0};
	for (int i = 0; i < 4; i++) {
		if (k.val[i] == NULL || k.val[i]->type != YAML_SEQUENCE_NODE ||
		    k.val[i]->data.sequence.items.top !=
		        k.val[i]->data.sequence.items.start || counts[i] != 0)
			continue;
		load_err_at(ld, k.val[i]->start_mark,
		            i < 3 ? "an empty '%s' list in an exception matches "
		                    "nobody; name who it is for, or remove the key"
		                  : "an empty '%s' list in an exception waives "
		                    "nothing; name the rules it waives",
		            list_names[i]);
	}
	if (k.val[3] == NULL)
		load_err_at(ld, n->start_mark, "an exception needs a 'rules' list");
	if (k.val[0] == NULL && k.val[1] == NULL && k.val[2] == NULL)
		load_err_at(ld, n->start_mark,
		            "an exception needs users, groups or images (one for "
		            "everyone is the rule turned off)");
}

static void load_exceptions(struct loader *ld, yaml_node_t *n)
{
	if (!load_want(ld, n, YAML_SEQUENCE_NODE, "exceptions"))
		return;
	struct policy *p = ld->p;
	size_t max = (size_t)(n->data.sequence.items.top -
	                      n->data.sequence.items.start);
	if (max == 0)
		return;
	if ((p->exceptions = calloc(max, sizeof *p->exceptions)) == NULL) {
		ld->oom = 1;
		return;
	}
	for (yaml_node_item_t *it = n->data.sequence.items.start;
	     it < n->data.sequence.items.top; it++) {
		yaml_node_t *e = load_node(ld, *it);
		if (e != NULL)
			load_exception(ld, e, &p->exceptions[p->n_exceptions++]);
	}
}

static void load_rules(struct loader *ld, yaml_node_t *n)
{
	if (!load_want(ld, n, YAML_MAPPING_NODE, "rules"))
		return;
	const char *names[RULE__COUNT + 1];
	for (int i = 0; i < RULE__COUNT; i++)
		names[i] = rule_name((enum rule_id)i);
	names[RULE__COUNT] = NULL;
	struct load_keys k = {.what = "rule",
	                      .where = "",
	                      .names = names,
	                      .elsewhere = load_top_names,
	                      .elsewhere_hint = " (a top-level key, not a rule)"};
	load_keys(ld, n, &k);
	for (int i = 0; i < RULE__COUNT; i++)
		if (k.val[i] != NULL)
			load_rule(ld, (enum rule_id)i, k.key[i], k.val[i]);
}

/* The document's root mapping into ld->p. */
static void load_root(struct loader *ld)
{
	yaml_node_t *root = yaml_document_get_root_node(ld->doc);
	struct load_quoted q;
	if (root == NULL) {
		load_errf(ld, 1, 1, "policy file is empty");
		return;
	}
	if (root->type != YAML_MAPPING_NODE) {
		load_err_at(ld, root->start_mark,
		            "expected a mapping at the top level, got %s",
		            load_describe(&q, root));
		return;
	}
	const char *rules[RULE__COUNT + 1];
	for (int i = 0; i < RULE__COUNT; i++)
		rules[i] = rule_name((enum rule_id)i);
	rules[RULE__COUNT] = NULL;
	struct load_keys k = {.what = "top-level key",
	                      .where = "",
	                      .names = load_top_names,
	                      .elsewhere = rules,
	                      .elsewhere_hint = " (rules go under 'rules:')"};
	load_keys(ld, root, &k);
	if (k.val[0] != NULL)
		load_version(ld, k.val[0]);
	else
		load_err_at(ld, root->start_mark, "version is required");
	if (k.val[1] != NULL)
		load_mode(ld, k.val[1]);
	if (k.val[2] != NULL)
		load_rules(ld, k.val[2]);
	if (k.val[3] != NULL)
		load_groups(ld, k.val[3]);
	if (k.val[4] != NULL)
		load_exceptions(ld, k.val[4]);
}

/* Second pass: the document into ld->p. */
static void load_document(struct loader *ld)
{
	yaml_parser_t pr;
	yaml_document_t doc;
	if (!yaml_parser_initialize(&pr)) {
		ld->oom = 1;
		load_errf(ld, 0, 0, "out of memory");
		return;
	}
	yaml_parser_set_encoding(&pr, YAML_UTF8_ENCODING);
	yaml_parser_set_input_string(&pr, ld->data, ld->len);
	if (!yaml_parser_load(&pr, &doc)) {
		/* The scan accepted these bytes, so only memory is likely. */
		load_yaml_error(ld, &pr);
		yaml_parser_delete(&pr);
		return;
	}
	ld->doc = &doc;
	load_root(ld);
	ld->doc = NULL;
	yaml_document_delete(&doc);
	yaml_parser_delete(&pr);
}

/* ---- entry points ---------------------------------------------------- */

/* Ends a load: the policy when nothing went wrong, else NULL with the
 * errors moved to errs. */
static struct policy *load_finish(struct loader *ld,
                                  struct policy_errors *errs)
{
	if (ld->nerr == 0 && !ld->oom && ld->p != NULL && policy_index(ld->p) < 0)
		ld->oom = 1;
	if (ld->oom && ld->nerr == 0)
		load_errf(ld, 0, 0, "out of memory");
	if (ld->nerr == 0 && !ld->oom)
		return ld->p;
	load_errors_flush(ld, errs);
	policy_unref(ld->p);
	ld->p = NULL;
	return NULL;
}

struct policy *policy_load_buffer(const char *name, const char *data,
                                  size_t len, struct policy_errors *errs)
{
	struct loader ld = {
	    .name = name != NULL ? name : "<policy>",
	    .data = (const unsigned char *)(data != NULL ? data : ""),
	    .len = data != NULL ? len : 0,
	};
	if (len > LOAD_MAX_BYTES) {
		load_errf(&ld, 0, 0, "policy file is larger than 1 MiB");
		return load_finish(&ld, errs);
	}
	struct policy *p = calloc(1, sizeof *p);
	if (p == NULL || (p->source = strdup(ld.name)) == NULL) {
		free(p);
		ld.oom = 1;
		return load_finish(&ld, errs);
	}
	/* libyaml drops a UTF-8 byte order mark only when it guesses the
	 * encoding itself; told UTF-8 (so that a UTF-16 mark is an error, not
	 * a different file format) it would count the mark as a column. */
	if (ld.len >= 3 && memcmp(ld.data, "\xef\xbb\xbf", 3) == 0) {
		ld.data += 3;
		ld.len -= 3;
	}
	atomic_init(&p->refs, 1);
	p->mode = POLICY_ENFORCE;
	p->limits_require = LIMIT_MEMORY | LIMIT_CPUS | LIMIT_PIDS;
	for (int i = 0; i < RULE__COUNT; i++)
		p->action[i] = RULE_OFF;
	ld.p = p;
	/* host-mounts protects these unless the policy lists its own. */
	for (size_t i = 0; hostpath_default_deny[i] != NULL; i++)
		p->n_mounts_deny++;
	p->mounts_deny = calloc(p->n_mounts_deny, sizeof *p->mounts_deny);
	for (size_t i = 0; p->mounts_deny != NULL && i < p->n_mounts_deny; i++)
		if ((p->mounts_deny[i] = strdup(hostpath_default_deny[i])) == NULL)
			ld.oom = 1;
	if (p->mounts_deny == NULL) {
		p->n_mounts_deny = 0;
		ld.oom = 1;
	}
	if (load_scan(&ld))
		load_document(&ld);
	p = load_finish(&ld, errs);
	/* The digest names exactly the bytes read, BOM included, so it is
	 * what sha256sum prints for the file. */
	if (p != NULL)
		policy_set_digest(p, data, data != NULL ? len : 0);
	return p;
}

/* strerror, thread-safe: text in buf or static. */
static const char *load_strerror(int e, char *buf, size_t size)
{
#if defined(__GLIBC__) && defined(_GNU_SOURCE)
	return strerror_r(e, buf, size);
#else
	if (strerror_r(e, buf, size) != 0)
		snprintf(buf, size, "error %d", e);
	return buf;
#endif
}

/* Reads at most LOAD_MAX_BYTES + 1 bytes of fd into a new buffer. Returns
 * 0, or an errno value. */
static int load_read(int fd, char **out, size_t *len)
{
	size_t cap = LOAD_MAX_BYTES + 1, n = 0;
	char *buf = malloc(cap);
	if (buf == NULL)
		return ENOMEM;
	while (n < cap) {
		ssize_t r = read(fd, buf + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			int e = errno;
			free(buf);
			return e;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	*out = buf;
	*len = n;
	return 0;
}

struct policy *policy_load_file(const char *path, struct policy_errors *errs)
{
	struct loader ld = {.name = path != NULL ? path : "<policy>"};
	char ebuf[128];
	int fd = path != NULL ? open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY)
	                      : (errno = EINVAL, -1);
	if (fd < 0) {
		load_errf(&ld, 0, 0, "cannot open: %s",
		          load_strerror(errno, ebuf, sizeof ebuf));
		return load_finish(&ld, errs);
	}
	char *buf = NULL;
	size_t len = 0;
	int e = load_read(fd, &buf, &len);
	close(fd);
	if (e != 0) {
		load_errf(&ld, 0, 0, "cannot read: %s",
		          load_strerror(e, ebuf, sizeof ebuf));
		return load_finish(&ld, errs);
	}
	struct policy *p = policy_load_buffer(ld.name, buf, len, errs);
	free(buf);
	return p;
}
