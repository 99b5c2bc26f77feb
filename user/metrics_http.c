// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* The --metrics HTTP server: see metrics_http.h. */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <dlfcn.h>
#include <microhttpd.h>
#include "metrics_http.h"

/*
 * libmicrohttpd is loaded when --metrics asks for it, not linked: Debian's
 * brings GnuTLS and six more libraries, 2.5 MB of resident memory and
 * their start-up work, into every run, metrics or not.
 */
#ifndef RST_STATIC
#define MHD_SONAME "libmicrohttpd.so.12"

static struct {
	__typeof__(&MHD_start_daemon) start_daemon;
	__typeof__(&MHD_stop_daemon) stop_daemon;
	__typeof__(&MHD_get_daemon_info) get_daemon_info;
	__typeof__(&MHD_create_response_from_buffer) create_response;
	__typeof__(&MHD_destroy_response) destroy_response;
	__typeof__(&MHD_add_response_header) add_header;
	__typeof__(&MHD_queue_response) queue_response;
	__typeof__(&MHD_lookup_connection_value) lookup_value;
	__typeof__(&MHD_get_connection_info) get_connection_info;
} mhd;

/* 0, or -1 with what to install in @err. Once; never unloaded. */
static int mhd_load(char *err, size_t errlen)
{
	static const char *const names[] = {
		"MHD_start_daemon",
		"MHD_stop_daemon",
		"MHD_get_daemon_info",
		"MHD_create_response_from_buffer",
		"MHD_destroy_response",
		"MHD_add_response_header",
		"MHD_queue_response",
		"MHD_lookup_connection_value",
		"MHD_get_connection_info",
	};
	void **fn = (void **)&mhd;
	void *h;
	size_t i;

	_Static_assert(sizeof(mhd) == sizeof(names) / sizeof(names[0]) *
						  sizeof(void *),
		       "one name per function");
	if (mhd.start_daemon)
		return 0;
	h = dlopen(MHD_SONAME, RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		snprintf(err, errlen,
			 "%s (install libmicrohttpd12: apt-get install "
			 "libmicrohttpd12)",
			 dlerror());
		return -1;
	}
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		fn[i] = dlsym(h, names[i]);
		if (!fn[i]) {
			snprintf(err, errlen, "%s has no %s", MHD_SONAME,
				 names[i]);
			memset(&mhd, 0, sizeof(mhd));
			dlclose(h);
			return -1;
		}
	}
	return 0;
}

#define MHD_start_daemon (*mhd.start_daemon)
#define MHD_stop_daemon (*mhd.stop_daemon)
#define MHD_get_daemon_info (*mhd.get_daemon_info)
#define MHD_create_response_from_buffer (*mhd.create_response)
#define MHD_destroy_response (*mhd.destroy_response)
#define MHD_add_response_header (*mhd.add_header)
#define MHD_queue_response (*mhd.queue_response)
#define MHD_lookup_connection_value (*mhd.lookup_value)
#define MHD_get_connection_info (*mhd.get_connection_info)
#else
/*
 * make STATIC=1: libmicrohttpd.a is linked in, its GnuTLS replaced by
 * user/static/gnutls_none.c (the server never speaks TLS); dlopen() in a
 * static glibc binary needs the host's glibc to be the one it was built
 * with.
 */
static int mhd_load(char *err, size_t errlen)
{
	return 0;
}
#endif

/*
 * Scrapers are few and their requests small: anything that holds more
 * connections, or holds them longer, is not one, and should not make
 * rsttrace keep memory or descriptors for it. Past CONNECTION_LIMIT,
 * clients wait in the listen queue (MHD stops accepting) and are served
 * as connections close; past PER_IP_CONNECTION_LIMIT from one address,
 * MHD accepts and closes at once. MHD's timeout is of silence; a client
 * that trickles its request a byte at a time is cut off by
 * REQUEST_DEADLINE_S (metrics_server__reap()), so that a few addresses
 * cannot hold every connection for long.
 */
#define CONNECTION_TIMEOUT_S 10
/* from the accept, or the previous answer, to the answer */
#define REQUEST_DEADLINE_S 10
#define CONNECTION_LIMIT 64
#define PER_IP_CONNECTION_LIMIT 8
/* request line and headers; the exposition itself is not in this pool */
#define CONNECTION_MEMORY_LIMIT (16 * 1024)
/*
 * Descriptors that clients cannot take from the rest of rsttrace: the
 * output file SIGHUP reopens, the /proc and cgroup reads of enrichment.
 */
#define FD_RESERVE 64
/*
 * MHD 0.9 retries accept() at once, for ever, when it is out of
 * descriptors with no connection open ("busy waiting"): this pause, in
 * its log callback, makes that ten tries a second.
 */
#define EMFILE_PAUSE_NS 100000000L
/* log lines a minute: past that, remote peers could fill stderr */
#define LOG_BURST 20

#define CONTENT_TYPE_METRICS "text/plain; version=0.0.4; charset=utf-8"
#define CONTENT_TYPE_TEXT "text/plain; charset=utf-8"

/* What became of connections; MHD's thread alone touches these. */
struct http_counts {
	unsigned long long open;
	unsigned long long served; /* closed after rsttrace answered */
	unsigned long long dropped; /* closed with no answer of rsttrace */
	unsigned long long refused; /* closed at once, over a limit */
};

/* A connection's socket context, in the server's list under conn_lock. */
struct http_conn {
	struct http_conn *prev, *next;
	int fd;
	time_t since; /* CLOCK_MONOTONIC: the accept or the last answer */
	bool served; /* rsttrace answered on it */
	bool cut; /* shut down for taking too long */
};

struct metrics_server {
	struct MHD_Daemon *d;
	struct metrics *m;
	unsigned int port;
	unsigned int max_conns;
	struct http_counts http;
	/*
	 * Shared with the event loop's metrics_server__reap(), which only
	 * ever tries it: held for list updates, never across I/O.
	 */
	pthread_mutex_t conn_lock;
	struct http_conn *conns;
	pthread_mutex_t log_lock;
	/*
	 * While MHD_start_daemon() runs, its messages are held: on failure
	 * @err says why, and stderr should not say it a second time.
	 */
	bool starting;
	struct outbuf start_log;
	char last[512]; /* the last message held */
	time_t log_window; /* CLOCK_MONOTONIC second the minute began */
	unsigned int log_count; /* lines in that minute */
};

struct listen_addr {
	struct sockaddr_storage ss;
	unsigned int port;
	bool ipv6;
	bool dual; /* IPv4 too, on the same socket */
};

static bool parse_port(const char *s, unsigned int *port)
{
	unsigned int v = 0;
	size_t i, n = strlen(s);

	if (!n || n > 5)
		return false;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (unsigned int)(s[i] - '0');
	}
	if (v > 65535)
		return false;
	*port = v;
	return true;
}

static void set_any(struct listen_addr *a)
{
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&a->ss;
	struct sockaddr_in *in = (struct sockaddr_in *)&a->ss;
	int fd;

	/* a kernel without IPv6 (ipv6.disable=1) still serves IPv4 */
	fd = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 && errno == EAFNOSUPPORT) {
		in->sin_family = AF_INET;
		in->sin_addr.s_addr = htonl(INADDR_ANY);
		return;
	}
	if (fd >= 0)
		close(fd);
	in6->sin6_family = AF_INET6;
	in6->sin6_addr = in6addr_any;
	a->ipv6 = a->dual = true;
}

/* 0, or -EINVAL with the reason @listen is no address in @why. */
static int parse_listen(const char *listen, struct listen_addr *a, char *why,
			size_t whylen)
{
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&a->ss;
	struct sockaddr_in *in = (struct sockaddr_in *)&a->ss;
	const char *colon, *port, *end;
	char host[INET6_ADDRSTRLEN];
	size_t n;

	memset(a, 0, sizeof(*a));
	if (!*listen) {
		snprintf(why, whylen,
			 "empty (want PORT, ADDR:PORT or [IPv6]:PORT)");
		return -EINVAL;
	}
	if (listen[0] == '[') {
		end = strchr(listen, ']');
		if (!end || end[1] != ':') {
			snprintf(why, whylen, "want [IPv6]:PORT");
			return -EINVAL;
		}
		port = end + 2;
		n = (size_t)(end - listen - 1);
		if (n >= sizeof(host))
			goto bad_host;
		memcpy(host, listen + 1, n);
		host[n] = '\0';
		if (inet_pton(AF_INET6, host, &in6->sin6_addr) != 1)
			goto bad_host;
		in6->sin6_family = AF_INET6;
		a->ipv6 = true;
		/* "[::]" as "0.0.0.0" is for IPv4: every address */
		a->dual = !memcmp(&in6->sin6_addr, &in6addr_any,
				  sizeof(in6addr_any));
	} else {
		colon = strrchr(listen, ':');
		if (colon && strchr(listen, ':') != colon) {
			snprintf(why, whylen,
				 "an IPv6 address goes in brackets, as in "
				 "[::1]:9100");
			return -EINVAL;
		}
		port = colon ? colon + 1 : listen;
		n = colon ? (size_t)(colon - listen) : 0;
		if (!n) {
			set_any(a);
		} else {
			if (n >= sizeof(host))
				goto bad_host;
			memcpy(host, listen, n);
			host[n] = '\0';
			if (inet_pton(AF_INET, host, &in->sin_addr) != 1)
				goto bad_host;
			in->sin_family = AF_INET;
		}
	}
	if (!parse_port(port, &a->port)) {
		snprintf(why, whylen, "bad port '%s' (want 0 to 65535)", port);
		return -EINVAL;
	}
	if (a->ipv6)
		in6->sin6_port = htons((uint16_t)a->port);
	else
		in->sin_port = htons((uint16_t)a->port);
	return 0;

bad_host:
	snprintf(why, whylen,
		 "not a numeric address (want 127.0.0.1, 0.0.0.0, [::1], [::] "
		 "or none)");
	return -EINVAL;
}

int metrics_server__check(const char *listen, char *why, size_t whylen)
{
	struct listen_addr a;

	return parse_listen(listen, &a, why, whylen);
}

/* What to do about a port that cannot be had. */
static const char *listen_hint(int e)
{
	if (e == EADDRINUSE)
		return " (another rsttrace, or another server, has it: stop it "
		       "or give another --metrics port)";
	if (e == EACCES)
		return " (a port below 1024 needs CAP_NET_BIND_SERVICE)";
	if (e == EADDRNOTAVAIL)
		return " (no interface of this host has that address)";
	return "";
}

/*
 * After MHD failed, the bind as MHD does it, for its errno: MHD only says
 * why in its log, in its own words.
 */
static int probe_bind(const struct listen_addr *a)
{
	int fd, one = 1, v6only = !a->dual, err = 0;
	socklen_t len = a->ipv6 ? sizeof(struct sockaddr_in6) :
				  sizeof(struct sockaddr_in);

	fd = socket(a->ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return errno;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (a->ipv6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only,
			   sizeof(v6only));
	if (bind(fd, (const struct sockaddr *)&a->ss, len) || listen(fd, 1))
		err = errno;
	close(fd);
	return err;
}

/* Within LOG_BURST lines this minute; under log_lock. */
static bool metrics_server__may_log(struct metrics_server *s)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	if (now.tv_sec - s->log_window >= 60) {
		s->log_window = now.tv_sec;
		s->log_count = 0;
	}
	if (s->log_count == LOG_BURST)
		fprintf(stderr, "rsttrace: metrics: more messages this minute "
				"left out\n");
	return s->log_count++ < LOG_BURST;
}

static void metrics_server__log(void *cls, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));

static void metrics_server__log(void *cls, const char *fmt, va_list ap)
{
	struct metrics_server *s = cls;
	char msg[sizeof(s->last)];
	size_t n, i;
	int len;

	/* MHD says so and nothing else: neither is an error code */
	if (strstr(fmt, "reached connection limit"))
		s->http.refused++;
	if (strstr(fmt, "limit at FIRST connection"))
		nanosleep(&(struct timespec){ .tv_nsec = EMFILE_PAUSE_NS },
			  NULL);
	len = vsnprintf(msg, sizeof(msg), fmt, ap);
	if (len < 0)
		return;
	n = strlen(msg);
	while (n && (msg[n - 1] == '\n' || msg[n - 1] == ' '))
		msg[--n] = '\0';
	/* one line, and no terminal escapes a client's request could bring */
	for (i = 0; i < n; i++) {
		if ((unsigned char)msg[i] < 0x20 || msg[i] == 0x7f)
			msg[i] = '?';
	}
	pthread_mutex_lock(&s->log_lock);
	if (s->starting) {
		memcpy(s->last, msg, n + 1);
		outbuf__printf(&s->start_log, "rsttrace: metrics: %s\n", msg);
	} else if (metrics_server__may_log(s)) {
		fprintf(stderr, "rsttrace: metrics: %s\n", msg);
	}
	pthread_mutex_unlock(&s->log_lock);
}

static time_t monotonic_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

static void conn_start(struct metrics_server *s, struct MHD_Connection *c,
		       void **ctx)
{
	const union MHD_ConnectionInfo *info;
	struct http_conn *hc;

	s->http.open++;
	info = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
	/* without either, MHD's timeout alone applies: no harm */
	hc = info ? calloc(1, sizeof(*hc)) : NULL;
	if (!hc)
		return;
	hc->fd = info->connect_fd;
	hc->since = monotonic_s();
	pthread_mutex_lock(&s->conn_lock);
	hc->next = s->conns;
	if (s->conns)
		s->conns->prev = hc;
	s->conns = hc;
	pthread_mutex_unlock(&s->conn_lock);
	*ctx = hc;
}

/*
 * MHD says CLOSED before it closes the socket: once out of the list, the
 * descriptor is never shut down by metrics_server__reap(), whatever the
 * number comes to name next.
 */
static void conn_end(struct metrics_server *s, struct http_conn *hc)
{
	s->http.open--;
	if (hc && hc->served)
		s->http.served++;
	else
		s->http.dropped++;
	if (!hc)
		return;
	pthread_mutex_lock(&s->conn_lock);
	if (hc->prev)
		hc->prev->next = hc->next;
	else
		s->conns = hc->next;
	if (hc->next)
		hc->next->prev = hc->prev;
	pthread_mutex_unlock(&s->conn_lock);
	free(hc);
}

static void metrics_server__notify(void *cls, struct MHD_Connection *c,
				   void **ctx,
				   enum MHD_ConnectionNotificationCode code)
{
	struct metrics_server *s = cls;

	if (code == MHD_CONNECTION_NOTIFY_STARTED) {
		conn_start(s, c, ctx);
		return;
	}
	conn_end(s, *ctx);
	*ctx = NULL;
}

/* Queue @r on @c: its answer, which restarts its deadline. */
static enum MHD_Result queue(struct metrics_server *s, struct MHD_Connection *c,
			     unsigned int status, struct MHD_Response *r)
{
	const union MHD_ConnectionInfo *info;
	struct http_conn *hc;
	enum MHD_Result ret;

	ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	info = MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	hc = info ? info->socket_context : NULL;
	if (ret == MHD_YES && hc) {
		pthread_mutex_lock(&s->conn_lock);
		hc->served = true;
		hc->since = monotonic_s();
		pthread_mutex_unlock(&s->conn_lock);
	}
	return ret;
}

void metrics_server__reap(struct metrics_server *s)
{
	time_t now = monotonic_s();
	struct http_conn *hc;

	if (!s || pthread_mutex_trylock(&s->conn_lock))
		return; /* the next second will do */
	for (hc = s->conns; hc; hc = hc->next) {
		if (hc->cut || now - hc->since <= REQUEST_DEADLINE_S)
			continue;
		/* MHD sees the end of the stream, and closes it itself */
		shutdown(hc->fd, SHUT_RDWR);
		hc->cut = true;
	}
	pthread_mutex_unlock(&s->conn_lock);
}

static enum MHD_Result reply(struct metrics_server *s, struct MHD_Connection *c,
			     unsigned int status, const char *body)
{
	struct MHD_Response *r;

	r = MHD_create_response_from_buffer(strlen(body), (void *)body,
					    MHD_RESPMEM_PERSISTENT);
	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
				CONTENT_TYPE_TEXT);
	if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
	return queue(s, c, status, r);
}

/* The server's own families; in MHD's thread, as the counting is. */
static void metrics_server__render(const struct metrics_server *s,
				   struct outbuf *b)
{
	const struct http_counts *h = &s->http;

	outbuf__lit(b, "# HELP rsttrace_metrics_http_connections HTTP "
		       "connections to the metrics server open now.\n"
		       "# TYPE rsttrace_metrics_http_connections gauge\n");
	outbuf__printf(b, "rsttrace_metrics_http_connections %llu\n", h->open);
	outbuf__lit(b, "# HELP rsttrace_metrics_http_max_connections Most "
		       "HTTP connections open at once; more wait to be "
		       "accepted.\n"
		       "# TYPE rsttrace_metrics_http_max_connections gauge\n");
	outbuf__printf(b, "rsttrace_metrics_http_max_connections %u\n",
		       s->max_conns);
	outbuf__lit(b, "# HELP rsttrace_metrics_http_connections_total HTTP "
		       "connections closed: served (rsttrace answered), "
		       "dropped (no answer: silent too long, malformed or "
		       "oversized, or the client left), refused (over the "
		       "limit per address).\n"
		       "# TYPE rsttrace_metrics_http_connections_total "
		       "counter\n");
	outbuf__printf(b,
		       "rsttrace_metrics_http_connections_total{outcome="
		       "\"served\"} %llu\n"
		       "rsttrace_metrics_http_connections_total{outcome="
		       "\"dropped\"} %llu\n"
		       "rsttrace_metrics_http_connections_total{outcome="
		       "\"refused\"} %llu\n",
		       h->served, h->dropped, h->refused);
}

static enum MHD_Result reply_metrics(struct metrics_server *s,
				     struct MHD_Connection *c)
{
	struct outbuf b = {};
	struct MHD_Response *r;

	metrics__render(s->m, &b);
	metrics_server__render(s, &b);
	if (b.oom) {
		outbuf__free(&b);
		return reply(s, c, MHD_HTTP_INTERNAL_SERVER_ERROR,
			     "rsttrace: out of memory\n");
	}
	/* MHD frees it with free(), as outbuf__free() would */
	r = MHD_create_response_from_buffer(b.len, b.data,
					    MHD_RESPMEM_MUST_FREE);
	if (!r) {
		outbuf__free(&b);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
				CONTENT_TYPE_METRICS);
	return queue(s, c, MHD_HTTP_OK, r);
}

static bool has_body(struct MHD_Connection *c)
{
	const char *len;

	if (MHD_lookup_connection_value(c, MHD_HEADER_KIND,
					MHD_HTTP_HEADER_TRANSFER_ENCODING))
		return true;
	len = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
					  MHD_HTTP_HEADER_CONTENT_LENGTH);
	return len && len[strspn(len, "0")];
}

/*
 * MHD calls this once with the headers, then again when the request is
 * complete. A request we refuse is answered at the first call: a response
 * queued then makes MHD close the connection rather than read a body. The
 * others wait for the second, so that the connection can be kept alive
 * for the next scrape.
 */
static enum MHD_Result
metrics_server__handle(void *cls, struct MHD_Connection *c, const char *url,
		       const char *method, const char *version,
		       const char *upload_data, size_t *upload_data_size,
		       void **req)
{
	struct metrics_server *s = cls;

	if (!*req) {
		*req = s;
		if (strcmp(method, MHD_HTTP_METHOD_GET) &&
		    strcmp(method, MHD_HTTP_METHOD_HEAD))
			return reply(s, c, MHD_HTTP_METHOD_NOT_ALLOWED,
				     "rsttrace: only GET and HEAD\n");
		if (has_body(c))
			return reply(s, c, MHD_HTTP_CONTENT_TOO_LARGE,
				     "rsttrace: no request body, please\n");
		return MHD_YES;
	}
	if (*upload_data_size)
		return MHD_NO; /* a body after all: drop the connection */
	if (!strcmp(url, "/metrics"))
		return reply_metrics(s, c);
	if (!strcmp(url, "/"))
		return reply(s, c, MHD_HTTP_OK,
			     "rsttrace: the metrics are at /metrics\n");
	return reply(s, c, MHD_HTTP_NOT_FOUND,
		     "rsttrace: not found; the metrics are at /metrics\n");
}

/*
 * Each connection holds a descriptor: at most what leaves FD_RESERVE to
 * the rest of rsttrace, the soft RLIMIT_NOFILE raised towards the hard
 * one first where it is short.
 */
static unsigned int metrics_server__max_conns(void)
{
	long used = metrics__open_fds();
	struct rlimit rl;
	rlim_t want;

	if (used < 0 || getrlimit(RLIMIT_NOFILE, &rl))
		return CONNECTION_LIMIT;
	want = (rlim_t)used + CONNECTION_LIMIT + FD_RESERVE;
	if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < want) {
		rl.rlim_cur = rl.rlim_max != RLIM_INFINITY &&
					      rl.rlim_max < want ?
				      rl.rlim_max :
				      want;
		if (setrlimit(RLIMIT_NOFILE, &rl))
			getrlimit(RLIMIT_NOFILE, &rl);
	}
	if (rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur >= want)
		return CONNECTION_LIMIT;
	if (rl.rlim_cur <= (rlim_t)used + FD_RESERVE)
		return 1;
	return (unsigned int)(rl.rlim_cur - (rlim_t)used - FD_RESERVE);
}

static void metrics_server__free(struct metrics_server *s)
{
	outbuf__free(&s->start_log);
	pthread_mutex_destroy(&s->conn_lock);
	pthread_mutex_destroy(&s->log_lock);
	free(s);
}

struct metrics_server *metrics_server__start(const char *listen,
					     struct metrics *m, char *err,
					     size_t errlen)
{
	const char *shown = *listen ? listen : "''";
	const union MHD_DaemonInfo *info;
	unsigned int flags;
	struct metrics_server *s;
	struct listen_addr a;
	sigset_t all, old;
	char why[256];
	int e = 0;

	if (parse_listen(listen, &a, why, sizeof(why))) {
		snprintf(err, errlen, "rsttrace: --metrics %s: %s", shown, why);
		return NULL;
	}
	if (mhd_load(why, sizeof(why))) {
		snprintf(err, errlen, "rsttrace: --metrics: %s", why);
		return NULL;
	}
	s = calloc(1, sizeof(*s));
	if (!s || (e = pthread_mutex_init(&s->log_lock, NULL))) {
		snprintf(err, errlen, "rsttrace: --metrics %s: %s", shown,
			 strerror(s ? e : ENOMEM));
		free(s);
		return NULL;
	}
	e = pthread_mutex_init(&s->conn_lock, NULL);
	if (e) {
		snprintf(err, errlen, "rsttrace: --metrics %s: %s", shown,
			 strerror(e));
		pthread_mutex_destroy(&s->log_lock);
		free(s);
		return NULL;
	}
	s->m = m;
	s->starting = true;
	s->max_conns = metrics_server__max_conns();
	if (s->max_conns < CONNECTION_LIMIT)
		fprintf(stderr,
			"rsttrace: metrics: at most %u connections at once, "
			"not %d: RLIMIT_NOFILE (LimitNOFILE=) leaves no more "
			"descriptors\n",
			s->max_conns, CONNECTION_LIMIT);

	/*
	 * MHD_USE_AUTO: epoll rather than select(), which cannot watch a
	 * descriptor past FD_SETSIZE, and rsttrace may hold many.
	 */
	flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG |
		MHD_USE_AUTO;
	if (a.dual)
		flags |= MHD_USE_DUAL_STACK;
	else if (a.ipv6)
		flags |= MHD_USE_IPv6;
	/*
	 * The thread MHD starts inherits this mask. With every signal
	 * blocked there, the process's signals go to the caller's threads,
	 * which handle them, and a SIGPIPE could not kill us even if MHD
	 * sent without MSG_NOSIGNAL (it does use it on Linux).
	 */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	s->d = MHD_start_daemon(
		flags, (uint16_t)a.port, NULL, NULL, metrics_server__handle, s,
		MHD_OPTION_EXTERNAL_LOGGER, metrics_server__log, s,
		MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&a.ss,
		MHD_OPTION_NOTIFY_CONNECTION, metrics_server__notify, s,
		MHD_OPTION_CONNECTION_TIMEOUT,
		(unsigned int)CONNECTION_TIMEOUT_S, MHD_OPTION_CONNECTION_LIMIT,
		s->max_conns, MHD_OPTION_PER_IP_CONNECTION_LIMIT,
		(unsigned int)PER_IP_CONNECTION_LIMIT,
		MHD_OPTION_CONNECTION_MEMORY_LIMIT,
		(size_t)CONNECTION_MEMORY_LIMIT, MHD_OPTION_END);
	pthread_sigmask(SIG_SETMASK, &old, NULL);

	pthread_mutex_lock(&s->log_lock);
	s->starting = false;
	pthread_mutex_unlock(&s->log_lock);
	if (!s->d) {
		e = probe_bind(&a);
		if (e)
			snprintf(err, errlen,
				 "rsttrace: --metrics %s: cannot listen: %s%s",
				 shown, strerror(e), listen_hint(e));
		else
			snprintf(err, errlen,
				 "rsttrace: --metrics %s: cannot start the "
				 "server: %s",
				 shown, s->last[0] ? s->last : "unknown error");
		metrics_server__free(s);
		return NULL;
	}
	/* warnings of a start that worked */
	if (s->start_log.len)
		fwrite(s->start_log.data, 1, s->start_log.len, stderr);
	outbuf__free(&s->start_log);
	info = MHD_get_daemon_info(s->d, MHD_DAEMON_INFO_BIND_PORT);
	s->port = info && info->port ? info->port : a.port;
	return s;
}

unsigned int metrics_server__port(const struct metrics_server *s)
{
	return s->port;
}

void metrics_server__stop(struct metrics_server *s)
{
	if (!s)
		return;
	MHD_stop_daemon(s->d);
	metrics_server__free(s);
}
