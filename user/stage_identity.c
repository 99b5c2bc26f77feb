// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * The enrich stage that names where a socket lives: its cgroup's path, the
 * systemd unit, container and Kubernetes pod that path and the kubelet's
 * logs give, and the network namespace's name.
 *
 * Every cgroup is resolved once, by file handle, and its name kept in
 * main's table (cgnames.h): a cgroup that is gone by the time a later
 * record names it still has what was known, for a while. The cgroups that
 * exist at start-up are walked first, so that one removed before its
 * first reset is named too.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "args.h"
#include "cgnames.h"
#include "cgroup.h"
#include "clock.h"
#include "hash.h"
#include "identity.h"
#include "pipeline.h"

/* the network namespaces' names, asked again once a second */
#define NETNS_MEMO 64
#define NS_PER_S 1000000000ULL

struct netns_memo {
	uint64_t ino;
	uint64_t asked_ns; /* 0: empty */
	const char *name; /* NULL: none */
};

struct identity_stage {
	struct cgroup_tree tree;
	struct k8s_index *k8s;
	struct netns_names *netns;
	struct cgnames *names; /* main's; NULL: cgroups go unnamed */
	struct netns_memo memo[NETNS_MEMO];
};

static const char *or_null(const char *s)
{
	return s && *s ? s : NULL;
}

/* The names the kubelet's logs give, once they are there. */
static void entry_k8s(struct identity_stage *s, struct cg_name *e)
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

struct walk_ctx {
	struct identity_stage *s;
	uint64_t id, seq, now_ns; /* the cgroup looked for, and its record */
	struct cg_name *found;
};

/* What a walk finds: the cgroup looked for, and the others while room. */
static int walk_add(const char *path, uint64_t id, void *ctx)
{
	struct walk_ctx *w = ctx;

	if (id == w->id)
		w->found =
			cgnames__add(w->s->names, id, path, w->seq, w->now_ns);
	else if (!cgnames__get(w->s->names, id, 0, 0))
		cgnames__add(w->s->names, id, path, 0, w->now_ns);
	return 0;
}

static struct cg_name *entry_get(struct identity_stage *s, uint64_t id,
				 uint64_t seq)
{
	uint64_t now = clock__boot_ns();
	struct walk_ctx w = { s, id, seq, now, NULL };
	struct cg_name *e = cgnames__get(s->names, id, seq, now);
	char path[4096];
	int err;

	if (e)
		return e;
	/* no room: counted, and no system call per record */
	if (!cgnames__reserve(s->names))
		return NULL;
	err = cgroup__path(&s->tree, id, path, sizeof(path));
	/*
	 * -Z leaves no CAP_DAC_READ_SEARCH for file handles: a walk, which
	 * needs no privilege, names the cgroups made since the last one.
	 */
	if (err == -EPERM || err == -EACCES) {
		cgroup__walk(&s->tree, walk_add, &w);
		if (w.found)
			return w.found;
	}
	/* gone before it was seen: remembered as such, not asked again */
	if (err)
		path[0] = '\0';
	return cgnames__add(s->names, id, path, seq, now);
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
	s->names = env->cgnames;
	if (s->tree.fd >= 0 && s->names) {
		struct walk_ctx w = { .s = s, .now_ns = clock__boot_ns() };
		struct stat st;

		/* the tree's root: the host's (id 1), or a namespace's */
		if (!fstat(s->tree.fd, &st))
			cgnames__add(s->names, st.st_ino, "/", 0, w.now_ns);
		cgroup__walk(&s->tree, walk_add, &w);
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
	struct cg_name *e;

	if (r->ev.netns)
		r->netns_name = netns_name(s, r->ev.netns);
	if (!r->ev.cgroup_id || s->tree.fd < 0 || !s->names)
		return;
	e = entry_get(s, r->ev.cgroup_id, r->seq);
	if (!e)
		return;
	entry_k8s(s, e);
	r->ident = &e->ident;
}

/* Whether a name's cgroup is still there; one without a path is not. */
static bool still_there(const struct cg_name *n, void *ctx)
{
	return n->path[0] && cgroup__exists(ctx, n->path, n->id);
}

static void identity_tick(void *st, uint64_t now_ns, uint64_t held_seq)
{
	struct identity_stage *s = st;

	if (!s->names)
		return;
	cgnames__held(s->names, held_seq);
	cgnames__sweep(s->names, now_ns, still_there, &s->tree);
}

static void identity_close(void *st)
{
	struct identity_stage *s = st;

	k8s__free(s->k8s);
	netns_names__free(s->netns);
	cgroup__close_tree(&s->tree);
	free(s);
}

const struct stage identity_stage = {
	.name = "identity",
	.open = identity_open,
	.run = identity_run,
	.tick = identity_tick,
	.close = identity_close,
};
