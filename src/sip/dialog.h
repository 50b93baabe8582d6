/* The UAS side of one subscription's dialog (RFC 3261 §12.1.1, §12.2),
 * kept by us rather than in libre's struct sip_dialog so that it can be
 * stored and restored: libre's dialog is opaque, starts its local CSeq at
 * random and cannot be given back its tags. The strings live in one
 * allocation (a subscription costs little). Sans-I/O: bytes in, views out;
 * the glue (subscription.c) reads them from libre's messages and writes the
 * requests. Not thread-safe: one owner. */
#ifndef MCX_SIP_DIALOG_H
#define MCX_SIP_DIALOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mcx/mcx.h"
#include "sip/limits.h"
#include "sip/subscribe.h"

enum sip_dlg_field {
	DLG_CALLID, /* Call-ID */
	DLG_LTAG,   /* local tag: the To tag of our 200 */
	DLG_RTAG,   /* remote tag: the From tag of the SUBSCRIBE */
	DLG_LURI,   /* local URI: the To URI of the SUBSCRIBE */
	DLG_RURI,   /* remote URI: the From URI */
	DLG_TARGET, /* remote target: the Contact URI (changed by refreshes) */
	DLG_ROUTE,  /* route set: the Record-Route values in order, ", "-joined; "" none */
	DLG_NFIELDS
};

struct sip_dlg {
	char *str;		   /* the fields, each NUL-terminated, in enum order */
	uint16_t off[DLG_NFIELDS]; /* where each field starts in str */
	uint32_t lseq;		   /* CSeq of our last request */
	uint32_t rseq;		   /* CSeq of the subscriber's last request */
};

/* Set every field from f (f[i].p NULL = empty). MCX_ELIMIT when they take
 * more than SIP_DIALOG_MAX bytes, MCX_EINVAL when Call-ID, a tag or the
 * target is empty or holds a control character; d is unchanged on error. */
MCX_WUR enum mcx_err dlg_init(struct sip_dlg *d, const struct sip_bytes f[DLG_NFIELDS]);
/* Replace one field (a target refresh); d is unchanged on error. */
MCX_WUR enum mcx_err dlg_set(struct sip_dlg *d, enum sip_dlg_field i, const char *p, size_t l);
/* The field, NUL-terminated ("" when d is empty). Invalidated by dlg_set. */
const char *dlg_get(const struct sip_dlg *d, enum sip_dlg_field i);
/* Bytes held by the string block. */
size_t dlg_size(const struct sip_dlg *d);
void dlg_free(struct sip_dlg *d);

/* Is a request with this Call-ID, To tag and From tag in the dialog? */
bool dlg_match(const struct sip_dlg *d, struct sip_bytes callid, struct sip_bytes to_tag,
	       struct sip_bytes from_tag);
/* An in-dialog request's CSeq: taken when higher than the last one; false
 * (the caller answers 500) when lower or equal. */
bool dlg_rseq_take(struct sip_dlg *d, uint32_t cseq);

/* Where the next request goes (RFC 3261 §12.2.1.1). */
struct dlg_target {
	struct sip_bytes ruri;	/* the Request-URI */
	struct sip_bytes hop;	/* the URI of the next hop: first route entry, else the target */
	struct sip_bytes route; /* Route header entries ("" none) */
	struct sip_bytes tail; /* strict routing: the target as the last Route entry; else p NULL */
};
/* Loose routing (the first route entry has ;lr) or none: the target is the
 * Request-URI and the route set goes in Route. Strict routing: the first
 * entry's URI is the Request-URI, the rest and the target go in Route. */
void dlg_target(const struct sip_dlg *d, struct dlg_target *t);

/* The URI of a name-addr ("Name" <uri>;params) or a bare addr-spec. */
struct sip_bytes dlg_addr_uri(struct sip_bytes v);

#endif
