/* Text for each enum mcx_err value. */
#include "mcx/mcx.h"

const char *mcx_strerror(enum mcx_err err)
{
	switch (err) {
	case MCX_OK:        return "success";
	case MCX_ENOMEM:    return "out of memory";
	case MCX_EINVAL:    return "invalid input";
	case MCX_ENOENT:    return "not found";
	case MCX_EEXIST:    return "already exists";
	case MCX_ELIMIT:    return "limit exceeded";
	case MCX_EIO:       return "I/O error";
	case MCX_ECONFLICT: return "precondition failed";
	case MCX_EDB:       return "store error";
	case MCX_EAUTH:     return "authentication failed";
	case MCX_EPERM:     return "not allowed";
	case MCX_EBUSY:     return "busy";
	case MCX_EINTERNAL: return "internal error";
	}
	return "unknown error";
}
