/* Subscriptions on the SIP thread: dialogs, timers and NOTIFY delivery,
 * over libre's dialog and transaction layers. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#define LOG_MODULE "sip"
#include "core/log.h"
#include "core/mem.h"
#include "core/buf.h"
#include "sip/subscription.h"
#include "sip/scope.h"
#include "sip/feed.h"
#include "sip/xcapdiff.h"
#include "store/store.h"
#include "patch/patch.h"

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
	struct sip_dialog *dlg;
	struct sip_request *req; /* the NOTIFY in flight; NULL when none */
	struct tmr tmr;		 /* end of the subscription, or of its token if sooner */
	struct tmr rtmr;	 /* wait before sending a failed NOTIFY again */
	struct sip_scope *scope;
	struct sip_event ev;
	uint64_t expires_at; /* tmr_jiffies() milliseconds */
	struct pending *pend;
	size_t npend;
	bool full;  /* the next NOTIFY carries the full state */
	char *body; /* body of the NOTIFY in flight (NULL: none) */
	size_t body_len;
	unsigned tries;	    /* resends of the NOTIFY in flight */
	const char *ending; /* reason, once the end is decided */
	bool final_state;   /* the final NOTIFY carries the full state */
	bool final_built;   /* the NOTIFY in flight is the final one */
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

static void sub_free(struct sip_sub *s)
{
	list_unlink(&s->le);
	s->n->nsubs--;
	tmr_cancel(&s->tmr);
	tmr_cancel(&s->rtmr);
	mem_deref(s->req); /* cancels it: its response handler never runs */
	mem_deref(s->dlg);
	scope_free(s->scope);
	pending_clear(s);
	mcx_free(s->body);
	mcx_free(s);
}

void sub_drop(struct sip_sub *s)
{
	sub_free(s);
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

static int send_notify(struct sip_sub *s)
{
	char state[64], event[32 + SIP_EVENT_ID_MAX];
	uint64_t now = tmr_jiffies();

	if (s->final_built)
		snprintf(state, sizeof(state), "terminated;reason=%s", s->ending);
	else
		snprintf(state, sizeof(state), "active;expires=%u",
			 s->expires_at > now ? (unsigned)((s->expires_at - now + 999) / 1000) : 0);
	snprintf(event, sizeof(event), SIP_EVENT_PACKAGE "%s%s", s->ev.id[0] ? ";id=" : "",
		 s->ev.id);
	return sip_drequestf(&s->req, s->n->sip, true, "NOTIFY", s->dlg, 0, NULL, send_contact,
			     on_response, s,
			     "Event: %s\r\n"
			     "Subscription-State: %s\r\n"
			     "%s"
			     "Content-Length: %zu\r\n"
			     "\r\n"
			     "%b",
			     event, state, s->body ? "Content-Type: " MIME_XCAP_DIFF "\r\n" : "",
			     s->body_len, s->body ? s->body : "", s->body_len);
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
	struct store_doc *a, *b;
	struct patch_status st;
	enum mcx_err err;

	if (!p->prev[0] || !p->next[0])
		return MCX_OK;
	a = version_of(s, p->path, p->v_prev, p->prev);
	b = a ? version_of(s, p->path, p->v_next, p->next) : NULL;
	err = a && b ? patch_diff(a->bytes, a->len, b->bytes, b->len, NULL, ops, &st) : MCX_OK;
	if (err && err != MCX_ENOMEM)
		log_debug("%s: no patch for %s (%s): etags only", scope_xui(s->scope), p->sel,
			  st.detail);
	store_doc_deref(a);
	store_doc_deref(b);
	if (err)
		buf_reset(ops);
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
	pending_clear(s);
	return MCX_OK;
}

/* Send whatever is due, unless a NOTIFY is in flight or waiting to be sent
 * again (its response kicks again). May end s only through a timer. */
static void kick(struct sip_sub *s)
{
	enum mcx_err err;

	if (s->req || tmr_isrunning(&s->rtmr) || s->final_built)
		return;
	if (!s->ending && !s->full && !s->npend)
		return;
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
	if (send_notify(s))
		tmr_start(&s->rtmr, 0, on_unsent, s); /* never end s inside kick */
}

/* A 408, a transport failure or a NOTIFY that could not be sent. */
static void failed(struct sip_sub *s, const char *why)
{
	if (s->tries < s->n->retries) {
		s->tries++;
		log_info("%s: NOTIFY %s; sending it again (%u/%u)", scope_xui(s->scope), why,
			 s->tries, s->n->retries);
		tmr_start(&s->rtmr, (uint64_t)SIP_T1 << (s->tries < 4 ? s->tries : 4), on_resend,
			  s);
		return;
	}
	log_warn("%s: NOTIFY %s; the subscription ends", scope_xui(s->scope), why);
	sub_free(s);
}

static void on_resend(void *arg)
{
	struct sip_sub *s = arg;

	if (send_notify(s))
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
	if (err || !msg || msg->scode == 408) {
		failed(s, err ? "timed out or failed in transport" : "got 408");
		return;
	}
	if (msg->scode >= 300) {
		if (msg->scode == 481)
			log_info("%s: NOTIFY got 481: the subscriber ended it",
				 scope_xui(s->scope));
		else
			log_warn("%s: NOTIFY got %u: the subscription ends", scope_xui(s->scope),
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
	tmr_cancel(&s->tmr);
	kick(s);
}

static void on_timer(void *arg)
{
	struct sip_sub *s = arg;
	bool token = tmr_jiffies() + 1000 < s->expires_at;

	log_info("%s: %s: the subscription ends", scope_xui(s->scope),
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
	tmr_start(&s->tmr, at - now, on_timer, s);
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

int sub_accept(struct sip_notifier *n, const struct sip_msg *msg, struct sip_subscribe_out *out)
{
	struct sip_sub *s = mcx_calloc(1, sizeof(*s));
	int err;

	if (!s)
		return ENOMEM;
	s->n = n;
	tmr_init(&s->tmr);
	tmr_init(&s->rtmr);
	err = sip_dialog_accept(&s->dlg, msg);
	if (err) {
		mcx_free(s);
		return err;
	}
	s->scope = out->scope;
	out->scope = NULL;
	s->ev = out->ev;
	list_append(&n->subs, &s->le, s);
	n->nsubs++;
	err = reply_ok(s, msg, out->expires);
	if (err) {
		sub_free(s);
		return 0; /* answered or not, nothing more can be done with it */
	}
	if (!out->expires) {
		end(s, "timeout", true); /* a fetch: the state once, terminated */
		return 0;
	}
	arm(s, out->expires);
	s->full = true;
	kick(s);
	return 0;
}

void sub_who(const struct sip_sub *s, struct sip_who *out)
{
	scope_who(s->scope, out);
}

struct sip_sub *sub_find(struct sip_notifier *n, const struct sip_msg *msg)
{
	struct le *le;

	for (le = list_head(&n->subs); le; le = le->next) {
		struct sip_sub *s = le->data;

		if (sip_dialog_cmp(s->dlg, msg))
			return s;
	}
	return NULL;
}

void sub_refresh(struct sip_sub *s, const struct sip_msg *msg, struct sip_subscribe_out *out)
{
	if (s->ending) {
		(void)sip_treply(NULL, s->n->sip, msg, 481, "Subscription Does Not Exist");
		return;
	}
	if (!sip_dialog_rseq_valid(s->dlg, msg)) {
		(void)sip_treply(NULL, s->n->sip, msg, 500, "Bad CSeq");
		return;
	}
	(void)sip_dialog_update(s->dlg, msg); /* the subscriber's Contact may move */
	if (out->who_changed && scope_set_who(s->scope, &out->who)) {
		(void)sip_treply(NULL, s->n->sip, msg, 500, "Server Internal Error");
		return;
	}
	(void)reply_ok(s, msg, out->expires);
	if (!out->expires) {
		end(s, "timeout", true);
		return;
	}
	arm(s, out->expires);
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
	if (!scope_match(s->scope, s->n->policy->h, c->path, sel, sizeof(sel)))
		return;
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
