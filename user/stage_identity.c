// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * The enrich stage that names where a socket lives: its cgroup's path, the
 * systemd unit, container and Kubernetes pod that path and the kubelet's
 * logs give, and the network namespace's name.
 *
 * Every cgroup is resolved once, by file handle, and kept: a cgroup that
 * is gone by the time a later record names it still has what was known.
 * The cgroups that exist at start-up are walked first, so that one removed
 * before its first reset is named too.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "args.h"
#include "cgroup.h"
#include "clock.h"
#include "hash.h"
#include "identity.h"
#include "pipeline.h"

/* far more cgroups than a node has; past it new ones go unnamed */
#define MAX_CGROUPS (1U << 16)
#define MIN_SLOTS 256
/* the network namespaces' names, asked again once a second */
#define NETNS_MEMO 64
#define NS_PER_S 1000000000ULL

struct netns_memo {
	uint64_t ino;
	uint64_t asked_ns; /* 0: empty */
	const char *name; /* NULL: none */
};

struct cg_entry {
	uint64_t id;
	bool k8s_done; /* the kubelet's names are in, or nothing to ask */
	uint64_t k8s_next_ns; /* when to ask the kubelet's logs again */
	struct rst_identity ident;
	struct path_identity pi;
	struct k8s_names k8s;
	char path[]; /* "" when the cgroup was gone before it was seen */
};

struct identity_stage {
	struct cgroup_tree tree;
	struct k8s_index *k8s;
	struct netns_names *netns;
	struct cg_entry **slots; /* open addressing, a power of two */
	size_t nslots, n;
	unsigned long long unnamed; /* past MAX_CGROUPS */
	struct netns_memo memo[NETNS_MEMO];
};

static size_t slot_of(const struct identity_stage *s, uint64_t id)
{
	return hash__mix(0, id) & (s->nslots - 1);
}

static struct cg_entry **find_slot(struct identity_stage *s, uint64_t id)
{
	size_t i = slot_of(s, id);

	while (s->slots[i] && s->slots[i]->id != id)
		i = (i + 1) & (s->nslots - 1);
	return &s->slots[i];
}

static bool grow(struct identity_stage *s)
{
	struct cg_entry **old = s->slots;
	size_t i, n = s->nslots;

	s->nslots = n ? n * 2 : MIN_SLOTS;
	s->slots = calloc(s->nslots, sizeof(*s->slots));
	if (!s->slots) {
		s->slots = old;
		s->nslots = n;
		return false;
	}
	for (i = 0; i < n; i++)
		if (old[i])
			*find_slot(s, old[i]->id) = old[i];
	free(old);
	return true;
}

static const char *or_null(const char *s)
{
	return s && *s ? s : NULL;
}

/* The names the kubelet's logs give, once they are there. */
static void entry_k8s(struct identity_stage *s, struct cg_entry *e)
{
	const struct path_identity *pi = &e->pi;
	uint64_t now;

	if (e->k8s_done)
		return;
	/* only a pod's containers have names in the kubelet's logs */
	if (!s->k8s || !pi->pod_uid[0]) {
		e->k8s_done = true;
		return;
	}
	/* not there yet (or not mounted): once a second, not per record */
	now = clock__boot_ns();
	if (now < e->k8s_next_ns)
		return;
	e->k8s_next_ns = now + NS_PER_S;
	k8s__lookup(s->k8s, pi->pod_uid, pi->container_id, now, &e->k8s);
	e->ident.k8s_namespace = or_null(e->k8s.namespace);
	e->ident.pod = or_null(e->k8s.pod);
	e->ident.container = or_null(e->k8s.container);
	/* a container's name comes with its log; a pod alone has none */
	e->k8s_done = e->ident.pod &&
		      (e->ident.container || !pi->container_id[0]);
}

static struct cg_entry *entry_add(struct identity_stage *s, uint64_t id,
				  const char *path)
{
	size_t len = strlen(path);
	struct cg_entry *e, **slot;

	if (s->n >= MAX_CGROUPS || ((s->n + 1) * 2 > s->nslots && !grow(s))) {
		s->unnamed++;
		return NULL;
	}
	e = calloc(1, sizeof(*e) + len + 1);
	if (!e)
		return NULL;
	e->id = id;
	memcpy(e->path, path, len + 1);
	if (len) {
		identity__parse_path(path, &e->pi);
		e->ident.cgroup = e->path;
	}
	e->ident.unit = or_null(e->pi.unit);
	e->ident.container_id = or_null(e->pi.container_id);
	e->ident.container_runtime = e->pi.runtime;
	e->ident.pod_uid = or_null(e->pi.pod_uid);
	slot = find_slot(s, id);
	*slot = e;
	s->n++;
	return e;
}

static int walk_add(const char *path, uint64_t id, void *ctx)
{
	struct identity_stage *s = ctx;

	if (!s->nslots || !*find_slot(s, id))
		entry_add(s, id, path);
	return 0;
}

static struct cg_entry *entry_get(struct identity_stage *s, uint64_t id)
{
	struct cg_entry *e;
	char path[4096];
	int err;

	if (s->nslots) {
		e = *find_slot(s, id);
		if (e)
			return e;
	}
	/* full: counted, and no system call per record */
	if (s->n >= MAX_CGROUPS) {
		s->unnamed++;
		return NULL;
	}
	err = cgroup__path(&s->tree, id, path, sizeof(path));
	/*
	 * -Z leaves no CAP_DAC_READ_SEARCH for file handles: a walk, which
	 * needs no privilege, names the cgroups made since the last one.
	 */
	if (err == -EPERM || err == -EACCES) {
		cgroup__walk(&s->tree, walk_add, s);
		e = s->nslots ? *find_slot(s, id) : NULL;
		if (e)
			return e;
	}
	/* gone before it was seen: remembered as such, never asked again */
	if (err)
		path[0] = '\0';
	return entry_add(s, id, path);
}

static void *identity_open(const struct pipe_env *env)
{
	struct identity_stage *s = calloc(1, sizeof(*s));
	char err[256];

	if (!s)
		return NULL;
	/* without cgroup v2, records keep their ids and go unnamed */
	if (cgroup__open_tree(&s->tree, err, sizeof(err)))
		s->tree.fd = -1;
	s->k8s = k8s__new(env->cfg->k8s_logs ? env->cfg->k8s_logs :
					       RST_K8S_LOGS_DEFAULT);
	s->netns = netns_names__new("/run/netns");
	if (!s->k8s || !s->netns) {
		k8s__free(s->k8s);
		netns_names__free(s->netns);
		cgroup__close_tree(&s->tree);
		free(s);
		errno = ENOMEM;
		return NULL;
	}
	if (s->tree.fd >= 0) {
		struct stat st;

		/* the tree's root: the host's (id 1), or a namespace's */
		if (!fstat(s->tree.fd, &st))
			entry_add(s, st.st_ino, "/");
		cgroup__walk(&s->tree, walk_add, s);
	}
	return s;
}

/*
 * The name of network namespace @ino, remembered for a second: most
 * records come from a few namespaces, and most have no name at all.
 */
static const char *netns_name(struct identity_stage *s, uint64_t ino)
{
	struct netns_memo *m = &s->memo[hash__mix(0, ino) % NETNS_MEMO];
	uint64_t now;

	if (m->ino == ino && m->asked_ns) {
		now = clock__boot_ns();
		if (now - m->asked_ns < NS_PER_S)
			return m->name;
	} else {
		now = clock__boot_ns();
	}
	m->ino = ino;
	m->asked_ns = now ? now : 1;
	m->name = netns_names__find(s->netns, ino, now);
	return m->name;
}

static void identity_run(void *st, const struct pipe_env *env,
			 struct rst_record *r)
{
	struct identity_stage *s = st;
	struct cg_entry *e;

	if (r->ev.netns)
		r->netns_name = netns_name(s, r->ev.netns);
	if (!r->ev.cgroup_id || s->tree.fd < 0)
		return;
	e = entry_get(s, r->ev.cgroup_id);
	if (!e)
		return;
	entry_k8s(s, e);
	r->ident = &e->ident;
}

static void identity_close(void *st)
{
	struct identity_stage *s = st;
	size_t i;

	for (i = 0; i < s->nslots; i++)
		free(s->slots[i]);
	free(s->slots);
	k8s__free(s->k8s);
	netns_names__free(s->netns);
	cgroup__close_tree(&s->tree);
	free(s);
}

const struct stage identity_stage = {
	.name = "identity",
	.open = identity_open,
	.run = identity_run,
	.close = identity_close,
};
