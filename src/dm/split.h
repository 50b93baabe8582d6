/* Multi-message packages: the peer's MaxMsgSize, and splitting one logical
 * package (a list of commands) into messages that each fit it, chunking a
 * too-large item as a large object (Meta Size + MoreData). */
#ifndef MCX_DM_SPLIT_H
#define MCX_DM_SPLIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mcx/mcx.h"
#include "dm/syncml.h"

/* A message without <Final/> is one of several: the receiver answers (its
 * Statuses and) Alert 1222 "next message" to get the rest. */
bool dm_msg_more_follows(const struct dm_msg *m);
/* Does m carry Alert 1222 (the peer wants our next message)? */
bool dm_msg_asks_next(const struct dm_msg *m);
/* Add Alert 1222 to m, its Item naming m's target and source. */
MCX_WUR enum mcx_err dm_alert_next_add(struct dm_msg *m, uint32_t cmd_id);

/* The MaxMsgSize in the header Meta of a message from the peer, raised to
 * DM_MAXMSGSIZE_MIN and capped at cap; cap when the peer gave none. */
size_t dm_max_msg_size(const struct dm_msg *peer, size_t cap);

/* Split m into messages of at most max_size bytes of canonical XML (their
 * WBXML form is smaller). Every message gets m's header with MsgID
 * m->hdr.msg_id + i and CmdIDs renumbered from 1; only the last carries
 * <Final/> (when m does). Commands keep their order. A command that does not
 * fit an empty message is split into one command per item, and a single
 * Add/Replace/Results item into chunks: Meta Size (the whole Data length)
 * on the first, <MoreData/> on all but the last, one chunk per message.
 * Atomic, Sequence and anything else that cannot fit: MCX_ELIMIT.
 * *outp (n messages) is freed with dm_split_free. */
MCX_WUR enum mcx_err dm_split(const struct dm_msg *m, size_t max_size, const struct dm_limits *lim,
			      struct dm_msg ***outp, size_t *np, char *errbuf, size_t errlen);
void dm_split_free(struct dm_msg **v, size_t n);

#endif
