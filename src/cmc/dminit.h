/* The UE initial configuration as the OMA DM client received it: the MCPTT
 * UE initial configuration MO in a management tree directory (docs/dm-client.md)
 * turned back into the XML document through the MO mapping (src/dm/mo.h),
 * and the UE's instance ID from ./DevInfo/DevId. Reads the tree file only. */
#ifndef MCX_CMC_DMINIT_H
#define MCX_CMC_DMINIT_H

#include <stddef.h>

#include "mcx/mcx.h"
#include "core/buf.h"

/* Read the tree saved in dir (DM_TREE_FILE): the document of the first
 * instance under the MO's tree root (./MCPTT/UEInitialConfiguration/<x>)
 * appended to xml (bounded by its cap), and a copy of ./DevInfo/DevId in
 * *devid (caller frees with mcx_free; NULL when the tree has none).
 * MCX_ENOENT when there is no tree or no such MO, MCX_EINVAL when the MO
 * does not map back to a document; eb says which and what to do. */
MCX_WUR enum mcx_err cmc_dm_init_read(const char *dir, struct mcx_buf *xml, char **devid, char *eb,
				      size_t el);

#endif
