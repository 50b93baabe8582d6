/* Logging sink and level; the default sink writes one line per event to stderr. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <pthread.h>

#define LOG_MODULE "log"
#include "core/log.h"

int mcx_log_level_cur = MCX_LOG_INFO;

static const char *const names[] = { "error", "warn", "info", "debug" };

static void stderr_sink(enum mcx_log_level lvl, const char *module,
			const char *msg, void *arg)
{
	struct timespec ts;
	struct tm tm;
	char when[32];

	(void)arg;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
	fprintf(stderr, "%s.%03ldZ %s %s: %s\n", when, ts.tv_nsec / 1000000L,
		names[lvl], module, msg);
}

static mcx_log_h *sink = stderr_sink;
static void *sink_arg;

void mcx_log_set_level(enum mcx_log_level lvl)
{
	mcx_log_level_cur = (int)lvl;
}

void mcx_log_set_sink(mcx_log_h *h, void *arg)
{
	sink = h ? h : stderr_sink;
	sink_arg = arg;
}

int mcx_log_level_parse(const char *s, enum mcx_log_level *lvl)
{
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (!strcasecmp(s, names[i])) {
			*lvl = (enum mcx_log_level)i;
			return 0;
		}
	}
	return -1;
}

void mcx_log_emit(enum mcx_log_level lvl, const char *module, const char *fmt, ...)
{
	char msg[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	sink(lvl, module, msg, sink_arg);
}
