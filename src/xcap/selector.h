/* XCAP node selectors (RFC 4825 §6.3): parsing into steps, and evaluation
 * against an indexed document (xmldoc). Parsing is sans-I/O: views point into
 * the caller's decoded selector string, which must outlive the xsel. */
#ifndef MCX_XCAP_SELECTOR_H
#define MCX_XCAP_SELECTOR_H

#include <stdint.h>
#include <stdbool.h>

#include "mcx/mcx.h"
#include "core/pl.h"
#include "xcap/xmldoc.h"

#define XSEL_MAX_STEPS_DEFAULT 64
#define XSEL_ATTVAL_MAX 1024

struct xsel_step {
	struct pl text;          /* the step as written */
	struct pl prefix, local; /* name test; any = '*' */
	bool any;
	uint32_t pos;            /* 1-based position predicate; 0 = none */
	bool has_attr;
	struct pl aprefix, alocal;
	char *aval;              /* decoded attribute value (owned by the xsel) */
	size_t avlen;
};

enum xsel_term { XSEL_ELEMENT, XSEL_ATTR, XSEL_NS };

struct xsel {
	struct pl raw;
	struct xsel_step *steps;
	uint32_t n;
	enum xsel_term term;
	struct pl tprefix, tlocal;   /* for XSEL_ATTR */
	struct pl elem_part;         /* raw text of the element steps only */
};

/* Parse sel[0..len) (already percent-decoded). errbuf gets the reason. */
MCX_WUR enum mcx_err xsel_parse(struct xsel *s, const char *sel, size_t len,
				uint32_t max_steps, char *errbuf, size_t errlen);
void xsel_free(struct xsel *s);

/* Prefix bindings from the request's xmlns() query. */
struct xsel_nsbind {
	struct pl prefix;
	const char *uri;
};

struct xsel_ctx {
	const char *default_ns;           /* of the application usage; NULL = none */
	const struct xsel_nsbind *binds;
	uint32_t nbinds;
};

enum xsel_res {
	XSEL_FOUND,       /* exactly one element */
	XSEL_NONE,        /* no element; *matched says how many steps did match */
	XSEL_MANY,        /* a step matched more than one element */
	XSEL_BADPREFIX    /* a prefix in the selector is not bound by xmlns() */
};

/* Evaluate the first nsteps element steps. On XSEL_FOUND *el is the element;
 * on XSEL_NONE/XSEL_MANY *matched is the number of leading steps that did
 * select exactly one element (0 = not even the root). */
enum xsel_res xsel_eval(const struct xmldoc *d, const struct xsel *s, uint32_t nsteps,
			const struct xsel_ctx *ctx, uint32_t *el, uint32_t *matched);
/* Does element e pass the name test (and attribute predicate) of step st? */
bool xsel_step_name_ok(const struct xmldoc *d, uint32_t e, const struct xsel_step *st,
		       const struct xsel_ctx *ctx, bool *badprefix);
bool xsel_step_attr_ok(const struct xmldoc *d, uint32_t e, const struct xsel_step *st,
		       const struct xsel_ctx *ctx, bool *badprefix);
/* Find attribute (prefix, local) on element e; returns index or XEL_NONE. */
uint32_t xsel_find_attr(const struct xmldoc *d, uint32_t e, struct pl prefix,
			struct pl local, const struct xsel_ctx *ctx, bool *badprefix);

#endif
