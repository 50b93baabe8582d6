/* Large-object reassembly (SyncML RepPro 1.2 section 6.7 as DM uses it): an
 * Add/Replace/Results item split over messages with <MoreData/>, its total
 * length in the first chunk's Meta Size. Feed every item; the helper says
 * which status to answer and hands out the whole object when complete. */
#ifndef MCX_DM_LARGEOBJ_H
#define MCX_DM_LARGEOBJ_H

#include <stdbool.h>
#include <stddef.h>

#include "mcx/mcx.h"
#include "dm/syncml.h"

struct dm_lobj;

MCX_WUR enum mcx_err dm_lobj_alloc(struct dm_lobj **lp, const struct dm_limits *lim);
void dm_lobj_free(struct dm_lobj *l);

/* Feed one item of command c (c and it are only read during the call).
 * *status is what to answer for it:
 *   213  chunk buffered: ask for the rest;
 *   200  complete (or not chunked at all): dm_lobj_data() is the object;
 *   412  the first chunk lacks Meta Size (dropped);
 *   416  Meta Size is over the limit (dropped);
 *   424  the chunks do not add up to Meta Size (dropped).
 * An item for another target while an object is pending drops the pending
 * one: dm_lobj_abandoned() then names it (answer it with Alert 1225).
 * Errors: MCX_ENOMEM only. */
MCX_WUR enum mcx_err dm_lobj_feed(struct dm_lobj *l, const struct dm_cmd *c,
				  const struct dm_item *it, unsigned *status);
/* The object after a 200, valid until the next feed. */
const char *dm_lobj_data(const struct dm_lobj *l, size_t *len);
/* Meta Format / Type of the first chunk (NULL when absent). */
const char *dm_lobj_format(const struct dm_lobj *l);
const char *dm_lobj_type(const struct dm_lobj *l);
/* Is an object waiting for more chunks? (End of package with one pending
 * means Alert 1225 too.) */
bool dm_lobj_pending(const struct dm_lobj *l);
/* Target of the object dropped by the last feed, NULL if none. */
const char *dm_lobj_abandoned(const struct dm_lobj *l);

#endif
