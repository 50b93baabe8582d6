/* RFC 5261 XML patch operations on document bytes (as carried by RFC 5874
 * xcap-diff): patch_diff() computes the <add>/<replace>/<remove> operations
 * that turn one version of a document into the next, patch_apply() applies
 * operations by splicing bytes. Sans-I/O: bytes in, bytes and a status out. */
#ifndef MCX_PATCH_PATCH_H
#define MCX_PATCH_PATCH_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

#include "mcx/mcx.h"
#include "core/buf.h"

/* Default bounds; each can be lowered (or raised) per call in the opts. */
#define PATCH_MAX_DOC        (4u << 20)  /* bytes of a document, before and after */
#define PATCH_MAX_PATCH      (16u << 10) /* bytes of a computed patch: more = no patch */
#define PATCH_MAX_OPS        512u        /* operations in one patch */
#define PATCH_MAX_DEPTH      64u         /* element nesting of documents and patches */
#define PATCH_MAX_ELEMENTS   100000u     /* elements of one document */
#define PATCH_MAX_STEPS      64u         /* location steps in one selector */
#define PATCH_MAX_PREDS      8u          /* predicates on one step */
#define PATCH_MAX_SEL        2048u       /* bytes of one decoded selector */
#define PATCH_MAX_LCS_CELLS  (1u << 20)  /* alignment work for one child list (diff) */
#define PATCH_MAX_BINDINGS   24u         /* namespace declarations written on one op */
#define PATCH_MAX_NSFIX      16u         /* declarations added to one inserted element */

#define PATCH_NS_XCAP_DIFF "urn:ietf:params:xml:ns:xcap-diff"

/* The error conditions of RFC 5261 §5 (the element names of its error body),
 * plus PATCH_E_TARGET for a target document this engine cannot read. */
enum patch_error {
	PATCH_E_NONE = 0,
	PATCH_E_INVALID_ATTRIBUTE_VALUE,
	PATCH_E_INVALID_CHARACTER_SET,
	PATCH_E_INVALID_DIFF_FORMAT,
	PATCH_E_INVALID_ENTITY_DECLARATION,
	PATCH_E_INVALID_NAMESPACE_PREFIX,
	PATCH_E_INVALID_NAMESPACE_URI,
	PATCH_E_INVALID_NODE_TYPES,
	PATCH_E_INVALID_PATCH_DIRECTIVE,
	PATCH_E_INVALID_ROOT_ELEMENT_OPERATION,
	PATCH_E_INVALID_XML_PROLOG_OPERATION,
	PATCH_E_INVALID_WHITESPACE_DIRECTIVE,
	PATCH_E_UNLOCATED_NODE,
	PATCH_E_UNSUPPORTED_ID_FUNCTION,
	PATCH_E_UNSUPPORTED_XML_ID,
	PATCH_E_TARGET       /* not RFC 5261: the target document is not well-formed
				or exceeds a limit */
};

/* What went wrong, for the caller's error body or log. */
struct patch_status {
	enum patch_error code;
	uint32_t op;           /* 1-based index of the failing operation; 0 = none */
	char detail[160];      /* one sentence; "" when all went well */
};

/* RFC 5261 §5 element name ("unlocated-node", ...); "" for PATCH_E_NONE. */
const char *patch_error_name(enum patch_error e);

/* A namespace binding in scope around the operations (prefix "" = default). */
struct patch_nsbind {
	const char *prefix;
	const char *uri;
};

struct patch_opts {
	size_t max_doc;        /* 0 = PATCH_MAX_DOC */
	size_t max_patch;      /* 0 = PATCH_MAX_PATCH (diff only) */
	uint32_t max_ops;      /* 0 = PATCH_MAX_OPS */
	/* diff: write xmlns="urn:ietf:params:xml:ns:xcap-diff" (or a prefix for it)
	 * on every operation, so the ops are correct under any <document> element.
	 * Without it they assume the xcap-diff namespace is the default namespace
	 * where they are placed (<xcap-diff xmlns="urn:ietf:params:xml:ns:xcap-diff">). */
	bool ns_explicit;
	/* apply: the bindings in scope around the operations (from <xcap-diff> and
	 * <document>); NULL = only the default namespace, the xcap-diff one. */
	const struct patch_nsbind *binds;
	uint32_t nbinds;
};

/* Compute the operations that turn prev into next, as the content of an
 * xcap-diff <document> element (RFC 5874: the ops are in the xcap-diff
 * namespace). Appended to out (whose cap also bounds the patch). Contract:
 * patch_apply(prev, out) gives exactly next's bytes; the result is checked by
 * applying it before returning. Identical documents give MCX_OK and no bytes.
 * "No patch" (the caller sends etags only): MCX_EINVAL when the change can't be
 * expressed exactly (prolog, epilog, a malformed document, ...) and MCX_ELIMIT
 * when a document, the patch or the op count is over a limit; st (may be NULL)
 * says why. MCX_ENOMEM on allocation failure. out is unchanged on error. */
MCX_WUR enum mcx_err patch_diff(const char *prev, size_t plen, const char *next, size_t nlen,
				const struct patch_opts *opts, struct mcx_buf *out,
				struct patch_status *st);

/* Apply ops to doc and append the new document to out. ops is either the
 * content of a <document> (a sequence of <add>, <replace>, <remove>) or one
 * element holding them (<document> or a standalone RFC 5261 <diff>). Every byte
 * outside the addressed nodes is kept. MCX_EINVAL: the patch failed, st->code
 * holds the RFC 5261 error; MCX_ELIMIT: a limit was hit (also in st);
 * MCX_ENOMEM. out is unchanged unless MCX_OK. opts may be NULL. */
MCX_WUR enum mcx_err patch_apply(const char *doc, size_t dlen, const char *ops, size_t olen,
				 const struct patch_opts *opts, struct mcx_buf *out,
				 struct patch_status *st);

#endif
