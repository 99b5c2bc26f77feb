// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "identity.h"

#define NSEC_PER_SEC 1000000000ULL
#define CONTAINER_ID_LEN 64
#define POD_UID_LEN 36
#define STATIC_POD_UID_LEN 32

/* A path component: not NUL-terminated, of any length. */
struct comp {
	const char *s;
	size_t len;
};

static bool comp__is(struct comp c, const char *lit)
{
	size_t n = strlen(lit);

	return c.len == n && !memcmp(c.s, lit, n);
}

/* Drops @prefix from the front of @c if it is there. */
static bool comp__strip_prefix(struct comp *c, const char *prefix)
{
	size_t n = strlen(prefix);

	if (c->len < n || memcmp(c->s, prefix, n))
		return false;
	c->s += n;
	c->len -= n;
	return true;
}

static bool comp__strip_suffix(struct comp *c, const char *suffix)
{
	size_t n = strlen(suffix);

	if (c->len < n || memcmp(c->s + c->len - n, suffix, n))
		return false;
	c->len -= n;
	return true;
}

static bool is_lower_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

static bool is_container_id(struct comp c)
{
	size_t i;

	if (c.len != CONTAINER_ID_LEN)
		return false;
	for (i = 0; i < c.len; i++)
		if (!is_lower_hex(c.s[i]))
			return false;
	return true;
}

/*
 * 8-4-4-4-12 lowercase hex, the groups joined by @sep: systemd escapes the
 * dashes of a slice name's own part to underscores, as "-" nests slices.
 * A static (mirror) pod's uid is 32 hex digits: the hash of its manifest.
 */
static bool is_pod_uid(struct comp c, char sep)
{
	size_t i;

	if (c.len == STATIC_POD_UID_LEN) {
		for (i = 0; i < c.len; i++)
			if (!is_lower_hex(c.s[i]))
				return false;
		return true;
	}
	if (c.len != POD_UID_LEN)
		return false;
	for (i = 0; i < c.len; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (c.s[i] != sep)
				return false;
		} else if (!is_lower_hex(c.s[i])) {
			return false;
		}
	}
	return true;
}

/* Only these unit types have cgroups besides slices. */
static const char *const unit_types[] = { "service", "scope", "socket", "mount",
					  "swap" };

static bool is_unit_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || (c && strchr(":-_.\\@", c));
}

/* Whether @c ends in a unit type that has a cgroup of its own. */
static bool has_unit_type(struct comp c)
{
	const char *dot = memrchr(c.s, '.', c.len);
	struct comp type;
	size_t i;

	if (!dot)
		return false;
	type.s = dot + 1;
	type.len = c.len - (type.s - c.s);
	for (i = 0; i < sizeof(unit_types) / sizeof(unit_types[0]); i++)
		if (comp__is(type, unit_types[i]))
			return true;
	return false;
}

/*
 * A unit name as systemd would accept for a running unit: a non-empty
 * prefix, and at most one "@" with a non-empty instance (a template such
 * as "getty@.service" never runs).
 */
static bool is_unit_name(struct comp c)
{
	const char *dot = memrchr(c.s, '.', c.len);
	const char *at = memchr(c.s, '@', c.len);
	size_t i;

	if (c.len >= IDENT_UNIT_LEN || dot == c.s)
		return false;
	for (i = 0; i < c.len; i++)
		if (!is_unit_char(c.s[i]))
			return false;
	if (at &&
	    (at == c.s || at + 1 == dot || memchr(at + 1, '@', dot - at - 1)))
		return false;
	return true;
}

/*
 * A systemd driver pod slice: [<parent>-]kubepods[-<qos>]-pod<uid>.slice,
 * the parent prefix being there when kubepods.slice is itself nested (as
 * kind's kubelet-kubepods.slice is).
 */
static bool pod_slice_uid(struct comp c, struct comp *uid)
{
	static const char *const heads[] = { "kubepods-", "kubepods-burstable-",
					     "kubepods-besteffort-" };
	static const size_t lens[] = { POD_UID_LEN, STATIC_POD_UID_LEN };
	struct comp head;
	size_t i, n, l;

	for (l = 0; l < 2; l++) {
		head = c;
		if (!comp__strip_suffix(&head, ".slice") || head.len < lens[l])
			return false;
		uid->s = head.s + head.len - lens[l];
		uid->len = lens[l];
		head.len -= lens[l];
		if (is_pod_uid(*uid, '_') && comp__strip_suffix(&head, "pod"))
			break;
	}
	if (l == 2)
		return false;
	for (i = 0; i < sizeof(heads) / sizeof(heads[0]); i++) {
		n = strlen(heads[i]);
		if (head.len < n || memcmp(head.s + head.len - n, heads[i], n))
			continue;
		if (head.len == n || head.s[head.len - n - 1] == '-')
			return true;
	}
	return false;
}

/* A cgroupfs driver pod: kubepods/[burstable|besteffort/]pod<uid>. */
static bool pod_dir_uid(struct comp c, struct comp parent, struct comp grand,
			struct comp *uid)
{
	*uid = c;
	if (!comp__strip_prefix(uid, "pod") || !is_pod_uid(*uid, '-'))
		return false;
	if (comp__is(parent, "kubepods"))
		return true;
	return (comp__is(parent, "burstable") ||
		comp__is(parent, "besteffort")) &&
	       comp__is(grand, "kubepods");
}

/* <prefix><id><suffix> */
static const struct {
	const char *prefix, *suffix, *runtime;
} id_shapes[] = {
	{ "docker-", ".scope", "docker" },
	{ "cri-containerd-", ".scope", "containerd" },
	{ "crio-", ".scope", "cri-o" },
	{ "crio-", "", "cri-o" },
	/* conmon, cri-o's monitor, is accounted to the container it runs */
	{ "crio-conmon-", ".scope", "cri-o" },
	{ "crio-conmon-", "", "cri-o" },
	{ "libpod-", ".scope", "podman" },
	{ "libpod-conmon-", ".scope", "podman" },
};

struct path_walk {
	struct comp parent, grand;
	bool parent_is_pod; /* a cgroupfs pod directory */
	bool in_libpod; /* under podman's cgroupfs parent */
};

static const char *container_of(struct comp c, const struct path_walk *w,
				struct comp *id)
{
	size_t i;

	for (i = 0; i < sizeof(id_shapes) / sizeof(id_shapes[0]); i++) {
		*id = c;
		if (comp__strip_prefix(id, id_shapes[i].prefix) &&
		    comp__strip_suffix(id, id_shapes[i].suffix) &&
		    is_container_id(*id))
			return id_shapes[i].runtime;
	}
	*id = c;
	if (w->in_libpod && comp__strip_prefix(id, "libpod-") &&
	    is_container_id(*id))
		return "podman";
	*id = c;
	if (!is_container_id(*id))
		return NULL;
	/* cgroupfs drivers name the container's cgroup by its bare id */
	if (comp__is(w->parent, "docker"))
		return "docker";
	if (w->parent_is_pod)
		return "containerd";
	return NULL;
}

static void copy_comp(char *dst, struct comp c)
{
	memcpy(dst, c.s, c.len);
	dst[c.len] = '\0';
}

void identity__parse_path(const char *path, struct path_identity *out)
{
	struct path_walk w = { 0 };
	bool unit_seen = false, is_pod;
	const char *p, *end, *runtime;
	struct comp c, id, uid;
	size_t len, i;

	memset(out, 0, sizeof(*out));
	if (!path || path[0] != '/')
		return;
	len = strlen(path);
	/* empty components would blur which component is whose parent */
	if (strstr(path, "//") || (len > 1 && path[len - 1] == '/'))
		return;
	for (p = path + 1; *p; p = *end ? end + 1 : end) {
		end = strchrnul(p, '/');
		c.s = p;
		c.len = end - p;

		/* cg_path_get_unit(): the first unit that is not a slice */
		if (!unit_seen && has_unit_type(c)) {
			unit_seen = true;
			if (is_unit_name(c))
				copy_comp(out->unit, c);
		}

		is_pod = false;
		if (pod_slice_uid(c, &uid)) {
			copy_comp(out->pod_uid, uid);
			for (i = 0; i < uid.len; i++)
				if (out->pod_uid[i] == '_')
					out->pod_uid[i] = '-';
		} else if (pod_dir_uid(c, w.parent, w.grand, &uid)) {
			copy_comp(out->pod_uid, uid);
			is_pod = true;
		}

		/* nested runtimes: the innermost container is the one */
		runtime = container_of(c, &w, &id);
		if (runtime) {
			copy_comp(out->container_id, id);
			out->runtime = runtime;
		}

		if (comp__is(c, "libpod_parent"))
			w.in_libpod = true;
		w.grand = w.parent;
		w.parent = c;
		w.parent_is_pod = is_pod;
	}
}

/*
 * When a miss may re-read a directory: once per second at most, so that a
 * flood of ids nobody knows costs one scan per second.
 */
struct rescan {
	uint64_t last_ns;
	bool done;
};

static bool rescan__due(struct rescan *r, uint64_t now_ns)
{
	/* unsigned: a clock that went backwards rescans, and restarts */
	if (r->done && now_ns - r->last_ns < NSEC_PER_SEC)
		return false;
	r->done = true;
	r->last_ns = now_ns;
	return true;
}

/*
 * Entries keyed by a string at their start, found by open addressing: pods
 * come and go for as long as we run, and every one stays known, so a
 * linear search would slow down both lookups and every rescan.
 */
struct table {
	char *entries; /* n of esize bytes, the key first */
	size_t esize, n, cap;
	uint32_t *slots; /* index + 1 of an entry, 0 if free */
	size_t nslots; /* a power of two, at least twice n */
};

static size_t table__hash(const char *key)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	while (*key)
		h = (h ^ (unsigned char)*key++) * 0x100000001b3ULL;
	return h;
}

static char *table__entry(const struct table *t, uint32_t slot)
{
	return t->entries + (size_t)(slot - 1) * t->esize;
}

static void *table__find(const struct table *t, const char *key)
{
	size_t mask = t->nslots - 1, i;

	if (!t->nslots)
		return NULL;
	for (i = table__hash(key) & mask; t->slots[i]; i = (i + 1) & mask)
		if (!strcmp(table__entry(t, t->slots[i]), key))
			return table__entry(t, t->slots[i]);
	return NULL;
}

static void table__place(uint32_t *slots, size_t nslots, const char *key,
			 uint32_t slot)
{
	size_t mask = nslots - 1, i;

	for (i = table__hash(key) & mask; slots[i]; i = (i + 1) & mask)
		;
	slots[i] = slot;
}

/* A new zeroed entry for @key, which is not in @t; NULL on out of memory. */
static void *table__add(struct table *t, const char *key)
{
	uint32_t *slots;
	size_t nslots, i;
	char *e;

	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 16;

		if (cap > UINT32_MAX - 1)
			return NULL;
		e = realloc(t->entries, cap * t->esize);
		if (!e)
			return NULL;
		t->entries = e;
		t->cap = cap;
	}
	if ((t->n + 1) * 2 > t->nslots) {
		nslots = t->nslots ? t->nslots * 2 : 32;
		slots = calloc(nslots, sizeof(*slots));
		if (!slots)
			return NULL;
		for (i = 0; i < t->n; i++)
			table__place(slots, nslots,
				     table__entry(t, (uint32_t)i + 1),
				     (uint32_t)i + 1);
		free(t->slots);
		t->slots = slots;
		t->nslots = nslots;
	}
	e = t->entries + t->n * t->esize;
	memset(e, 0, t->esize);
	strcpy(e, key);
	t->n++;
	table__place(t->slots, t->nslots, key, (uint32_t)t->n);
	return e;
}

static void table__free(struct table *t)
{
	free(t->entries);
	free(t->slots);
}

struct k8s_pod {
	char uid[POD_UID_LEN + 1]; /* the key */
	char namespace[64];
	char name[254];
};

struct k8s_container {
	char id[CONTAINER_ID_LEN + 1]; /* the key */
	char namespace[64];
	char pod[254];
	char name[64];
};

struct k8s_index {
	char *root;
	struct table pods; /* of struct k8s_pod */
	struct table containers; /* of struct k8s_container */
	struct rescan rescan;
};

/*
 * DNS-1123 labels (namespaces, containers) and subdomains (pods), which
 * the API server enforces: a name that is not one is not the kubelet's.
 */
static bool is_dns_name(struct comp c, size_t max, bool dots)
{
	size_t i;

	if (!c.len || c.len > max)
		return false;
	for (i = 0; i < c.len; i++) {
		char ch = c.s[i];

		if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
		      ch == '-' || (dots && ch == '.')))
			return false;
	}
	return true;
}

static bool is_dns_label(struct comp c)
{
	return is_dns_name(c, 63, false);
}

static bool is_dns_subdomain(struct comp c)
{
	return is_dns_name(c, 253, true);
}

/* Splits "<a>_<b>_<c>" at the first and the last "_". */
static bool split3(struct comp s, struct comp *a, struct comp *b,
		   struct comp *c)
{
	const char *first = memchr(s.s, '_', s.len);
	const char *last = memrchr(s.s, '_', s.len);

	if (!first || first == last)
		return false;
	a->s = s.s;
	a->len = first - s.s;
	b->s = first + 1;
	b->len = last - b->s;
	c->s = last + 1;
	c->len = s.len - (c->s - s.s);
	return true;
}

/* pods/<namespace>_<pod>_<uid> */
void k8s__add_pod(struct k8s_index *k, const char *name)
{
	struct comp s = { name, strlen(name) }, ns, pod, uid;
	struct k8s_pod *e;
	char key[POD_UID_LEN + 1];

	if (!split3(s, &ns, &pod, &uid) || !is_dns_label(ns) ||
	    !is_dns_subdomain(pod) || !is_pod_uid(uid, '-'))
		return;
	copy_comp(key, uid);
	if (table__find(&k->pods, key))
		return;
	e = table__add(&k->pods, key);
	if (!e)
		return;
	copy_comp(e->namespace, ns);
	copy_comp(e->name, pod);
}

/* containers/<pod>_<namespace>_<container>-<id>.log */
void k8s__add_container(struct k8s_index *k, const char *name)
{
	struct comp s = { name, strlen(name) }, pod, ns, ctr, id;
	char key[CONTAINER_ID_LEN + 1];
	struct k8s_container *e;
	const char *dash;

	if (!comp__strip_suffix(&s, ".log"))
		return;
	dash = memrchr(s.s, '-', s.len);
	if (!dash)
		return;
	id.s = dash + 1;
	id.len = s.len - (id.s - s.s);
	s.len = dash - s.s;
	if (!is_container_id(id) || !split3(s, &pod, &ns, &ctr) ||
	    !is_dns_subdomain(pod) || !is_dns_label(ns) || !is_dns_label(ctr))
		return;
	copy_comp(key, id);
	if (table__find(&k->containers, key))
		return;
	e = table__add(&k->containers, key);
	if (!e)
		return;
	copy_comp(e->namespace, ns);
	copy_comp(e->pod, pod);
	copy_comp(e->name, ctr);
}

static void k8s__scan_dir(struct k8s_index *k, int rootfd, const char *sub,
			  bool dirs,
			  void (*add)(struct k8s_index *, const char *))
{
	struct dirent *de;
	DIR *d;
	int fd;

	fd = openat(rootfd, sub, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return;
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return;
	}
	while ((de = readdir(d)))
		if (!dirs || de->d_type == DT_DIR || de->d_type == DT_UNKNOWN)
			add(k, de->d_name);
	closedir(d);
}

static void k8s__scan(struct k8s_index *k)
{
	int fd = open(k->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		return;
	k8s__scan_dir(k, fd, "pods", true, k8s__add_pod);
	/* the logs are symlinks, to files that may be gone: names only */
	k8s__scan_dir(k, fd, "containers", false, k8s__add_container);
	close(fd);
}

struct k8s_index *k8s__new(const char *root)
{
	struct k8s_index *k = calloc(1, sizeof(*k));

	if (!k)
		return NULL;
	k->root = strdup(root ?: "/var/log");
	if (!k->root) {
		free(k);
		return NULL;
	}
	k->pods.esize = sizeof(struct k8s_pod);
	k->containers.esize = sizeof(struct k8s_container);
	return k;
}

void k8s__free(struct k8s_index *k)
{
	if (!k)
		return;
	table__free(&k->pods);
	table__free(&k->containers);
	free(k->root);
	free(k);
}

bool k8s__lookup(struct k8s_index *k, const char *pod_uid,
		 const char *container_id, uint64_t now_ns,
		 struct k8s_names *out)
{
	const struct k8s_container *c = NULL;
	const struct k8s_pod *p = NULL;
	bool want_pod, want_ctr;

	memset(out, 0, sizeof(*out));
	/* an id of the wrong shape is never on disk: no rescan for it */
	want_pod = pod_uid &&
		   is_pod_uid((struct comp){ pod_uid, strlen(pod_uid) }, '-');
	want_ctr = container_id &&
		   is_container_id(
			   (struct comp){ container_id, strlen(container_id) });
	if (want_pod)
		p = table__find(&k->pods, pod_uid);
	if (want_ctr)
		c = table__find(&k->containers, container_id);
	if (((want_pod && !p) || (want_ctr && !c)) &&
	    rescan__due(&k->rescan, now_ns)) {
		k8s__scan(k);
		/* the tables may have moved */
		p = want_pod ? table__find(&k->pods, pod_uid) : NULL;
		c = want_ctr ? table__find(&k->containers, container_id) : NULL;
	}
	if (p) {
		strcpy(out->namespace, p->namespace);
		strcpy(out->pod, p->name);
	} else if (c) {
		strcpy(out->namespace, c->namespace);
		strcpy(out->pod, c->pod);
	}
	/* a container of some other pod must not be named as this one's */
	if (c && !strcmp(out->namespace, c->namespace) &&
	    !strcmp(out->pod, c->pod))
		strcpy(out->container, c->name);
	return out->pod[0] != '\0';
}

struct netns_entry {
	uint64_t ino;
	unsigned int gen; /* the scan that last saw it */
	uint64_t gone_ns; /* when a scan first missed it, 0: there */
	char name[NAME_MAX + 1];
};

/*
 * A name removed from the directory still names the records of the
 * namespace's last moments, for a while; past that, its inode may have
 * been reused by a namespace without a name.
 */
#define NETNS_GONE_KEEP_NS (10 * NSEC_PER_SEC)

/*
 * A few per host, or one per pod: a linear search will do. Each entry is
 * allocated alone so that the names handed out never move.
 */
struct netns_names {
	char *dir;
	struct netns_entry **entries;
	size_t n, cap;
	unsigned int gen;
	struct rescan rescan;
};

struct netns_names *netns_names__new(const char *dir)
{
	struct netns_names *n = calloc(1, sizeof(*n));

	if (!n)
		return NULL;
	n->dir = strdup(dir ?: "/run/netns");
	if (!n->dir) {
		free(n);
		return NULL;
	}
	return n;
}

void netns_names__free(struct netns_names *n)
{
	size_t i;

	if (!n)
		return;
	for (i = 0; i < n->n; i++)
		free(n->entries[i]);
	free(n->entries);
	free(n->dir);
	free(n);
}

static struct netns_entry *netns_names__get(struct netns_names *n, uint64_t ino)
{
	size_t i;

	for (i = 0; i < n->n; i++)
		if (n->entries[i]->ino == ino)
			return n->entries[i];
	return NULL;
}

static void netns_names__add(struct netns_names *n, uint64_t ino,
			     const char *name)
{
	struct netns_entry **entries, *e = netns_names__get(n, ino);

	if (e) {
		/*
		 * An inode freed and reused takes its new name; one namespace
		 * mounted under two names takes the one that sorts first,
		 * whatever order the directory lists them in.
		 */
		if (e->gen != n->gen || strcmp(name, e->name) < 0) {
			strcpy(e->name, name);
			e->gen = n->gen;
		}
		return;
	}
	if (n->n == n->cap) {
		size_t cap = n->cap ? n->cap * 2 : 16;

		entries = realloc(n->entries, cap * sizeof(*entries));
		if (!entries)
			return;
		n->entries = entries;
		n->cap = cap;
	}
	e = malloc(sizeof(*e));
	if (!e)
		return;
	n->entries[n->n++] = e;
	e->ino = ino;
	e->gen = n->gen;
	e->gone_ns = 0;
	strcpy(e->name, name);
}

static void netns_names__scan(struct netns_names *n, uint64_t now_ns)
{
	struct dirent *de;
	struct stat st;
	size_t i;
	DIR *d;

	/* no directory: no namespace has a name any more */
	n->gen++;
	d = opendir(n->dir);
	while (d && (de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		/* nsfs inodes are regular files; stat() sees the mounted one */
		if (fstatat(dirfd(d), de->d_name, &st, 0) ||
		    !S_ISREG(st.st_mode))
			continue;
		netns_names__add(n, st.st_ino, de->d_name);
	}
	if (d)
		closedir(d);
	for (i = 0; i < n->n; i++) {
		struct netns_entry *e = n->entries[i];

		if (e->gen == n->gen)
			e->gone_ns = 0;
		else if (!e->gone_ns)
			e->gone_ns = now_ns ? now_ns : 1;
	}
}

const char *netns_names__find(struct netns_names *n, uint64_t ino,
			      uint64_t now_ns)
{
	struct netns_entry *e;

	/* on a hit too: a name can go, and its inode come back unnamed */
	if (rescan__due(&n->rescan, now_ns))
		netns_names__scan(n, now_ns);
	e = netns_names__get(n, ino);
	if (e && e->gone_ns && now_ns - e->gone_ns > NETNS_GONE_KEEP_NS)
		return NULL;
	return e ? e->name : NULL;
}
