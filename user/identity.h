/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
#ifndef __IDENTITY_H
#define __IDENTITY_H

#include <stdbool.h>
#include <stdint.h>

/*
 * Who a cgroup belongs to, from its path alone: the systemd unit, the
 * container and its runtime, the Kubernetes pod.
 */
#define IDENT_UNIT_LEN 128
struct path_identity {
	char unit[IDENT_UNIT_LEN]; /* "" if none */
	char container_id[65]; /* lowercase hex, 64 chars; "" if none */
	/* "containerd", "cri-o", "docker", "podman", or NULL */
	const char *runtime;
	char pod_uid[37]; /* "8f1c...-..." with dashes; "" if none */
};

/*
 * @path is relative to the host's cgroup v2 root and starts with "/", e.g.
 * "/system.slice/nginx.service". Every field of @out is written; a path
 * the kernel would not write ("//", a trailing "/", no leading "/") yields
 * nothing.
 */
void identity__parse_path(const char *path, struct path_identity *out);

/*
 * Kubernetes names without the API server, from the kubelet's log layout:
 * <root>/pods/<namespace>_<pod>_<uid>/ and
 * <root>/containers/<pod>_<namespace>_<container>-<id>.log.
 */
struct k8s_index;
struct k8s_names {
	char namespace[64];
	char pod[254];
	char container[64];
};

/*
 * @root: e.g. "/var/log" (--k8s-logs DIR). Never fails for a missing dir
 * (then nothing is known); NULL only on out of memory.
 */
struct k8s_index *k8s__new(const char *root);
void k8s__free(struct k8s_index *k);
/*
 * Names for a pod uid and container id (either may be "" or NULL). Fills
 * what is known, "" otherwise. @now_ns: a monotonic clock reading; on a
 * miss the index is re-read from disk, but at most once per second. Names
 * learned stay known after their files are gone. Returns true if the pod's
 * namespace and name are known (from its uid, or else from the container's
 * log name).
 */
bool k8s__lookup(struct k8s_index *k, const char *pod_uid,
		 const char *container_id, uint64_t now_ns,
		 struct k8s_names *out);

/*
 * What a scan learns from one entry of <root>/pods/ or of
 * <root>/containers/: names that are not the kubelet's are ignored.
 * (Tests and fuzzing; k8s__lookup() scans by itself.)
 */
void k8s__add_pod(struct k8s_index *k, const char *name);
void k8s__add_container(struct k8s_index *k, const char *name);

/* Network namespace names, as "ip netns" gives them. */
struct netns_names;
/* @dir: "/run/netns" normally. NULL only on out of memory. */
struct netns_names *netns_names__new(const char *dir);
void netns_names__free(struct netns_names *n);
/*
 * The name of the namespace with inode @ino (st_ino of a file in @dir),
 * NULL if none. Re-reads @dir at most once per second (@now_ns as above);
 * a name removed from @dir still answers for 10 s, then no more (nsfs
 * reuses inodes). The string lasts as long as @n, but is rewritten in
 * place if a rescan finds the inode under another name.
 */
const char *netns_names__find(struct netns_names *n, uint64_t ino,
			      uint64_t now_ns);

#endif /* __IDENTITY_H */
