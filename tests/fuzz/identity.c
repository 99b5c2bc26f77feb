// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * Who a cgroup belongs to: the input is lines, each led by one letter
 * saying what it is:
 *   c  a cgroup path (systemd, kubelet systemd or cgroupfs layouts,
 *      containerd, CRI-O, Docker, Podman ids): identity__parse_path(),
 *      then the kubelet's names for the pod and container it names
 *   m  a line of /proc/self/mountinfo: cgroup__parse_mountinfo()
 *   p  an entry of the kubelet's <logs>/pods/
 *   l  an entry of the kubelet's <logs>/containers/
 * The index the p and l lines fill is the one the c lines look up in.
 */
#include <stdlib.h>
#include <string.h>
#include "cgroup.h"
#include "fuzz.h"
#include "identity.h"

#define MAX_LINES 256

static bool all_lower_hex(const char *s)
{
	for (; *s; s++)
		if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f')))
			return false;
	return true;
}

static void check_names(const struct k8s_names *n)
{
	if (strnlen(n->namespace, sizeof(n->namespace)) ==
		    sizeof(n->namespace) ||
	    strnlen(n->pod, sizeof(n->pod)) == sizeof(n->pod) ||
	    strnlen(n->container, sizeof(n->container)) ==
		    sizeof(n->container))
		abort();
}

static void path(struct k8s_index *k, const char *p)
{
	struct path_identity pi;
	struct k8s_names names;
	size_t n;

	identity__parse_path(p, &pi);
	n = strnlen(pi.container_id, sizeof(pi.container_id));
	if ((n != 0 && n != 64) || !all_lower_hex(pi.container_id))
		abort();
	if (n && !pi.runtime)
		abort();
	/* 8-4-4-4-12 with dashes, or a static pod's 32 hex digits */
	n = strnlen(pi.pod_uid, sizeof(pi.pod_uid));
	if (n != 0 && n != 36 && n != 32)
		abort();
	if (strnlen(pi.unit, sizeof(pi.unit)) == sizeof(pi.unit))
		abort();
	k8s__lookup(k, pi.pod_uid, pi.container_id, 0, &names);
	check_names(&names);
}

static void mountinfo(char *line)
{
	char *root, *dir;

	size_t len = strlen(line);

	/* fields split in place, escapes undone: never longer */
	if (cgroup__parse_mountinfo(line, &root, &dir) &&
	    (strlen(root) > len || strlen(dir) > len))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *lines[MAX_LINES], *copy;
	struct k8s_index *k;
	size_t n, i;

	/* no such root: what the scan would find is what the input says */
	k = k8s__new("/nonexistent/rsttrace-fuzz");
	if (!k)
		return 0;
	n = fuzz__split(data, size, '\n', lines, MAX_LINES, &copy);
	for (i = 0; i < n; i++) {
		char *arg = lines[i] + (lines[i][0] != '\0');

		switch (lines[i][0]) {
		case 'c':
			path(k, arg);
			break;
		case 'm':
			mountinfo(arg);
			break;
		case 'p':
			k8s__add_pod(k, arg);
			break;
		case 'l':
			k8s__add_container(k, arg);
			break;
		}
	}
	k8s__free(k);
	free(copy);
	return 0;
}
