// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Command line: libbpf-tools option letters, argp help with examples. */
#include <argp.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include "args.h"
#include "features.h"
#include "metrics_http.h"

enum {
	OPT_DIRECTION = 0x100,
	OPT_COUNT,
	OPT_RINGBUF,
	OPT_USAGE,
	OPT_KSTACK,
	OPT_SUMMARY,
	OPT_INFER,
	OPT_LEGACY,
	OPT_ACCEPTOR,
	OPT_TW_OWNERS,
	OPT_UNIT,
	OPT_CONTAINER,
	OPT_POD,
	OPT_K8S_LOGS,
	OPT_BY,
	OPT_METRICS,
	OPT_MAX_SERIES,
	OPT_QUIET,
	OPT_OUTPUT_MAX_SIZE,
	OPT_OUTPUT_KEEP,
};

static const char doc[] =
	"Trace TCP resets: which process's connection was reset, by whom, and "
	"why.\n"
	"\n"
	"USAGE: rsttrace [-h] [-j] [-T] [-w] [-v] [-V] [-4|-6] [-p PID,...]\n"
	"                [-L PORT,...] [-D PORT,...] [-P PORT,...]\n"
	"                [--direction sent|received] [-c CGROUP_PATH]\n"
	"                [-d SECONDS] [--count N] [--ringbuf-size SIZE]\n"
	"                [--kstack] [--summary[=SECONDS]] [--acceptor HOOKS]\n"
	"                [--unit NAME] [--container ID] [--pod [NS/]NAME]\n"
	"                [--k8s-logs DIR] [--by comm|unit|pod]\n"
	"                [--metrics [ADDR:]PORT] [--metrics-max-series N] [-q]\n"
	"                [-o FILE] [--output-max-size SIZE] [--output-keep N]\n"
	"                [-Z USER]\n"
	"\n"
	"EXAMPLES:\n"
	"    rsttrace                      # table of resets until Ctrl-C\n"
	"    rsttrace --json | jq .        # one JSON object per line\n"
	"    rsttrace -p 1234 -L 443,8443  # pid 1234's sockets on port 443 or "
	"8443\n"
	"    rsttrace -D 5432 -T           # remote port 5432, with the time\n"
	"    rsttrace --direction received # only resets this host received\n"
	"    rsttrace -c /sys/fs/cgroup/system.slice/nginx.service\n"
	"                                  # sockets created in that cgroup or "
	"below\n"
	"    rsttrace -6 -w                # IPv6 only, wide columns\n"
	"    rsttrace --count 1 -d 60      # first reset, or give up after 60 s\n"
	"    rsttrace --summary=60         # counts by cause and port, every "
	"minute\n"
	"    rsttrace -w --kstack          # with causes and kernel stacks\n"
	"    rsttrace --unit nginx.service # sockets of that systemd unit\n"
	"    rsttrace --pod default/web-0  # that Kubernetes pod's sockets\n"
	"    rsttrace --summary --by pod   # counts per pod, every 10 s\n"
	"    rsttrace --metrics 9465 -q    # Prometheus metrics only\n"
	"    rsttrace -j -o /var/log/rsttrace/rsttrace.json -Z _rsttrace\n"
	"                                  # to a file, then as _rsttrace\n"
	"    rsttrace -j -o r.json --output-max-size 100M --output-keep 3\n"
	"                                  # r.json, r.json.1 ... r.json.3\n"
	"\n"
	"The owner (PID, COMM) is the process that connected or accepted the "
	"socket,\nnot the task that happened to run when the reset was "
	"handled. Resets with\nno socket (closed port) have no owner.\n"
	"\n"
	"OPTIONS:";

static const struct argp_option opts[] = {
	{ "json", 'j', NULL, 0, "One JSON object per line", 0 },
	{ "timestamp", 'T', NULL, 0, "Include a wall-clock time column", 0 },
	{ "wide", 'w', NULL, 0, "Wide columns (fits IPv6 addresses)", 0 },
	{ "pid", 'p', "PID,...", 0, "Only sockets owned by these processes",
	  0 },
	{ "localport", 'L', "PORT,...", 0, "Only these local ports", 0 },
	{ "remoteport", 'D', "PORT,...", 0, "Only these remote ports", 0 },
	{ "port", 'P', "PORT,...", 0, "Only these ports, at either end", 0 },
	{ "ipv4", '4', NULL, 0, "Only IPv4", 0 },
	{ "ipv6", '6', NULL, 0, "Only IPv6", 0 },
	{ "direction", OPT_DIRECTION, "sent|received", 0,
	  "Only resets this host sent, or received", 0 },
	{ "cgroup", 'c', "PATH", 0,
	  "Only sockets of this cgroup v2 directory or below", 0 },
	{ "unit", OPT_UNIT, "NAME", 0,
	  "Only sockets of this systemd unit (nginx.service, "
	  "session-3.scope)",
	  0 },
	{ "container", OPT_CONTAINER, "ID", 0,
	  "Only sockets of the container whose id starts with ID", 0 },
	{ "pod", OPT_POD, "[NS/]NAME", 0,
	  "Only sockets of this Kubernetes pod (namespace default)", 0 },
	{ "k8s-logs", OPT_K8S_LOGS, "DIR", 0,
	  "Where the kubelet's pods/ and containers/ logs are, for pod "
	  "names (default /var/log)",
	  0 },
	{ "duration", 'd', "SECONDS", 0, "Stop after SECONDS", 0 },
	{ "count", OPT_COUNT, "N", 0, "Stop after N events", 0 },
	{ "ringbuf-size", OPT_RINGBUF, "SIZE", 0,
	  "Ring buffer size, power of two (e.g. 8M); default 2M a CPU, "
	  "4M to 64M",
	  0 },
	{ "acceptor", OPT_ACCEPTOR, "HOOKS", 0,
	  "How accepted sockets find their acceptor: auto (default) or "
	  "getpeername, sockio, rcvspace, kprobe, syscalls (see -V)",
	  0 },
	{ "tw-owners", OPT_TW_OWNERS, "N", OPTION_HIDDEN,
	  "closed connections kept (default: net.ipv4.tcp_max_tw_buckets)", 0 },
	{ "kstack", OPT_KSTACK, NULL, 0, "Add the kernel stack of each reset",
	  0 },
	{ "summary", OPT_SUMMARY, "SECONDS", OPTION_ARG_OPTIONAL,
	  "Instead of events, counts by direction, cause, process and port "
	  "every SECONDS (default 10) and at exit",
	  0 },
	{ "by", OPT_BY, "comm|unit|pod", 0,
	  "What --summary groups resets by besides cause and port "
	  "(default comm)",
	  0 },
	{ "metrics", OPT_METRICS, "[ADDR:]PORT", 0,
	  "Serve Prometheus metrics at http://ADDR:PORT/metrics (ADDR "
	  "default: all)",
	  0 },
	{ "metrics-max-series", OPT_MAX_SERIES, "N", 0,
	  "Reset series kept (default 2000); more go to one 'other' series",
	  0 },
	{ "quiet", 'q', NULL, 0, "No records on stdout (with --metrics)", 0 },
	{ "output", 'o', "FILE", 0,
	  "Append records to FILE (created 0640); SIGHUP reopens it", 0 },
	{ "output-max-size", OPT_OUTPUT_MAX_SIZE, "SIZE", 0,
	  "Rotate FILE at SIZE (e.g. 100M): FILE.1 ...", 0 },
	{ "output-keep", OPT_OUTPUT_KEEP, "N", 0,
	  "Rotated files kept with --output-max-size (default 5)", 0 },
	{ "user", 'Z', "USER", 0,
	  "Once attached, run as USER with no capabilities", 0 },
	{ "infer-reasons", OPT_INFER, NULL, OPTION_HIDDEN,
	  "Infer reasons even where the kernel gives them (for testing)", 0 },
	{ "legacy-owners", OPT_LEGACY, NULL, OPTION_HIDDEN,
	  "Keep owners as kernels before 5.11 need (for testing)", 0 },
	{ "verbose", 'v', NULL, 0, "Print libbpf debug messages to stderr", 0 },
	{ "version", 'V', NULL, 0,
	  "Print versions and the kernel features detected", 0 },
	{ "help", 'h', NULL, 0, "Show this help", 0 },
	{ "usage", OPT_USAGE, NULL, 0, "Show a short usage message", 0 },
	{},
};

struct parse_state {
	struct rst_config *cfg;
	bool exit_ok; /* --help or --usage was handled */
};

static unsigned long list_get(const void *out, size_t elem_size, unsigned int i)
{
	return elem_size == sizeof(uint16_t) ? ((const uint16_t *)out)[i] :
					       ((const uint32_t *)out)[i];
}

static void list_set(void *out, size_t elem_size, unsigned int i,
		     unsigned long v)
{
	if (elem_size == sizeof(uint16_t))
		((uint16_t *)out)[i] = (uint16_t)v;
	else
		((uint32_t *)out)[i] = (uint32_t)v;
}

int args__parse_list(const char *arg, unsigned long min, unsigned long max,
		     void *out, size_t elem_size, unsigned int max_elems,
		     unsigned int *n, char *err, size_t errlen)
{
	const char *p = arg;
	unsigned int i;

	if (!*arg) {
		snprintf(err, errlen, "'' (empty list)");
		return -1;
	}
	for (;;) {
		const char *end = strchr(p, ',');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		char tok[32], *tail;
		unsigned long v;

		if (len == 0 || len >= sizeof(tok)) {
			snprintf(err, errlen, "'%.*s' in '%s'",
				 (int)(len < 64 ? len : 64), p, arg);
			return -1;
		}
		memcpy(tok, p, len);
		tok[len] = '\0';
		errno = 0;
		v = strtoul(tok, &tail, 10);
		if (errno || *tail || tok[0] == '-' || tok[0] == '+' ||
		    v < min || v > max) {
			snprintf(err, errlen, "'%s' (expected %lu to %lu)", tok,
				 min, max);
			return -1;
		}
		for (i = 0; i < *n && list_get(out, elem_size, i) != v; i++)
			;
		if (i == *n && *n >= max_elems) {
			snprintf(err, errlen,
				 "list '%.64s' (more than %u values "
				 "in all)",
				 arg, max_elems);
			return -1;
		}
		if (i == *n) {
			list_set(out, elem_size, *n, v);
			(*n)++;
		}
		if (!end)
			return 0;
		p = end + 1;
	}
}

int args__parse_size(const char *arg, unsigned long *out)
{
	unsigned long long v;
	char *tail;

	if (!*arg || arg[0] == '-')
		return -1;
	errno = 0;
	v = strtoull(arg, &tail, 10);
	if (errno || tail == arg)
		return -1;
	switch (*tail) {
	case 'k':
	case 'K':
		v <<= 10;
		tail++;
		break;
	case 'm':
	case 'M':
		v <<= 20;
		tail++;
		break;
	case 'g':
	case 'G':
		v <<= 30;
		tail++;
		break;
	}
	if (*tail || v == 0 || v > (1ULL << 31))
		return -1;
	*out = v;
	return 0;
}

static int parse_ulong(const char *arg, unsigned long min, unsigned long max,
		       unsigned long *out)
{
	unsigned long v;
	char *tail;

	if (!*arg || arg[0] == '-' || arg[0] == '+')
		return -1;
	errno = 0;
	v = strtoul(arg, &tail, 10);
	if (errno || *tail || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

/* The options that take no value; false if @key is not one. */
static bool parse_switch(int key, struct rst_config *cfg)
{
	switch (key) {
	case 'j':
		cfg->json = true;
		break;
	case 'T':
		cfg->timestamp = true;
		break;
	case 'w':
		cfg->wide = true;
		break;
	case 'v':
		cfg->verbose = true;
		break;
	case 'V':
		cfg->version = true;
		break;
	case OPT_KSTACK:
		cfg->kstack = true;
		break;
	case OPT_INFER:
		cfg->infer_reasons = true;
		break;
	case OPT_LEGACY:
		cfg->legacy_owners = true;
		break;
	case 'q':
		cfg->quiet = true;
		break;
	default:
		return false;
	}
	return true;
}

/* --unit, --container, --pod: checked here, resolved at start-up. */
static error_t parse_identity(int key, char *arg, struct argp_state *state)
{
	struct rst_config *cfg = ((struct parse_state *)state->input)->cfg;
	size_t i, n = strlen(arg);

	switch (key) {
	case OPT_UNIT:
		if (!n || strchr(arg, '/')) {
			argp_error(state,
				   "invalid unit '%s' (a unit name such "
				   "as nginx.service)",
				   arg);
			return EINVAL;
		}
		cfg->unit = arg;
		break;
	case OPT_CONTAINER:
		for (i = 0; i < n && strchr("0123456789abcdef", arg[i]); i++)
			;
		if (n < 4 || n > 64 || i < n) {
			argp_error(state,
				   "invalid container id '%s' (4 to 64 "
				   "lowercase hex digits)",
				   arg);
			return EINVAL;
		}
		cfg->container = arg;
		break;
	case OPT_POD:
		if (!n || arg[n - 1] == '/' || strchr(arg, '_') ||
		    (strchr(arg, '/') &&
		     strchr(arg, '/') != strrchr(arg, '/'))) {
			argp_error(state,
				   "invalid pod '%s' (NAME or "
				   "NAMESPACE/NAME)",
				   arg);
			return EINVAL;
		}
		cfg->pod = arg;
		break;
	}
	return 0;
}

/* What a reset must match: -4/-6, -p, -L/-D/-P, --direction, -c. */
static error_t parse_filter(int key, char *arg, struct argp_state *state)
{
	struct rst_config *cfg = ((struct parse_state *)state->input)->cfg;
	char err[160];

	switch (key) {
	case '4':
	case '6':
		if (cfg->family) {
			argp_error(state, "-4 and -6 are exclusive");
			return EINVAL;
		}
		cfg->family = key == '4' ? AF_INET : AF_INET6;
		break;
	case 'p':
		if (args__parse_list(arg, 1, INT_MAX, cfg->pids,
				     sizeof(cfg->pids[0]), RST_MAX_PIDS,
				     &cfg->npids, err, sizeof(err))) {
			argp_error(state, "invalid PID %s", err);
			return EINVAL;
		}
		break;
	case 'L':
	case 'D':
	case 'P': {
		uint16_t *list = key == 'L' ? cfg->lports :
				 key == 'D' ? cfg->rports :
					      cfg->ports;
		unsigned int *n = key == 'L' ? &cfg->nlports :
				  key == 'D' ? &cfg->nrports :
					       &cfg->nports;

		if (args__parse_list(arg, 1, 65535, list, sizeof(list[0]),
				     RST_MAX_PORTS, n, err, sizeof(err))) {
			argp_error(state, "invalid port %s", err);
			return EINVAL;
		}
		break;
	}
	case OPT_DIRECTION:
		if (!strcmp(arg, "sent")) {
			cfg->direction = RST_DIR_SENT;
		} else if (!strcmp(arg, "received")) {
			cfg->direction = RST_DIR_RECEIVED;
		} else {
			argp_error(state,
				   "invalid direction '%s' (expected sent or "
				   "received)",
				   arg);
			return EINVAL;
		}
		break;
	case 'c':
		if (!*arg) {
			argp_error(state, "empty cgroup path");
			return EINVAL;
		}
		cfg->cgroup = arg;
		break;
	case OPT_UNIT:
	case OPT_CONTAINER:
	case OPT_POD:
		return parse_identity(key, arg, state);
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

/* -o, its rotation, and -Z: where records go, and as whom. */
static error_t parse_output(int key, char *arg, struct argp_state *state)
{
	struct rst_config *cfg = ((struct parse_state *)state->input)->cfg;
	unsigned long v;

	switch (key) {
	case 'o':
		if (!*arg) {
			argp_error(state, "empty output file name");
			return EINVAL;
		}
		cfg->output = arg;
		break;
	case OPT_OUTPUT_MAX_SIZE:
		if (args__parse_size(arg, &v) || v < 4096) {
			argp_error(state,
				   "invalid output size '%s' (4K to 2G, e.g. "
				   "100M)",
				   arg);
			return EINVAL;
		}
		cfg->output_max_size = v;
		break;
	case OPT_OUTPUT_KEEP:
		if (parse_ulong(arg, 1, RST_OUTPUT_KEEP_MAX, &v)) {
			argp_error(state,
				   "invalid --output-keep '%s' (1 to %u)", arg,
				   RST_OUTPUT_KEEP_MAX);
			return EINVAL;
		}
		cfg->output_keep = (unsigned int)v;
		break;
	case 'Z':
		if (!*arg) {
			argp_error(state, "empty user name");
			return EINVAL;
		}
		cfg->user = arg;
		break;
	}
	return 0;
}

/* Options with a number or a name: -d, -n, sizes, --summary, hooks. */
static error_t parse_value(int key, char *arg, struct argp_state *state)
{
	struct rst_config *cfg = ((struct parse_state *)state->input)->cfg;
	char err[160];
	unsigned long v;

	switch (key) {
	case 'd':
		if (parse_ulong(arg, 1, 86400UL * 365, &v)) {
			argp_error(state,
				   "invalid duration '%s' (seconds, > 0)", arg);
			return EINVAL;
		}
		cfg->duration_s = v;
		break;
	case OPT_COUNT:
		if (parse_ulong(arg, 1, ULONG_MAX, &v)) {
			argp_error(state, "invalid count '%s' (> 0)", arg);
			return EINVAL;
		}
		cfg->count = v;
		break;
	case OPT_RINGBUF:
		if (args__parse_size(arg, &v) || (v & (v - 1)) || v < 4096) {
			argp_error(state,
				   "invalid ring buffer size '%s' (a power of "
				   "two from 4K to 2G)",
				   arg);
			return EINVAL;
		}
		cfg->ringbuf_size = v;
		break;
	case OPT_ACCEPTOR:
		if (features__parse_acceptor(arg, &cfg->acceptor, err,
					     sizeof(err))) {
			argp_error(state, "invalid acceptor hook %s", err);
			return EINVAL;
		}
		break;
	case OPT_TW_OWNERS:
		if (parse_ulong(arg, 1, 1UL << 24, &v)) {
			argp_error(state,
				   "invalid TIME_WAIT owner count '%s' (1 to "
				   "16777216)",
				   arg);
			return EINVAL;
		}
		cfg->tw_owners = (uint32_t)v;
		break;
	case OPT_BY:
		if (!strcmp(arg, "comm")) {
			cfg->summary_by = RST_BY_COMM;
		} else if (!strcmp(arg, "unit")) {
			cfg->summary_by = RST_BY_UNIT;
		} else if (!strcmp(arg, "pod")) {
			cfg->summary_by = RST_BY_POD;
		} else {
			argp_error(state,
				   "invalid --by '%s' (expected comm, "
				   "unit or pod)",
				   arg);
			return EINVAL;
		}
		break;
	case OPT_K8S_LOGS:
		if (!*arg) {
			argp_error(state, "empty --k8s-logs directory");
			return EINVAL;
		}
		cfg->k8s_logs = arg;
		break;
	case OPT_METRICS:
		if (!*arg) {
			argp_error(state, "empty --metrics address");
			return EINVAL;
		}
		if (metrics_server__check(arg, err, sizeof(err))) {
			argp_error(state, "invalid --metrics '%s': %s", arg,
				   err);
			return EINVAL;
		}
		cfg->metrics = arg;
		break;
	case OPT_MAX_SERIES:
		if (parse_ulong(arg, 1, 1000000, &v)) {
			argp_error(state,
				   "invalid series bound '%s' (1 to "
				   "1000000)",
				   arg);
			return EINVAL;
		}
		cfg->metrics_max_series = (unsigned int)v;
		break;
	case 'o':
	case OPT_OUTPUT_MAX_SIZE:
	case OPT_OUTPUT_KEEP:
	case 'Z':
		return parse_output(key, arg, state);
	case OPT_SUMMARY:
		cfg->summary_s = RST_SUMMARY_DEFAULT_S;
		if (arg &&
		    parse_ulong(arg, 1, 86400UL * 365, &cfg->summary_s)) {
			argp_error(
				state,
				"invalid summary interval '%s' (seconds, > 0)",
				arg);
			return EINVAL;
		}
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

/*
 * The option a long one's @name gives, whole or, as getopt_long() takes
 * it, a prefix of one option's name only; NULL for none or several.
 */
static const struct argp_option *long_opt(const char *name)
{
	const struct argp_option *o, *found = NULL;
	size_t n = strcspn(name, "=");
	bool several = false;

	for (o = opts; o->name || o->key; o++) {
		if (!o->name || strncmp(o->name, name, n))
			continue;
		if (!o->name[n])
			return o;
		several |= found != NULL;
		found = o;
	}
	return several ? NULL : found;
}

static const struct argp_option *short_opt(char c)
{
	const struct argp_option *o;

	for (o = opts; o->name || o->key; o++)
		if (o->key == (unsigned char)c)
			return o;
	return NULL;
}

/*
 * Whether getopt() will read a byte 0xff of @argv as a short option, as
 * argp has it scan: glibc's getopt() rejects it, but leaves it in optopt
 * as a signed char, -1, which argp takes for "no error": argp then says
 * "(PROGRAM ERROR) Option should have been recognized!?". Option
 * arguments are skipped, and the scan ends where getopt() would fail
 * first on another option.
 */
static bool short_0xff(int argc, char **argv)
{
	const struct argp_option *o;
	const char *p;
	int i;

	for (i = 1; i < argc; i++) {
		p = argv[i];
		if (p[0] != '-' || !p[1])
			continue; /* an argument: argp looks further */
		if (p[1] == '-') {
			if (!p[2])
				return false; /* "--": no options after it */
			o = long_opt(p + 2);
			if (!o)
				return false;
			if (o->arg && !(o->flags & OPTION_ARG_OPTIONAL) &&
			    !strchr(p, '='))
				i++; /* "--output -x": -x is the file */
			continue;
		}
		for (p++; *p; p++) {
			if ((unsigned char)*p == 0xff)
				return true;
			o = short_opt(*p);
			if (!o)
				return false;
			if (o->arg) {
				/* the rest of the word, or the next one */
				if (!p[1] && !(o->flags & OPTION_ARG_OPTIONAL))
					i++;
				break;
			}
		}
	}
	return false;
}

static error_t parse_opt(int key, char *arg, struct argp_state *state)
{
	struct parse_state *ps = state->input;
	error_t err;

	if (parse_switch(key, ps->cfg))
		return 0;
	err = parse_filter(key, arg, state);
	if (err != ARGP_ERR_UNKNOWN)
		return err;
	err = parse_value(key, arg, state);
	if (err != ARGP_ERR_UNKNOWN)
		return err;
	switch (key) {
	case 'h':
		argp_state_help(state, stdout, ARGP_HELP_STD_HELP);
		ps->exit_ok = true;
		return 0;
	case OPT_USAGE:
		argp_state_help(state, stdout, ARGP_HELP_USAGE);
		ps->exit_ok = true;
		return 0;
	case ARGP_KEY_ARG:
		argp_error(state, "unexpected argument '%s'", arg);
		return EINVAL;
	default:
		return ARGP_ERR_UNKNOWN;
	}
}

/* What no single option can tell: the combinations. */
static int args__check(const struct rst_config *cfg)
{
	int nsel = !!cfg->cgroup + !!cfg->unit + !!cfg->container + !!cfg->pod;

	if (nsel > 1) {
		fprintf(stderr,
			"rsttrace: -c, --unit, --container and --pod each name "
			"one cgroup: give only one of them\n");
		return -1;
	}
	if (cfg->quiet && !cfg->metrics) {
		fprintf(stderr, "rsttrace: --quiet without --metrics would "
				"report nothing\n");
		return -1;
	}
	if ((cfg->output_max_size || cfg->output_keep) && !cfg->output) {
		fprintf(stderr, "rsttrace: --output-max-size and --output-keep "
				"rotate -o's file: add -o FILE\n");
		return -1;
	}
	if (cfg->output_keep && !cfg->output_max_size) {
		fprintf(stderr, "rsttrace: --output-keep says how many files "
				"--output-max-size keeps: add --output-max-size\n");
		return -1;
	}
	if (cfg->summary_by && !cfg->summary_s) {
		fprintf(stderr, "rsttrace: --by groups --summary's counts: "
				"add --summary\n");
		return -1;
	}
	return 0;
}

int args__parse(int argc, char **argv, struct rst_config *cfg)
{
	static const struct argp argp = {
		.options = opts,
		.parser = parse_opt,
		.doc = doc,
	};
	struct parse_state ps = { .cfg = cfg };
	const char *name;
	int err;

	memset(cfg, 0, sizeof(*cfg));
	cfg->k8s_logs = RST_K8S_LOGS_DEFAULT;
	cfg->metrics_max_series = RST_METRICS_MAX_SERIES_DEFAULT;
	/*
	 * Before argp: an error at ARGP_KEY_INIT leaks argp's storage. Said
	 * as argp_error() says getopt's other "invalid option" messages.
	 */
	if (short_0xff(argc, argv)) {
		name = argc > 0 && argv[0] ? basename(argv[0]) : "rsttrace";
		fprintf(stderr,
			"%s: invalid option -- '\\xff'\n"
			"Try `%s --help' or `%s --usage' for more information.\n",
			name, name, name);
		return -1;
	}
	/* NO_EXIT keeps parsing testable; NO_HELP because we own -h */
	err = argp_parse(&argp, argc, argv, ARGP_NO_EXIT | ARGP_NO_HELP, NULL,
			 &ps);
	if (err)
		return -1;
	if (!ps.exit_ok && args__check(cfg))
		return -1;
	return ps.exit_ok ? 1 : 0;
}

unsigned long args__ringbuf_default(int ncpus)
{
	unsigned long want = ncpus > 0 ? ncpus * RST_RINGBUF_PER_CPU : 0;
	unsigned long v = RST_RINGBUF_MIN;

	while (v < want && v < RST_RINGBUF_MAX)
		v <<= 1;
	return v;
}
