/* The client's xcap-diff subscription on libre (docs/cmc.md "Subscription"):
 * SUBSCRIBE with the TS 24.484 A.2.2 multipart body (access token + resource
 * list), refresh before the granted expiry, NOTIFY → 200 then the body to
 * cmc.c, a fresh token carried by an in-dialog refresh, and a new
 * subscription with backoff after any failure (481, no answer, a terminated
 * NOTIFY). libre's sipevent subscriber is not used: it sends SUBSCRIBEs
 * without a body, and ours carry the token every time. Over UDP, TCP or
 * TLS; on a connection, an OPTIONS first tells us the connection's address
 * for the Contact, and libre's keepalive tells us when it is lost.
 *
 *   CMC                                  mcxd
 *    | OPTIONS (TCP/TLS only) ---------->  |  opens the connection
 *    |  <-------------------- 200          |  its local address -> Contact
 *    | SUBSCRIBE (token + list) -------->  |
 *    |  <-------------------- 200 Expires  |  refresh timer at 90 %
 *    |  <---------- NOTIFY full state      |  etags: KEEP or FETCH
 *    | 200 ------------------------------> |
 *    |  <---------- NOTIFY patch           |  patch, verify new-etag
 *    | SUBSCRIBE (refresh, new token) ---> |  token timer at exp - margin
 *    |  <-------------------- 481          |  server restarted: new dialog
 *    |  (connection closed) ..........     |  TCP/TLS: new subscription at once
 *
 * Everything here runs on the thread of mcx_cmc_run(). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define LOG_MODULE "cmc"
#include "core/log.h"
#include "cmc/cmc_int.h"
#include "cmc/backoff.h"
#include "cmc/tlsverify.h"
/* re_tls.h declares tls_openssl_context() only with USE_OPENSSL (Debian's
 * libre is built with OpenSSL) */
#define USE_OPENSSL 1
#include "sip/libre.h"

#define BOUNDARY "mcx-cmc-b0undary"
#define POLL_MS 100
#define UNSUB_WAIT_MS 2000
#define ICSI "urn:urn-7:3gpp-service.ims.icsi.mcptt"

struct cmc_sip {
	struct mcx_cmc *c;
	struct sip *sip;
	struct sip_lsnr *lsnr;
	struct sip_dialog *dlg;
	struct sip_request *req;
	struct sip_request *unsub;     /* unsubscribing a dialog given up */
	struct tls *tls;               /* SIP over TLS: the client context */
	struct sip_keepalive *ka;      /* TCP/TLS: tells when the connection is lost */
	struct sip_request *probe;     /* TCP/TLS: the OPTIONS that opens the connection */
	struct sip_dialog *pdlg;       /* its throwaway dialog */
	struct sa conn_laddr;          /* TCP/TLS: the connection's local address */
	bool have_laddr;
	enum sip_transp tp;
	struct tmr t_refresh, t_retry, t_token, t_poll;
	char route[300];
	char req_uri[CMC_INIT_MAX_STR];
	char from[600];
	uint32_t expires;
	unsigned attempt;
	bool established;
	bool closing;
	enum mcx_err err;
};

static struct mcx_cmc *volatile sig_client;

static void on_signal(int sig)
{
	(void)sig;
	if (sig_client)
		sig_client->stop = 1;
}

/* The Contact: over TCP/TLS the connection's own address, so the notifier
 * sends its NOTIFYs back on our connection (docs/sip.md "TLS"); libre 1.1.0
 * would name its listening socket, which nobody can reach through a NAT and
 * which has no certificate. */
static int send_contact(enum sip_transp tp, const struct sa *src, const struct sa *dst,
			struct mbuf *mb, void *arg)
{
	const struct cmc_sip *s = arg;

	(void)dst;
	if (tp != SIP_TRANSP_UDP && s->have_laddr)
		src = &s->conn_laddr;
	return mbuf_printf(mb, "Contact: <sip:cmc@%J%s>;+g.3gpp.icsi-ref=\"%s\"\r\n", src,
			   sip_transp_param(tp), "urn%3Aurn-7%3A3gpp-service.ims.icsi.mcptt");
}

static void resp_handler(int err, const struct sip_msg *msg, void *arg);
static void subscribe_new(struct cmc_sip *s);

/* The A.2.2 body: mcptt-info with the token, then the resource list. */
static enum mcx_err body_build(struct cmc_sip *s, struct mcx_buf *b)
{
	enum mcx_err err;

	err = buf_adds(b, "--" BOUNDARY "\r\n"
			  "Content-Type: application/vnd.3gpp.mcptt-info+xml\r\n\r\n"
			  "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\r\n"
			  "<mcpttinfo xmlns=\"urn:3gpp:ns:mcpttInfo:1.0\"><mcptt-Params>"
			  "<mcptt-access-token type=\"Normal\"><mcpttString>");
	if (!err)
		err = buf_add_xml(b, s->c->tok.access, strlen(s->c->tok.access));
	if (!err)
		err = buf_adds(b, "</mcpttString></mcptt-access-token>"
				  "<mcptt-client-id type=\"Normal\"><mcpttString>");
	if (!err)
		err = buf_add_xml(b, s->c->conf.client_id, strlen(s->c->conf.client_id));
	if (!err)
		err = buf_adds(b, "</mcpttString></mcptt-client-id></mcptt-Params></mcpttinfo>\r\n"
				  "--" BOUNDARY "\r\n"
				  "Content-Type: application/resource-lists+xml\r\n\r\n");
	if (!err)
		err = cmc_resource_list(s->c, b);
	if (!err)
		err = buf_adds(b, "--" BOUNDARY "--\r\n");
	return err;
}

static void unsub_handler(int err, const struct sip_msg *msg, void *arg)
{
	(void)err;
	(void)msg;
	(void)arg;
}

/* Send a SUBSCRIBE in s->dlg (new or established). expires 0 = unsubscribe. */
static int send_subscribe_x(struct cmc_sip *s, uint32_t expires, struct sip_request **reqp,
			    sip_resp_h *resph)
{
	struct mcx_buf b;
	int err;

	buf_init(&b, 256 * 1024);
	if (body_build(s, &b)) {
		buf_reset(&b);
		return ENOMEM;
	}
	err = sip_drequestf(reqp, s->sip, true, "SUBSCRIBE", s->dlg, 0, NULL, send_contact,
			    resph, s,
			    "Event: xcap-diff;diff-processing=xcap-patching\r\n"
			    "Accept: application/xcap-diff+xml\r\n"
			    "Expires: %u\r\n"
			    "P-Preferred-Service: " ICSI "\r\n"
			    "Content-Type: multipart/mixed;boundary=\"" BOUNDARY "\"\r\n"
			    "Content-Length: %zu\r\n"
			    "\r\n"
			    "%b",
			    expires, b.len, b.p, b.len);
	buf_reset(&b);
	return err;
}

static int send_subscribe(struct cmc_sip *s, uint32_t expires)
{
	return send_subscribe_x(s, expires, &s->req, resp_handler);
}

static void retry_handler(void *arg)
{
	subscribe_new(arg);
}

/* Something failed: a new subscription after the backoff delay. */
static void schedule_retry(struct cmc_sip *s, const char *why)
{
	double rnd = (double)(rand_u32() % 1000) / 1000.0;
	uint32_t ms = cmc_backoff_ms(s->attempt++, s->c->conf.backoff_min_ms,
				     s->c->conf.backoff_max_ms, rnd);

	s->established = false;
	s->dlg = mem_deref(s->dlg);
	s->ka = mem_deref(s->ka);
	tmr_cancel(&s->t_refresh);
	cmc_emit(s->c, MCX_CMC_EV_RETRY, NULL, NULL, "resubscribe", why, ms);
	tmr_start(&s->t_retry, ms, retry_handler, s);
}

static void subscribe_send(struct cmc_sip *s)
{
	const char *routev[1] = {s->route};
	int err;

	s->dlg = mem_deref(s->dlg);
	s->established = false;
	s->c->scope_changed = false;
	err = sip_dialog_alloc(&s->dlg, s->req_uri, s->req_uri, NULL, s->from, routev, 1);
	if (!err)
		err = send_subscribe(s, s->expires);
	if (err) {
		char why[200];

		snprintf(why, sizeof(why), "SUBSCRIBE: cannot send to %s over %s: %s",
			 s->c->conf.sip_server, sip_transp_name(s->tp), strerror(err));
		schedule_retry(s, why);
	}
}

/* The OPTIONS answer came on the connection: its local address is what
 * our Contact names; the SUBSCRIBE follows on the same connection. */
static void probe_handler(int err, const struct sip_msg *msg, void *arg)
{
	struct cmc_sip *s = arg;
	char why[300];

	if (s->closing)
		return;
	if (!err && msg->scode < 200)
		return;
	s->pdlg = mem_deref(s->pdlg);
	if (err) {
		const char *tls = s->tp == SIP_TRANSP_TLS ? cmc_tls_last_error() : "";

		snprintf(why, sizeof(why), "SIP: no answer from %s over %s: %s%s%s",
			 s->c->conf.sip_server, sip_transp_name(s->tp), strerror(err),
			 tls[0] ? "; " : "", tls);
		schedule_retry(s, why);
		return;
	}
	s->conn_laddr = msg->dst;
	s->have_laddr = true;
	if (mcx_log_level_cur >= MCX_LOG_DEBUG) {
		char a[64];

		if (!sa_ntop(&msg->dst, a, sizeof(a)))
			log_debug("SIP: %s connection from %s port %u", sip_transp_name(s->tp), a,
				  sa_port(&msg->dst));
	}
	subscribe_send(s);
}

static void subscribe_new(struct cmc_sip *s)
{
	const char *routev[1] = {s->route};
	int err;

	if (s->closing)
		return;
	if (s->req || s->probe) { /* wait for the request in flight */
		tmr_start(&s->t_retry, 200, retry_handler, s);
		return;
	}
	if (cmc_token_ensure(s->c, false)) {
		schedule_retry(s, s->c->errmsg);
		return;
	}
	if (s->tp == SIP_TRANSP_UDP) {
		subscribe_send(s);
		return;
	}
	/* connection first: learn its local address for the Contact */
	s->have_laddr = false;
	s->pdlg = mem_deref(s->pdlg);
	err = sip_dialog_alloc(&s->pdlg, s->req_uri, s->req_uri, NULL, s->from, routev, 1);
	if (!err)
		err = sip_drequestf(&s->probe, s->sip, true, "OPTIONS", s->pdlg, 0, NULL, NULL,
				    probe_handler, s, "Content-Length: 0\r\n\r\n");
	if (err) {
		char why[200];

		snprintf(why, sizeof(why), "SIP: cannot connect to %s over %s: %s",
			 s->c->conf.sip_server, sip_transp_name(s->tp), strerror(err));
		schedule_retry(s, why);
	}
}

static void refresh_handler(void *arg)
{
	struct cmc_sip *s = arg;

	if (s->closing)
		return;
	if (s->req || !s->established || cmc_token_ensure(s->c, false)) {
		tmr_start(&s->t_refresh, 1000, refresh_handler, s);
		return;
	}
	if (send_subscribe(s, s->expires))
		schedule_retry(s, "SUBSCRIBE refresh: cannot send");
}

static void token_timer_start(struct cmc_sip *s);

/* Before the access token expires: a new one, carried by a refresh so the
 * notifier does not end the subscription at the old token's exp. */
static void token_handler(void *arg)
{
	struct cmc_sip *s = arg;

	if (s->closing)
		return;
	if (cmc_token_ensure(s->c, true)) {
		uint32_t ms = cmc_backoff_ms(2, s->c->conf.backoff_min_ms,
					     s->c->conf.backoff_max_ms, 0);

		cmc_emit(s->c, MCX_CMC_EV_RETRY, NULL, NULL, "token-refresh", s->c->errmsg, ms);
		tmr_start(&s->t_token, ms, token_handler, s);
		return;
	}
	token_timer_start(s);
	if (s->established && !s->req)
		refresh_handler(s);
}

static void token_timer_start(struct cmc_sip *s)
{
	long long now = (long long)time(NULL);
	long long at = s->c->tok.exp - cmc_token_margin(s->c);

	tmr_start(&s->t_token, at > now ? (uint64_t)(at - now) * 1000 : 1000, token_handler, s);
}

static void warning_of(const struct sip_msg *msg, char *out, size_t outlen)
{
	const struct sip_hdr *w = sip_msg_hdr(msg, SIP_HDR_WARNING);

	if (w)
		snprintf(out, outlen, "; %.*s", (int)w->val.l, w->val.p);
	else
		out[0] = '\0';
}

/* TCP/TLS: the connection the subscription lives on is gone (the server
 * closed it, or the keepalive pings went unanswered): NOTIFYs cannot reach
 * us any more, so subscribe anew at once rather than at the next refresh. */
static void ka_handler(int err, void *arg)
{
	struct cmc_sip *s = arg;
	char why[300];

	/* libre has freed the keepalive and cleared s->ka */
	if (s->closing || s->req || s->probe)
		return; /* a request in flight gets its own answer or error */
	snprintf(why, sizeof(why), "SIP: the %s connection to %s was lost: %s",
		 sip_transp_name(s->tp), s->c->conf.sip_server,
		 err ? strerror(err) : "closed");
	s->attempt = 0;
	schedule_retry(s, why);
}

static void resp_handler(int err, const struct sip_msg *msg, void *arg)
{
	struct cmc_sip *s = arg;
	char why[600], warn[300];
	uint32_t granted;

	if (s->closing) {
		re_cancel();
		return;
	}
	if (err) {
		const char *tls = s->tp == SIP_TRANSP_TLS ? cmc_tls_last_error() : "";

		snprintf(why, sizeof(why), "SUBSCRIBE: no answer from %s over %s: %s%s%s",
			 s->c->conf.sip_server, sip_transp_name(s->tp), strerror(err),
			 tls[0] ? "; " : "", tls);
		schedule_retry(s, why);
		return;
	}
	if (msg->scode < 200)
		return;
	warning_of(msg, warn, sizeof(warn));
	if (msg->scode < 300) {
		int e = s->established ? sip_dialog_update(s->dlg, msg)
				       : sip_dialog_create(s->dlg, msg);

		if (e && !s->established) {
			schedule_retry(s, "SUBSCRIBE: the 200 does not make a dialog");
			return;
		}
		s->established = true;
		s->attempt = 0;
		if (s->tp != SIP_TRANSP_UDP) {
			s->ka = mem_deref(s->ka);
			e = sip_keepalive_start(&s->ka, s->sip, msg, 0, ka_handler, s);
			if (e)
				log_warn("SIP: no keepalive on the %s connection: %s",
					 sip_transp_name(s->tp), strerror(e));
		}
		granted = pl_isset(&msg->expires) ? pl_u32(&msg->expires) : s->expires;
		if (!granted)
			granted = 1;
		tmr_start(&s->t_refresh, (uint64_t)granted * 900, refresh_handler, s);
		snprintf(why, sizeof(why), "Expires %u", granted);
		cmc_emit(s->c, MCX_CMC_EV_SUBSCRIBED, NULL, NULL, "subscribed", why, 0);
		return;
	}
	if (msg->scode == 423) {
		const struct sip_hdr *me = sip_msg_hdr(msg, SIP_HDR_MIN_EXPIRES);

		if (me && pl_u32(&me->val) > s->expires) {
			s->expires = pl_u32(&me->val);
			if (!send_subscribe(s, s->expires))
				return;
		}
	}
	snprintf(why, sizeof(why), "SUBSCRIBE: %s answered %u %.*s%s", s->c->conf.sip_server,
		 msg->scode, (int)msg->reason.l, msg->reason.p, warn);
	if (msg->scode == 481) {
		/* the notifier lost the dialog (restart): subscribe again now */
		s->attempt = 0;
	} else if (msg->scode == 403 && cmc_token_ensure(s->c, true)) {
		cmc_emit(s->c, MCX_CMC_EV_ERROR, NULL, NULL, "token", s->c->errmsg, 0);
	}
	schedule_retry(s, why);
}

static bool is_ours(const struct cmc_sip *s, const struct sip_msg *msg)
{
	return s->dlg && sip_dialog_cmp_half(s->dlg, msg);
}

static bool on_request(const struct sip_msg *msg, void *arg)
{
	struct cmc_sip *s = arg;
	const struct sip_hdr *h;
	struct sipevent_substate ss;
	bool terminated = false;

	if (pl_strcmp(&msg->met, "NOTIFY")) {
		(void)sip_treply(NULL, s->sip, msg, 405, "Method Not Allowed");
		return true;
	}
	if (!is_ours(s, msg)) {
		(void)sip_treply(NULL, s->sip, msg, 481, "Subscription Does Not Exist");
		return true;
	}
	if (!s->established)
		return true; /* before our 200 came: its retransmission will find the dialog */
	(void)sip_treply(NULL, s->sip, msg, 200, "OK");
	h = sip_msg_hdr(msg, SIP_HDR_SUBSCRIPTION_STATE);
	if (h && !sipevent_substate_decode(&ss, &h->val))
		terminated = ss.state == SIPEVENT_TERMINATED;
	if (mbuf_get_left(msg->mb) && msg->ctyp.type.l &&
	    !pl_strcasecmp(&msg->ctyp.subtype, "xcap-diff+xml"))
		cmc_on_notify_body(s->c, (const char *)mbuf_buf(msg->mb), mbuf_get_left(msg->mb));
	if (terminated) {
		char why[200];

		snprintf(why, sizeof(why), "the notifier ended the subscription (%s)",
			 sipevent_reason_name(ss.reason));
		if (ss.reason == SIPEVENT_DEACTIVATED) {
			/* RFC 6665: retry at once — with a new token */
			if (cmc_token_ensure(s->c, true))
				log_warn("%s", s->c->errmsg);
			s->attempt = 0;
		}
		schedule_retry(s, why);
	} else if (s->c->scope_changed && !s->req) {
		/* the group set changed; a refresh cannot change the list */
		s->unsub = mem_deref(s->unsub);
		(void)send_subscribe_x(s, 0, &s->unsub, unsub_handler);
		s->attempt = 0;
		schedule_retry(s, "the documents followed changed");
	}
	return true;
}

static void give_up(void *arg)
{
	(void)arg;
	re_cancel();
}

static void poll_handler(void *arg)
{
	struct cmc_sip *s = arg;

	if (!s->c->stop) {
		tmr_start(&s->t_poll, POLL_MS, poll_handler, s);
		return;
	}
	s->closing = true;
	tmr_cancel(&s->t_refresh);
	tmr_cancel(&s->t_retry);
	tmr_cancel(&s->t_token);
	if (s->established && !s->req && !send_subscribe(s, 0)) {
		/* wait for the 200 of the unsubscribe, but not for ever */
		tmr_start(&s->t_poll, UNSUB_WAIT_MS, give_up, NULL);
		return;
	}
	re_cancel();
}

static int local_addr(struct cmc_sip *s, const struct sa *dst, struct sa *laddr)
{
	int err;

	if (s->c->conf.sip_local)
		return sa_decode(laddr, s->c->conf.sip_local, strlen(s->c->conf.sip_local));
	if (sa_is_loopback(dst))
		return sa_set_str(laddr, "127.0.0.1", 0);
	err = net_default_source_addr_get(sa_af(dst), laddr);
	sa_set_port(laddr, 0);
	return err;
}

static void trace(bool tx, enum sip_transp tp, const struct sa *src, const struct sa *dst,
		  const uint8_t *pkt, size_t len, void *arg)
{
	(void)tp;
	(void)src;
	(void)dst;
	(void)arg;
	log_debug("SIP %s\n%.*s", tx ? "sent" : "received", (int)len, (const char *)pkt);
}

/* SIP over TLS: a client context; unless -k, the server's certificate is
 * checked (libre alone would take any). */
static int tls_setup(struct cmc_sip *s, const struct sa *dst)
{
	struct mcx_cmc *c = s->c;
	char host[64];
	int err = tls_alloc(&s->tls, TLS_METHOD_SSLV23, NULL, NULL);

	if (err) {
		snprintf(c->errmsg, sizeof(c->errmsg), "SIP TLS: cannot make a context: %s",
			 strerror(err));
		return err;
	}
	if (c->conf.insecure)
		return 0;
	if (sa_ntop(dst, host, sizeof(host)))
		host[0] = '\0';
	if (cmc_tls_verify_setup(tls_openssl_context(s->tls), c->conf.cacert, host, c->errmsg,
				 sizeof(c->errmsg)))
		return EINVAL;
	return 0;
}

static int setup(struct cmc_sip *s)
{
	static const enum sip_transp tps[] = {SIP_TRANSP_UDP, SIP_TRANSP_TCP, SIP_TRANSP_TLS};
	struct mcx_cmc *c = s->c;
	const char *srv = c->conf.sip_server;
	struct sa laddr, dst;
	int err;

	s->tp = tps[c->conf.sip_transport <= MCX_CMC_SIP_TLS ? c->conf.sip_transport : 0];
	/* the next hop's URI names the transport (RFC 3263 without DNS) */
	snprintf(s->route, sizeof(s->route), "sip:%s%s", srv, sip_transp_param(s->tp));
	snprintf(s->req_uri, sizeof(s->req_uri), "%s",
		 c->ic.cms_uri[0] ? c->ic.cms_uri : "sip:cms@invalid");
	snprintf(s->from, sizeof(s->from), "%s", c->user);
	s->expires = c->conf.expires;
	err = sa_decode(&dst, srv, strlen(srv));
	if (!err)
		err = local_addr(s, &dst, &laddr);
	if (err) {
		snprintf(c->errmsg, sizeof(c->errmsg), "SIP: '%s' is not host:port (%s)",
			 c->conf.sip_local ? c->conf.sip_local : c->conf.sip_server, strerror(err));
		return err;
	}
	if (s->tp == SIP_TRANSP_TLS) {
		err = tls_setup(s, &dst);
		if (err)
			return err;
	}
	err = sip_alloc(&s->sip, NULL, 16, 16, 4, "mcx-cmc " MCX_VERSION, NULL, NULL);
	if (!err)
		err = sip_transp_add(s->sip, s->tp, &laddr, s->tls);
	if (!err && mcx_log_level_cur >= MCX_LOG_DEBUG)
		sip_set_trace_handler(s->sip, trace);
	if (!err)
		err = sip_listen(&s->lsnr, s->sip, true, on_request, s);
	if (err)
		snprintf(c->errmsg, sizeof(c->errmsg), "SIP: cannot set the stack up: %s",
			 strerror(err));
	return err;
}

enum mcx_err cmc_sip_run(struct mcx_cmc *c, bool stop_on_signal)
{
	struct cmc_sip s;
	int err;

	memset(&s, 0, sizeof(s));
	s.c = c;
	tmr_init(&s.t_refresh);
	tmr_init(&s.t_retry);
	tmr_init(&s.t_token);
	tmr_init(&s.t_poll);
	err = libre_init();
	if (err) {
		snprintf(c->errmsg, sizeof(c->errmsg), "libre_init: %s", strerror(err));
		return MCX_EIO;
	}
	dbg_init(DBG_INFO, DBG_NONE);
	dbg_handler_set(sip_re_log, NULL);
	err = setup(&s);
	if (!err) {
		c->sip = &s;
		sig_client = c;
		subscribe_new(&s);
		token_timer_start(&s);
		tmr_start(&s.t_poll, POLL_MS, poll_handler, &s);
		err = re_main(stop_on_signal ? on_signal : NULL);
		sig_client = NULL;
		c->sip = NULL;
		if (err)
			snprintf(c->errmsg, sizeof(c->errmsg), "SIP event loop: %s", strerror(err));
	}
	tmr_cancel(&s.t_refresh);
	tmr_cancel(&s.t_retry);
	tmr_cancel(&s.t_token);
	tmr_cancel(&s.t_poll);
	s.req = mem_deref(s.req);
	s.unsub = mem_deref(s.unsub);
	s.ka = mem_deref(s.ka);
	s.probe = mem_deref(s.probe);
	s.pdlg = mem_deref(s.pdlg);
	s.dlg = mem_deref(s.dlg);
	s.lsnr = mem_deref(s.lsnr);
	if (s.sip)
		sip_close(s.sip, true);
	s.sip = mem_deref(s.sip);
	s.tls = mem_deref(s.tls);
	dbg_handler_set(NULL, NULL);
	libre_close();
	return err ? MCX_EIO : MCX_OK;
}
