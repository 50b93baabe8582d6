/* libFuzzer driver: the configuration file parser (core/conf.c) over the
 * daemon's real tables, and the asserted-identity cleaner (http/auth.c). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http/config.h"
#include "http/auth.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mcx_config cfg;
	char eb[512], id[AUTH_XUI_MAX], *s;

	if (mcx_config_init(&cfg))
		return 0;
	(void)conf_parse(cfg.parts, MCX_CONFIG_PARTS, "fuzz.conf", (const char *)data, size,
			 eb, sizeof(eb));
	mcx_config_free(&cfg);
	s = malloc(size + 1);
	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	if (auth_clean_identity(s, id, sizeof(id)) && strlen(id) >= sizeof(id))
		abort();
	free(s);
	return 0;
}
