/* The one place libre (Debian libre-dev 1.1.0, <re.h>) is included. Only the
 * glue files (server.c, subscription.c, libre.c, and the CMC's sub.c) include this; they never include
 * core/pl.h, because libre defines its own struct pl and pl_u64(): the
 * sans-I/O files (body, subscribe, scope, ...) take plain pointers and
 * lengths at their boundary for that reason. libre's headers compile clean
 * under our warning flags; they need HAVE_INTTYPES_H/HAVE_STDBOOL_H so that
 * re_types.h takes the C99 types instead of defining its own, and they
 * define function-like min()/max() macros that we undefine after them. */
#ifndef MCX_SIP_LIBRE_H
#define MCX_SIP_LIBRE_H

#ifdef MCX_CORE_PL_H
#error "sip/libre.h and core/pl.h cannot meet in one file (two struct pl)"
#endif

#ifndef HAVE_INTTYPES_H
#define HAVE_INTTYPES_H 1
#endif
#ifndef HAVE_STDBOOL_H
#define HAVE_STDBOOL_H 1
#endif
#include <stdbool.h>
#include <stdint.h>
#include <inttypes.h>
#include <re.h>
/* re_dbg.h (not in re.h) routes libre's diagnostics: server.c sends them to
 * our log. It wants a module name and a level for its own macros. */
#define DEBUG_MODULE "sip"
#define DEBUG_LEVEL 0
#include <re_dbg.h>
#undef min
#undef max

/* libre's diagnostics into our log (dbg_handler_set(sip_re_log, NULL)):
 * warnings and worse as warnings, the rest at debug level. */
void sip_re_log(int level, const char *p, size_t len, void *arg);

#endif
