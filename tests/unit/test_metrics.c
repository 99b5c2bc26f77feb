// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include "cgnames.h"
#include "metrics.h"
#include "metrics_http.h"
#include "unit.h"
#include "utf8.h"

/* NUL-terminated view of what was appended, for string comparisons. */
static const char *str(struct outbuf *b)
{
	outbuf__putc(b, '\0');
	b->len--;
	return b->data;
}

static const char *render(struct metrics *m, struct outbuf *b)
{
	b->len = 0;
	metrics__render(m, b);
	return str(b);
}

static const char *label_value(struct outbuf *b, const char *s)
{
	b->len = 0;
	metrics__put_label_value(b, s);
	return str(b);
}

/* Whether @text has the whole line @line. */
static bool has_line(const char *text, const char *line)
{
	size_t n = strlen(line);
	const char *p;

	for (p = text; (p = strstr(p, line)); p++) {
		if ((p == text || p[-1] == '\n') && p[n] == '\n')
			return true;
	}
	return false;
}

/* Lines of @text that begin with @prefix. */
static int count_lines(const char *text, const char *prefix)
{
	size_t n = strlen(prefix);
	const char *p = text;
	int count = 0;

	while (*p) {
		if (!strncmp(p, prefix, n))
			count++;
		p = strchr(p, '\n');
		if (!p)
			break;
		p++;
	}
	return count;
}

#define LABELS(...) \
	(&(const struct metrics_labels){ .direction = "sent", __VA_ARGS__ })

#define SERIES(dir, reason, cause, comm, port, unit, ns, pod, ctr)     \
	"rsttrace_resets_total{direction=\"" dir "\",reason=\"" reason \
	"\",cause_class=\"" cause "\",comm=\"" comm "\",port=\"" port  \
	"\",unit=\"" unit "\",namespace=\"" ns "\",pod=\"" pod         \
	"\",container=\"" ctr "\"}"

#define OTHER_SERIES                                                          \
	SERIES("other", "other", "other", "other", "other", "other", "other", \
	       "other", "other")

UNIT_TEST(metrics_counting)
{
	const struct metrics_labels full = {
		.direction = "received",
		.reason = "not listening",
		.cause_class = "refused",
		.comm = "nginx",
		.port = 8080,
		.unit = "nginx.service",
		.namespace = "web",
		.pod = "web-0",
		.container = "nginx",
	};
	struct metrics *m = metrics__new(100);
	struct outbuf b = {};
	const char *t;

	CHECK(m);
	if (!m)
		return;
	t = render(m, &b);
	/* nothing counted: the family is left out, the others are there */
	CHECK(!strstr(t, "# TYPE rsttrace_resets_total"));
	CHECK(has_line(t, "rsttrace_metrics_series 0"));
	CHECK(has_line(t, "rsttrace_metrics_max_series 100"));

	metrics__count_reset(m, &full);
	metrics__count_reset(m, &full);
	metrics__count_reset(m, LABELS(.comm = "curl", .port = 80));
	metrics__set_totals(m, 12, 3, 5);
	t = render(m, &b);
	CHECK(has_line(t, SERIES("received", "not listening", "refused",
				 "nginx", "8080", "nginx.service", "web",
				 "web-0", "nginx") " 2"));
	CHECK(has_line(t, SERIES("sent", "", "", "curl", "80", "", "", "",
				 "") " 1"));
	CHECK_EQ_INT(count_lines(t, "rsttrace_resets_total{"), 2);
	CHECK(has_line(t, "rsttrace_events_total 12"));
	CHECK(has_line(t, "rsttrace_events_lost_total 3"));
	CHECK(has_line(t, "rsttrace_output_unwritten_total 5"));
	CHECK(has_line(t, "rsttrace_metrics_series 2"));
	CHECK(has_line(t, "rsttrace_metrics_series_dropped_total 0"));
	/* the caller's totals replace, they do not add */
	metrics__set_totals(m, 13, 3, 5);
	CHECK(has_line(render(m, &b), "rsttrace_events_total 13"));
	outbuf__free(&b);
	metrics__free(m);
}

/* The table of cgroup names: left out until set, then each family. */
UNIT_TEST(metrics_cgroups)
{
	struct cgnames_stats st = { .names = 12, .max = 16, .freed = 3,
				    .evicted = 40, .unnamed = 2 };
	struct metrics *m = metrics__new(10);
	struct outbuf b = {};
	const char *t;

	if (!m) {
		CHECK(m);
		return;
	}
	CHECK(!strstr(render(m, &b), "rsttrace_cgroups"));
	metrics__set_cgroups(m, &st);
	t = render(m, &b);
	CHECK(has_line(t, "# TYPE rsttrace_cgroups gauge"));
	CHECK(has_line(t, "rsttrace_cgroups 12"));
	CHECK(has_line(t, "rsttrace_max_cgroups 16"));
	CHECK(has_line(t, "# TYPE rsttrace_cgroups_freed_total counter"));
	CHECK(has_line(t, "rsttrace_cgroups_freed_total 3"));
	CHECK(has_line(t, "rsttrace_cgroups_evicted_total 40"));
	CHECK(has_line(t, "# TYPE rsttrace_cgroups_unnamed_total counter"));
	CHECK(has_line(t, "rsttrace_cgroups_unnamed_total 2"));
	outbuf__free(&b);
	metrics__free(m);
}

/* NULL labels and port 0 are "", and "" is not NULL's series twice. */
UNIT_TEST(metrics_empty_labels)
{
	struct metrics *m = metrics__new(10);
	struct outbuf b = {};
	const char *t;

	if (!m) {
		CHECK(m);
		return;
	}
	metrics__count_reset(m, &(const struct metrics_labels){ 0 });
	metrics__count_reset(m, &(const struct metrics_labels){
					.direction = "",
					.reason = "",
					.cause_class = "",
					.comm = "",
					.unit = "",
					.namespace = "",
					.pod = "",
					.container = "",
				});
	t = render(m, &b);
	CHECK(has_line(t, SERIES("", "", "", "", "", "", "", "", "") " 2"));
	CHECK_EQ_INT(count_lines(t, "rsttrace_resets_total{"), 1);
	outbuf__free(&b);
	metrics__free(m);
}

UNIT_TEST(metrics_label_escaping)
{
	struct outbuf b = {};

	CHECK_EQ_STR(label_value(&b, NULL), "");
	CHECK_EQ_STR(label_value(&b, "nginx: worker"), "nginx: worker");
	/* the text format's three escapes, and nothing else */
	CHECK_EQ_STR(label_value(&b, "a\"b"), "a\\\"b");
	CHECK_EQ_STR(label_value(&b, "a\nb"), "a\\nb");
	CHECK_EQ_STR(label_value(&b, "a\\b"), "a\\\\b");
	/* systemd's own escape in a unit name is the name's */
	CHECK_EQ_STR(label_value(&b, "foo\\x2dbar.service"),
		     "foo\\\\x2dbar.service");
	/* other control characters are valid in a label value */
	CHECK_EQ_STR(label_value(&b, "\x1b[2J\t\r\x7f"), "\x1b[2J\t\r\x7f");
	/* bytes that are not UTF-8 become U+FFFD, one a maximal subpart */
	CHECK_EQ_STR(label_value(&b, "\xff"), "\xef\xbf\xbd");
	CHECK_EQ_STR(label_value(&b, "a\xe2\x82z"), "a\xef\xbf\xbdz");
	CHECK_EQ_STR(label_value(&b, "\xc0\xaf"), "\xef\xbf\xbd\xef\xbf\xbd");
	CHECK_EQ_STR(label_value(&b, "\xed\xa0\x80"),
		     "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
	/* valid UTF-8 passes */
	CHECK_EQ_STR(label_value(&b,
				 "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x90\xa7"),
		     "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x90\xa7");
	outbuf__free(&b);
}

/* The same escaping in a rendered series, and labels kept apart. */
UNIT_TEST(metrics_escaped_series)
{
	struct metrics *m = metrics__new(10);
	struct outbuf b = {};
	const char *t;
	size_t i, n;

	if (!m) {
		CHECK(m);
		return;
	}
	metrics__count_reset(m, LABELS(.comm = "x\"y\\z\n\xff"));
	metrics__count_reset(m, LABELS(.comm = "x\"y\\z\n\xfe"));
	metrics__count_reset(m, LABELS(.comm = "x\"y\\z\n\xff"));
	metrics__count_reset(m, LABELS(.comm = "\\xff"));
	t = render(m, &b);
	/* two names that are not UTF-8 read alike: one series */
	CHECK(has_line(t, SERIES("sent", "", "", "x\\\"y\\\\z\\n\xef\xbf\xbd",
				 "", "", "", "", "") " 3"));
	/* and not like the text \xff, which is a name of its own */
	CHECK(has_line(t, SERIES("sent", "", "", "\\\\xff", "", "", "", "",
				 "") " 1"));
	CHECK_EQ_INT(count_lines(t, "rsttrace_resets_total{"), 2);
	for (i = 0; i < b.len; i += n) {
		n = utf8__len((const unsigned char *)t + i, b.len - i);
		if (!n) {
			CHECK(!"the exposition is valid UTF-8");
			break;
		}
	}
	outbuf__free(&b);
	metrics__free(m);
}

UNIT_TEST(metrics_series_bound)
{
	struct metrics *m = metrics__new(3);
	struct outbuf b = {};
	const char *t;

	CHECK(!metrics__new(0));
	CHECK_EQ_INT(errno, EINVAL);
	if (!m) {
		CHECK(m);
		return;
	}
	metrics__count_reset(m, LABELS(.port = 1));
	metrics__count_reset(m, LABELS(.port = 2));
	t = render(m, &b);
	CHECK_EQ_INT(count_lines(t, "rsttrace_resets_total{"), 2);
	CHECK(!strstr(t, OTHER_SERIES));
	CHECK(has_line(t, "rsttrace_metrics_series 2"));
	/* the third slot is the overflow's: 3, 4 and 5 share it */
	metrics__count_reset(m, LABELS(.port = 3));
	metrics__count_reset(m, LABELS(.port = 4));
	metrics__count_reset(m, LABELS(.port = 5));
	metrics__count_reset(m, LABELS(.port = 4));
	/* known sets keep their own series */
	metrics__count_reset(m, LABELS(.port = 1));
	metrics__count_reset(m, LABELS(.port = 2));
	t = render(m, &b);
	CHECK(has_line(t,
		       SERIES("sent", "", "", "", "1", "", "", "", "") " 2"));
	CHECK(has_line(t,
		       SERIES("sent", "", "", "", "2", "", "", "", "") " 2"));
	CHECK(has_line(t, OTHER_SERIES " 4"));
	CHECK_EQ_INT(count_lines(t, "rsttrace_resets_total{"), 3);
	CHECK(!strstr(t, "port=\"3\""));
	CHECK(!strstr(t, "port=\"4\""));
	CHECK(has_line(t, "rsttrace_metrics_series 3"));
	CHECK(has_line(t, "rsttrace_metrics_max_series 3"));
	CHECK(has_line(t, "rsttrace_metrics_series_dropped_total 4"));
	metrics__free(m);

	/* with one series, it is the overflow's */
	m = metrics__new(1);
	if (m) {
		metrics__count_reset(m, LABELS(.port = 1));
		t = render(m, &b);
		CHECK(has_line(t, OTHER_SERIES " 1"));
		CHECK_EQ_INT(count_lines(t, "rsttrace_resets_total{"), 1);
		CHECK(has_line(t, "rsttrace_metrics_series 1"));
		CHECK(has_line(t, "rsttrace_metrics_series_dropped_total 1"));
		metrics__free(m);
	}
	outbuf__free(&b);
}

/* Enough series to grow the hash table a few times. */
UNIT_TEST(metrics_many_series)
{
	struct metrics *m = metrics__new(5000);
	struct outbuf b = {}, line = {};
	unsigned int port;
	const char *t;

	if (!m) {
		CHECK(m);
		return;
	}
	for (port = 1; port <= 6000; port++)
		metrics__count_reset(m, LABELS(.comm = "x", .port = port));
	for (port = 1; port <= 6000; port += 7)
		metrics__count_reset(m, LABELS(.comm = "x", .port = port));
	t = render(m, &b);
	CHECK_EQ_INT(count_lines(t, "rsttrace_resets_total{"), 5000);
	CHECK(has_line(t, "rsttrace_metrics_series 5000"));
	for (port = 1; port < 5000; port += 499) {
		line.len = 0;
		outbuf__printf(&line,
			       "rsttrace_resets_total{direction=\"sent\","
			       "reason=\"\",cause_class=\"\",comm=\"x\","
			       "port=\"%u\",unit=\"\",namespace=\"\",pod=\"\","
			       "container=\"\"} %d",
			       port, port % 7 == 1 ? 2 : 1);
		CHECK(has_line(t, str(&line)));
	}
	/* 5000 to 6000 went to "other" (one slot is its own), twice or once */
	CHECK(strstr(t, "rsttrace_metrics_series_dropped_total 1144\n"));
	CHECK(strstr(t, OTHER_SERIES " 1144\n"));
	outbuf__free(&line);
	outbuf__free(&b);
	metrics__free(m);
}

static bool is_name_start(char c, bool colon)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
	       (colon && c == ':');
}

static bool is_name_char(char c, bool colon)
{
	return is_name_start(c, colon) || (c >= '0' && c <= '9');
}

/* The name at @p, or 0 when there is none. */
static size_t name_len(const char *p, bool colon)
{
	size_t n = 0;

	if (!is_name_start(p[0], colon))
		return 0;
	while (is_name_char(p[n], colon))
		n++;
	return n;
}

#define MAX_FAMILIES 64

/*
 * NULL when @text is an exposition as the text format 0.0.4 has it (the
 * subset metrics.c writes: counters and gauges, no timestamps), else what
 * is wrong. Every sample must follow its family's HELP and TYPE, a family
 * must not come back after another one, and a sample's labels must be
 * distinct, each value quoted with only the three escapes.
 */
static const char *check_exposition(const char *text)
{
	char families[MAX_FAMILIES][128], names[16][64], cur[128] = "";
	size_t nfam = 0, n, i, nlabels, len = strlen(text);
	bool typed = false, helped = false;
	const char *p = text, *eol;
	char *end;

	for (i = 0; i < len; i += n) {
		n = utf8__len((const unsigned char *)text + i, len - i);
		if (!n)
			return "not UTF-8";
	}
	if (!len || text[len - 1] != '\n')
		return "the last line has no newline";
	for (; *p; p = eol + 1) {
		eol = strchr(p, '\n');
		if (!strncmp(p, "# HELP ", 7) || !strncmp(p, "# TYPE ", 7)) {
			bool help = p[2] == 'H';

			n = name_len(p + 7, true);
			if (!n || n >= sizeof(cur) || p[7 + n] != ' ')
				return "a bad name in HELP or TYPE";
			if (strncmp(cur, p + 7, n) || cur[n]) {
				/* a new family: never one seen already */
				for (i = 0; i < nfam; i++) {
					if (!strncmp(families[i], p + 7, n) &&
					    !families[i][n])
						return "a family comes back";
				}
				if (nfam == MAX_FAMILIES)
					return "too many families to check";
				memcpy(cur, p + 7, n);
				cur[n] = '\0';
				strcpy(families[nfam++], cur);
				helped = typed = false;
			}
			if (help) {
				if (helped || typed)
					return "HELP twice, or after TYPE";
				helped = true;
			} else {
				if (typed)
					return "TYPE twice";
				if (strncmp(p + 8 + n, "counter\n", 8) &&
				    strncmp(p + 8 + n, "gauge\n", 6))
					return "a TYPE not counter or gauge";
				typed = true;
			}
			continue;
		}
		if (*p == '#')
			return "a comment other than HELP and TYPE";
		n = name_len(p, true);
		if (!n)
			return "a sample without a name";
		if (strncmp(cur, p, n) || cur[n])
			return "a sample outside its family";
		if (!helped || !typed)
			return "a sample before its HELP and TYPE";
		p += n;
		nlabels = 0;
		if (*p == '{') {
			p++;
			while (*p != '}') {
				n = name_len(p, false);
				if (!n || n >= sizeof(names[0]) ||
				    strncmp(p + n, "=\"", 2))
					return "a bad label name";
				for (i = 0; i < nlabels; i++) {
					if (!strncmp(names[i], p, n) &&
					    !names[i][n])
						return "a label twice";
				}
				if (nlabels == 16)
					return "too many labels to check";
				memcpy(names[nlabels], p, n);
				names[nlabels++][n] = '\0';
				for (p += n + 2; *p != '"'; p++) {
					if (*p == '\n' || !*p)
						return "a label value open";
					if (*p != '\\')
						continue;
					p++;
					if (*p != '\\' && *p != '"' &&
					    *p != 'n')
						return "an unknown escape";
				}
				p++;
				if (*p == ',')
					p++;
				else if (*p != '}')
					return "labels not separated";
			}
			p++;
		}
		if (*p != ' ')
			return "no space before the value";
		p++;
		strtod(p, &end);
		if (end == p || end != eol)
			return "a bad value";
	}
	return NULL;
}

/* The family names of @text's TYPE lines, each followed by a space. */
static void type_lines(const char *text, struct outbuf *out)
{
	const char *p;

	for (p = text; (p = strstr(p, "# TYPE ")); p++) {
		p += 7;
		outbuf__put(out, p, strcspn(p, "\n"));
		outbuf__putc(out, ';');
	}
}

UNIT_TEST(metrics_render_parses)
{
	struct metrics *m = metrics__new(4);
	struct outbuf b = {}, types = {};
	const char *t;

	if (!m) {
		CHECK(m);
		return;
	}
	/* the parser itself, on texts it must refuse */
	CHECK(check_exposition("a 1\n"));
	CHECK(check_exposition("# HELP a x\n# TYPE a gauge\na{b=\"\\t\"} 1\n"));
	CHECK(!check_exposition(
		"# HELP a x\n# TYPE a gauge\na{b=\"\\n\"} 1\n"));
	CHECK(check_exposition("# HELP a x\n# TYPE a gauge\na 1 \n"));

	t = render(m, &b);
	CHECK_EQ_STR(check_exposition(t) ?: "ok", "ok");

	metrics__set_build_info(m, "v1.2-3-gabc", "1.1.2", "6.1.0-\"odd\"");
	CHECK_EQ_INT(metrics__set_source(m, "kprobe", true), 0);
	CHECK_EQ_INT(metrics__set_source(m, "tracepoint", false), 0);
	CHECK_EQ_INT(metrics__set_source(m, "kprobe", false), 0);
	metrics__count_reset(m, LABELS(.reason = "a\nb", .comm = "\xff\\\""));
	metrics__count_reset(m, LABELS(.comm = "sshd", .port = 22));
	metrics__count_reset(m, LABELS(.comm = "sshd", .port = 2222));
	metrics__count_reset(m, LABELS(.comm = "sshd", .port = 22222));
	metrics__set_totals(m, 4, 0, 0);
	t = render(m, &b);
	CHECK_EQ_STR(check_exposition(t) ?: "ok", "ok");
	CHECK(has_line(t, "rsttrace_build_info{version=\"v1.2-3-gabc\","
			  "libbpf=\"1.1.2\",kernel=\"6.1.0-\\\"odd\\\"\"} 1"));
	CHECK(has_line(t, "rsttrace_source_visible{source=\"kprobe\"} 0"));
	CHECK(has_line(t, "rsttrace_source_visible{source=\"tracepoint\"} 0"));
	CHECK_EQ_INT(count_lines(t, "rsttrace_source_visible{"), 2);
	CHECK(has_line(t, OTHER_SERIES " 1"));
	type_lines(t, &types);
	CHECK_EQ_STR(str(&types),
		     "rsttrace_resets_total counter;"
		     "rsttrace_events_total counter;"
		     "rsttrace_events_lost_total counter;"
		     "rsttrace_output_unwritten_total counter;"
		     "rsttrace_metrics_series_dropped_total counter;"
		     "rsttrace_metrics_series gauge;"
		     "rsttrace_metrics_max_series gauge;"
		     "rsttrace_build_info gauge;"
		     "rsttrace_source_visible gauge;"
		     "process_cpu_seconds_total counter;"
		     "process_open_fds gauge;"
		     "process_max_fds gauge;"
		     "process_virtual_memory_bytes gauge;"
		     "process_resident_memory_bytes gauge;"
		     "process_start_time_seconds gauge;");
	/* the process: started, but not in the future */
	t = strstr(t, "\nprocess_start_time_seconds ");
	CHECK(t && strtod(t + 28, NULL) > 1e9 &&
	      strtod(t + 28, NULL) <= (double)time(NULL) + 1);
	outbuf__free(&types);
	outbuf__free(&b);
	metrics__free(m);
}

/* The response to @req on 127.0.0.1:@port, until the server closes. */
static int http(unsigned int port, const char *req, struct outbuf *resp)
{
	struct sockaddr_in sin = {
		.sin_family = AF_INET,
		.sin_port = htons((uint16_t)port),
		.sin_addr.s_addr = htonl(INADDR_LOOPBACK),
	};
	struct timeval tv = { .tv_sec = 5 };
	char buf[4096];
	ssize_t n;
	int fd;

	resp->len = 0;
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) ||
	    send(fd, req, strlen(req), MSG_NOSIGNAL) != (ssize_t)strlen(req)) {
		n = -errno;
		close(fd);
		return (int)n;
	}
	while ((n = recv(fd, buf, sizeof(buf), 0)) > 0)
		outbuf__put(resp, buf, (size_t)n);
	close(fd);
	str(resp);
	return n < 0 ? -errno : 0;
}

/* The body of the response in @resp, or "" */
static const char *body(struct outbuf *resp)
{
	const char *p = strstr(str(resp), "\r\n\r\n");

	return p ? p + 4 : "";
}

UNIT_TEST(metrics_http)
{
	struct metrics *m = metrics__new(10);
	struct outbuf r = {};
	struct metrics_server *s;
	char err[256] = "";
	unsigned int port;

	if (!m) {
		CHECK(m);
		return;
	}
	metrics__count_reset(m, LABELS(.comm = "nginx", .port = 80));
	s = metrics_server__start("127.0.0.1:0", m, err, sizeof(err));
	CHECK_EQ_STR(err, "");
	if (!s) {
		CHECK(s);
		metrics__free(m);
		return;
	}
	port = metrics_server__port(s);
	CHECK(port > 0 && port < 65536);

	CHECK_EQ_INT(http(port,
			  "GET /metrics HTTP/1.1\r\nHost: x\r\n"
			  "Connection: close\r\n\r\n",
			  &r),
		     0);
	CHECK(!strncmp(str(&r), "HTTP/1.1 200 ", 13));
	CHECK(strcasestr(str(&r),
			 "\r\nContent-Type: text/plain; version=0.0.4; "
			 "charset=utf-8\r\n"));
	CHECK(has_line(body(&r), SERIES("sent", "", "", "nginx", "80", "", "",
					"", "") " 1"));
	CHECK(!check_exposition(body(&r)));

	/* HEAD: the headers alone */
	CHECK_EQ_INT(http(port,
			  "HEAD /metrics HTTP/1.1\r\nHost: x\r\n"
			  "Connection: close\r\n\r\n",
			  &r),
		     0);
	CHECK(!strncmp(str(&r), "HTTP/1.1 200 ", 13));
	CHECK_EQ_STR(body(&r), "");

	/* a query string is no other path; HTTP/1.0 works as well */
	CHECK_EQ_INT(http(port, "GET /metrics?x=1 HTTP/1.0\r\n\r\n", &r), 0);
	CHECK(!strncmp(str(&r), "HTTP/1.0 200 ", 13) ||
	      !strncmp(str(&r), "HTTP/1.1 200 ", 13));

	CHECK_EQ_INT(http(port,
			  "GET / HTTP/1.1\r\nHost: x\r\n"
			  "Connection: close\r\n\r\n",
			  &r),
		     0);
	CHECK(!strncmp(str(&r), "HTTP/1.1 200 ", 13));
	CHECK(strstr(body(&r), "/metrics"));

	CHECK_EQ_INT(http(port,
			  "GET /nope HTTP/1.1\r\nHost: x\r\n"
			  "Connection: close\r\n\r\n",
			  &r),
		     0);
	CHECK(!strncmp(str(&r), "HTTP/1.1 404 ", 13));
	CHECK(!strstr(body(&r), "rsttrace_resets_total"));

	CHECK_EQ_INT(http(port,
			  "POST /metrics HTTP/1.1\r\nHost: x\r\n"
			  "Content-Length: 5\r\nConnection: close\r\n\r\n"
			  "hello",
			  &r),
		     0);
	CHECK(!strncmp(str(&r), "HTTP/1.1 405 ", 13));
	CHECK(strcasestr(str(&r), "\r\nAllow: GET, HEAD\r\n"));

	CHECK_EQ_INT(http(port,
			  "DELETE /metrics HTTP/1.1\r\nHost: x\r\n"
			  "Connection: close\r\n\r\n",
			  &r),
		     0);
	CHECK(!strncmp(str(&r), "HTTP/1.1 405 ", 13));

	/* a GET with a body is refused, and not rendered for */
	CHECK_EQ_INT(http(port,
			  "GET /metrics HTTP/1.1\r\nHost: x\r\n"
			  "Content-Length: 3\r\nConnection: close\r\n\r\nabc",
			  &r),
		     0);
	CHECK(!strncmp(str(&r), "HTTP/1.1 413 ", 13));
	CHECK(!strstr(body(&r), "rsttrace_resets_total"));

	/* still serving after all that */
	CHECK_EQ_INT(http(port, "GET /metrics HTTP/1.0\r\n\r\n", &r), 0);
	CHECK(strstr(body(&r), "rsttrace_metrics_series 1\n"));

	metrics_server__stop(s);
	metrics_server__stop(NULL);
	outbuf__free(&r);
	metrics__free(m);
}

/*
 * A client that resets the connection while a large exposition is being
 * sent: the server's send fails, and no SIGPIPE may end the process.
 */
UNIT_TEST(metrics_http_client_gone)
{
	static const char req[] = "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n";
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };
	struct metrics *m = metrics__new(20000);
	struct sockaddr_in sin = {
		.sin_family = AF_INET,
		.sin_addr.s_addr = htonl(INADDR_LOOPBACK),
	};
	struct metrics_server *s;
	struct outbuf r = {};
	char err[256] = "", buf[512];
	unsigned int i;
	int fd;

	if (!m) {
		CHECK(m);
		return;
	}
	for (i = 1; i < 20000; i++)
		metrics__count_reset(m, LABELS(.comm = "many", .port = i));
	s = metrics_server__start("127.0.0.1:0", m, err, sizeof(err));
	if (!s) {
		CHECK_EQ_STR(err, "");
		metrics__free(m);
		return;
	}
	sin.sin_port = htons((uint16_t)metrics_server__port(s));
	for (i = 0; i < 5; i++) {
		fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0)
			break;
		if (!connect(fd, (struct sockaddr *)&sin, sizeof(sin)) &&
		    send(fd, req, sizeof(req) - 1, MSG_NOSIGNAL) > 0) {
			/* some of the response, then a reset */
			if (i)
				recv(fd, buf, sizeof(buf), 0);
			setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
		}
		close(fd);
	}
	usleep(100 * 1000);
	CHECK_EQ_INT(http(metrics_server__port(s),
			  "GET /metrics HTTP/1.0\r\n\r\n", &r),
		     0);
	CHECK(strstr(body(&r), "rsttrace_metrics_series 19999\n"));
	metrics_server__stop(s);
	outbuf__free(&r);
	metrics__free(m);
}

/* @listen is refused, with a message that names it and says @why. */
static bool refused(const char *listen, const char *why)
{
	struct metrics *m = metrics__new(1);
	struct metrics_server *s;
	char err[256] = "", want[128];
	bool ok;

	s = metrics_server__start(listen, m, err, sizeof(err));
	snprintf(want, sizeof(want),
		 "rsttrace: --metrics %s: ", *listen ? listen : "''");
	ok = !s && !strncmp(err, want, strlen(want)) && strstr(err, why);
	if (!ok)
		fprintf(stderr, "  %s: \"%s\"\n", listen, err);
	metrics_server__stop(s);
	metrics__free(m);
	return ok;
}

UNIT_TEST(metrics_http_bad_listen)
{
	struct metrics *m = metrics__new(1);
	struct metrics_server *s;
	char err[256] = "", busy[64];

	CHECK(refused("127.0.0.1:99999", "port"));
	CHECK(refused("nope:80", "numeric address"));
	CHECK(refused("", "empty"));
	CHECK(refused("127.0.0.1:", "port"));
	CHECK(refused("127.0.0.1:-1", "port"));
	CHECK(refused("127.0.0.1:80x", "port"));
	CHECK(refused("127.0.0.1", "port"));
	CHECK(refused("localhost:9100", "numeric address"));
	CHECK(refused("::1:9100", "brackets"));
	CHECK(refused("[::1]", "[IPv6]:PORT"));
	CHECK(refused("[::1]9100", "[IPv6]:PORT"));
	CHECK(refused("[127.0.0.1]:9100", "numeric address"));
	CHECK(refused("1.2.3.4.5:80", "numeric address"));

	/* a port taken: the bind's own error */
	s = metrics_server__start("127.0.0.1:0", m, err, sizeof(err));
	CHECK(s);
	if (s) {
		snprintf(busy, sizeof(busy), "127.0.0.1:%u",
			 metrics_server__port(s));
		CHECK(refused(busy, "cannot listen: Address already in use"));
		metrics_server__stop(s);
	}
	metrics__free(m);
}
