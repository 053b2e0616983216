/* decide: one AuthZReq in, one reply out. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "authz_proto.h"
#include "audit.h"
#include "bufpool.h"
#include "decide.h"
#include "decision.h"
#include "eval.h"
#include "request.h"

const char decide_fallback_deny[] =
    "{\"Allow\":false,\"Msg\":\"[authz-request] dockgate could not process "
    "this request; try again, and tell your platform team if it persists\"}";

static long elapsed_us(const struct timespec *t0)
{
	struct timespec t1;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (t1.tv_sec - t0->tv_sec) * 1000000L +
	       (t1.tv_nsec - t0->tv_nsec) / 1000;
}

/* Self-protection for a request whose URI could not be fully decoded:
 * dockerd may still run it (Go reads a bad query string leniently), so the
 * path alone is routed and checked. True when it denied. */
static bool self_check_path(const struct selfprotect_opts *self,
                            const char *method, const char *uri,
                            struct decision *d)
{
	struct route r;
	const char *rwhy;
	size_t n = strcspn(uri, "?");
	char *path = strndup(uri, n);
	bool denied = false;

	if (path == NULL)
		return false; /* the caller's deny (enforce) or audit stands */
	if (route_parse(method, path, &r, &rwhy) == 0) {
		denied = selfprotect_check(self, &r, d);
		route_clear(&r);
	}
	free(path);
	return denied;
}

struct decide_record {
	struct authz_req az;
	struct request rq;
	struct decision d;
	bool have_rq;
	long latency;
};

char *decide(const struct policy *p, const struct decide_opts *opts,
             const char *data, size_t len, bool *allow, FILE *log)
{
	return decide_hooked(p, opts, data, len, allow, log, NULL, NULL);
}

char *decide_hooked(const struct policy *p, const struct decide_opts *opts,
                    const char *data, size_t len, bool *allow, FILE *log,
                    const struct decide_hooks *h, struct decide_call *call)
{
	const struct selfprotect_opts *self = opts ? &opts->self : NULL;
	struct decide_call dflt = {.may_block = false};
	struct timespec t0;
	struct authz_req az;
	struct request rq;
	struct decision d;
	char *why = NULL;
	bool have_rq = false;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	memset(&d, 0, sizeof d);
	memset(&rq, 0, sizeof rq);
	if (authz_req_decode(data, len, &az, &why) < 0) {
		/* Not even the protocol could be read: nothing to judge, and
		 * no mode can make that an allow. */
		decision_add(&d, RULE_AUTHZ_REQUEST, REASON_URI_INVALID, true, NULL,
		             why);
		d.allow = false;
	} else if (request_build(&az, &rq, &why) < 0) {
		have_rq = true; /* method and user are known; path is not */
		if (!self_check_path(self, az.method, az.uri, &d)) {
			decision_add(&d, RULE_AUTHZ_REQUEST, REASON_URI_INVALID,
			             p->mode == POLICY_ENFORCE, NULL, why);
			d.allow = p->mode != POLICY_ENFORCE;
		}
	} else {
		have_rq = true;
		if (call == NULL)
			call = &dflt;
		/* Before the policy, and whatever its mode: a policy cannot
		 * allow dockgate to be switched off. When it denies, the
		 * policy has nothing to add, and no look-up is needed. */
		if (!selfprotect_check(self, &rq.route, &d)) {
			if (h != NULL && h->prepare != NULL &&
			    h->prepare(h->cls, call, p, &rq) != 0) {
				if (call->refuse_lookup == NULL) {
					call->deferred = true;
					free(why);
					decision_clear(&d);
					request_clear(&rq);
					authz_req_clear(&az);
					*allow = false;
					return NULL;
				}
				/* Not deferred: the look-up fails closed, and
				 * says why. */
				image_user_failed(&rq.image_user,
				                  strdup(call->refuse_lookup));
			}
			eval_request(p, &rq, &d);
		}
	}
	free(why);

	char *msg = d.allow ? NULL : decision_message(&d);
	char *reply = authz_reply(d.allow, msg);
	*allow = d.allow && reply != NULL;
	long latency = elapsed_us(&t0);
	if (h != NULL && h->record != NULL) {
		d.msg = msg;
		h->record(h->cls, p, have_rq ? &rq : NULL, &d, latency);
		d.msg = NULL;
	}
	free(msg);

	if (call != NULL && call->defer_log) {
		/* The request and decision move into the record: the line
		 * and the clean-up come after the reply. */
		/* The thread's last record, or a new one. */
		struct decide_record *r = bufpool_get_exact(sizeof *r);
		if (r == NULL)
			r = malloc(sizeof *r);
		if (r != NULL) {
			*r = (struct decide_record){az, rq, d, have_rq, latency};
			call->record = r;
			return reply;
		}
	}
	audit_log(log, have_rq ? &rq : NULL, &d, latency);
	decision_clear(&d);
	request_clear(&rq);
	authz_req_clear(&az);
	return reply;
}

void decide_record_line(const struct decide_record *r, struct strbuf *sb)
{
	audit_line_add(sb, r->have_rq ? &r->rq : NULL, &r->d, r->latency);
}

void decide_record_free(struct decide_record *r)
{
	if (r == NULL)
		return;
	decision_clear(&r->d);
	request_clear(&r->rq);
	authz_req_clear(&r->az);
	bufpool_put_exact(r, sizeof *r);
}
