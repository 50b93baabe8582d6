/* The client's side of an xcap-diff NOTIFY (RFC 5874/5875, docs/sip.md):
 * parse the body into one entry per <document>, then decide for each what
 * the cached copy needs — nothing, the patch applied (and its ETag checked
 * against new-etag), a re-fetch, or removal. Sans-I/O: bytes in, bytes and
 * a decision out. */
#ifndef MCX_CMC_NOTIFY_H
#define MCX_CMC_NOTIFY_H

#include <stddef.h>
#include <stdbool.h>

#include "mcx/mcx.h"
#include "core/buf.h"
#include "patch/patch.h"
#include "cmc/limits.h"

struct xmldoc;

struct cmc_ndoc {
	char *sel;            /* decoded attribute, relative to the XCAP root */
	char prev[80];        /* previous-etag; "" when absent (a creation / full state) */
	char next[80];        /* new-etag; "" when absent (a deletion) */
	const char *ops;      /* the <document>'s content (RFC 5261 ops), in the body */
	size_t opslen;        /* 0 = etags only */
	struct patch_nsbind binds[CMC_MAX_BINDS]; /* in scope of the <document> */
	uint32_t nbinds;
};

struct cmc_notify {
	struct xmldoc *xd;     /* index of the body (views point into it) */
	char *xcap_root;       /* <xcap-diff xcap-root> */
	struct cmc_ndoc *docs;
	unsigned ndocs;
	char **strs;           /* prefix / URI copies for the bindings */
	unsigned nstrs;
};

/* Parse body[0..len) (kept alive by the caller while *np lives). MCX_EINVAL
 * with eb when it is not an xcap-diff document; MCX_ELIMIT past the bounds. */
MCX_WUR enum mcx_err cmc_notify_parse(struct cmc_notify **np, const char *body, size_t len,
				      char *eb, size_t el);
void cmc_notify_free(struct cmc_notify *n);

enum cmc_action {
	CMC_KEEP = 0,   /* the cached copy already is new-etag */
	CMC_PATCHED,    /* out holds the patched copy, whose ETag is new-etag */
	CMC_FETCH,      /* GET it: no usable patch, missed NOTIFY or failed check */
	CMC_DELETE      /* the document is gone */
};

/* What one <document> means for the cached copy (cached_etag "" = none). On
 * CMC_PATCHED, out gets the new bytes; why (always set) says why. */
MCX_WUR enum cmc_action cmc_notify_decide(const struct cmc_ndoc *nd, const char *cached,
					  size_t clen, const char *cached_etag,
					  struct mcx_buf *out, char *why, size_t wl);

#endif
