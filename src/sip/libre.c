/* libre glue shared by the SIP notifier and the CMC. */
#define LOG_MODULE "libre"
#include "core/log.h"
#include "sip/libre.h"

void sip_re_log(int level, const char *p, size_t len, void *arg)
{
	(void)arg;
	while (len && (p[len - 1] == '\n' || p[len - 1] == '\r'))
		len--;
	if (level <= DBG_WARNING)
		log_warn("%.*s", (int)len, p);
	else
		log_debug("%.*s", (int)len, p);
}
