// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* --unit, --container, --pod: one cgroup, found by walking the hierarchy. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "args.h"
#include "cgroup.h"
#include "clock.h"
#include "identity.h"
#include "selector.h"

#define MAX_SHOWN 3

struct search {
	const struct rst_config *cfg;
	struct k8s_index *k8s;
	char unit[IDENT_UNIT_LEN];
	const char *ns, *pod; /* --pod NS/NAME */
	size_t npod;
	unsigned int found; /* distinct matches */
	uint64_t id;
	char path[4096];
	char shown[MAX_SHOWN][256]; /* the first matches, for the message */
	char key[80]; /* what the first match was: its id or uid */
};

static const char *last_part(const char *path)
{
	const char *s = strrchr(path, '/');

	return s ? s + 1 : path;
}

/* The cgroup that is the unit, container or pod itself, not one below. */
static bool matches(struct search *s, const char *path,
		    const struct path_identity *pi, char *key, size_t keylen)
{
	const char *last = last_part(path);
	struct k8s_names names;

	if (s->cfg->unit) {
		snprintf(key, keylen, "%s", path);
		return !strcmp(pi->unit, s->unit) && !strcmp(last, s->unit);
	}
	if (s->cfg->container) {
		size_t n = strlen(s->cfg->container);

		snprintf(key, keylen, "%s", pi->container_id);
		/* cri-o's and podman's monitor carry the id, not the app */
		return !strncmp(pi->container_id, s->cfg->container, n) &&
		       strstr(last, pi->container_id) &&
		       !strstr(last, "conmon");
	}
	if (!pi->pod_uid[0] || pi->container_id[0])
		return false;
	/* the pod's own cgroup: its last part names the pod */
	if (!strstr(last, "pod"))
		return false;
	snprintf(key, keylen, "%s", pi->pod_uid);
	return k8s__lookup(s->k8s, pi->pod_uid, NULL, clock__boot_ns(),
			   &names) &&
	       !strcmp(names.namespace, s->ns) &&
	       strlen(names.pod) == s->npod &&
	       !strncmp(names.pod, s->pod, s->npod);
}

static int visit(const char *path, uint64_t id, void *ctx)
{
	struct search *s = ctx;
	struct path_identity pi;
	char key[80];

	identity__parse_path(path, &pi);
	if (!matches(s, path, &pi, key, sizeof(key)))
		return 0;
	/* the same container or pod seen again, deeper: the first one wins */
	if (s->found && !strcmp(key, s->key))
		return 0;
	if (s->found < MAX_SHOWN)
		snprintf(s->shown[s->found], sizeof(s->shown[0]), "%s", path);
	if (!s->found++) {
		s->id = id;
		snprintf(s->path, sizeof(s->path), "%s", path);
		snprintf(s->key, sizeof(s->key), "%s", key);
	}
	return 0;
}

static const char *what(const struct rst_config *cfg, char *buf, size_t len)
{
	if (cfg->unit)
		snprintf(buf, len, "--unit %s", cfg->unit);
	else if (cfg->container)
		snprintf(buf, len, "--container %s", cfg->container);
	else
		snprintf(buf, len, "--pod %s", cfg->pod);
	return buf;
}

static void found_message(const struct search *s, char *err, size_t errlen)
{
	char w[320];
	unsigned int i;
	size_t n;

	what(s->cfg, w, sizeof(w));
	if (!s->found) {
		snprintf(err, errlen,
			 "%s: no such cgroup now (is it running?%s)", w,
			 s->cfg->pod ? " the pod's name comes from the "
				       "kubelet's logs under --k8s-logs" :
				       "");
		return;
	}
	n = snprintf(err, errlen, "%s matches %u cgroups:", w, s->found);
	for (i = 0; i < s->found && i < MAX_SHOWN && n < errlen; i++)
		n += snprintf(err + n, errlen - n, " %s", s->shown[i]);
	if (n < errlen)
		snprintf(err + n, errlen - n, "%s; give a longer one, or -c",
			 s->found > MAX_SHOWN ? " ..." : "");
}

static void search_init(struct search *s, const struct rst_config *cfg)
{
	const char *slash;

	s->cfg = cfg;
	if (cfg->unit)
		/* a unit without a type is a service, as systemctl takes it */
		snprintf(s->unit, sizeof(s->unit), "%s%s", cfg->unit,
			 strchr(cfg->unit, '.') ? "" : ".service");
	if (cfg->pod) {
		slash = strchr(cfg->pod, '/');
		s->ns = slash ? strndup(cfg->pod, slash - cfg->pod) : NULL;
		s->pod = slash ? slash + 1 : cfg->pod;
		s->npod = strlen(s->pod);
	}
}

int selector__resolve(const struct rst_config *cfg, uint64_t *id, char *path,
		      size_t pathlen, char *err, size_t errlen)
{
	struct search s = {};
	struct cgroup_tree tree;
	char msg[256], w[320];
	int ret = -1;

	if (!cfg->unit && !cfg->container && !cfg->pod)
		return 0;
	if (cgroup__open_tree(&tree, msg, sizeof(msg))) {
		snprintf(err, errlen, "%s: %s", what(cfg, w, sizeof(w)), msg);
		return -1;
	}
	search_init(&s, cfg);
	if (cfg->pod)
		s.k8s = k8s__new(cfg->k8s_logs);
	if (cfg->pod && (!s.k8s || (!s.ns && !(s.ns = strdup("default"))))) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	cgroup__walk(&tree, visit, &s);
	if (s.found == 1) {
		*id = s.id;
		snprintf(path, pathlen, "%s", s.path);
		ret = 0;
	} else {
		found_message(&s, err, errlen);
	}
out:
	k8s__free(s.k8s);
	free((char *)s.ns);
	cgroup__close_tree(&tree);
	return ret;
}
