/* decision: reason codes -> the text the user reads in their terminal. */
#ifndef DOCKGATE_DECISION_H
#define DOCKGATE_DECISION_H

#include "eval.h"

/* One violation as "[rule-id] what is wrong; how to fix it". New string. */
char *decision_render_violation(const struct violation *v);

/* The Msg of a deny: every enforced violation, one per line, then audited
 * ones marked as such. New string, or NULL when d has no violation. Notes
 * where each violation's text is in it (msg_off, msg_len). */
char *decision_message(struct decision *d);

#endif
