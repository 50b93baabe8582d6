/* One xcap-diff subscription on the SIP thread (libre glue): its dialog,
 * lifetime and token timers, and its NOTIFYs. One NOTIFY is in flight per
 * dialog at a time, so CSeq order is delivery order; changes that arrive
 * meanwhile wait, folded per document (first previous-etag, last new-etag),
 * and go out together in the next NOTIFY. A 408 or transport failure sends
 * the same NOTIFY again, up to the configured count; a 481 or any other
 * failure ends the subscription. Not thread-safe: SIP thread only. */
#ifndef MCX_SIP_SUBSCRIPTION_H
#define MCX_SIP_SUBSCRIPTION_H

#include "sip/libre.h"
#include "sip/subscribe.h"

struct sip_change;

/* What every subscription shares; owned by the server. */
struct sip_notifier {
	struct sip *sip;
	const struct sip_policy *policy;
	const char *xcap_root;	  /* the xcap-root attribute of NOTIFY bodies */
	const char *contact_user; /* user part of our Contact */
	unsigned retries;	  /* resends after 408 / transport failure */
	size_t max_pending;	  /* folded changes kept before a full state */
	uint32_t interval_ms;	  /* aggregation window: least time between NOTIFYs */
	size_t max_patch;	  /* larger patches are left out (etags only) */
	struct patch_memo *memo;  /* patches computed lately (sip/patchmemo.h) */
	struct list subs;	  /* struct sip_sub, in creation order */
	size_t nsubs;
	/* NOTIFYs in flight across all subscriptions, at most max_inflight: a
	 * change that concerns many subscriptions goes out as their answers come
	 * back, so the event loop keeps reading the socket meanwhile. */
	unsigned inflight, max_inflight;
	unsigned unanswered, max_unanswered; /* UDP NOTIFYs out of the window after T1 */
	struct list waiting; /* subscriptions with a NOTIFY due, waiting for room */
	struct hash *by_callid; /* in-dialog requests find their subscription */
	struct sip_lsnr *udp_lsnr; /* answers to our UDP NOTIFYs */
	struct list udp_out;	   /* subscriptions with a UDP NOTIFY out */
	struct tmr rtx;		   /* their retransmissions and timeouts */
	struct tmr sweep;	/* ends subscriptions (and tokens) when their time is up */
};

/* Set up n's tables and timer (on the SIP thread, once its fields are set),
 * and tear them down after every subscription is gone. */
int sub_notifier_init(struct sip_notifier *n);
void sub_notifier_close(struct sip_notifier *n);

struct sip_sub;

/* Accept msg (a new SUBSCRIBE) as decided in out (status 200): create the
 * dialog, answer 200 with the granted Expires, send the full state. Takes
 * out->scope. A nonzero errno when it could not (the caller answers 500). */
int sub_accept(struct sip_notifier *n, const struct sip_msg *msg, struct sip_subscribe_out *out);
/* The subscriber of s, copied out. */
void sub_who(const struct sip_sub *s, struct sip_who *out);
/* The subscription msg (an in-dialog request) belongs to; NULL if none. */
struct sip_sub *sub_find(struct sip_notifier *n, const struct sip_msg *msg);
/* Handle an in-dialog SUBSCRIBE as decided in out: answer it, then a
 * NOTIFY with the full state, or the final one (Expires: 0, refusal). */
void sub_refresh(struct sip_sub *s, const struct sip_msg *msg, struct sip_subscribe_out *out);
/* Refuse an in-dialog SUBSCRIBE as decided in out; out->terminate ends
 * the subscription (final NOTIFY, reason deactivated). */
void sub_refuse(struct sip_sub *s, const struct sip_msg *msg, const struct sip_subscribe_out *out);
/* Answer a refused SUBSCRIBE: status, reason, Min-Expires (423),
 * Allow-Events (489), Accept (415) and the detail in a Warning header. */
int sub_reply_refusal(struct sip *sip, const struct sip_msg *msg,
		      const struct sip_subscribe_out *out);
/* A committed change: queue it for s when in scope and readable. */
void sub_change(struct sip_sub *s, const struct sip_change *c);
/* Changes were lost: s gets its full state next. */
void sub_resync(struct sip_sub *s);
/* End s at once without a NOTIFY (shutdown); its stored row stays. */
void sub_drop(struct sip_sub *s);

enum sub_restored {
	SUB_RESTORE_OK,	     /* notifying again: a NOTIFY with the full state is on its way */
	SUB_RESTORE_ENDED,   /* restored to be ended: marked by mcx sip end, token refused
				or nothing readable; the final NOTIFY is on its way */
	SUB_RESTORE_EXPIRED, /* expired while mcxd was down: row deleted */
	SUB_RESTORE_BAD,     /* unreadable row: deleted */
	SUB_RESTORE_FAILED   /* out of memory, or the row could not be deleted */
};
/* A subscription from its stored row (id, data, flags; sip/persist.h):
 * the dialog goes on from its CSeq ceiling, the token and every resource
 * are checked again (what may no longer be read is left out), and it gets
 * the full state. now: unix seconds. */
enum sub_restored sub_restore(struct sip_notifier *n, const char *id, const char *data,
			      size_t len, unsigned flags, int64_t now);
/* End the subscription whose id (local tag) is id with a final NOTIFY
 * Subscription-State: terminated;reason=reason (a static string); its row
 * goes when it is over. false when there is no such subscription. */
bool sub_end_by_id(struct sip_notifier *n, const char *id, const char *reason);

#endif
