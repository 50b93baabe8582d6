/* A subscription as stored in the store's subscription table (one row:
 * id = the dialog's local tag, a JSON blob, flags), so that a restarted
 * mcxd keeps notifying the dialogs it had, and `mcx sip` can list, show and
 * end them. Sans-I/O: records to JSON bytes and back, bounded; the reasons
 * an administrator may end a subscription with; the CSeq block rule. */
#ifndef MCX_SIP_PERSIST_H
#define MCX_SIP_PERSIST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mcx/mcx.h"
#include "sip/dialog.h"
#include "sip/subscribe.h"
#include "sip/who.h"

#define PERSIST_FORMAT 1 /* the "v" of the JSON; a newer one is refused */

struct sip_sub_rec {
	struct sip_dlg dlg; /* lseq unused: lseq_ceil is what is kept */
	uint32_t lseq_ceil; /* CSeqs up to here are reserved: a restart goes on from it */
	struct sip_who who; /* who subscribed, as last validated */
	char *token;	    /* the access token; NULL: asserted by the SIP core */
	char **uris;	    /* the resource list as subscribed */
	size_t nuris;
	struct sip_event ev;
	int64_t expires; /* unix seconds */
	int64_t created; /* unix seconds */
};

/* JSON of r into *outp (mcx_malloc'd, NUL-terminated, *lenp without it). */
MCX_WUR enum mcx_err persist_encode(const struct sip_sub_rec *r, char **outp, size_t *lenp);
/* r from JSON bytes (r is zeroed first; free it with persist_rec_free even
 * on failure). MCX_EINVAL malformed or a newer format, MCX_ELIMIT past the
 * bounds (SIP_RECORD_MAX, max_uris, the identity and URI sizes). */
MCX_WUR enum mcx_err persist_decode(struct sip_sub_rec *r, const char *p, size_t l,
				    size_t max_uris);
void persist_rec_free(struct sip_sub_rec *r);

/* Row flags: 0, or an end requested by `mcx sip end`, as the code of its
 * RFC 6665 §8.3 reason. */
#define PERSIST_END_REASONS "deactivated probation rejected timeout giveup noresource invariant"
/* The reason of a flags value; NULL when none. */
const char *persist_reason_name(unsigned flags);
/* The flags value of a reason; 0 when not an RFC 6665 reason. */
unsigned persist_reason_code(const char *name);

/* The CSeq of the next request: ++*lseq. CSeqs are reserved in blocks so a
 * restart never reuses one without a store write per request: true when
 * *lseq passed *ceil, which then moves SIP_CSEQ_BLOCK past it and must be
 * written before the request goes out. */
bool persist_cseq_next(uint32_t *lseq, uint32_t *ceil);

#endif
