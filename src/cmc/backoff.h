/* The re-subscription backoff schedule: exponential from a minimum to a
 * maximum, with jitter so that a fleet of UEs does not come back at once
 * after a server restart. Pure arithmetic, unit-tested. */
#ifndef MCX_CMC_BACKOFF_H
#define MCX_CMC_BACKOFF_H

#include <stdint.h>

/* Delay before retry number attempt (0 = the first retry): d = min(max,
 * min * 2^attempt), then cut by up to half of it: d * (1 - rnd / 2) for rnd
 * in [0, 1). rnd = 0 gives the plain schedule. */
uint32_t cmc_backoff_ms(unsigned attempt, uint32_t min_ms, uint32_t max_ms, double rnd);

#endif
