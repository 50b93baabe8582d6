/* Re-subscription backoff (see backoff.h). */
#include "cmc/backoff.h"

uint32_t cmc_backoff_ms(unsigned attempt, uint32_t min_ms, uint32_t max_ms, double rnd)
{
	uint64_t d = min_ms ? min_ms : 1;

	if (max_ms < d)
		max_ms = (uint32_t)d;
	while (attempt-- && d < max_ms)
		d *= 2;
	if (d > max_ms)
		d = max_ms;
	if (rnd < 0 || rnd >= 1)
		rnd = 0;
	return (uint32_t)((double)d * (1.0 - rnd / 2.0));
}
