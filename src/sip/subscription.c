/* Subscriptions on the SIP thread: dialogs (our own, sip/dialog.h, so they
 * can be stored), timers and NOTIFY delivery over libre's transaction
 * layer, and their rows in the store (sip/persist.h). */
#include <stdio.h>
#include <string.h>
#include <time.h>

#define LOG_MODULE "sip"
#include "core/log.h"
#include "core/mem.h"
#include "core/buf.h"
#include "sip/subscription.h"
#include "sip/body.h"
#include "sip/dialog.h"
#include "sip/persist.h"
#include "sip/scope.h"
#include "sip/feed.h"
#include "sip/xcapdiff.h"
#include "store/store.h"
#include "patch/patch.h"
#include "sip/patchmemo.h"

/* A change waiting for the next NOTIFY, folded per document. */
struct pending {
	char *sel;
	char *path;		   /* store path */
	char prev[STORE_ETAG_MAX]; /* "" = the document did not exist */
	char next[STORE_ETAG_MAX]; /* "" = deleted */
	long long v_prev, v_next;  /* versions of prev and next */
};

struct sip_sub {
	struct le le; /* in n->subs */
	struct sip_notifier *n;
	struct sip_dlg dlg;
	uint32_t lseq_ceil;	 /* CSeqs reserved in the store up to here */
	struct sip_request *req; /* the NOTIFY in flight; NULL when none */
	struct le wle;		 /* in n->waiting while queued */
	struct le hle;		 /* in n->by_callid */
	uint64_t deadline;	 /* tmr_jiffies(): end of the subscription, or of its token
				    if sooner (the sweep ends it); 0 = none */
	struct tmr rtmr;	 /* wait before sending a failed NOTIFY again */
	struct sip_scope *scope;
	struct sip_event ev;
	uint64_t expires_at; /* tmr_jiffies() milliseconds */
	struct pending *pend;
	size_t npend;
	bool full;  /* the next NOTIFY carries the full state */
	bool nodes; /* element or attribute subscriptions have news */
	char *body; /* body of the NOTIFY in flight (NULL: none) */
	size_t body_len;
	unsigned tries;	    /* resends of the NOTIFY in flight */
	uint64_t sent_at;   /* tmr_jiffies() of the last NOTIFY's first sending */
	const char *ending; /* reason, once the end is decided */
	bool final_state;   /* the final NOTIFY carries the full state */
	bool final_built;   /* the NOTIFY in flight is the final one */
	bool flying;	    /* counted in n->inflight */
	bool unanswered;    /* its UDP NOTIFY left the window unanswered (n->unanswered) */
	bool queued;	    /* in n->waiting */
	/* A NOTIFY over UDP is our own client transaction (udp_*): */
	struct mbuf *udp;   /* the request as sent; NULL when none is out */
	struct le ule;	    /* in n->udp_out while it is */
	uint64_t udp_due;   /* tmr_jiffies() of its next retransmission */
	char branch[24];    /* its Via branch */
	struct sa udp_dst;  /* where it goes */
	uint64_t udp_at;    /* tmr_jiffies() when first sent */
	uint32_t udp_next;  /* the next retransmission interval, ms */
};

static void kick(struct sip_sub *s);

static void pending_clear(struct sip_sub *s)
{
	size_t i;

	for (i = 0; i < s->npend; i++) {
		mcx_free(s->pend[i].sel);
		mcx_free(s->pend[i].path);
	}
	mcx_free(s->pend);
	s->pend = NULL;
	s->npend = 0;
}

/* Who s is, for the log: the subscriber, else (a restored subscription
 * only kept to be ended) the dialog's remote URI. */
static const char *name(const struct sip_sub *s)
{
	return s->scope ? scope_xui(s->scope) : dlg_get(&s->dlg, DLG_RURI);
}

static void landed(struct sip_sub *s);
static void notify_udp_clear(struct sip_sub *s);

static void release(struct sip_sub *s)
{
	list_unlink(&s->le);
	hash_unlink(&s->hle);
	if (s->queued)
		list_unlink(&s->wle);
	s->n->nsubs--;
	tmr_cancel(&s->rtmr);
	s->req = mem_deref(s->req); /* cancels it: its response handler never runs */
	notify_udp_clear(s);
	landed(s);
	dlg_free(&s->dlg);
	scope_free(s->scope);
	pending_clear(s);
	mcx_free(s->body);
	mcx_free(s);
}

/* The subscription is over: its row goes too. */
static void sub_free(struct sip_sub *s)
{
	enum mcx_err err = store_sub_del(s->n->policy->store, dlg_get(&s->dlg, DLG_LTAG));

	if (err && err != MCX_ENOENT)
		log_warn("%s: cannot delete its stored row: %s", name(s), mcx_strerror(err));
	release(s);
}

/* Shutdown: the row stays, so the next start restores the subscription. */
void sub_drop(struct sip_sub *s)
{
	release(s);
}

/* ---- the stored row ---- */

/* When s ends, in unix seconds (expires_at is in tmr_jiffies()). */
static int64_t expires_unix(const struct sip_sub *s)
{
	uint64_t now = tmr_jiffies();

	return (int64_t)time(NULL) +
	       (s->expires_at > now ? (int64_t)((s->expires_at - now + 999) / 1000) : 0);
}

/* Write the row of s. A new row (uris given) takes token and uris; an
 * update keeps the stored resource list, creation time and token (unless
 * token is given), which s does not hold in memory. A failure is logged:
 * the subscription goes on, it just would not survive a restart as it is. */
static void save(struct sip_sub *s, const char *token, char *const *uris, size_t nuris)
{
	struct mcx_store *st = s->n->policy->store;
	const char *id = dlg_get(&s->dlg, DLG_LTAG);
	struct sip_sub_rec r, old;
	char *data = NULL;
	enum mcx_err err = MCX_OK;
	size_t len;

	memset(&r, 0, sizeof(r));
	memset(&old, 0, sizeof(old));
	r.created = (int64_t)time(NULL);
	if (!uris) {
		err = store_sub_get(st, id, &data, &len, NULL);
		if (!err)
			err = persist_decode(&old, data, len, SIZE_MAX);
		mcx_free(data);
		data = NULL;
		uris = old.uris;
		nuris = old.nuris;
		r.created = old.created;
		r.who = old.who;
		if (!token)
			token = old.token;
	}
	r.dlg = s->dlg; /* borrowed */
	r.lseq_ceil = s->lseq_ceil;
	if (s->scope)
		scope_who(s->scope, &r.who);
	r.token = (char *)token;
	r.uris = (char **)uris;
	r.nuris = nuris;
	r.ev = s->ev;
	r.expires = expires_unix(s);
	if (!err)
		err = persist_encode(&r, &data, &len);
	if (!err)
		err = store_sub_put(st, id, data, len);
	if (err)
		log_warn("%s: cannot store the subscription: %s", name(s), mcx_strerror(err));
	mcx_free(data);
	persist_rec_free(&old);
}

/* ---- NOTIFY ---- */

static int send_contact(enum sip_transp tp, const struct sa *src, const struct sa *dst,
			struct mbuf *mb, void *arg)
{
	struct sip_sub *s = arg;
	struct sip_contact contact;

	(void)dst;
	sip_contact_set(&contact, s->n->contact_user, src, tp);
	return mbuf_printf(mb, "%H", sip_contact_print, &contact);
}

static void on_response(int err, const struct sip_msg *msg, void *arg);
static void on_resend(void *arg);
static void on_unsent(void *arg);

/* The Route header of a request (RFC 3261 §12.2.1.1), "" without one. */
static void route_header(const struct dlg_target *t, char *out, size_t outlen)
{
	if (!t->route.l && !t->tail.p) {
		out[0] = '\0';
		return;
	}
	snprintf(out, outlen, "Route: %.*s%s%s%.*s%s\r\n", (int)t->route.l, t->route.p,
		 t->route.l && t->tail.p ? ", " : "", t->tail.p ? "<" : "", (int)t->tail.l,
		 t->tail.p ? t->tail.p : "", t->tail.p ? ">" : "");
}

/* A NOTIFY in the dialog, by libre's transaction layer (which adds Via
 * and Max-Forwards; our send handler adds Contact). Each one, resends
 * included, takes the next CSeq. */
/* uri[0..n) with ";transport=tp" added to its parameters (before any
 * headers) into out; false when it does not fit. */
static bool with_transport(const char *uri, size_t n, const char *tp, char *out, size_t len)
{
	const char *q = memchr(uri, '?', n);
	size_t head = q ? (size_t)(q - uri) : n;
	int k = snprintf(out, len, "%.*s;transport=%s%.*s", (int)head, uri, tp, (int)(n - head),
			 uri + head);

	return k > 0 && (size_t)k < len;
}

static bool has_transport(const char *uri, size_t n)
{
	const char *q = memchr(uri, '?', n);

	n = q ? (size_t)(q - uri) : n;
	return memmem(uri, n, ";transport=", 11) != NULL;
}

/* The next hop as libre should reach it: a sips: URI the same place as
 * sip:...;transport=tls (libre would look sips: up in the DNS). */
static void hop_text(struct sip_bytes h, char *out, size_t len)
{
	if (h.l > 5 && !strncasecmp(h.p, "sips:", 5) && !has_transport(h.p, h.l)) {
		char rest[SIP_DIALOG_MAX];

		snprintf(rest, sizeof(rest), "sip:%.*s", (int)(h.l - 5), h.p + 5);
		if (with_transport(rest, strlen(rest), "tls", out, len))
			return;
	}
	snprintf(out, len, "%.*s", (int)h.l, h.p);
}

static int send_notify(struct sip_sub *s);
static void answered(struct sip_sub *s, int err, const struct sip_msg *msg);
static struct sip_sub *sub_find_dialog(struct sip_notifier *n, const struct pl *cid,
				       const struct pl *ltag, const struct pl *rtag);

/* ---- NOTIFY over UDP: our own non-INVITE client transaction ----
 *
 * libre's client transaction leaves a 5 s timer (Timer K) behind every
 * NOTIFY answered over UDP, and keeps all timers in one sorted list where
 * every retransmission timer (500 ms) is inserted past them: at thousands of
 * NOTIFYs a second that walk is all the SIP thread does. Over UDP to an
 * address we therefore run RFC 3261 §17.1.2 ourselves: the request's bytes
 * are kept and sent again after T1, 2·T1, ... T2 (Timer E), given up after
 * 64·T1 (Timer F), and the answer is matched by Call-ID, tags, CSeq and Via
 * branch (our response listener, after libre's transactions). No Timer K:
 * a retransmitted final answer finds no transaction and is dropped. One
 * libre timer ticks for all of them (SUB_RTX_TICK_MS), so a burst adds
 * nothing to libre's list. A NOTIFY left unanswered for T1 stops counting
 * against sip-max-inflight (it is retransmitted all the same), up to
 * sip-max-unanswered of them: unreachable subscribers must not hold up the
 * others. TCP, TLS and host names still go through libre's
 * transactions. */

/* Is hop UDP to an IP address? dst gets it. */
static bool hop_udp(const struct uri *hop, struct sa *dst)
{
	struct pl tp;

	if (pl_strcasecmp(&hop->scheme, "sip"))
		return false;
	if (!msg_param_decode(&hop->params, "transport", &tp) && pl_strcasecmp(&tp, "udp"))
		return false;
	return !sa_set(dst, &hop->host, hop->port ? hop->port : SIP_PORT);
}

static void notify_udp_clear(struct sip_sub *s)
{
	if (s->udp)
		list_unlink(&s->ule);
	s->udp = mem_deref(s->udp);
	if (s->unanswered) {
		s->unanswered = false;
		s->n->unanswered--;
	}
}

/* Every tick while UDP NOTIFYs are out: Timers E and F of each. */
static void on_rtx_tick(void *arg)
{
	struct sip_notifier *n = arg;
	uint64_t now = tmr_jiffies();
	/* releases per tick: a trickle, so a burst whose answers we dropped
	 * ourselves does not send a second burst at once */
	unsigned budget = n->max_inflight / 8 ? n->max_inflight / 8 : 1;
	struct le *le;

	for (le = list_head(&n->udp_out); le;) {
		struct sip_sub *s = le->data;

		le = le->next;
		if (now - s->udp_at >= 64 * SIP_T1) { /* Timer F */
			notify_udp_clear(s);
			answered(s, ETIMEDOUT, NULL);
		} else if (now >= s->udp_due) { /* Timer E */
			/* unanswered after T1: a phone that is off would hold its room
			 * for 32 s while the answering ones wait; it goes on being
			 * retransmitted outside the window, up to max_unanswered of
			 * them (past that the window holds, so an overloaded socket
			 * that drops our answers does not turn into a storm) */
			if (s->flying && n->unanswered < n->max_unanswered && budget) {
				budget--;
				s->unanswered = true;
				n->unanswered++;
				landed(s);
			}
			s->udp->pos = 0;
			(void)sip_send(n->sip, NULL, SIP_TRANSP_UDP, &s->udp_dst, s->udp);
			s->udp_next = s->udp_next * 2 < SIP_T2 ? s->udp_next * 2 : SIP_T2;
			s->udp_due = now + s->udp_next;
		}
	}
	if (list_head(&n->udp_out))
		tmr_start(&n->rtx, SUB_RTX_TICK_MS, on_rtx_tick, n);
}

static int notify_udp(struct sip_sub *s, const char *ruri, const struct sa *dst, const char *route,
		    const char *event, const char *state)
{
	struct sip_contact contact;
	struct mbuf *mb;
	struct sa laddr;
	int err;

	err = sip_transp_laddr(s->n->sip, &laddr, SIP_TRANSP_UDP, dst);
	if (err)
		return err;
	mb = mbuf_alloc(512 + s->body_len);
	if (!mb)
		return ENOMEM;
	snprintf(s->branch, sizeof(s->branch), "z9hG4bK%016llx", (unsigned long long)rand_u64());
	sip_contact_set(&contact, s->n->contact_user, &laddr, SIP_TRANSP_UDP);
	err = mbuf_printf(mb,
			  "NOTIFY %s SIP/2.0\r\n"
			  "Via: SIP/2.0/UDP %J;branch=%s;rport\r\n"
			  "Max-Forwards: 70\r\n"
			  "To: <%s>;tag=%s\r\n"
			  "From: <%s>;tag=%s\r\n"
			  "Call-ID: %s\r\n"
			  "CSeq: %u NOTIFY\r\n"
			  "%s"
			  "%H"
			  "Event: %s\r\n"
			  "Subscription-State: %s\r\n"
			  "%s"
			  "Content-Length: %zu\r\n"
			  "\r\n",
			  ruri, &laddr, s->branch, dlg_get(&s->dlg, DLG_RURI),
			  dlg_get(&s->dlg, DLG_RTAG), dlg_get(&s->dlg, DLG_LURI),
			  dlg_get(&s->dlg, DLG_LTAG), dlg_get(&s->dlg, DLG_CALLID), s->dlg.lseq,
			  route, sip_contact_print, &contact, event, state,
			  s->body ? "Content-Type: " MIME_XCAP_DIFF "\r\n" : "", s->body_len);
	if (!err && s->body_len)
		err = mbuf_write_mem(mb, (const uint8_t *)s->body, s->body_len);
	if (!err) {
		mb->pos = 0;
		err = sip_send(s->n->sip, NULL, SIP_TRANSP_UDP, dst, mb);
	}
	if (err) {
		mem_deref(mb);
		return err;
	}
	notify_udp_clear(s);
	s->udp = mb;
	s->udp_dst = *dst;
	s->udp_at = tmr_jiffies();
	s->udp_next = SIP_T1;
	s->udp_due = s->udp_at + SIP_T1;
	list_append(&s->n->udp_out, &s->ule, s);
	if (!tmr_isrunning(&s->n->rtx))
		tmr_start(&s->n->rtx, SUB_RTX_TICK_MS, on_rtx_tick, s->n);
	return 0;
}

/* libre's listener for responses no client transaction of its own took. */
static bool on_udp_response(const struct sip_msg *msg, void *arg)
{
	struct sip_notifier *n = arg;
	struct sip_sub *s;

	if (pl_strcmp(&msg->cseq.met, "NOTIFY"))
		return false;
	s = sub_find_dialog(n, &msg->callid, &msg->from.tag, &msg->to.tag);
	if (!s || !s->udp || msg->cseq.num != s->dlg.lseq ||
	    pl_strcmp(&msg->via.branch, s->branch))
		return true; /* a late or repeated answer: nothing waits for it */
	if (msg->scode < 200) {
		s->udp_next = SIP_T2; /* RFC 3261 §17.1.2.2: proceeding */
		return true;
	}
	notify_udp_clear(s);
	answered(s, 0, msg);
	return true;
}

/* Send the NOTIFY of s, counted in flight until its final answer. */
static int notify_out(struct sip_sub *s)
{
	int err = send_notify(s);

	if (!err && !s->flying) {
		s->flying = true;
		s->n->inflight++;
	}
	return err;
}

static int send_notify(struct sip_sub *s)
{
	char state[64], event[32 + SIP_EVENT_ID_MAX], ruri[SIP_DIALOG_MAX];
	char route[SIP_DIALOG_MAX + 32], hoptext[SIP_DIALOG_MAX + 32];
	uint64_t now = tmr_jiffies();
	struct dlg_target t;
	struct sa dst;
	struct uri hop;
	struct pl pl;

	if (persist_cseq_next(&s->dlg.lseq, &s->lseq_ceil))
		save(s, NULL, NULL, 0);
	dlg_target(&s->dlg, &t);
	snprintf(ruri, sizeof(ruri), "%.*s", (int)t.ruri.l, t.ruri.p);
	route_header(&t, route, sizeof(route));
	hop_text(t.hop, hoptext, sizeof(hoptext));
	pl.p = hoptext;
	pl.l = strlen(hoptext);
	if (uri_decode(&hop, &pl))
		return EINVAL;
	if (s->final_built)
		snprintf(state, sizeof(state), "terminated;reason=%s", s->ending);
	else
		snprintf(state, sizeof(state), "active;expires=%u",
			 s->expires_at > now ? (unsigned)((s->expires_at - now + 999) / 1000) : 0);
	snprintf(event, sizeof(event), SIP_EVENT_PACKAGE "%s%s", s->ev.id[0] ? ";id=" : "",
		 s->ev.id);
	if (hop_udp(&hop, &dst))
		return notify_udp(s, ruri, &dst, route, event, state);
	return sip_requestf(&s->req, s->n->sip, true, "NOTIFY", ruri, &hop, NULL, send_contact,
			    on_response, s,
			    "To: <%s>;tag=%s\r\n"
			    "From: <%s>;tag=%s\r\n"
			    "Call-ID: %s\r\n"
			    "CSeq: %u NOTIFY\r\n"
			    "%s"
			    "Event: %s\r\n"
			    "Subscription-State: %s\r\n"
			    "%s"
			    "Content-Length: %zu\r\n"
			    "\r\n"
			    "%b",
			    dlg_get(&s->dlg, DLG_RURI), dlg_get(&s->dlg, DLG_RTAG),
			    dlg_get(&s->dlg, DLG_LURI), dlg_get(&s->dlg, DLG_LTAG),
			    dlg_get(&s->dlg, DLG_CALLID), s->dlg.lseq, route, event, state,
			    s->body ? "Content-Type: " MIME_XCAP_DIFF "\r\n" : "", s->body_len,
			    s->body ? s->body : "", s->body_len);
}

/* The stored version v of path, if its ETag is etag. */
static struct store_doc *version_of(struct sip_sub *s, const char *path, long long v,
				    const char *etag)
{
	struct store_doc *d = NULL;

	if (v < 1 || store_get_version(s->n->policy->store, path, v, &d))
		return NULL;
	if (strcmp(d->etag, etag)) {
		store_doc_deref(d);
		return NULL;
	}
	return d;
}

/* xcap-patching and aggregate: the RFC 5261 operations (src/patch/) that
 * turn the previous-etag version into the new-etag version, into ops. Folded
 * changes give one patch from the first to the last version, which is what
 * aggregate asks and what applying xcap-patching's patches in turn gives.
 * None (etags only, which RFC 5875 allows: the subscriber fetches) for a
 * creation or deletion, a version no longer kept, or a change the engine
 * cannot express or finds larger than PATCH_MAX_PATCH. */
static enum mcx_err patch_ops(struct sip_sub *s, const struct pending *p, struct mcx_buf *ops)
{
	struct patch_opts o = {.max_patch = s->n->max_patch};
	struct store_doc *a, *b;
	struct patch_status st;
	enum mcx_err err;

	if (!p->prev[0] || !p->next[0] || !s->n->max_patch)
		return MCX_OK;
	if (!s->n->memo)
		s->n->memo = patch_memo_alloc();
	if (patch_memo_get(s->n->memo, p->path, p->v_prev, p->v_next, o.max_patch, ops, &err))
		return err;
	a = version_of(s, p->path, p->v_prev, p->prev);
	b = a ? version_of(s, p->path, p->v_next, p->next) : NULL;
	err = a && b ? patch_diff(a->bytes, a->len, b->bytes, b->len, &o, ops, &st) : MCX_OK;
	if (err && err != MCX_ENOMEM)
		log_debug("%s: no patch for %s (%s): etags only", scope_xui(s->scope), p->sel,
			  st.detail);
	store_doc_deref(a);
	store_doc_deref(b);
	if (err)
		buf_reset(ops);
	if (err != MCX_ENOMEM)
		patch_memo_put(s->n->memo, p->path, p->v_prev, p->v_next, o.max_patch, ops->p,
			       ops->len);
	return err == MCX_ENOMEM ? err : MCX_OK;
}

static enum mcx_err build_changes(struct sip_sub *s, struct mcx_buf *b)
{
	enum mcx_err err = MCX_OK;
	struct mcx_buf ops;
	size_t i;

	for (i = 0; i < s->npend && !err; i++) {
		buf_init(&ops, SIP_NOTIFY_BODY_MAX);
		if (s->ev.mode != SIP_DIFF_NO_PATCHING)
			err = patch_ops(s, &s->pend[i], &ops);
		if (!err)
			err = xdiff_document(b, s->pend[i].sel, s->pend[i].prev, s->pend[i].next,
					     ops.p, ops.len);
		buf_reset(&ops);
	}
	if (!err && s->nodes)
		err = scope_nodes(s->scope, s->n->policy->h, b, false);
	return err;
}

/* The body of the next NOTIFY into s->body (NULL for a final one without
 * state); what it covers is no longer pending. */
static enum mcx_err build(struct sip_sub *s)
{
	struct mcx_buf b;
	bool full = s->final_built ? s->final_state : s->full;
	enum mcx_err err;

	mcx_free(s->body);
	s->body = NULL;
	s->body_len = 0;
	if (s->final_built && !s->final_state)
		return MCX_OK;
	buf_init(&b, SIP_NOTIFY_BODY_MAX);
	err = xdiff_begin(&b, s->n->xcap_root);
	if (!err)
		err = full ? scope_full_state(s->scope, s->n->policy->h, &b) : build_changes(s, &b);
	if (!err)
		err = xdiff_end(&b);
	if (err) {
		buf_reset(&b);
		return err;
	}
	s->body = buf_take(&b, &s->body_len);
	s->full = false;
	s->nodes = false;
	pending_clear(s);
	return MCX_OK;
}

static void on_window(void *arg)
{
	kick(arg);
}

/* Send whatever is due, unless a NOTIFY is in flight, waiting to be sent
 * again (its response kicks again) or the aggregation window since the last
 * one is still open (its end kicks again; changes meanwhile fold into one
 * NOTIFY). The final NOTIFY does not wait. May end s only through a timer. */
static void kick(struct sip_sub *s)
{
	uint64_t now = tmr_jiffies();
	enum mcx_err err;

	if (s->ending && !s->body)
		tmr_cancel(&s->rtmr); /* a window, not a resend: the end does not wait */
	if (s->req || tmr_isrunning(&s->rtmr) || s->final_built)
		return;
	if (!s->ending && !s->full && !s->npend && !s->nodes)
		return;
	if (!s->ending && s->sent_at && now < s->sent_at + s->n->interval_ms) {
		tmr_start(&s->rtmr, s->sent_at + s->n->interval_ms - now, on_window, s);
		return;
	}
	if (s->n->inflight >= s->n->max_inflight) {
		if (!s->queued) {
			list_append(&s->n->waiting, &s->wle, s);
			s->queued = true;
		}
		return; /* built when its turn comes: what arrives meanwhile folds in */
	}
	s->sent_at = now;
	s->final_built = s->ending != NULL;
	err = build(s);
	if (err) {
		log_warn("%s: cannot build a NOTIFY (%s): ending the subscription",
			 scope_xui(s->scope), mcx_strerror(err));
		if (!s->final_built)
			s->ending = "noresource";
		s->final_built = true;
		s->final_state = false;
		mcx_free(s->body);
		s->body = NULL;
		s->body_len = 0;
	}
	s->tries = 0;
	if (notify_out(s))
		tmr_start(&s->rtmr, 0, on_unsent, s); /* never end s inside kick */
}

/* The NOTIFY of s has its final answer (or will never get one): its room
 * goes to the next waiting subscription. */
static void landed(struct sip_sub *s)
{
	struct sip_notifier *n = s->n;
	struct le *le;

	if (!s->flying)
		return;
	s->flying = false;
	n->inflight--;
	while (n->inflight < n->max_inflight && (le = list_head(&n->waiting))) {
		struct sip_sub *w = le->data;

		list_unlink(le);
		w->queued = false;
		kick(w);
	}
}

/* A 408, a transport failure or a NOTIFY that could not be sent. */
static void failed(struct sip_sub *s, const char *why)
{
	if (s->tries < s->n->retries) {
		s->tries++;
		log_info("%s: NOTIFY %s; sending it again (%u/%u)", name(s), why,
			 s->tries, s->n->retries);
		tmr_start(&s->rtmr, (uint64_t)SIP_T1 << (s->tries < 4 ? s->tries : 4), on_resend,
			  s);
		return;
	}
	log_warn("%s: NOTIFY %s; the subscription ends", name(s), why);
	sub_free(s);
}

static void on_resend(void *arg)
{
	struct sip_sub *s = arg;

	if (notify_out(s))
		failed(s, "could not be sent");
}

static void on_unsent(void *arg)
{
	failed(arg, "could not be sent");
}

static void on_response(int err, const struct sip_msg *msg, void *arg)
{
	struct sip_sub *s = arg;

	if (!err && msg && msg->scode < 200)
		return;
	s->req = NULL; /* libre frees it after this handler */
	answered(s, err, msg);
}

/* The final answer to the NOTIFY of s (err: none came, or transport). */
static void answered(struct sip_sub *s, int err, const struct sip_msg *msg)
{
	landed(s);
	if (err || !msg || msg->scode == 408) {
		failed(s, err ? "timed out or failed in transport" : "got 408");
		return;
	}
	if (msg->scode >= 300) {
		if (msg->scode == 481)
			log_info("%s: NOTIFY got 481: the subscriber ended it", name(s));
		else
			log_warn("%s: NOTIFY got %u: the subscription ends", name(s),
				 msg->scode);
		sub_free(s);
		return;
	}
	if (s->final_built) {
		sub_free(s);
		return;
	}
	mcx_free(s->body);
	s->body = NULL;
	s->body_len = 0;
	kick(s);
}

/* ---- lifetime ---- */

static void end(struct sip_sub *s, const char *reason, bool with_state)
{
	if (s->ending)
		return;
	s->ending = reason;
	s->final_state = with_state;
	s->full = false;
	pending_clear(s);
	s->deadline = 0;
	kick(s);
}

static void timed_out(struct sip_sub *s)
{
	bool token = tmr_jiffies() + 1000 < s->expires_at;

	log_info("%s: %s: the subscription ends", name(s),
		 token ? "the access token expired" : "not refreshed in time");
	/* deactivated: subscribe again (with a fresh token) right away */
	end(s, token ? "deactivated" : "timeout", false);
}

/* (Re)start the timer: the end of the subscription or of its token. */
static void arm(struct sip_sub *s, uint32_t expires)
{
	int64_t exp = scope_token_exp(s->scope);
	uint64_t now = tmr_jiffies(), at;

	s->expires_at = now + (uint64_t)expires * 1000;
	at = s->expires_at;
	if (exp) {
		int64_t left = exp - (int64_t)time(NULL);
		uint64_t tat = now + (left > 0 ? (uint64_t)left * 1000 : 0);

		if (tat < at)
			at = tat;
	}
	s->deadline = at ? at : 1;
}

/* Once a second: every subscription whose time is up ends. One timer for
 * all: libre keeps its timers in one sorted list, where 100,000 of them
 * would make every new transaction timer walk past them all. */
static void on_sweep(void *arg)
{
	struct sip_notifier *n = arg;
	uint64_t now = tmr_jiffies();
	struct le *le;

	for (le = list_head(&n->subs); le;) {
		struct sip_sub *s = le->data;

		le = le->next;
		if (s->deadline && s->deadline <= now) {
			s->deadline = 0;
			timed_out(s);
		}
	}
	tmr_start(&n->sweep, SUB_SWEEP_MS, on_sweep, n);
}

int sub_notifier_init(struct sip_notifier *n)
{
	int err;

	list_init(&n->waiting);
	list_init(&n->udp_out);
	tmr_init(&n->sweep);
	tmr_init(&n->rtx);
	n->inflight = 0;
	if (!n->max_inflight)
		n->max_inflight = 1;
	tmr_start(&n->sweep, SUB_SWEEP_MS, on_sweep, n);
	err = hash_alloc(&n->by_callid, SUB_HASH_BUCKETS);
	if (!err)
		err = sip_listen(&n->udp_lsnr, n->sip, false, on_udp_response, n);
	return err;
}

void sub_notifier_close(struct sip_notifier *n)
{
	tmr_cancel(&n->sweep);
	tmr_cancel(&n->rtx);
	n->udp_lsnr = mem_deref(n->udp_lsnr);
	n->by_callid = mem_deref(n->by_callid);
}

static uint32_t callid_key(const char *p, size_t l)
{
	return hash_joaat((const uint8_t *)p, l);
}

/* s's dialog is set: in-dialog requests can find it. */
static void index_add(struct sip_sub *s)
{
	const char *cid = dlg_get(&s->dlg, DLG_CALLID);

	hash_append(s->n->by_callid, callid_key(cid, strlen(cid)), &s->hle, s);
}

/* ---- requests ---- */

static int reply_ok(struct sip_sub *s, const struct sip_msg *msg, uint32_t expires)
{
	struct sip_contact contact;

	sip_contact_set(&contact, s->n->contact_user, &msg->dst, msg->tp);
	return sip_treplyf(NULL, NULL, s->n->sip, msg, true, 200, "OK",
			   "%H"
			   "Expires: %u\r\n"
			   "Content-Length: 0\r\n"
			   "\r\n",
			   sip_contact_print, &contact, expires);
}

static struct sip_bytes bytes_of(const struct pl *pl)
{
	struct sip_bytes b = {pl->p, pl->p ? pl->l : 0};

	return b;
}

static bool add_route(const struct sip_hdr *hdr, const struct sip_msg *msg, void *arg)
{
	struct mcx_buf *b = arg;

	(void)msg;
	return (b->len && buf_adds(b, ", ")) || buf_add(b, hdr->val.p, hdr->val.l);
}

/* The remote target from the Contact of msg. A UE that reached us directly
 * (no route set) over TCP or TLS, with a Contact that names no transport,
 * is reached back the same way: RFC 3261 would send to its sip: Contact
 * over UDP, which such a UE (or its NAT) may not take. */
static struct sip_bytes target_of(const struct sip_addr *addr, const struct sip_msg *msg,
				  bool direct, char *buf, size_t len)
{
	struct sip_bytes b = bytes_of(&addr->auri);
	const char *tp = msg->tp == SIP_TRANSP_TCP ? "tcp" : msg->tp == SIP_TRANSP_TLS ? "tls" : NULL;

	if (direct && tp && b.l > 4 && !strncasecmp(b.p, "sip:", 4) && !has_transport(b.p, b.l) &&
	    with_transport(b.p, b.l, tp, buf, len)) {
		b.p = buf;
		b.l = strlen(buf);
	}
	return b;
}

/* The UAS dialog of a new SUBSCRIBE (RFC 3261 §12.1.1): our tag is the one
 * libre puts in the To of our replies (msg->tag), the route set is the
 * Record-Route in order, the target the Contact. EBADMSG without a usable
 * Contact, Call-ID or From tag, or past SIP_DIALOG_MAX. */
static int dialog_accept(struct sip_dlg *d, const struct sip_msg *msg)
{
	const struct sip_hdr *contact = sip_msg_hdr(msg, SIP_HDR_CONTACT);
	struct sip_bytes f[DLG_NFIELDS];
	struct sip_addr addr;
	struct mcx_buf route;
	char ltag[24], target[SIP_DIALOG_MAX];
	enum mcx_err err;

	if (!contact || !msg->callid.p || sip_addr_decode(&addr, &contact->val))
		return EBADMSG;
	snprintf(ltag, sizeof(ltag), "%016llx", (unsigned long long)msg->tag);
	buf_init(&route, SIP_DIALOG_MAX);
	if (sip_msg_hdr_apply(msg, true, SIP_HDR_RECORD_ROUTE, add_route, &route)) {
		buf_reset(&route);
		return EBADMSG;
	}
	f[DLG_CALLID] = bytes_of(&msg->callid);
	f[DLG_LTAG].p = ltag;
	f[DLG_LTAG].l = strlen(ltag);
	f[DLG_RTAG] = bytes_of(&msg->from.tag);
	f[DLG_LURI] = bytes_of(&msg->to.auri);
	f[DLG_RURI] = bytes_of(&msg->from.auri);
	f[DLG_TARGET] = target_of(&addr, msg, !route.len, target, sizeof(target));
	f[DLG_ROUTE].p = route.p;
	f[DLG_ROUTE].l = route.len;
	err = dlg_init(d, f);
	buf_reset(&route);
	if (err)
		return err == MCX_ENOMEM ? ENOMEM : EBADMSG;
	d->rseq = msg->cseq.num;
	d->lseq = rand_u16(); /* RFC 3261 §8.1.1.5: any start below 2^31 */
	return 0;
}

/* The SUBSCRIBE's body again, for what the decision does not hand over:
 * the token and the resource list as written. */
static enum mcx_err body_of(const struct sip_sub *s, const struct sip_msg *msg,
			    struct sip_body *b)
{
	const struct sip_hdr *ct = sip_msg_hdr(msg, SIP_HDR_CONTENT_TYPE);
	char why[160];

	memset(b, 0, sizeof(*b));
	if (!ct || !mbuf_get_left(msg->mb))
		return MCX_ENOENT;
	return sip_body_parse(b, ct->val.p, ct->val.l, (const char *)mbuf_buf(msg->mb),
			      mbuf_get_left(msg->mb), s->n->policy->max_entries, why, sizeof(why));
}

static struct sip_sub *sub_new(struct sip_notifier *n)
{
	struct sip_sub *s = mcx_calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->n = n;
	tmr_init(&s->rtmr);
	list_append(&n->subs, &s->le, s);
	n->nsubs++;
	return s;
}

int sub_accept(struct sip_notifier *n, const struct sip_msg *msg, struct sip_subscribe_out *out)
{
	struct sip_sub *s = sub_new(n);
	struct sip_body b;
	int err;

	if (!s)
		return ENOMEM;
	err = dialog_accept(&s->dlg, msg);
	if (err) {
		release(s);
		return err;
	}
	index_add(s);
	s->lseq_ceil = s->dlg.lseq + SIP_CSEQ_BLOCK;
	s->scope = out->scope;
	out->scope = NULL;
	s->ev = out->ev;
	if (out->expires) {
		arm(s, out->expires);
		/* stored before the 200: an accepted subscription survives a crash */
		if (!body_of(s, msg, &b))
			save(s, b.token, b.uris, b.nuris);
		sip_body_free(&b);
	}
	err = reply_ok(s, msg, out->expires);
	if (err) {
		sub_free(s);
		return 0; /* answered or not, nothing more can be done with it */
	}
	if (!out->expires) {
		end(s, "timeout", true); /* a fetch: the state once, terminated */
		return 0;
	}
	s->full = true;
	kick(s);
	return 0;
}

void sub_who(const struct sip_sub *s, struct sip_who *out)
{
	if (s->scope)
		scope_who(s->scope, out);
	else
		memset(out, 0, sizeof(*out));
}

struct sip_sub *sub_find(struct sip_notifier *n, const struct sip_msg *msg)
{
	return sub_find_dialog(n, &msg->callid, &msg->to.tag, &msg->from.tag);
}

/* By Call-ID, our tag and the subscriber's. */
static struct sip_sub *sub_find_dialog(struct sip_notifier *n, const struct pl *cid,
				       const struct pl *ltag, const struct pl *rtag)
{
	struct sip_bytes callid = bytes_of(cid), to = bytes_of(ltag), from = bytes_of(rtag);
	struct le *le;

	for (le = list_head(hash_list(n->by_callid, callid_key(callid.p, callid.l))); le;
	     le = le->next) {
		struct sip_sub *s = le->data;

		if (dlg_match(&s->dlg, callid, to, from))
			return s;
	}
	return NULL;
}

/* A refresh may move the subscriber (RFC 6665 §4.1.2.1: a target refresh). */
static void target_refresh(struct sip_sub *s, const struct sip_msg *msg)
{
	const struct sip_hdr *contact = sip_msg_hdr(msg, SIP_HDR_CONTACT);
	char buf[SIP_DIALOG_MAX];
	struct sip_addr addr;
	struct sip_bytes t;

	if (!contact || sip_addr_decode(&addr, &contact->val) || !addr.auri.l)
		return;
	t = target_of(&addr, msg, !*dlg_get(&s->dlg, DLG_ROUTE), buf, sizeof(buf));
	if (dlg_set(&s->dlg, DLG_TARGET, t.p, t.l))
		log_warn("%s: unusable Contact in a refresh: the old target stays", name(s));
}

void sub_refresh(struct sip_sub *s, const struct sip_msg *msg, struct sip_subscribe_out *out)
{
	struct sip_body b;

	if (s->ending) {
		(void)sip_treply(NULL, s->n->sip, msg, 481, "Subscription Does Not Exist");
		return;
	}
	if (!dlg_rseq_take(&s->dlg, msg->cseq.num)) {
		(void)sip_treply(NULL, s->n->sip, msg, 500, "Bad CSeq");
		return;
	}
	target_refresh(s, msg);
	if (out->who_changed && scope_set_who(s->scope, &out->who)) {
		(void)sip_treply(NULL, s->n->sip, msg, 500, "Server Internal Error");
		return;
	}
	if (out->expires) {
		arm(s, out->expires);
		memset(&b, 0, sizeof(b));
		if (out->who_changed)
			(void)body_of(s, msg, &b); /* the new token, stored */
		save(s, b.token, NULL, 0);
		sip_body_free(&b);
	}
	(void)reply_ok(s, msg, out->expires);
	if (!out->expires) {
		end(s, "timeout", true);
		return;
	}
	pending_clear(s);
	s->full = true;
	kick(s);
}

int sub_reply_refusal(struct sip *sip, const struct sip_msg *msg,
		      const struct sip_subscribe_out *out)
{
	char warn[sizeof(out->why)], extra[128] = "";
	size_t i;

	/* the Warning text is a quoted string: no quotes or controls inside */
	for (i = 0; out->why[i] && i + 1 < sizeof(warn); i++)
		warn[i] =
		    out->why[i] == '"' || (unsigned char)out->why[i] < 0x20 ? '\'' : out->why[i];
	warn[i] = '\0';
	if (out->status == 423)
		snprintf(extra, sizeof(extra), "Min-Expires: %u\r\n", (unsigned)out->min_expires);
	else if (out->status == 489)
		snprintf(extra, sizeof(extra), "Allow-Events: " SIP_EVENT_PACKAGE "\r\n");
	else if (out->status == 415)
		snprintf(extra, sizeof(extra),
			 "Accept: multipart/mixed, application/resource-lists+xml\r\n");
	return sip_treplyf(NULL, NULL, sip, msg, false, (uint16_t)out->status, out->reason,
			   "%s"
			   "Warning: 399 mcxd \"%s\"\r\n"
			   "Content-Length: 0\r\n"
			   "\r\n",
			   extra, warn);
}

void sub_refuse(struct sip_sub *s, const struct sip_msg *msg, const struct sip_subscribe_out *out)
{
	(void)sub_reply_refusal(s->n->sip, msg, out);
	if (out->terminate)
		end(s, "deactivated", false);
}

/* A new pending entry for c, named sel; MCX_ELIMIT past max_pending. */
static enum mcx_err pending_add(struct sip_sub *s, const char *sel, const struct sip_change *c)
{
	struct pending *p;

	if (s->npend >= s->n->max_pending)
		return MCX_ELIMIT;
	p = mcx_realloc(s->pend, (s->npend + 1) * sizeof(*p));
	if (!p)
		return MCX_ENOMEM;
	s->pend = p;
	p += s->npend;
	p->sel = mcx_strdup(sel);
	p->path = mcx_strdup(c->path);
	if (!p->sel || !p->path) {
		mcx_free(p->sel);
		mcx_free(p->path);
		return MCX_ENOMEM;
	}
	snprintf(p->prev, sizeof(p->prev), "%s", c->prev_etag);
	snprintf(p->next, sizeof(p->next), "%s", c->new_etag);
	p->v_prev = c->version - 1;
	p->v_next = c->version;
	s->npend++;
	return MCX_OK;
}

void sub_change(struct sip_sub *s, const struct sip_change *c)
{
	char sel[SIP_SEL_MAX];
	struct pending *p;
	size_t i;

	if (s->ending || s->full)
		goto out; /* the full state to come covers it */
	if (scope_node_changed(s->scope, s->n->policy->h, c->path))
		s->nodes = true;
	if (!scope_match(s->scope, s->n->policy->h, c->path, sel, sizeof(sel))) {
		if (s->nodes)
			goto out;
		return;
	}
	for (i = 0; i < s->npend && strcmp(s->pend[i].sel, sel); i++)
		;
	if (i < s->npend) {
		p = &s->pend[i];
		snprintf(p->next, sizeof(p->next), "%s", c->new_etag);
		p->v_next = c->version;
		if (!p->prev[0] && !p->next[0]) { /* created and deleted since: nothing */
			mcx_free(p->sel);
			mcx_free(p->path);
			s->pend[i] = s->pend[--s->npend];
		}
		goto out;
	}
	if (pending_add(s, sel, c)) {
		sub_resync(s);
		return;
	}
out:
	kick(s);
}

void sub_resync(struct sip_sub *s)
{
	if (s->ending)
		return;
	pending_clear(s);
	s->full = true;
	kick(s);
}

/* ---- restore and administration ---- */

/* A subscription from its stored row, kept only to be ended: the final
 * NOTIFY with reason, no state, no scope. */
static void restore_to_end(struct sip_sub *s, const char *reason)
{
	log_info("%s: stored subscription %s ends: %s", name(s), dlg_get(&s->dlg, DLG_LTAG),
		 reason);
	end(s, reason, false);
}

/* The subscriber of a stored row, checked again: the token is validated
 * anew (false, why says it: expired, revoked, keys rotated), an asserted
 * identity gets its current role. */
static bool who_again(struct sip_notifier *n, const struct sip_sub_rec *r, struct sip_who *w,
		      char *why, size_t whylen)
{
	if (r->token)
		return !sip_who_token(w, n->policy->auth, n->policy->store, r->token, why, whylen);
	if (sip_who_asserted(w, n->policy->store, r->who.xui))
		*w = r->who;
	return true;
}

enum sub_restored sub_restore(struct sip_notifier *n, const char *id, const char *data,
			      size_t len, unsigned flags, int64_t now)
{
	const char *reason = persist_reason_name(flags);
	struct sip_sub_rec r;
	char why[160];
	int64_t left;
	struct sip_sub *s;
	struct sip_who w;
	enum mcx_err err;
	unsigned refused = 0;

	err = persist_decode(&r, data, len, n->policy->max_entries);
	if (err || strcmp(id, dlg_get(&r.dlg, DLG_LTAG))) {
		log_warn("stored subscription %s is unusable (%s): deleted", id,
			 err ? mcx_strerror(err) : "its id is not its tag");
		persist_rec_free(&r);
		return store_sub_del(n->policy->store, id) ? SUB_RESTORE_FAILED : SUB_RESTORE_BAD;
	}
	if (r.expires <= now) {
		log_info("stored subscription %s (%s) expired while mcxd was down: deleted", id,
			 r.who.xui);
		persist_rec_free(&r);
		return store_sub_del(n->policy->store, id) ? SUB_RESTORE_FAILED
							  : SUB_RESTORE_EXPIRED;
	}
	s = sub_new(n);
	if (!s) {
		persist_rec_free(&r);
		return SUB_RESTORE_FAILED;
	}
	s->dlg = r.dlg; /* taken */
	memset(&r.dlg, 0, sizeof(r.dlg));
	index_add(s);
	s->dlg.lseq = r.lseq_ceil; /* nothing above it was used */
	s->lseq_ceil = r.lseq_ceil;
	s->ev = r.ev;
	left = r.expires - now < UINT32_MAX ? r.expires - now : UINT32_MAX;
	s->expires_at = tmr_jiffies() + (uint64_t)left * 1000;
	if (!reason && !who_again(n, &r, &w, why, sizeof(why))) {
		log_info("%s: the stored access token is refused now (%s)", r.who.xui, why);
		reason = "deactivated"; /* subscribe again with a fresh token */
	}
	if (!reason) {
		err = scope_build(&s->scope, n->policy->h, &w, r.uris, r.nuris, &refused);
		if (err == MCX_ENOENT)
			log_info("%s: none of the stored resources may be read now", w.xui);
		if (err)
			reason = err == MCX_ENOENT ? "rejected" : "noresource";
		else if (refused)
			log_info("%s: %u stored resources may not be read now: left out", w.xui,
				 refused);
	}
	persist_rec_free(&r);
	if (reason) {
		restore_to_end(s, reason);
		return SUB_RESTORE_ENDED;
	}
	arm(s, (uint32_t)left);
	s->full = true; /* the documents may have changed meanwhile */
	kick(s);
	return SUB_RESTORE_OK;
}

bool sub_end_by_id(struct sip_notifier *n, const char *id, const char *reason)
{
	struct le *le;

	for (le = list_head(&n->subs); le; le = le->next) {
		struct sip_sub *s = le->data;

		if (strcmp(dlg_get(&s->dlg, DLG_LTAG), id))
			continue;
		if (!s->ending) {
			log_info("%s: ended by the administrator (%s)", name(s), reason);
			end(s, reason, false);
		}
		return true;
	}
	return false;
}
