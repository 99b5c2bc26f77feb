// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <fcntl.h>
#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>
#include "identity.h"
#include "unit.h"

#define ID "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define ID2 "fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210"
#define ID3 "a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0"
#define ID63 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcde"
#define ID65 ID "0"
#define IDUP "0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF"
#define UID "8f1c2b3a-4d5e-6f70-8192-a3b4c5d6e7f8"
#define UID_ "8f1c2b3a_4d5e_6f70_8192_a3b4c5d6e7f8"
#define UID2 "00112233-4455-6677-8899-aabbccddeeff"
#define SUID "5a1b2c3d4e5f60718293a4b5c6d7e8f9"
#define SUIDUP "5A1B2C3D4E5F60718293A4B5C6D7E8F9"
#define KBURST "/kubepods.slice/kubepods-burstable.slice"
#define KBEST "/kubepods.slice/kubepods-besteffort.slice"
#define SEC 1000000000ULL

struct path_case {
	const char *path, *unit, *id, *runtime, *pod_uid;
};

static const struct path_case path_cases[] = {
	{ "/", "", "", NULL, "" },
	{ "/system.slice", "", "", NULL, "" },
	/* systemd units */
	{ "/system.slice/nginx.service", "nginx.service", "", NULL, "" },
	{ "/system.slice/nginx.service/worker", "nginx.service", "", NULL, "" },
	{ "/system.slice/sshd.socket", "sshd.socket", "", NULL, "" },
	{ "/system.slice/boot.mount", "boot.mount", "", NULL, "" },
	{ "/system.slice/dev-sda2.swap", "dev-sda2.swap", "", NULL, "" },
	{ "/system.slice/system-getty.slice/getty@tty1.service",
	  "getty@tty1.service", "", NULL, "" },
	{ "/user.slice/user-1000.slice/user@1000.service/app.slice/foo.service",
	  "user@1000.service", "", NULL, "" },
	{ "/user.slice/user-1000.slice/session-3.scope", "session-3.scope", "",
	  NULL, "" },
	{ "/init.scope", "init.scope", "", NULL, "" },
	/* a test's own prefix directory before the slices */
	{ "/rsttrace-test.x1/system.slice/nginx.service", "nginx.service", "",
	  NULL, "" },
	/* the first unit decides, even when there is another inside */
	{ "/a.service/b.service", "a.service", "", NULL, "" },

	/* docker */
	{ "/system.slice/docker-" ID ".scope", "docker-" ID ".scope", ID,
	  "docker", "" },
	{ "/docker/" ID, "", ID, "docker", "" },
	{ "/docker/" ID "/docker/" ID2, "", ID2, "docker", "" },
	/* systemd inside a container: the unit is the container's scope */
	{ "/system.slice/docker-" ID ".scope/system.slice/foo.service",
	  "docker-" ID ".scope", ID, "docker", "" },

	/* containerd, systemd driver, each QoS class */
	{ KBURST "/kubepods-burstable-pod" UID_ ".slice/cri-containerd-" ID
		 ".scope",
	  "cri-containerd-" ID ".scope", ID, "containerd", UID },
	{ KBEST "/kubepods-besteffort-pod" UID_ ".slice/cri-containerd-" ID
		".scope",
	  "cri-containerd-" ID ".scope", ID, "containerd", UID },
	{ "/kubepods.slice/kubepods-pod" UID_ ".slice/cri-containerd-" ID
	  ".scope",
	  "cri-containerd-" ID ".scope", ID, "containerd", UID },
	{ KBURST "/kubepods-burstable-pod" UID_ ".slice", "", "", NULL, UID },
	/* kind: kubepods.slice nested in kubelet.slice */
	{ "/kubelet.slice/kubelet-kubepods.slice/"
	  "kubelet-kubepods-besteffort.slice/kubelet-kubepods-besteffort-pod" UID_
	  ".slice/cri-containerd-" ID ".scope",
	  "cri-containerd-" ID ".scope", ID, "containerd", UID },
	/* a kind node is a docker container: the innermost container wins */
	{ "/system.slice/docker-" ID2 ".scope/kubelet.slice/"
	  "kubelet-kubepods.slice/kubelet-kubepods-pod" UID_
	  ".slice/cri-containerd-" ID ".scope",
	  "docker-" ID2 ".scope", ID, "containerd", UID },

	/* containerd, cgroupfs driver */
	{ "/kubepods/burstable/pod" UID "/" ID, "", ID, "containerd", UID },
	{ "/kubepods/besteffort/pod" UID "/" ID, "", ID, "containerd", UID },
	{ "/kubepods/pod" UID "/" ID, "", ID, "containerd", UID },
	{ "/kubepods/pod" UID, "", "", NULL, UID },
	{ "/rsttrace-test.x1/kubepods/burstable/pod" UID "/" ID, "", ID,
	  "containerd", UID },

	/* cri-o */
	{ KBURST "/kubepods-burstable-pod" UID_ ".slice/crio-" ID ".scope",
	  "crio-" ID ".scope", ID, "cri-o", UID },
	{ KBURST "/kubepods-burstable-pod" UID_ ".slice/crio-conmon-" ID
		 ".scope",
	  "crio-conmon-" ID ".scope", ID, "cri-o", UID },
	{ "/kubepods/besteffort/pod" UID "/crio-" ID, "", ID, "cri-o", UID },
	{ "/kubepods/besteffort/pod" UID "/crio-conmon-" ID, "", ID, "cri-o",
	  UID },

	/* podman */
	{ "/machine.slice/libpod-" ID ".scope", "libpod-" ID ".scope", ID,
	  "podman", "" },
	{ "/machine.slice/libpod-conmon-" ID ".scope",
	  "libpod-conmon-" ID ".scope", ID, "podman", "" },
	{ "/user.slice/user-1000.slice/user@1000.service/user.slice/libpod-" ID
	  ".scope",
	  "user@1000.service", ID, "podman", "" },
	{ "/libpod_parent/libpod-" ID, "", ID, "podman", "" },
	{ "/libpod_parent/" ID2 "/libpod-" ID, "", ID, "podman", "" },

	/* container ids: exactly 64 lowercase hex digits */
	{ "/system.slice/docker-" ID63 ".scope", "docker-" ID63 ".scope", "",
	  NULL, "" },
	{ "/system.slice/docker-" ID65 ".scope", "docker-" ID65 ".scope", "",
	  NULL, "" },
	{ "/system.slice/docker-" IDUP ".scope", "docker-" IDUP ".scope", "",
	  NULL, "" },
	{ "/system.slice/docker-" ID ".scopex", "", "", NULL, "" },
	{ "/system.slice/docker-" ID, "", "", NULL, "" },
	{ "/system.slice/podman-" ID ".scope", "podman-" ID ".scope", "", NULL,
	  "" },
	{ "/docker/" ID63, "", "", NULL, "" },
	{ "/docker/" ID65, "", "", NULL, "" },
	{ "/docker/" IDUP, "", "", NULL, "" },
	{ "/docker/x/" ID, "", "", NULL, "" },
	{ "/" ID, "", "", NULL, "" },
	{ "/machine.slice/libpod-" ID, "", "", NULL, "" },

	/* a static (mirror) pod's uid is its manifest's hash, 32 hex */
	{ KBURST "/kubepods-burstable-pod" SUID ".slice/cri-containerd-" ID
		 ".scope",
	  "cri-containerd-" ID ".scope", ID, "containerd", SUID },
	{ "/kubepods/pod" SUID "/" ID, "", ID, "containerd", SUID },
	{ "/kubepods/pod" SUID "0/" ID, "", "", NULL, "" },
	{ "/kubepods/pod" SUIDUP "/" ID, "", "", NULL, "" },

	/* pod uids: 8-4-4-4-12 lowercase hex, "_" in slices, "-" in dirs */
	{ KBURST "/kubepods-burstable-pod" UID_ "0.slice", "", "", NULL, "" },
	{ KBURST "/kubepods-burstable-pod8f1c2b3a_4d5e_6f70_8192_a3b4c5d6e7f."
		 "slice",
	  "", "", NULL, "" },
	{ KBURST "/kubepods-burstable-pod" UID ".slice", "", "", NULL, "" },
	{ KBURST "/kubepods-burstable-pod8F1C2B3A_4d5e_6f70_8192_a3b4c5d6e7f8."
		 "slice",
	  "", "", NULL, "" },
	{ KBURST "/kubepods-guaranteed-pod" UID_ ".slice", "", "", NULL, "" },
	{ "/xkubepods-pod" UID_ ".slice", "", "", NULL, "" },
	{ "/kubepods/burstable/pod" UID "0/" ID, "", "", NULL, "" },
	{ "/kubepods/burstable/pod8f1c2b3a-4d5e-6f70-8192-a3b4c5d6e7f/" ID, "",
	  "", NULL, "" },
	{ "/kubepods/burstable/pod" UID_ "/" ID, "", "", NULL, "" },
	{ "/other/burstable/pod" UID "/" ID, "", "", NULL, "" },
	{ "/kubepods/guaranteed/pod" UID, "", "", NULL, "" },

	/* unit names systemd would not run */
	{ "/system.slice/.service", "", "", NULL, "" },
	{ "/system.slice/getty@.service", "", "", NULL, "" },
	{ "/system.slice/@tty1.service", "", "", NULL, "" },
	{ "/system.slice/a@b@c.service", "", "", NULL, "" },
	{ "/system.slice/caf\xc3\xa9.service", "", "", NULL, "" },
	{ "/system.slice/a b.service", "", "", NULL, "" },
	{ "/system.slice/foo.target", "", "", NULL, "" },
	{ "/system.slice/foo.service.d", "", "", NULL, "" },

	/* malformed paths yield nothing */
	{ "", "", "", NULL, "" },
	{ "system.slice/nginx.service", "", "", NULL, "" },
	{ "//", "", "", NULL, "" },
	{ "//system.slice/nginx.service", "", "", NULL, "" },
	{ "/system.slice//nginx.service", "", "", NULL, "" },
	{ "/system.slice/nginx.service/", "", "", NULL, "" },
	{ "/docker/" ID "/", "", "", NULL, "" },
	{ "/docker//" ID, "", "", NULL, "" },
	{ "/\x80\xfe\xff/docker-\xff" ID63 ".scope", "", "", NULL, "" },
};

static void check_identity(int *unit_failures, const char *path,
			   const char *unit, const char *id,
			   const char *runtime, const char *pod_uid)
{
	int before = *unit_failures;
	struct path_identity pi;

	/* every field is written, whatever was there */
	memset(&pi, 'x', sizeof(pi));
	identity__parse_path(path, &pi);
	CHECK_EQ_STR(pi.unit, unit);
	CHECK_EQ_STR(pi.container_id, id);
	if (runtime)
		CHECK_EQ_STR(pi.runtime, runtime);
	else
		CHECK(pi.runtime == NULL);
	CHECK_EQ_STR(pi.pod_uid, pod_uid);
	if (*unit_failures != before)
		fprintf(stderr, "    for path \"%.300s\"\n", path);
}

UNIT_TEST(identity_paths)
{
	size_t i;

	for (i = 0; i < sizeof(path_cases) / sizeof(path_cases[0]); i++) {
		const struct path_case *c = &path_cases[i];

		check_identity(unit_failures, c->path, c->unit, c->id,
			       c->runtime, c->pod_uid);
	}
	check_identity(unit_failures, NULL, "", "", NULL, "");
}

UNIT_TEST(identity_hostile)
{
	size_t big = 10 * 1024, i, n;
	char *p = malloc(big + 200);
	char unit[IDENT_UNIT_LEN + 16];

	CHECK(p != NULL);
	if (!p)
		return;

	/* one 10 KB component, and one that ends like a unit */
	p[0] = '/';
	memset(p + 1, 'a', big);
	p[big + 1] = '\0';
	check_identity(unit_failures, p, "", "", NULL, "");
	strcpy(p + big - 7, ".service");
	check_identity(unit_failures, p, "", "", NULL, "");

	/* 10 KB of short components, then a container: no limit on depth */
	for (i = 0; i < big; i += 2)
		memcpy(p + i, "/a", 2);
	strcpy(p + big, "/docker-" ID ".scope");
	check_identity(unit_failures, p, "docker-" ID ".scope", ID, "docker",
		       "");
	/* and without the container, and with a trailing "/" */
	p[big] = '\0';
	check_identity(unit_failures, p, "", "", NULL, "");
	strcpy(p + big, "/");
	check_identity(unit_failures, p, "", "", NULL, "");

	/* every byte that is not ASCII, as a component and inside a unit */
	n = 0;
	p[n++] = '/';
	for (i = 0x80; i <= 0xff; i++)
		p[n++] = (char)i;
	p[n] = '\0';
	check_identity(unit_failures, p, "", "", NULL, "");
	strcpy(p + n, ".scope/docker-" ID ".scope");
	check_identity(unit_failures, p, "", ID, "docker", "");
	strcpy(p, "/system.slice/docker-" ID ".scope");
	p[30] = (char)0xff;
	check_identity(unit_failures, p, "", "", NULL, "");

	/* a unit name that just fits, and one that does not */
	memset(unit, 'u', sizeof(unit));
	strcpy(unit + IDENT_UNIT_LEN - 1 - strlen(".service"), ".service");
	snprintf(p, big, "/system.slice/%s", unit);
	check_identity(unit_failures, p, unit, "", NULL, "");
	memset(unit, 'u', sizeof(unit));
	strcpy(unit + IDENT_UNIT_LEN - strlen(".service"), ".service");
	snprintf(p, big, "/system.slice/%s", unit);
	check_identity(unit_failures, p, "", "", NULL, "");
	free(p);
}

static int remove_one(const char *path, const struct stat *st, int flag,
		      struct FTW *ftw)
{
	return remove(path);
}

static void remove_tree(const char *dir)
{
	nftw(dir, remove_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* A fresh directory for the test's files, in @dir. */
static bool make_temp_dir(char *dir, size_t len, const char *what)
{
	snprintf(dir, len, "%s/rsttrace-%s-XXXXXX", getenv("TMPDIR") ?: "/tmp",
		 what);
	return mkdtemp(dir) != NULL;
}

static bool make_dir(const char *root, const char *rel)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	return !mkdir(path, 0755);
}

static bool make_file(const char *root, const char *rel, uint64_t *ino)
{
	char path[512];
	struct stat st;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0)
		return false;
	if (ino) {
		fstat(fd, &st);
		*ino = st.st_ino;
	}
	close(fd);
	return true;
}

/* Container logs are symlinks into pods/; only their names matter. */
static bool make_log(const char *root, const char *name)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/containers/%s", root, name);
	return !symlink("../pods/gone/0.log", path);
}

static void check_names(int *unit_failures, const struct k8s_names *n,
			const char *ns, const char *pod, const char *ctr)
{
	CHECK_EQ_STR(n->namespace, ns);
	CHECK_EQ_STR(n->pod, pod);
	CHECK_EQ_STR(n->container, ctr);
}

UNIT_TEST(identity_k8s)
{
	const uint64_t t0 = 5 * SEC;
	struct k8s_names n;
	struct k8s_index *k;
	char root[256];
	bool ok = true;

	CHECK(make_temp_dir(root, sizeof(root), "k8s"));
	ok &= make_dir(root, "pods");
	ok &= make_dir(root, "containers");
	ok &= make_dir(root, "pods/default_web-0_" UID);
	ok &= make_dir(root, "pods/default_web-0_" UID "/nginx");
	ok &= make_dir(root, "pods/kube-system_coredns-5d78c.x_" UID2);
	ok &= make_log(root, "web-0_default_nginx-" ID ".log");
	/* a pod whose directory is gone, or never was */
	ok &= make_log(root, "job-1_batch_worker-" ID2 ".log");
	/* malformed: each is skipped, and the rest still read */
	ok &= make_dir(root, "pods/garbage");
	ok &= make_dir(root, "pods/a_b_not-a-uid");
	ok &= make_dir(root,
		       "pods/Upper_b_00000000-0000-0000-0000-000000000000");
	ok &= make_dir(root, "pods/a__00000000-0000-0000-0000-000000000001");
	ok &= make_file(root, "pods/x_y_00000000-0000-0000-0000-000000000002",
			NULL);
	ok &= make_log(root, "foo.log");
	ok &= make_log(root, "a_b_c-" ID63 ".log");
	ok &= make_log(root, "a_b-" ID ".log");
	ok &= make_log(root, "a_b_c-" ID ".txt");
	ok &= make_log(root, "a_b_c_d-" ID ".log");
	CHECK(ok);

	k = k8s__new(root);
	CHECK(k != NULL);
	if (!k)
		return;
	CHECK(k8s__lookup(k, UID, ID, t0, &n));
	check_names(unit_failures, &n, "default", "web-0", "nginx");
	CHECK(k8s__lookup(k, UID2, NULL, t0, &n));
	check_names(unit_failures, &n, "kube-system", "coredns-5d78c.x", "");
	CHECK(k8s__lookup(k, UID, "", t0, &n));
	check_names(unit_failures, &n, "default", "web-0", "");
	CHECK(k8s__lookup(k, NULL, ID, t0, &n));
	check_names(unit_failures, &n, "default", "web-0", "nginx");
	CHECK(k8s__lookup(k, "", ID2, t0, &n));
	check_names(unit_failures, &n, "batch", "job-1", "worker");
	/* a container of another pod is not this pod's */
	CHECK(k8s__lookup(k, UID2, ID, t0, &n));
	check_names(unit_failures, &n, "kube-system", "coredns-5d78c.x", "");

	CHECK(!k8s__lookup(k, NULL, NULL, t0, &n));
	check_names(unit_failures, &n, "", "", "");
	CHECK(!k8s__lookup(k, "", "", t0, &n));
	CHECK(!k8s__lookup(k, "not-a-uid", "not-an-id", t0, &n));
	CHECK(!k8s__lookup(k, "00000000-0000-0000-0000-000000000000", NULL, t0,
			   &n));
	CHECK(!k8s__lookup(k, "00000000-0000-0000-0000-000000000001", NULL, t0,
			   &n));
	CHECK(!k8s__lookup(k, "00000000-0000-0000-0000-000000000002", NULL, t0,
			   &n));
	CHECK(!k8s__lookup(k, NULL, ID63, t0, &n));
	check_names(unit_failures, &n, "", "", "");

	/* new pods are read at most once a second, counted from the last read */
	make_dir(root, "pods/new_late_11111111-1111-1111-1111-111111111111");
	CHECK(!k8s__lookup(k, "11111111-1111-1111-1111-111111111111", NULL,
			   t0 + SEC / 2, &n));
	CHECK(!k8s__lookup(k, "11111111-1111-1111-1111-111111111111", NULL,
			   t0 + SEC - 1, &n));
	CHECK(k8s__lookup(k, "11111111-1111-1111-1111-111111111111", NULL,
			  t0 + SEC, &n));
	check_names(unit_failures, &n, "new", "late", "");
	make_dir(root, "pods/new_later_22222222-2222-2222-2222-222222222222");
	make_log(root, "later_new_app-" ID3 ".log");
	CHECK(!k8s__lookup(k, "22222222-2222-2222-2222-222222222222", ID3,
			   t0 + SEC + SEC / 2, &n));
	check_names(unit_failures, &n, "", "", "");
	CHECK(k8s__lookup(k, "22222222-2222-2222-2222-222222222222", ID3,
			  t0 + 2 * SEC, &n));
	check_names(unit_failures, &n, "new", "later", "app");

	/* what was learned outlives the files */
	remove_tree(root);
	CHECK(k8s__lookup(k, UID, ID, t0 + 10 * SEC, &n));
	check_names(unit_failures, &n, "default", "web-0", "nginx");
	CHECK(k8s__lookup(k, NULL, ID2, t0 + 10 * SEC, &n));
	check_names(unit_failures, &n, "batch", "job-1", "worker");
	/* a miss reads a directory that is gone */
	CHECK(!k8s__lookup(k, "33333333-3333-3333-3333-333333333333", NULL,
			   t0 + 20 * SEC, &n));
	CHECK(k8s__lookup(k, UID2, NULL, t0 + 20 * SEC, &n));
	k8s__free(k);

	k = k8s__new("/nonexistent/rsttrace");
	CHECK(k != NULL);
	if (k)
		CHECK(!k8s__lookup(k, UID, ID, t0, &n));
	k8s__free(k);
	k8s__free(NULL);
}

UNIT_TEST(identity_netns)
{
	uint64_t blue, red, green, sub, last = 0;
	const char *held;
	int i;
	const uint64_t t0 = 7 * SEC;
	struct netns_names *nn;
	char dir[256], path[512], alias[512];
	struct stat st;
	bool ok = true;

	CHECK(make_temp_dir(dir, sizeof(dir), "netns"));
	ok &= make_file(dir, "blue", &blue);
	ok &= make_file(dir, "red", &red);
	/* one namespace under two names: the one that sorts first */
	snprintf(path, sizeof(path), "%s/blue", dir);
	snprintf(alias, sizeof(alias), "%s/zz-blue", dir);
	ok &= !link(path, alias);
	ok &= make_dir(dir, "sub");
	snprintf(path, sizeof(path), "%s/sub", dir);
	ok &= !stat(path, &st);
	sub = st.st_ino;
	CHECK(ok);

	nn = netns_names__new(dir);
	CHECK(nn != NULL);
	if (!nn)
		return;
	CHECK_EQ_STR(netns_names__find(nn, blue, t0), "blue");
	CHECK_EQ_STR(netns_names__find(nn, red, t0), "red");
	/* only files: a directory is no namespace */
	CHECK(netns_names__find(nn, sub, t0) == NULL);

	make_file(dir, "green", &green);
	CHECK(netns_names__find(nn, green, t0 + SEC / 2) == NULL);
	CHECK(netns_names__find(nn, green, t0 + SEC - 1) == NULL);
	CHECK_EQ_STR(netns_names__find(nn, green, t0 + SEC), "green");

	/* an inode seen under a new name, as a reused one is, takes it */
	snprintf(path, sizeof(path), "%s/red", dir);
	snprintf(alias, sizeof(alias), "%s/scarlet", dir);
	CHECK(!rename(path, alias));
	CHECK_EQ_STR(netns_names__find(nn, red, t0 + SEC), "red");
	CHECK(netns_names__find(nn, sub, t0 + 2 * SEC) == NULL);
	CHECK_EQ_STR(netns_names__find(nn, red, t0 + 2 * SEC), "scarlet");

	/* a name handed out survives the table growing under it */
	held = netns_names__find(nn, blue, t0 + 2 * SEC);
	for (i = 0; i < 40; i++) {
		snprintf(path, sizeof(path), "ns-%02d", i);
		ok &= make_file(dir, path, &last);
	}
	CHECK(ok);
	CHECK_EQ_STR(netns_names__find(nn, last, t0 + 3 * SEC), "ns-39");
	CHECK_EQ_STR(held, "blue");

	remove_tree(dir);
	CHECK_EQ_STR(netns_names__find(nn, blue, t0 + 5 * SEC), "blue");
	CHECK(netns_names__find(nn, sub, t0 + 5 * SEC) == NULL);
	CHECK_EQ_STR(netns_names__find(nn, red, t0 + 5 * SEC), "scarlet");
	CHECK_EQ_STR(netns_names__find(nn, green, t0 + 5 * SEC), "green");
	/* gone for 10 s: the inode may now be another, unnamed namespace's */
	CHECK_EQ_STR(netns_names__find(nn, blue, t0 + 14 * SEC), "blue");
	CHECK(netns_names__find(nn, blue, t0 + 16 * SEC) == NULL);
	netns_names__free(nn);

	nn = netns_names__new("/nonexistent/rsttrace");
	CHECK(nn != NULL);
	if (nn)
		CHECK(netns_names__find(nn, blue, t0) == NULL);
	netns_names__free(nn);
	netns_names__free(NULL);
}
