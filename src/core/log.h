/* Level-gated logging. Library code logs through these macros; the sink is
 * set by cmd/ (stderr by default, nothing is printed by library code itself).
 * Arguments are not evaluated below the current level (Redis serverLog).
 * Each .c file defines LOG_MODULE before including this header. */
#ifndef MCX_CORE_LOG_H
#define MCX_CORE_LOG_H

#include "mcx/mcx.h"

enum mcx_log_level { MCX_LOG_ERROR = 0, MCX_LOG_WARN, MCX_LOG_INFO, MCX_LOG_DEBUG };

typedef void (mcx_log_h)(enum mcx_log_level lvl, const char *module,
			 const char *msg, void *arg);

extern int mcx_log_level_cur;

void mcx_log_set_level(enum mcx_log_level lvl);
void mcx_log_set_sink(mcx_log_h *h, void *arg);
int mcx_log_level_parse(const char *s, enum mcx_log_level *lvl);
void mcx_log_emit(enum mcx_log_level lvl, const char *module, const char *fmt, ...)
	MCX_PRINTF(3, 4);

#ifndef LOG_MODULE
#define LOG_MODULE "mcx"
#endif

#define mcx_log(lvl, ...) do { \
		if ((int)(lvl) <= mcx_log_level_cur) \
			mcx_log_emit((lvl), LOG_MODULE, __VA_ARGS__); \
	} while (0)
#define log_err(...)   mcx_log(MCX_LOG_ERROR, __VA_ARGS__)
#define log_warn(...)  mcx_log(MCX_LOG_WARN, __VA_ARGS__)
#define log_info(...)  mcx_log(MCX_LOG_INFO, __VA_ARGS__)
#define log_debug(...) mcx_log(MCX_LOG_DEBUG, __VA_ARGS__)

#endif
