/* The SIP role: libre's stack and event loop on a thread of their own,
 * SUBSCRIBE dispatch, and committed changes fanned out to subscriptions. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <time.h>

#define LOG_MODULE "sip"
#include "core/log.h"
#include "core/mem.h"
#include "core/buf.h"
#include "http/auth.h"
#include "sip/server.h"
#include "sip/feed.h"
#include "sip/persist.h"
#include "sip/scope.h"
#include "sip/subscription.h"
#include "sip/patchmemo.h"
#include "store/store.h"

enum { MQ_STOP = 1, MQ_CHANGES = 2 };

/* Hash table sizes of libre's SIP stack (powers of two). Server
 * transactions live 32 s after their answer: a burst of 100,000 SUBSCRIBEs
 * keeps that many, so the table is wide. */
enum { HT_CLIENT = 1024, HT_SERVER = 16384, HT_CONN = 256 };
/* Most file descriptors libre's poller tracks (its table costs ~50 B each). */
enum { FD_MAX = 65536 };

struct sip_server {
	struct sip_server_conf conf;
	struct sip_policy policy;
	struct sip_notifier n;
	struct sip_feed *feed;
	pthread_t thread;
	bool thread_on;
	/* start-up handshake */
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int state; /* 0 starting, 1 running, -1 failed */
	char err[256];
	/* the SIP thread's */
	struct sip_lsnr *lsnr;
	struct mqueue *mq;
	struct tmr poll; /* other processes' commits (store_sync) */
	struct tls *tls; /* the TLS listener's certificate; NULL when none */
	struct tmr admin; /* stored subscriptions: restore, then ends marked by mcx sip end */
};

/* ---- requests ---- */

static struct sip_bytes hdr_of(const struct sip_msg *msg, enum sip_hdrid id)
{
	const struct sip_hdr *h = sip_msg_hdr(msg, id);
	struct sip_bytes b = {NULL, 0};

	if (h) {
		b.p = h->val.p ? h->val.p : "";
		b.l = h->val.l;
	}
	return b;
}

/* P-Asserted-Identity, only from a configured SIP core address. */
static const char *asserted(struct sip_server *s, const struct sip_msg *msg, char *buf, size_t len)
{
	const struct sip_hdr *h = sip_msg_hdr(msg, SIP_HDR_P_ASSERTED_IDENTITY);

	if (!h || !auth_peer_trusted(s->conf.trusted_proxies, &msg->src.u.sa))
		return NULL;
	if (h->val.l >= len)
		return NULL;
	memcpy(buf, h->val.p, h->val.l);
	buf[h->val.l] = '\0';
	return buf;
}

static void request_in(struct sip_server *s, const struct sip_msg *msg, char *pai, size_t pailen,
		       struct sip_subscribe_in *in)
{
	memset(in, 0, sizeof(*in));
	in->event = hdr_of(msg, SIP_HDR_EVENT);
	in->accept = hdr_of(msg, SIP_HDR_ACCEPT);
	in->expires = hdr_of(msg, SIP_HDR_EXPIRES);
	in->ctype = hdr_of(msg, SIP_HDR_CONTENT_TYPE);
	if (mbuf_get_left(msg->mb)) {
		in->body.p = (const char *)mbuf_buf(msg->mb);
		in->body.l = mbuf_get_left(msg->mb);
	}
	in->asserted = asserted(s, msg, pai, pailen);
	in->now = (int64_t)time(NULL);
}

/* Is the Request-URI ours (the configured domain, or any when unset)? */
static bool ruri_ok(struct sip_server *s, const struct sip_msg *msg)
{
	size_t n = strlen(s->conf.domain);

	struct sa host;

	if (!n || (msg->uri.host.l == n && !strncasecmp(msg->uri.host.p, s->conf.domain, n)))
		return true;
	/* or our own address, as a UE on a lab network without a SIP core sends it */
	return !sa_set(&host, &msg->uri.host, 0) && sa_cmp(&host, &msg->dst, SA_ADDR);
}

static void subscribe_new(struct sip_server *s, const struct sip_msg *msg)
{
	struct sip_subscribe_out out;
	struct sip_subscribe_in in;
	char pai[512];
	int err;

	if (!ruri_ok(s, msg)) {
		(void)sip_treply(NULL, s->n.sip, msg, 404, "Not Found");
		return;
	}
	if (s->n.nsubs >= s->conf.max_subscriptions) {
		(void)sip_treplyf(NULL, NULL, s->n.sip, msg, false, 503, "Service Unavailable",
				  "Retry-After: 60\r\nContent-Length: 0\r\n\r\n");
		return;
	}
	request_in(s, msg, pai, sizeof(pai), &in);
	sip_subscribe_new(&s->policy, &in, &out);
	log_info("SUBSCRIBE %.*s from %s: %d%s%s (%zu resources, %u left out)", (int)msg->callid.l,
		 msg->callid.p, out.who.xui[0] ? out.who.xui : "?", out.status,
		 out.why[0] ? " " : "", out.why, out.scope ? scope_count(out.scope) : 0,
		 out.refused);
	if (out.status != 200) {
		(void)sub_reply_refusal(s->n.sip, msg, &out);
		return;
	}
	err = sub_accept(&s->n, msg, &out);
	if (err)
		(void)sip_treply(NULL, s->n.sip, msg, err == EBADMSG ? 400 : 500,
				 err == EBADMSG ? "Missing or Unusable Contact"
						: "Server Internal Error");
	scope_free(out.scope);
}

static void subscribe_in_dialog(struct sip_server *s, const struct sip_msg *msg)
{
	struct sip_sub *sub = sub_find(&s->n, msg);
	struct sip_subscribe_out out;
	struct sip_subscribe_in in;
	struct sip_who cur;
	char pai[512];

	if (!sub) {
		(void)sip_treply(NULL, s->n.sip, msg, 481, "Subscription Does Not Exist");
		return;
	}
	request_in(s, msg, pai, sizeof(pai), &in);
	sub_who(sub, &cur);
	sip_subscribe_refresh(&s->policy, &in, &cur, &out);
	log_info("SUBSCRIBE %.*s (refresh, Expires %u): %d%s%s", (int)msg->callid.l, msg->callid.p,
		 out.expires, out.status, out.why[0] ? " " : "", out.why);
	if (out.status != 200)
		sub_refuse(sub, msg, &out);
	else
		sub_refresh(sub, msg, &out);
}

static bool on_request(const struct sip_msg *msg, void *arg)
{
	struct sip_server *s = arg;

	if (!pl_strcmp(&msg->met, "SUBSCRIBE")) {
		if (pl_isset(&msg->to.tag))
			subscribe_in_dialog(s, msg);
		else
			subscribe_new(s, msg);
	} else if (!pl_strcmp(&msg->met, "OPTIONS")) {
		(void)sip_treplyf(NULL, NULL, s->n.sip, msg, false, 200, "OK",
				  "Allow: SUBSCRIBE, OPTIONS\r\n"
				  "Allow-Events: " SIP_EVENT_PACKAGE "\r\n"
				  "Accept: multipart/mixed, application/resource-lists+xml\r\n"
				  "Content-Length: 0\r\n\r\n");
	} else if (pl_strcmp(&msg->met, "ACK")) {
		(void)sip_treplyf(NULL, NULL, s->n.sip, msg, false, 405, "Method Not Allowed",
				  "Allow: SUBSCRIBE, OPTIONS\r\nContent-Length: 0\r\n\r\n");
	}
	return true;
}

/* ---- changes ---- */

static void changes(struct sip_server *s)
{
	struct sip_change *list, *c;
	struct le *le;
	bool lost;

	list = feed_take(s->feed, &lost);
	for (c = list; c; c = c->next) {
		for (le = list_head(&s->n.subs); le;) {
			struct sip_sub *sub = le->data;

			le = le->next; /* sub may end while it is given the change */
			sub_change(sub, c);
		}
	}
	feed_free_list(list);
	if (!lost)
		return;
	for (le = list_head(&s->n.subs); le;) {
		struct sip_sub *sub = le->data;

		le = le->next;
		sub_resync(sub);
	}
}

/* Commits of other processes on the data directory (the mcx tool, another
 * mcxd) reach the store's listeners, and so the feed, when someone reads;
 * this makes sure someone does, every sip-poll-ms. */
static void on_poll(void *arg)
{
	struct sip_server *s = arg;

	store_sync(s->policy.store);
	tmr_start(&s->poll, s->conf.poll_ms, on_poll, s);
}

/* ---- stored subscriptions ---- */

struct restore_count {
	struct sip_server *s;
	int64_t now;
	unsigned n[SUB_RESTORE_FAILED + 1];
};

static int restore_one(const struct store_sub *row, void *arg)
{
	struct restore_count *c = arg;

	c->n[sub_restore(&c->s->n, row->id, row->data, row->len, row->flags, c->now)]++;
	return 0;
}

/* The subscriptions of the previous run: each notified again, or ended. */
static void restore(struct sip_server *s)
{
	struct restore_count c;
	enum mcx_err err;

	memset(&c, 0, sizeof(c));
	c.s = s;
	c.now = (int64_t)time(NULL);
	err = store_sub_list(s->policy.store, false, restore_one, &c);
	if (err)
		log_err("cannot read the stored subscriptions: %s", mcx_strerror(err));
	log_info("stored subscriptions: %u restored, %u restored to be ended, %u expired, "
		 "%u unusable, %u failed",
		 c.n[SUB_RESTORE_OK], c.n[SUB_RESTORE_ENDED], c.n[SUB_RESTORE_EXPIRED],
		 c.n[SUB_RESTORE_BAD], c.n[SUB_RESTORE_FAILED]);
}

static int end_marked(const struct store_sub *row, void *arg)
{
	struct sip_server *s = arg;
	const char *reason = persist_reason_name(row->flags);
	enum mcx_err err;

	if (sub_end_by_id(&s->n, row->id, reason ? reason : "deactivated"))
		return 0;
	/* a mark for no live subscription: it ended meanwhile */
	err = store_sub_del(s->policy.store, row->id);
	if (err && err != MCX_ENOENT)
		log_warn("cannot delete stored subscription %s: %s", row->id, mcx_strerror(err));
	return 0;
}

/* Rows marked by `mcx sip end`, every sip-admin-poll-ms. */
static void on_admin(void *arg)
{
	struct sip_server *s = arg;
	enum mcx_err err = store_sub_list(s->policy.store, true, end_marked, s);

	if (err)
		log_warn("cannot read the subscriptions marked to end: %s", mcx_strerror(err));
	tmr_start(&s->admin, s->conf.admin_poll_ms, on_admin, s);
}

/* First thing in the loop, so the start handshake does not wait for it. */
static void on_loop_start(void *arg)
{
	struct sip_server *s = arg;

	restore(s);
	if (s->conf.admin_poll_ms)
		tmr_start(&s->admin, s->conf.admin_poll_ms, on_admin, s);
}

static void on_mqueue(int id, void *data, void *arg)
{
	(void)data;
	if (id == MQ_STOP)
		re_cancel();
	else if (id == MQ_CHANGES)
		changes(arg);
}

/* On a committing thread, under the feed's lock. */
static void wake(void *arg)
{
	struct sip_server *s = arg;

	if (mqueue_push(s->mq, MQ_CHANGES, NULL))
		log_err("cannot wake the SIP thread: changes wait for the next one");
}

/* ---- the thread ---- */


/* SIP over TLS on sip-tls-listen with the configured certificate and key. */
static int add_tls(struct sip_server *s)
{
	struct mcx_buf cert, key;
	struct sa laddr;
	int err;

	err = sa_decode(&laddr, s->conf.tls_listen, strlen(s->conf.tls_listen));
	if (err) {
		snprintf(s->err, sizeof(s->err), "sip-tls-listen: '%s' is not address:port",
			 s->conf.tls_listen);
		return err;
	}
	buf_init(&cert, SIP_PEM_MAX);
	buf_init(&key, SIP_PEM_MAX);
	if (buf_add_file(&cert, s->conf.tls_cert) || !cert.len) {
		snprintf(s->err, sizeof(s->err), "SIP TLS certificate %s: cannot read it",
			 s->conf.tls_cert);
		err = EINVAL;
	} else if (buf_add_file(&key, s->conf.tls_key) || !key.len) {
		snprintf(s->err, sizeof(s->err), "SIP TLS key %s: cannot read it", s->conf.tls_key);
		err = EINVAL;
	}
	if (!err)
		err = tls_alloc(&s->tls, TLS_METHOD_SSLV23, NULL, NULL);
	if (!err) {
		err = tls_set_certificate_pem(s->tls, cert.p, cert.len, key.p, key.len);
		if (err)
			snprintf(s->err, sizeof(s->err),
				 "SIP TLS: %s and %s are not a matching PEM certificate and key",
				 s->conf.tls_cert, s->conf.tls_key);
	}
	if (!err) {
		err = sip_transp_add(s->n.sip, SIP_TRANSP_TLS, &laddr, s->tls);
		if (err)
			snprintf(s->err, sizeof(s->err), "cannot listen on %s (TLS): %s",
				 s->conf.tls_listen, strerror(err));
	}
	buf_reset(&cert);
	buf_reset(&key);
	return err;
}

/* A large receive buffer for our UDP socket: a fan-out's answers come back
 * while the thread is busy sending, and the kernel's default (~208 KiB,
 * ~150 datagrams) drops them, which costs retransmissions. libre does not
 * expose the socket: it is found by its address. SO_RCVBUFFORCE needs
 * CAP_NET_ADMIN; without it SO_RCVBUF is capped by net.core.rmem_max. */
static void udp_rcvbuf(const struct sa *laddr)
{
	int fd, size = SIP_UDP_RCVBUF, type;
	struct sa a;
	socklen_t len;

	for (fd = 3; fd < 1024; fd++) {
		len = sizeof(type);
		if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) || type != SOCK_DGRAM)
			continue;
		sa_init(&a, AF_UNSPEC);
		a.len = sizeof(a.u);
		if (getsockname(fd, &a.u.sa, &a.len) || !sa_cmp(&a, laddr, SA_ALL))
			continue;
		if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)) &&
		    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size)))
			log_debug("cannot enlarge the SIP UDP receive buffer: %s", strerror(errno));
		return;
	}
}

static int add_transports(struct sip_server *s)
{
	struct sa laddr;
	int err;

	err = sa_decode(&laddr, s->conf.listen, strlen(s->conf.listen));
	if (err) {
		snprintf(s->err, sizeof(s->err), "sip-listen: '%s' is not address:port",
			 s->conf.listen);
		return err;
	}
	if (strstr(s->conf.transports, "udp")) {
		err = sip_transp_add(s->n.sip, SIP_TRANSP_UDP, &laddr);
		if (err)
			goto fail;
		udp_rcvbuf(&laddr);
	}
	if (strstr(s->conf.transports, "tcp")) {
		err = sip_transp_add(s->n.sip, SIP_TRANSP_TCP, &laddr);
		if (err)
			goto fail;
	}
	return s->conf.tls_listen && *s->conf.tls_listen ? add_tls(s) : 0;
fail:
	snprintf(s->err, sizeof(s->err), "cannot listen on %s: %s", s->conf.listen, strerror(err));
	return err;
}

/* Every libre object of the thread; s->err says what failed. */
static int setup(struct sip_server *s)
{
	struct rlimit rl;
	int err;

	err = libre_init();
	if (err) {
		snprintf(s->err, sizeof(s->err), "libre_init: %s", strerror(err));
		return err;
	}
	dbg_init(DBG_INFO, DBG_NONE);
	dbg_handler_set(sip_re_log, NULL); /* not stderr */
	/* libre polls fds by number (fd < maxfds): room for the descriptors the
	 * whole process may hold (HTTP connections, the store), up to FD_MAX */
	(void)fd_setsize(getrlimit(RLIMIT_NOFILE, &rl) || rl.rlim_cur < 1024 ? 1024
			 : rl.rlim_cur > FD_MAX				     ? FD_MAX
									     : (int)rl.rlim_cur);
	err = sip_alloc(&s->n.sip, NULL, HT_CLIENT, HT_SERVER, HT_CONN, "mcxd " MCX_VERSION, NULL,
			NULL);
	if (!err)
		err = sub_notifier_init(&s->n);
	if (!err)
		err = add_transports(s);
	if (!err)
		err = sip_listen(&s->lsnr, s->n.sip, true, on_request, s);
	if (!err)
		err = mqueue_alloc(&s->mq, on_mqueue, s);
	if (err && !s->err[0])
		snprintf(s->err, sizeof(s->err), "cannot set the SIP stack up: %s", strerror(err));
	return err;
}

static void teardown(struct sip_server *s)
{
	struct le *le;

	tmr_cancel(&s->poll);
	tmr_cancel(&s->admin);
	if (s->feed)
		feed_stop(s->feed);
	patch_memo_free(s->n.memo);
	s->n.memo = NULL;
	s->n.max_inflight = 0; /* what drops out of flight starts nothing more */
	for (le = list_head(&s->n.subs); le;) {
		struct sip_sub *sub = le->data;

		le = le->next;
		sub_drop(sub);
	}
	sub_notifier_close(&s->n);
	s->lsnr = mem_deref(s->lsnr);
	if (s->n.sip)
		sip_close(s->n.sip, true);
	s->n.sip = mem_deref(s->n.sip);
	s->tls = mem_deref(s->tls);
	s->mq = mem_deref(s->mq);
	dbg_handler_set(NULL, NULL);
	libre_close();
}

static void started(struct sip_server *s, int state)
{
	pthread_mutex_lock(&s->lock);
	s->state = state;
	pthread_cond_signal(&s->cond);
	pthread_mutex_unlock(&s->lock);
}

static void *thread_main(void *arg)
{
	struct sip_server *s = arg;
	int err;

	err = setup(s);
	if (!err)
		feed_start(s->feed, wake, s);
	tmr_init(&s->poll);
	tmr_init(&s->admin);
	if (!err)
		tmr_start(&s->admin, 0, on_loop_start, s);
	if (!err && s->conf.poll_ms)
		tmr_start(&s->poll, s->conf.poll_ms, on_poll, s);
	started(s, err ? -1 : 1);
	if (!err)
		err = re_main(NULL);
	if (err && s->state == 1)
		log_err("the SIP event loop stopped: %s", strerror(err));
	teardown(s);
	return NULL;
}

/* ---- start, stop ---- */

static void policy_init(struct sip_server *s, struct xcap_handler *h, struct mcx_store *st,
			const struct auth_conf *auth)
{
	const struct sip_server_conf *c = &s->conf;

	s->policy.h = h;
	s->policy.auth = auth;
	s->policy.store = st;
	s->policy.min_expires = c->min_expires;
	s->policy.max_expires = c->max_expires;
	s->policy.default_expires = c->default_expires;
	s->policy.max_body = c->max_body;
	s->policy.max_entries = c->max_entries;
	s->n.policy = &s->policy;
	s->n.xcap_root = c->xcap_root;
	s->n.contact_user = c->contact_user ? c->contact_user : "cms";
	s->n.retries = c->notify_retries;
	s->n.max_pending = c->max_pending;
	s->n.interval_ms = c->notify_interval_ms;
	s->n.max_patch = c->max_patch;
	s->n.max_inflight = c->max_inflight;
	s->n.max_unanswered = c->max_unanswered;
	list_init(&s->n.subs);
}

enum mcx_err sip_server_start(struct sip_server **sp, const struct sip_server_conf *c,
			      struct xcap_handler *h, struct mcx_store *st,
			      const struct auth_conf *auth, char *errbuf, size_t errlen)
{
	struct sip_server *s = mcx_calloc(1, sizeof(*s));
	enum mcx_err err;

	if (!s)
		return MCX_ENOMEM;
	s->conf = *c;
	pthread_mutex_init(&s->lock, NULL);
	pthread_cond_init(&s->cond, NULL);
	policy_init(s, h, st, auth);
	err = feed_open(&s->feed, st, c->queue_max);
	if (err) {
		snprintf(errbuf, errlen, "cannot follow the store's changes: %s",
			 mcx_strerror(err));
		goto fail;
	}
	if (pthread_create(&s->thread, NULL, thread_main, s)) {
		snprintf(errbuf, errlen, "cannot start the SIP thread");
		err = MCX_EINTERNAL;
		goto fail;
	}
	s->thread_on = true;
	pthread_mutex_lock(&s->lock);
	while (!s->state)
		pthread_cond_wait(&s->cond, &s->lock);
	pthread_mutex_unlock(&s->lock);
	if (s->state < 0) {
		snprintf(errbuf, errlen, "%s", s->err);
		err = MCX_EIO;
		goto fail;
	}
	log_info("SIP notifier on %s (%s): SUBSCRIBE with Event: " SIP_EVENT_PACKAGE, c->listen,
		 c->transports);
	*sp = s;
	return MCX_OK;
fail:
	sip_server_stop(s);
	return err;
}

void sip_server_stop(struct sip_server *s)
{
	if (!s)
		return;
	if (s->thread_on) {
		if (s->state > 0 && mqueue_push(s->mq, MQ_STOP, NULL))
			log_err("cannot stop the SIP thread");
		pthread_join(s->thread, NULL);
	}
	pthread_mutex_destroy(&s->lock);
	pthread_cond_destroy(&s->cond);
	mcx_free(s);
}
