/* selfprotect: deny disabling, removing, re-configuring or upgrading
 * dockgate itself.
 *
 * dockerd resolves the {name} of /plugins/{name}/... the way its plugin
 * store does (plugin/store.go, resolvePluginID): a 64-hex string is an ID;
 * anything else is parsed as a normalized reference, tagged ":latest" when
 * it has no tag, and compared with each plugin's name; when no name
 * matches, the string is tried as an ID prefix. So "dockgate",
 * "dockgate:latest" and "docker.io/library/dockgate:latest" all name the
 * plugin called "dockgate:latest", and "4f1a" may name any plugin whose ID
 * starts so. dockgate cannot see plugin IDs (they are not in the request),
 * so anything that may be an ID is refused, with the fix: use the name. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "imageref.h"
#include "selfprotect.h"

const char selfprotect_default_name[] = "dockgate";

bool selfprotect_name_valid(const char *name, const char **why)
{
	struct imageref ref;
	enum imageref_status st = imageref_parse(name, &ref, why);
	imageref_clear(&ref);
	if (st == IMAGEREF_OK)
		return true;
	if (st == IMAGEREF_ID)
		*why = "an ID; give the plugin's name";
	return false;
}

/* The `docker plugin` subcommand each protected action comes from; the
 * renderer words the message from it. */
static const char *action_verb(enum action a)
{
	switch (a) {
	case ACTION_PLUGIN_DISABLE:
		return "disable";
	case ACTION_PLUGIN_REMOVE:
		return "rm";
	case ACTION_PLUGIN_SET:
		return "set";
	case ACTION_PLUGIN_UPGRADE:
		return "upgrade";
	default:
		return NULL;
	}
}

bool selfprotect_applies(const struct route *r)
{
	return action_verb(r->action) != NULL && r->param != NULL;
}

/* True when s is a non-empty run of lower-case hex digits, so dockerd
 * would try it as a plugin ID prefix when no plugin has it as a name. */
static bool maybe_id_prefix(const char *s)
{
	if (*s == '\0')
		return false;
	return strspn(s, "0123456789abcdef") == strlen(s);
}

static const char *last_component(const char *path)
{
	const char *slash = strrchr(path, '/');
	return slash ? slash + 1 : path;
}

/* True when the parsed plugin reference ref is one of self's names. */
static bool is_self(const struct selfprotect_opts *self,
                    const struct imageref *ref)
{
	for (size_t i = 0; i < self->n; i++) {
		struct imageref me;
		/* Self names were checked at start-up, so only a lack of
		 * memory fails here: deny rather than guess. */
		if (imageref_parse(self->names[i], &me, NULL) != IMAGEREF_OK)
			return true;
		bool match;
		if (strchr(self->names[i], '/') == NULL)
			match = strcmp(last_component(ref->path),
			               last_component(me.path)) == 0;
		else
			match = strcasecmp(ref->domain, me.domain) == 0 &&
			        strcmp(ref->path, me.path) == 0;
		imageref_clear(&me);
		if (match)
			return true;
	}
	return false;
}

bool selfprotect_check(const struct selfprotect_opts *opts,
                       const struct route *r, struct decision *d)
{
	if (opts == NULL || opts->n == 0 || !selfprotect_applies(r))
		return false;

	const char *name = r->param, *verb = action_verb(r->action);
	enum reason reason;
	struct imageref ref;
	enum imageref_status st = imageref_parse(name, &ref, NULL);

	if (st == IMAGEREF_ID || maybe_id_prefix(name))
		reason = REASON_SELF_PLUGIN_ID;
	else if (st != IMAGEREF_OK)
		/* dockerd would answer "not found"; refusing costs nothing and
		 * keeps this file from having to agree with Go on every
		 * malformed name. */
		reason = REASON_SELF_PLUGIN_INVALID;
	else if (is_self(opts, &ref))
		reason = REASON_SELF_PLUGIN;
	else {
		imageref_clear(&ref);
		return false;
	}
	imageref_clear(&ref);
	/* On allocation failure the violation is lost but the deny is not:
	 * d->allow is forced false. */
	decision_add(d, RULE_SELF_PROTECTION, reason, true, name, verb);
	d->allow = false;
	return true;
}
