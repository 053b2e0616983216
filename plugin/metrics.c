/* metrics: lock-free counters and their Prometheus text. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "auditlog.h"
#include "metrics.h"
#include "strbuf.h"

#ifndef DOCKGATE_VERSION
#define DOCKGATE_VERSION "0.1.0"
#endif

/* What dockerd got: allowed, denied, or allowed although the policy would
 * deny (mode audit, action audit). */
enum verdict { V_ALLOW, V_DENY, V_WOULD_DENY, V__COUNT };
static const char *const verdict_names[V__COUNT] = {"allow", "deny",
                                                    "would_deny"};

/* Upper bounds of the latency buckets, microseconds. */
static const long bucket_us[] = {50,    100,   250,    500,    1000,  2500,
                                 5000,  10000, 25000,  50000,  100000,
                                 250000, 1000000};
#define NBUCKETS (sizeof bucket_us / sizeof bucket_us[0])

struct metrics {
	_Atomic uint64_t decisions[V__COUNT][ACTION__COUNT];
	_Atomic uint64_t violations[RULE__ALL][2]; /* [rule][enforced] */
	_Atomic uint64_t latency_bucket[NBUCKETS + 1]; /* last: +Inf only */
	_Atomic uint64_t latency_sum_us;
	_Atomic uint64_t reloads[2]; /* [ok] */

	/* The policy in force, for the info metric: written on (rare)
	 * reloads, read on scrapes, never on the decision path. */
	pthread_mutex_t lock;
	char sha256[65];
	char *source;
	enum policy_mode mode;
	int rules;
	bool loaded;
};

struct metrics *metrics_new(void)
{
	struct metrics *m = calloc(1, sizeof *m);
	if (m != NULL)
		pthread_mutex_init(&m->lock, NULL);
	return m;
}

void metrics_free(struct metrics *m)
{
	if (m == NULL)
		return;
	pthread_mutex_destroy(&m->lock);
	free(m->source);
	free(m);
}

static void inc(_Atomic uint64_t *c, uint64_t n)
{
	atomic_fetch_add_explicit(c, n, memory_order_relaxed);
}

static uint64_t get(_Atomic uint64_t *c)
{
	return atomic_load_explicit(c, memory_order_relaxed);
}

void metrics_observe(struct metrics *m, const struct request *rq,
                     const struct decision *d, long latency_us)
{
	if (m == NULL)
		return;
	enum action a = rq != NULL ? rq->route.action : ACTION_OTHER;
	if ((unsigned)a >= ACTION__COUNT)
		a = ACTION_OTHER;
	enum verdict v = !d->allow ? V_DENY : d->n > 0 ? V_WOULD_DENY : V_ALLOW;
	inc(&m->decisions[v][a], 1);
	for (size_t i = 0; i < d->n; i++)
		if ((unsigned)d->v[i].rule < RULE__ALL)
			inc(&m->violations[d->v[i].rule][d->v[i].enforced], 1);
	if (latency_us < 0)
		latency_us = 0;
	size_t b = 0;
	while (b < NBUCKETS && latency_us > bucket_us[b])
		b++;
	inc(&m->latency_bucket[b], 1);
	inc(&m->latency_sum_us, (uint64_t)latency_us);
}

void metrics_policy(struct metrics *m, const struct policy *p, bool ok,
                    bool initial)
{
	if (m == NULL)
		return;
	if (!initial)
		inc(&m->reloads[ok], 1);
	if (!ok || p == NULL)
		return;
	int rules = 0;
	for (int i = 0; i < RULE__COUNT; i++)
		rules += p->action[i] != RULE_OFF;
	char *src = strdup(p->source ? p->source : "");
	pthread_mutex_lock(&m->lock);
	memcpy(m->sha256, p->sha256, sizeof m->sha256);
	if (src != NULL) {
		free(m->source);
		m->source = src;
	}
	m->mode = p->mode;
	m->rules = rules;
	m->loaded = true;
	pthread_mutex_unlock(&m->lock);
}

/* A label value: Prometheus escapes backslash, quote and newline; the
 * JSON string escaper does exactly that for them (and more for control
 * characters, which a path should not hold). */
static void add_label(struct strbuf *sb, const char *v)
{
	auditlog_add_json_string(sb, v);
}

static void help(struct strbuf *sb, const char *name, const char *type,
                 const char *text)
{
	strbuf_addf(sb, "# HELP %s %s\n# TYPE %s %s\n", name, text, name, type);
}

char *metrics_render(struct metrics *m)
{
	struct strbuf sb = STRBUF_INIT;

	help(&sb, "dockgate_decisions_total", "counter",
	     "Decisions by verdict (allow, deny, would_deny: allowed only because "
	     "of mode or action audit) and API action.");
	for (int v = 0; v < V__COUNT; v++)
		for (int a = 0; a < ACTION__COUNT; a++) {
			uint64_t n = get(&m->decisions[v][a]);
			/* Every verdict of container_create is always shown, so
			 * a dashboard has its series from the start. */
			if (n == 0 && a != ACTION_CONTAINER_CREATE)
				continue;
			strbuf_addf(&sb,
			            "dockgate_decisions_total{verdict=\"%s\","
			            "action=\"%s\"} %llu\n",
			            verdict_names[v], action_name((enum action)a),
			            (unsigned long long)n);
		}

	help(&sb, "dockgate_violations_total", "counter",
	     "Violations by rule, enforced or only audited.");
	for (int r = 0; r < RULE__ALL; r++)
		for (int e = 1; e >= 0; e--)
			strbuf_addf(&sb,
			            "dockgate_violations_total{rule=\"%s\","
			            "enforced=\"%s\"} %llu\n",
			            rule_name((enum rule_id)r), e ? "true" : "false",
			            (unsigned long long)get(&m->violations[r][e]));

	help(&sb, "dockgate_decision_duration_seconds", "histogram",
	     "Time to decide one AuthZ request.");
	uint64_t cum = 0;
	for (size_t b = 0; b <= NBUCKETS; b++) {
		cum += get(&m->latency_bucket[b]);
		if (b < NBUCKETS)
			strbuf_addf(&sb,
			            "dockgate_decision_duration_seconds_bucket{le=\"%g\"}"
			            " %llu\n",
			            (double)bucket_us[b] / 1e6, (unsigned long long)cum);
		else
			strbuf_addf(&sb,
			            "dockgate_decision_duration_seconds_bucket{le=\"+Inf\"}"
			            " %llu\n",
			            (unsigned long long)cum);
	}
	strbuf_addf(&sb, "dockgate_decision_duration_seconds_sum %.6f\n",
	            (double)get(&m->latency_sum_us) / 1e6);
	strbuf_addf(&sb, "dockgate_decision_duration_seconds_count %llu\n",
	            (unsigned long long)cum);

	help(&sb, "dockgate_policy_reloads_total", "counter",
	     "Policy reloads (SIGHUP, --watch) by result; a failed one keeps the "
	     "policy in force.");
	strbuf_addf(&sb, "dockgate_policy_reloads_total{result=\"success\"} %llu\n",
	            (unsigned long long)get(&m->reloads[1]));
	strbuf_addf(&sb, "dockgate_policy_reloads_total{result=\"failure\"} %llu\n",
	            (unsigned long long)get(&m->reloads[0]));

	pthread_mutex_lock(&m->lock);
	if (m->loaded) {
		help(&sb, "dockgate_policy_info", "gauge",
		     "The policy in force: its file, sha256, mode and rule count.");
		strbuf_adds(&sb, "dockgate_policy_info{path=");
		add_label(&sb, m->source ? m->source : "");
		strbuf_addf(&sb, ",sha256=\"%s\",mode=\"%s\",rules=\"%d\"} 1\n",
		            m->sha256, m->mode == POLICY_ENFORCE ? "enforce" : "audit",
		            m->rules);
	}
	pthread_mutex_unlock(&m->lock);

	help(&sb, "dockgate_build_info", "gauge", "dockgate's version.");
	strbuf_addf(&sb, "dockgate_build_info{version=\"%s\"} 1\n",
	            DOCKGATE_VERSION);
	return strbuf_detach(&sb);
}
