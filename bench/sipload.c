/* sipload: a SIP load tool for mcxd's xcap-diff notifier. It holds N
 * subscriptions (each its own dialog, subscriber asserted by
 * P-Asserted-Identity), answers every NOTIFY, runs one PUT as a child
 * command and measures how long the fan-out of that change takes.
 *
 * Single-threaded: poll() over K UDP sockets on one address, hand-written
 * SIP text, a minimal bounded parser (only what the exchange needs). Not part
 * of mcxd; built by bench/run-sip.sh (or `make bench-sip`).
 *
 *   sipload                                  mcxd
 *     | SUBSCRIBE (PAI, resource list)  x N    |   at --rate, at most --window
 *     |---------------------------------------->|   awaiting 200 + NOTIFY
 *     |<------------------------------- 200     |
 *     |<-------- NOTIFY (full state, etag E0)   |
 *     |----> 200                                |
 *     | "ready" (stdout, --ready-file); wait for --go-file
 *     | t0: fork --put CMD (prints "<status> <etag E1>")
 *     |<-------- NOTIFY (previous E0, new E1) x N
 *     |----> 200          (last one answered: t1; t1 - t0 is the figure)
 *     | [--unsubscribe: SUBSCRIBE Expires: 0 x N, 200, final NOTIFY]
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* Bounds, in one place. */
#define MAX_SUBS 1000000   /* -n */
#define MAX_SOCKS 64	   /* -k */
#define MAX_USERS 64	   /* --users */
#define MAX_DGRAM 65535	   /* largest UDP datagram */
#define MAX_HDRS 64	   /* header lines read in one message */
#define MAX_VIA 8	   /* Via lines copied into a response */
#define MAX_TAG 64	   /* To tag kept per subscription, NUL included */
#define MAX_ETAG 48	   /* ETag kept, NUL included (mcxd: STORE_ETAG_MAX) */
#define MAX_PUT_OUT 1024   /* output of the --put command kept */
#define MAX_URI 1024	   /* --uri and identities */
#define RECV_BURST 256	   /* datagrams read from one socket per poll round */
#define TX_TRIES 6	   /* SUBSCRIBE sent at most this often (1 + 5 resends) */
#define TX_T1 0.5	   /* first resend after T1, then doubling (RFC 3261 timer E) */
#define SOCK_BUF (8 << 20) /* socket buffers asked for */
#define NOTIFY_WAIT 32.0   /* seconds from the 200 to the NOTIFY that must follow */
#define SCAN_EVERY 0.1	   /* seconds between scans for overdue transactions */

/* Flags of one subscription's transaction in the current phase. */
enum {
	SUB_SENT = 1,	/* SUBSCRIBE sent */
	SUB_RESP = 2,	/* its 200 came */
	SUB_NOTIFY = 4, /* the NOTIFY that follows it came */
	SUB_FAILED = 8, /* refused or never answered: left out from then on */
};

struct sub {
	double t_sent;	      /* last (re)send of the SUBSCRIBE */
	double t_change;      /* when the NOTIFY carrying etag was first answered */
	double t_answer;      /* when it was last answered (a retransmission: our 200 was lost) */
	uint32_t notify_cseq; /* CSeq of the last NOTIFY answered */
	uint8_t flags;
	uint8_t tries;
	char totag[MAX_TAG];
	char etag0[MAX_ETAG]; /* new-etag of the initial NOTIFY */
	char etag[MAX_ETAG];  /* new-etag of the latest NOTIFY */
};

struct opts {
	const char *server, *bind, *uri, *diff, *ready_file, *go_file, *put;
	const char *users[MAX_USERS];
	size_t nusers;
	unsigned n, k, window, expires;
	double rate, timeout, settle;
	bool unsubscribe;
};

/* The view of one received message: pointers into the datagram. */
struct hdr {
	const char *p;
	size_t l;
};

struct msg {
	bool response;
	unsigned status; /* responses */
	struct hdr method, via[MAX_VIA], from, to, callid, cseq, state, body;
	size_t nvia;
	uint32_t cseq_num;
};

struct stats {
	unsigned ok, failed, refused[7]; /* refused by class 3xx..6xx */
	unsigned no_response, no_notify; /* gave up: no final response / no NOTIFY after the 200 */
	unsigned unfinished;		 /* not complete when the phase timed out */
	unsigned rexmit_notify, rexmit_resp, bad, unknown, send_err, terminated;
	unsigned other_etag, bad_prev;
};

struct load {
	struct opts o;
	struct sockaddr_in srv;
	int fd[MAX_SOCKS];
	uint16_t port[MAX_SOCKS];
	struct sub *s;
	char prefix[24];     /* Call-ID prefix, unique per run */
	uint32_t cseq;	     /* CSeq of the SUBSCRIBE of this phase */
	bool fanout;	     /* after the PUT started */
	char want[MAX_ETAG]; /* the PUT's new ETag, once known ("" before) */
	unsigned got;	     /* live subscriptions whose latest NOTIFY carries it */
	double t_rx;	     /* last NOTIFY received in the fan-out */
	unsigned next;	     /* next subscription to send */
	unsigned pending;    /* sent, not yet complete */
	unsigned done;	     /* complete or failed in this phase */
	struct stats st;
	char body[2 * MAX_URI];
	size_t body_len;
};

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

__attribute__((format(printf, 1, 2), noreturn)) static void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("sipload: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(2);
}

/* ---- options ---- */

static void usage(FILE *f)
{
	fputs(
	    "usage: sipload --server IP:PORT [options]\n"
	    "\n"
	    "Holds N xcap-diff subscriptions to mcxd (UDP, identity by P-Asserted-Identity\n"
	    "from a trusted address, each SUBSCRIBE its own dialog), answers every NOTIFY,\n"
	    "then runs one PUT (--put) and measures the time until the NOTIFY of that\n"
	    "change has been received and answered for every subscription.\n"
	    "\n"
	    "  -n, --subscribers N   subscriptions (default 1000)\n"
	    "  -k, --sockets K       UDP sockets they are spread over (default 8)\n"
	    "  -r, --rate R          SUBSCRIBEs per second, 0 = no limit (default 2000)\n"
	    "  -w, --window W        most SUBSCRIBEs awaiting their 200 and NOTIFY (default 200)\n"
	    "      --bind IP         local address (default 127.0.0.1)\n"
	    "      --users LIST      comma-separated subscriber URIs, used in turn\n"
	    "                        (default sip:alice..erin@example.org)\n"
	    "      --uri URI         resource subscribed to (default the organisation's\n"
	    "                        service configuration under /xcap-root)\n"
	    "      --diff MODE       Event diff-processing parameter (default none)\n"
	    "      --expires S       Expires asked for (default 3600)\n"
	    "      --ready-file F    written once every subscription is up (\"ready\" is\n"
	    "                        also printed on stdout)\n"
	    "      --go-file F       wait until F exists before the PUT\n"
	    "      --put CMD         shell command doing the PUT; it must print\n"
	    "                        \"<HTTP status> <ETag>\" (curl -w '%{http_code} "
	    "%header{etag}')\n"
	    "      --timeout S       longest wait for answers in each phase (default 120)\n"
	    "      --settle S        after the fan-out, answer retransmitted NOTIFYs until\n"
	    "                        none came for S seconds (default 5, > SIP's T2 of 4 s)\n"
	    "      --unsubscribe     end every subscription (Expires: 0) at the end\n"
	    "  -h, --help            this text\n"
	    "\n"
	    "Output: lines \"subscribe: key=value ...\", \"fanout: ...\", \"unsubscribe: ...\".\n"
	    "Exit status 0 when every step completed, 1 when some subscription failed or\n"
	    "missed the change, 2 on a usage or setup error.\n",
	    f);
}

static unsigned num(const char *name, const char *v, unsigned lo, unsigned hi)
{
	char *end;
	unsigned long x;

	errno = 0;
	x = strtoul(v, &end, 10);
	if (errno || end == v || *end || x < lo || x > hi)
		die("%s: '%s' is not a number from %u to %u", name, v, lo, hi);
	return (unsigned)x;
}

static void split_users(struct opts *o, char *list)
{
	char *p = list, *comma;

	o->nusers = 0;
	while (p && *p) {
		comma = strchr(p, ',');
		if (comma)
			*comma++ = '\0';
		if (o->nusers == MAX_USERS)
			die("--users: more than %d", MAX_USERS);
		if (strncmp(p, "sip:", 4) || strlen(p) >= MAX_URI || strpbrk(p, "<>\" \r\n"))
			die("--users: '%s' is not a plain sip: URI", p);
		o->users[o->nusers++] = p;
		p = comma;
	}
	if (!o->nusers)
		die("--users: empty list");
}

static void parse_opts(struct opts *o, int argc, char **argv)
{
	static const struct option lo[] = {{"subscribers", 1, NULL, 'n'}, {"sockets", 1, NULL, 'k'},
					   {"rate", 1, NULL, 'r'},	  {"window", 1, NULL, 'w'},
					   {"server", 1, NULL, 'S'},	  {"bind", 1, NULL, 'B'},
					   {"users", 1, NULL, 'U'},	  {"uri", 1, NULL, 'u'},
					   {"diff", 1, NULL, 'D'},	  {"expires", 1, NULL, 'E'},
					   {"ready-file", 1, NULL, 'R'},  {"go-file", 1, NULL, 'G'},
					   {"put", 1, NULL, 'P'},	  {"timeout", 1, NULL, 'T'},
					   {"unsubscribe", 0, NULL, 'X'}, {"settle", 1, NULL, 'Q'},
					   {"help", 0, NULL, 'h'},	  {NULL, 0, NULL, 0}};
	static char defusers[] = "sip:alice@example.org,sip:bob@example.org,"
				 "sip:carol@example.org,sip:dave@example.org,"
				 "sip:erin@example.org";
	int c;

	memset(o, 0, sizeof(*o));
	o->bind = "127.0.0.1";
	o->uri = "/xcap-root/org.3gpp.mcptt.service-config/global/service-config.xml";
	o->n = 1000;
	o->k = 8;
	o->rate = 2000;
	o->window = 200;
	o->expires = 3600;
	o->timeout = 120;
	o->settle = 5;
	split_users(o, defusers);
	while ((c = getopt_long(argc, argv, "n:k:r:w:h", lo, NULL)) != -1) {
		switch (c) {
		case 'n':
			o->n = num("--subscribers", optarg, 1, MAX_SUBS);
			break;
		case 'k':
			o->k = num("--sockets", optarg, 1, MAX_SOCKS);
			break;
		case 'r':
			o->rate = num("--rate", optarg, 0, 10000000);
			break;
		case 'w':
			o->window = num("--window", optarg, 1, MAX_SUBS);
			break;
		case 'S':
			o->server = optarg;
			break;
		case 'B':
			o->bind = optarg;
			break;
		case 'U':
			split_users(o, optarg);
			break;
		case 'u':
			o->uri = optarg;
			break;
		case 'D':
			o->diff = optarg;
			break;
		case 'E':
			o->expires = num("--expires", optarg, 1, 86400);
			break;
		case 'R':
			o->ready_file = optarg;
			break;
		case 'G':
			o->go_file = optarg;
			break;
		case 'P':
			o->put = optarg;
			break;
		case 'T':
			o->timeout = num("--timeout", optarg, 1, 3600);
			break;
		case 'Q':
			o->settle = num("--settle", optarg, 0, 600);
			break;
		case 'X':
			o->unsubscribe = true;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			exit(2);
		}
	}
	if (optind != argc)
		die("unexpected argument '%s' (see --help)", argv[optind]);
	if (!o->server)
		die("--server IP:PORT is required (see --help)");
	if (strlen(o->uri) >= MAX_URI || strpbrk(o->uri, "<>\"&\r\n"))
		die("--uri: '%s' needs XML escaping or is too long; give a plain URI", o->uri);
	if (o->diff && (strlen(o->diff) > 32 || strpbrk(o->diff, ";,\r\n ")))
		die("--diff: '%s' is not a token", o->diff);
}

/* ---- sockets ---- */

static void addr_of(struct sockaddr_in *sa, const char *s, bool with_port)
{
	char host[64];
	const char *colon = strrchr(s, ':');
	size_t hl = with_port && colon ? (size_t)(colon - s) : strlen(s);

	memset(sa, 0, sizeof(*sa));
	sa->sin_family = AF_INET;
	if (hl >= sizeof(host) || (with_port && !colon))
		die("'%s' is not %s", s, with_port ? "IPv4:port" : "an IPv4 address");
	memcpy(host, s, hl);
	host[hl] = '\0';
	if (inet_pton(AF_INET, host, &sa->sin_addr) != 1)
		die("'%s' is not an IPv4 address", host);
	if (with_port)
		sa->sin_port = htons((uint16_t)num("port", colon + 1, 1, 65535));
}

/* Big buffers: the fan-out arrives as a burst. As root, past rmem_max. */
static int buffers(int fd)
{
	int v = SOCK_BUF, got = 0;
	socklen_t len = sizeof(got);

	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &v, sizeof(v)))
		(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &v, sizeof(v));
	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &v, sizeof(v)))
		(void)setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &v, sizeof(v));
	(void)getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &got, &len);
	return got;
}

static void open_sockets(struct load *L)
{
	struct sockaddr_in a;
	socklen_t len;
	unsigned i;
	int rcv = 0;

	addr_of(&L->srv, L->o.server, true);
	for (i = 0; i < L->o.k; i++) {
		addr_of(&a, L->o.bind, false);
		L->fd[i] = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (L->fd[i] < 0 || bind(L->fd[i], (struct sockaddr *)&a, sizeof(a)))
			die("UDP socket on %s: %s", L->o.bind, strerror(errno));
		len = sizeof(a);
		if (getsockname(L->fd[i], (struct sockaddr *)&a, &len))
			die("getsockname: %s", strerror(errno));
		L->port[i] = ntohs(a.sin_port);
		rcv = buffers(L->fd[i]);
	}
	fprintf(stderr, "sipload: %u UDP sockets on %s, receive buffer %d bytes each\n", L->o.k,
		L->o.bind, rcv);
}

/* Datagrams the kernel dropped at our sockets (receive buffer full): the
 * last column of /proc/self/net/udp, whose lines are bounded by the kernel. */
static unsigned long own_drops(const struct load *L)
{
	char line[512];
	unsigned long total = 0, drops;
	unsigned port, i;
	FILE *f = fopen("/proc/self/net/udp", "r");

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		size_t n = strlen(line);
		const char *last, *colon = strchr(line, ':');

		while (n && isspace((unsigned char)line[n - 1]))
			line[--n] = '\0';
		last = strrchr(line, ' ');

		if (!colon || !(colon = strchr(colon + 1, ':')) ||
		    sscanf(colon + 1, "%x", &port) != 1 || !last)
			continue;
		drops = strtoul(last + 1, NULL, 10);
		for (i = 0; i < L->o.k; i++)
			if (L->port[i] == port)
				total += drops;
	}
	fclose(f);
	return total;
}

/* ---- parsing (bounded; only what this exchange needs) ---- */

static bool hdr_is(const char *name, size_t nl, const char *full, const char *compact)
{
	return (nl == strlen(full) && !strncasecmp(name, full, nl)) ||
	       (compact && nl == 1 && tolower((unsigned char)*name) == *compact);
}

static void trim(struct hdr *h)
{
	while (h->l && (*h->p == ' ' || *h->p == '\t')) {
		h->p++;
		h->l--;
	}
	while (h->l && (h->p[h->l - 1] == ' ' || h->p[h->l - 1] == '\t'))
		h->l--;
}

static bool start_line(struct msg *m, const char *p, size_t l)
{
	if (l > 12 && !memcmp(p, "SIP/2.0 ", 8)) {
		m->response = true;
		m->status = (unsigned)(p[8] - '0') * 100 + (unsigned)(p[9] - '0') * 10 +
			    (unsigned)(p[10] - '0');
		return isdigit((unsigned char)p[8]) && isdigit((unsigned char)p[9]) &&
		       isdigit((unsigned char)p[10]);
	}
	m->method.p = p;
	m->method.l = 0;
	while (m->method.l < l && p[m->method.l] != ' ')
		m->method.l++;
	return m->method.l > 0 && m->method.l < l;
}

static bool one_header(struct msg *m, const char *p, size_t l)
{
	const char *colon = memchr(p, ':', l);
	struct hdr v;
	size_t nl;

	if (!colon)
		return false;
	nl = (size_t)(colon - p);
	while (nl && (p[nl - 1] == ' ' || p[nl - 1] == '\t'))
		nl--;
	v.p = colon + 1;
	v.l = (size_t)(p + l - v.p);
	trim(&v);
	if (hdr_is(p, nl, "via", "v")) {
		if (m->nvia == MAX_VIA)
			return false;
		m->via[m->nvia++] = v;
	} else if (hdr_is(p, nl, "from", "f")) {
		m->from = v;
	} else if (hdr_is(p, nl, "to", "t")) {
		m->to = v;
	} else if (hdr_is(p, nl, "call-id", "i")) {
		m->callid = v;
	} else if (hdr_is(p, nl, "cseq", NULL)) {
		m->cseq = v;
	} else if (hdr_is(p, nl, "subscription-state", NULL)) {
		m->state = v;
	} else if (hdr_is(p, nl, "content-length", "l")) {
		size_t n = 0, i;

		for (i = 0; i < v.l && isdigit((unsigned char)v.p[i]) && n <= MAX_DGRAM; i++)
			n = n * 10 + (size_t)(v.p[i] - '0');
		m->body.l = n;
	}
	return true;
}

/* m gets views into buf[0..len); false when it is not a message we can read. */
static bool parse(struct msg *m, const char *buf, size_t len)
{
	const char *end = memmem(buf, len, "\r\n\r\n", 4), *p = buf, *eol;
	size_t i, clen;
	unsigned n = 0;

	memset(m, 0, sizeof(*m));
	if (!end)
		return false;
	eol = memmem(p, (size_t)(end - p) + 2, "\r\n", 2);
	if (!eol || !start_line(m, p, (size_t)(eol - p)))
		return false;
	for (p = eol + 2; p < end + 2; p = eol + 2) {
		eol = memmem(p, (size_t)(end + 2 - p), "\r\n", 2);
		if (!eol || ++n > MAX_HDRS || *p == ' ' || *p == '\t') /* no folding */
			return false;
		if (!one_header(m, p, (size_t)(eol - p)))
			return false;
	}
	clen = m->body.l;
	m->body.p = end + 4;
	m->body.l = (size_t)(buf + len - m->body.p);
	if (clen < m->body.l)
		m->body.l = clen;
	for (i = 0; i < m->cseq.l && isdigit((unsigned char)m->cseq.p[i]) && i < 10; i++)
		m->cseq_num = m->cseq_num * 10 + (uint32_t)(m->cseq.p[i] - '0');
	return m->callid.l && m->cseq.l && m->from.l && m->to.l && m->nvia;
}

/* The index of our subscription named by a Call-ID "<prefix>-<index>@sipload". */
static long sub_index(const struct load *L, const struct hdr *cid)
{
	size_t pl = strlen(L->prefix), i;
	long idx = 0;

	if (cid->l <= pl + 1 || memcmp(cid->p, L->prefix, pl) || cid->p[pl] != '-')
		return -1;
	for (i = pl + 1; i < cid->l && isdigit((unsigned char)cid->p[i]) && i < pl + 10; i++)
		idx = idx * 10 + (cid->p[i] - '0');
	if (i == pl + 1 || i + 8 != cid->l || memcmp(cid->p + i, "@sipload", 8))
		return -1;
	return idx < (long)L->o.n ? idx : -1;
}

/* The value of attr="..." in s[0..l), into out (NUL-terminated); false if absent. */
static bool attr(const char *s, size_t l, const char *name, char *out, size_t outl)
{
	size_t nl = strlen(name);
	const char *p = s, *q;

	while ((q = memmem(p, (size_t)(s + l - p), name, nl))) {
		const char *v = q + nl, *e;

		p = q + 1;
		if ((q > s && !isspace((unsigned char)q[-1])) || v + 2 > s + l || v[0] != '=' ||
		    v[1] != '"')
			continue;
		v += 2;
		e = memchr(v, '"', (size_t)(s + l - v));
		if (!e || (size_t)(e - v) >= outl)
			return false;
		memcpy(out, v, (size_t)(e - v));
		out[e - v] = '\0';
		return true;
	}
	return false;
}

/* The tag parameter of a From/To value into out; "" if none. */
static void tag_of(const struct hdr *h, char *out, size_t outl)
{
	const char *t = memmem(h->p, h->l, ";tag=", 5);
	size_t n = 0;

	out[0] = '\0';
	if (!t)
		return;
	t += 5;
	while (t + n < h->p + h->l && !strchr(";> \t", t[n]) && n + 1 < outl)
		n++;
	memcpy(out, t, n);
	out[n] = '\0';
}

/* ---- sending ---- */

static void send_to(struct load *L, int fd, const struct sockaddr_in *to, const char *b, size_t l)
{
	if (sendto(fd, b, l, 0, (const struct sockaddr *)to, sizeof(*to)) != (ssize_t)l)
		L->st.send_err++;
}

/* A buffer being filled; a message that would not fit is not sent. */
struct out {
	char b[MAX_DGRAM];
	size_t l;
	bool over;
};

__attribute__((format(printf, 2, 3))) static void put(struct out *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (o->over)
		return;
	va_start(ap, fmt);
	n = vsnprintf(o->b + o->l, sizeof(o->b) - o->l, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(o->b) - o->l)
		o->over = true;
	else
		o->l += (size_t)n;
}

static void send_subscribe(struct load *L, unsigned i)
{
	static struct out o;
	struct sub *s = &L->s[i];
	unsigned k = i % L->o.k;
	const char *user = L->o.users[i % L->o.nusers];
	bool initial = L->cseq == 1;

	o.l = 0;
	o.over = false;
	put(&o, "SUBSCRIBE sip:cms@%s SIP/2.0\r\n", L->o.server);
	put(&o, "Via: SIP/2.0/UDP %s:%u;rport;branch=z9hG4bK%s.%u.%u\r\n", L->o.bind, L->port[k],
	    L->prefix, i, L->cseq);
	put(&o, "Max-Forwards: 70\r\n");
	put(&o, "From: <%s>;tag=%st%u\r\n", user, L->prefix, i);
	put(&o, "To: <sip:cms@%s>%s%s\r\n", L->o.server, s->totag[0] ? ";tag=" : "", s->totag);
	put(&o, "Call-ID: %s-%u@sipload\r\n", L->prefix, i);
	put(&o, "CSeq: %u SUBSCRIBE\r\n", L->cseq);
	put(&o, "Contact: <sip:load%u@%s:%u>\r\n", i, L->o.bind, L->port[k]);
	if (initial)
		put(&o, "P-Asserted-Identity: <%s>\r\n", user);
	put(&o, "Event: xcap-diff%s%s\r\n", L->o.diff ? ";diff-processing=" : "",
	    L->o.diff ? L->o.diff : "");
	put(&o, "Accept: application/xcap-diff+xml\r\n");
	put(&o, "Expires: %u\r\n", initial ? L->o.expires : 0);
	if (initial)
		put(&o, "Content-Type: application/resource-lists+xml\r\n");
	put(&o, "Content-Length: %zu\r\n\r\n%s", initial ? L->body_len : 0, initial ? L->body : "");
	if (o.over)
		die("a SUBSCRIBE does not fit in a datagram");
	s->t_sent = now();
	s->tries++;
	s->flags |= SUB_SENT;
	send_to(L, L->fd[k], &L->srv, o.b, o.l);
}

/* 200 to a NOTIFY: Via, From, To, Call-ID and CSeq copied. */
static void answer(struct load *L, int fd, const struct sockaddr_in *from, const struct msg *m,
		   unsigned code, const char *reason)
{
	static struct out o;
	size_t i;

	o.l = 0;
	o.over = false;
	put(&o, "SIP/2.0 %u %s\r\n", code, reason);
	for (i = 0; i < m->nvia; i++)
		put(&o, "Via: %.*s\r\n", (int)m->via[i].l, m->via[i].p);
	put(&o, "From: %.*s\r\nTo: %.*s\r\nCall-ID: %.*s\r\nCSeq: %.*s\r\n", (int)m->from.l,
	    m->from.p, (int)m->to.l, m->to.p, (int)m->callid.l, m->callid.p, (int)m->cseq.l,
	    m->cseq.p);
	put(&o, "Content-Length: 0\r\n\r\n");
	if (!o.over)
		send_to(L, fd, from, o.b, o.l);
}

/* ---- the exchange ---- */

static void complete(struct load *L, struct sub *s)
{
	if ((s->flags & (SUB_RESP | SUB_NOTIFY)) != (SUB_RESP | SUB_NOTIFY))
		return;
	L->pending--;
	L->done++;
	L->st.ok++;
}

static void fail(struct load *L, struct sub *s)
{
	s->flags |= SUB_FAILED;
	L->pending--;
	L->done++;
	L->st.failed++;
}

static void on_response(struct load *L, const struct msg *m)
{
	long i = sub_index(L, &m->callid);
	struct sub *s;

	if (i < 0 || m->cseq_num != L->cseq || m->status < 200) {
		L->st.unknown += i < 0;
		return;
	}
	s = &L->s[i];
	if (s->flags & (SUB_RESP | SUB_FAILED) || !(s->flags & SUB_SENT)) {
		L->st.rexmit_resp++;
		return;
	}
	if (m->status >= 300) {
		unsigned cls = m->status / 100 <= 6 ? m->status / 100 : 0;

		if (!L->st.refused[cls]++) /* the first of each class says why */
			fprintf(stderr, "sipload: SUBSCRIBE %ld refused: %u\n", i, m->status);
		fail(L, s);
		return;
	}
	if (L->cseq == 1)
		tag_of(&m->to, s->totag, sizeof(s->totag));
	s->flags |= SUB_RESP;
	complete(L, s);
}

static void on_notify(struct load *L, int fd, const struct sockaddr_in *from, const struct msg *m)
{
	long i = sub_index(L, &m->callid);
	char etag[MAX_ETAG] = "", prev[MAX_ETAG] = "";
	struct sub *s;
	double t;

	if (i < 0) {
		L->st.unknown++;
		answer(L, fd, from, m, 481, "Subscription Does Not Exist");
		return;
	}
	s = &L->s[i];
	answer(L, fd, from, m, 200, "OK");
	t = now();
	if (L->fanout)
		L->t_rx = t;
	(void)attr(m->body.p, m->body.l, "new-etag", etag, sizeof(etag));
	if (m->cseq_num && m->cseq_num <= s->notify_cseq) {
		L->st.rexmit_notify++; /* our 200 came too late or was lost */
		if (L->fanout && !strcmp(etag, s->etag))
			s->t_answer = t;
		return;
	}
	s->notify_cseq = m->cseq_num;
	if (m->state.l >= 10 && !strncasecmp(m->state.p, "terminated", 10))
		L->st.terminated++;
	if (L->fanout) {
		(void)attr(m->body.p, m->body.l, "previous-etag", prev, sizeof(prev));
		if (strcmp(prev, s->etag0))
			L->st.bad_prev++;
		if (strcmp(etag, s->etag)) {
			memcpy(s->etag, etag, sizeof(etag));
			s->t_change = t;
			L->got += L->want[0] && !strcmp(etag, L->want);
		}
		s->t_answer = t;
		return;
	}
	if (L->cseq == 1 && !s->etag0[0]) {
		memcpy(s->etag0, etag, sizeof(etag));
		memcpy(s->etag, etag, sizeof(etag));
	}
	if (!(s->flags & (SUB_NOTIFY | SUB_FAILED)) && (s->flags & SUB_SENT)) {
		s->flags |= SUB_NOTIFY;
		complete(L, s);
	}
}

static void on_datagram(struct load *L, int fd, const struct sockaddr_in *from, const char *b,
			size_t l)
{
	struct msg m;

	if (!parse(&m, b, l)) {
		L->st.bad++;
		return;
	}
	if (m.response)
		on_response(L, &m);
	else if (m.method.l == 6 && !memcmp(m.method.p, "NOTIFY", 6))
		on_notify(L, fd, from, &m);
	else
		answer(L, fd, from, &m, 405, "Method Not Allowed");
}

static void receive(struct load *L, int fd)
{
	static char buf[MAX_DGRAM + 1];
	struct sockaddr_in from;
	socklen_t fl;
	ssize_t n;
	int burst;

	for (burst = 0; burst < RECV_BURST; burst++) {
		fl = sizeof(from);
		n = recvfrom(fd, buf, MAX_DGRAM, 0, (struct sockaddr *)&from, &fl);
		if (n < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
				L->st.bad++;
			return;
		}
		on_datagram(L, fd, &from, buf, (size_t)n);
	}
}

/* Wait up to ms for datagrams (and the PUT command's output on extra_fd). */
static bool poll_once(struct load *L, int ms, int extra_fd)
{
	struct pollfd p[MAX_SOCKS + 1];
	unsigned i, n = L->o.k;
	bool extra = false;

	for (i = 0; i < n; i++) {
		p[i].fd = L->fd[i];
		p[i].events = POLLIN;
	}
	p[n].fd = extra_fd;
	p[n].events = POLLIN;
	if (poll(p, n + 1, ms) < 0)
		return false;
	for (i = 0; i < n; i++)
		if (p[i].revents & POLLIN)
			receive(L, p[i].fd);
	if (extra_fd >= 0 && (p[n].revents & (POLLIN | POLLHUP)))
		extra = true;
	return extra;
}

/* Resend SUBSCRIBEs without a final response; fail those out of tries or
 * whose NOTIFY never came. */
static void scan(struct load *L, double t)
{
	unsigned i;

	for (i = 0; i < L->next; i++) {
		struct sub *s = &L->s[i];
		double wait = TX_T1 * (double)(1u << (s->tries - 1));

		if (!(s->flags & SUB_SENT) || (s->flags & SUB_FAILED) ||
		    (s->flags & (SUB_RESP | SUB_NOTIFY)) == (SUB_RESP | SUB_NOTIFY) ||
		    t - s->t_sent < wait)
			continue;
		if (s->flags & SUB_RESP) {
			if (t - s->t_sent >= NOTIFY_WAIT) {
				L->st.no_notify++;
				fail(L, s);
			}
		} else if (s->tries >= TX_TRIES) {
			L->st.no_response++;
			fail(L, s);
		} else {
			send_subscribe(L, i);
		}
	}
}

/* One phase: SUBSCRIBE (cseq 1) or unsubscribe (cseq 2) every live subscription. */
static double phase(struct load *L, uint32_t cseq)
{
	double t0 = now(), t, last_scan = t0;
	unsigned i, live = 0;

	L->cseq = cseq;
	L->next = L->pending = L->done = 0;
	for (i = 0; i < L->o.n; i++) {
		L->s[i].flags &= SUB_FAILED;
		L->s[i].tries = 0;
		live += !(L->s[i].flags & SUB_FAILED);
	}
	L->st.ok = L->st.failed = L->st.no_response = L->st.no_notify = L->st.unfinished = 0;
	memset(L->st.refused, 0, sizeof(L->st.refused));
	while (L->done < live && !stop) {
		t = now();
		while (L->next < L->o.n && L->pending < L->o.window &&
		       (!L->o.rate || (double)L->next < (t - t0) * L->o.rate + 1)) {
			if (!(L->s[L->next].flags & SUB_FAILED)) {
				send_subscribe(L, L->next);
				L->pending++;
			}
			L->next++;
		}
		if (t - last_scan >= SCAN_EVERY) {
			scan(L, t);
			last_scan = t;
		}
		if (t - t0 > L->o.timeout + (L->o.rate ? L->o.n / L->o.rate : 0))
			break;
		(void)poll_once(L, 1, -1);
	}
	for (i = 0; i < L->o.n; i++) { /* what the timeout cut off counts as failed */
		struct sub *s = &L->s[i];

		if (!(s->flags & SUB_FAILED) &&
		    (s->flags & (SUB_RESP | SUB_NOTIFY)) != (SUB_RESP | SUB_NOTIFY)) {
			s->flags |= SUB_FAILED;
			L->st.failed++;
			L->st.unfinished++;
		}
	}
	return now() - t0;
}

/* ---- the PUT ---- */

struct child {
	pid_t pid;
	int fd;
	char out[MAX_PUT_OUT];
	size_t len;
	double t0, t_end;
	int status;
};

static void put_start(struct child *c, const char *cmd)
{
	int p[2];

	memset(c, 0, sizeof(*c));
	if (pipe2(p, O_CLOEXEC))
		die("pipe: %s", strerror(errno));
	fflush(NULL);
	c->t0 = now();
	c->pid = fork();
	if (c->pid < 0)
		die("fork: %s", strerror(errno));
	if (!c->pid) {
		dup2(p[1], 1);
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	close(p[1]);
	c->fd = p[0];
}

/* Read the command's output; at EOF reap it. true once it has ended. */
static bool put_read(struct child *c)
{
	char tmp[512];
	ssize_t n = read(c->fd, tmp, sizeof(tmp));

	if (n > 0) {
		size_t k = (size_t)n < sizeof(c->out) - 1 - c->len ? (size_t)n
								   : sizeof(c->out) - 1 - c->len;
		memcpy(c->out + c->len, tmp, k);
		c->len += k;
		c->out[c->len] = '\0';
		return false;
	}
	if (n < 0 && errno == EINTR)
		return false;
	close(c->fd);
	c->fd = -1;
	c->t_end = now();
	if (waitpid(c->pid, &c->status, 0) < 0)
		c->status = -1;
	return true;
}

/* "<status> <etag>" of the command's output: the ETag without quotes. */
static void put_etag(const struct child *c, char *etag, size_t len)
{
	unsigned code = 0;
	const char *p = c->out;
	size_t n = 0;

	while (isdigit((unsigned char)*p))
		code = code * 10 + (unsigned)(*p++ - '0');
	while (*p == ' ' || *p == '"')
		p++;
	while (p[n] && p[n] != '"' && !isspace((unsigned char)p[n]) && n + 1 < len)
		n++;
	if (!WIFEXITED(c->status) || WEXITSTATUS(c->status) || (code != 200 && code != 201) || !n)
		die("the PUT failed: the command %s and printed '%s' (want \"<200|201> <etag>\")",
		    WIFEXITED(c->status) ? "exited" : "was killed", c->out);
	memcpy(etag, p, n);
	etag[n] = '\0';
}

/* ---- reports ---- */

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void report_subscribe(const struct load *L, const char *what, double secs)
{
	const struct stats *st = &L->st;

	printf("%s: n=%u ok=%u failed=%u no_response=%u no_notify=%u unfinished=%u 3xx=%u 4xx=%u "
	       "5xx=%u 6xx=%u "
	       "seconds=%.3f rate=%.0f retransmissions=%u\n",
	       what, L->o.n, st->ok, st->failed, st->no_response, st->no_notify, st->unfinished,
	       st->refused[3], st->refused[4], st->refused[5], st->refused[6], secs,
	       secs > 0 ? st->ok / secs : 0, st->rexmit_notify + st->rexmit_resp);
	fflush(stdout);
}

/* Count the subscriptions whose latest NOTIFY carries etag; print the figures. */
static bool report_fanout(struct load *L, const char *etag, const struct child *c, unsigned live)
{
	double *t = malloc(sizeof(*t) * (L->o.n ? L->o.n : 1)), last = 0, settled = 0, secs;
	unsigned i, got = 0;

	if (!t)
		die("out of memory");
	for (i = 0; i < L->o.n; i++) {
		const struct sub *s = &L->s[i];

		if (s->flags & SUB_FAILED)
			continue;
		if (strcmp(s->etag, etag)) {
			L->st.other_etag += strcmp(s->etag, s->etag0) != 0;
			continue;
		}
		t[got++] = s->t_change - c->t0;
		if (s->t_change - c->t0 > last)
			last = s->t_change - c->t0;
		if (s->t_answer - c->t0 > settled)
			settled = s->t_answer - c->t0;
	}
	qsort(t, got, sizeof(*t), cmp_double);
	secs = last;
	printf("fanout: n=%u subscribed=%u notifies=%u missing=%u seconds=%.3f "
	       "notifies_per_s=%.0f put_seconds=%.3f first=%.3f p50=%.3f p90=%.3f p99=%.3f "
	       "last_answer=%.3f retransmissions=%u other_etag=%u bad_previous_etag=%u etag=%s\n",
	       L->o.n, live, got, live - got, secs, secs > 0 ? got / secs : 0, c->t_end - c->t0,
	       got ? t[0] : 0, got ? t[got / 2] : 0, got ? t[got * 9 / 10] : 0,
	       got ? t[got * 99 / 100] : 0, settled, L->st.rexmit_notify, L->st.other_etag,
	       L->st.bad_prev, etag);
	fflush(stdout);
	free(t);
	return got == live;
}

/* ---- main ---- */

static unsigned matching(const struct load *L, const char *etag)
{
	unsigned i, n = 0;

	for (i = 0; i < L->o.n; i++)
		n += !(L->s[i].flags & SUB_FAILED) && !strcmp(L->s[i].etag, etag);
	return n;
}

static void ready(const struct load *L)
{
	FILE *f;

	printf("ready\n");
	fflush(stdout);
	if (!L->o.ready_file)
		return;
	f = fopen(L->o.ready_file, "w");
	if (!f || fprintf(f, "ready %u\n", L->st.ok) < 0 || fclose(f))
		die("cannot write %s: %s", L->o.ready_file, strerror(errno));
}

static void wait_go(struct load *L)
{
	double t0 = now();

	while (L->o.go_file && access(L->o.go_file, F_OK) && !stop) {
		if (now() - t0 > 3600)
			die("no %s after an hour", L->o.go_file);
		(void)poll_once(L, 20, -1);
	}
}

/* Run the PUT and answer NOTIFYs until every live subscription has the
 * new etag, or --timeout seconds after the PUT ended. */
static bool fanout(struct load *L, unsigned live)
{
	struct child c;
	double quiet;

	L->fanout = true;
	L->st.rexmit_notify = 0;
	put_start(&c, L->o.put);
	while (!stop) {
		if (c.fd >= 0 && poll_once(L, 1, c.fd) && put_read(&c)) {
			put_etag(&c, L->want, sizeof(L->want));
			L->got = matching(L, L->want); /* from here on counted as they come */
		} else if (c.fd < 0) {
			(void)poll_once(L, 5, -1);
		}
		if (L->want[0] && (L->got >= live || now() - c.t_end > L->o.timeout))
			break;
	}
	/* answer retransmissions (our 200 lost) until the notifier is quiet */
	for (quiet = now(); now() - (L->t_rx > quiet ? L->t_rx : quiet) < L->o.settle && !stop;)
		(void)poll_once(L, 10, -1);
	return report_fanout(L, L->want, &c, live);
}

static void build_body(struct load *L)
{
	int n = snprintf(L->body, sizeof(L->body),
			 "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\r\n"
			 "<resource-lists xmlns=\"urn:ietf:params:xml:ns:resource-lists\">\r\n"
			 "<list><entry uri=\"%s\"/></list>\r\n"
			 "</resource-lists>\r\n",
			 L->o.uri);

	if (n < 0 || (size_t)n >= sizeof(L->body))
		die("--uri too long");
	L->body_len = (size_t)n;
}

int main(int argc, char **argv)
{
	static struct load L;
	struct rusage ru;
	double secs;
	unsigned live;
	int rc = 0;

	parse_opts(&L.o, argc, argv);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGPIPE, SIG_IGN);
	snprintf(L.prefix, sizeof(L.prefix), "sl%x%lx", (unsigned)getpid(), (long)time(NULL));
	L.s = calloc(L.o.n, sizeof(*L.s));
	if (!L.s)
		die("cannot hold %u subscriptions: out of memory", L.o.n);
	open_sockets(&L);
	build_body(&L);

	secs = phase(&L, 1);
	report_subscribe(&L, "subscribe", secs);
	live = L.st.ok;
	if (L.st.failed || stop)
		rc = 1;
	ready(&L);
	wait_go(&L);
	if (L.o.put && !stop && live && !fanout(&L, live))
		rc = 1;
	if (L.o.unsubscribe && !stop) {
		L.fanout = false;
		L.st.rexmit_notify = L.st.rexmit_resp = 0;
		secs = phase(&L, 2);
		report_subscribe(&L, "unsubscribe", secs);
		if (L.st.ok != live)
			rc = 1;
	}
	getrusage(RUSAGE_SELF, &ru);
	fprintf(stderr,
		"sipload: unparsed datagrams %u, unknown dialogs %u, send errors %u, "
		"terminated NOTIFYs %u, dropped at our sockets %lu, CPU %.2f s user %.2f s sys\n",
		L.st.bad, L.st.unknown, L.st.send_err, L.st.terminated, own_drops(&L),
		(double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6,
		(double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6);
	free(L.s);
	return stop ? 2 : rc;
}
