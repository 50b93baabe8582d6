/* RFC 5261 selectors (the XPath subset of §4.1 and its schema): parsing into
 * steps, binding their prefixes in the patch's namespace context (unprefixed
 * element names take the patch's default namespace, §4.2.1), and locating
 * the one node they select in an indexed document. */
#ifndef MCX_PATCH_PSEL_H
#define MCX_PATCH_PSEL_H

#include <stdint.h>
#include <stdbool.h>

#include "mcx/mcx.h"
#include "core/pl.h"
#include "xcap/xmldoc.h"
#include "patch/patch.h"
#include "patch/pnode.h"

enum psel_kind { PS_ELEM, PS_TEXT, PS_COMMENT, PS_PI, PS_ATTR, PS_NS };
enum psel_pkind { PP_POS, PP_ATTR, PP_CHILD, PP_SELF };

struct psel_pred {
	uint8_t kind;              /* enum psel_pkind */
	uint32_t pos;              /* PP_POS */
	struct pl prefix, local;   /* PP_ATTR, PP_CHILD */
	struct pl val;             /* the literal, without its quotes */
	uint32_t ns;               /* bound: namespace id in the target document */
	bool nsok;                 /* bound: the target document knows the namespace */
};

struct psel_step {
	uint8_t kind;              /* enum psel_kind */
	bool any;                  /* '*' */
	struct pl prefix, local;   /* name; PI target in local (may be empty) */
	struct psel_pred preds[PATCH_MAX_PREDS];
	uint32_t npred;
	uint32_t ns;               /* bound, as in psel_pred */
	bool nsok;
};

struct psel {
	struct psel_step *steps;
	uint32_t n;
};

/* The located node. For PS_ELEM node.el == el; for text, comments and PIs el
 * is the parent (XEL_NONE: the document); for attributes and namespaces el is
 * the owner and attr the attribute (the xmlns:p one for PS_NS). */
struct ptarget {
	uint8_t kind;
	uint32_t el;
	uint32_t attr;
	struct pnode node;
};

/* Parse the decoded selector s[0..len) (s must outlive ps). On failure *code
 * is PATCH_E_INVALID_DIFF_FORMAT or PATCH_E_UNSUPPORTED_ID_FUNCTION. */
MCX_WUR enum mcx_err psel_parse(struct psel *ps, const char *s, size_t len,
				enum patch_error *code);
void psel_free(struct psel *ps);

/* XML Namespaces NCName / QName checks (ASCII rules; UTF-8 bytes let through). */
bool psel_ncname_ok(struct pl n);
bool psel_qname_split(struct pl q, struct pl *prefix, struct pl *local);

/* Resolve the step prefixes in scope of element op of patch pd, against the
 * namespaces of target document d. MCX_EINVAL: a prefix is unbound. */
MCX_WUR enum mcx_err psel_bind(struct psel *ps, const struct xmldoc *pd, uint32_t op,
			       const struct xmldoc *d);

/* Locate the node: MCX_OK with *t, MCX_ENOENT when no node or more than one
 * node matches, MCX_ENOMEM. */
MCX_WUR enum mcx_err psel_eval(const struct psel *ps, const struct xmldoc *d,
			       struct ptarget *t);

#endif
