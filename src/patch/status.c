/* RFC 5261 §5 error names and the status detail text. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "patch/status.h"
#include "core/banned.h"

const char *patch_error_name(enum patch_error e)
{
	switch (e) {
	case PATCH_E_NONE:                           return "";
	case PATCH_E_INVALID_ATTRIBUTE_VALUE:        return "invalid-attribute-value";
	case PATCH_E_INVALID_CHARACTER_SET:          return "invalid-character-set";
	case PATCH_E_INVALID_DIFF_FORMAT:            return "invalid-diff-format";
	case PATCH_E_INVALID_ENTITY_DECLARATION:     return "invalid-entity-declaration";
	case PATCH_E_INVALID_NAMESPACE_PREFIX:       return "invalid-namespace-prefix";
	case PATCH_E_INVALID_NAMESPACE_URI:          return "invalid-namespace-uri";
	case PATCH_E_INVALID_NODE_TYPES:             return "invalid-node-types";
	case PATCH_E_INVALID_PATCH_DIRECTIVE:        return "invalid-patch-directive";
	case PATCH_E_INVALID_ROOT_ELEMENT_OPERATION: return "invalid-root-element-operation";
	case PATCH_E_INVALID_XML_PROLOG_OPERATION:   return "invalid-xml-prolog-operation";
	case PATCH_E_INVALID_WHITESPACE_DIRECTIVE:   return "invalid-whitespace-directive";
	case PATCH_E_UNLOCATED_NODE:                 return "unlocated-node";
	case PATCH_E_UNSUPPORTED_ID_FUNCTION:        return "unsupported-id-function";
	case PATCH_E_UNSUPPORTED_XML_ID:             return "unsupported-xml-id";
	case PATCH_E_TARGET:                         return "target-document";
	}
	return "";
}

void status_clear(struct patch_status *st)
{
	if (st) {
		st->code = PATCH_E_NONE;
		st->op = 0;
		st->detail[0] = '\0';
	}
}

enum mcx_err status_fail(struct patch_status *st, enum patch_error code, const char *fmt, ...)
{
	va_list ap;

	if (st) {
		st->code = code;
		va_start(ap, fmt);
		vsnprintf(st->detail, sizeof(st->detail), fmt, ap);
		va_end(ap);
	}
	return MCX_EINVAL;
}

enum mcx_err status_limit(struct patch_status *st, enum patch_error code, const char *what)
{
	if (st) {
		st->code = code;
		snprintf(st->detail, sizeof(st->detail), "%s is over its limit", what);
	}
	return MCX_ELIMIT;
}
