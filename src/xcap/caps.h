/* The generated xcap-caps document. */
#ifndef MCX_XCAP_CAPS_H
#define MCX_XCAP_CAPS_H

#include <stdbool.h>

#include "core/buf.h"

MCX_WUR enum mcx_err xcap_caps_render(bool with_opt_in, struct mcx_buf *out);

#endif
