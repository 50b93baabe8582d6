/* SyncML 1.2 WBXML tag tokens (OMA SyncML RepPro 1.2, MetInf 1.2 and
 * DM TND 1.2 code-page assignments), tokens 0x05 upwards on each page. */
#include <string.h>
#include <strings.h>

#include "dm/syncml.h"
#include "dm/wbxml_tab.h"
#include "core/banned.h"

#define FIRST_TOKEN 0x05

static const char *const page_syncml[] = {
	"Add", "Alert", "Archive", "Atomic", "Chal", "Cmd", "CmdID", "CmdRef",	/* 05-0C */
	"Copy", "Cred", "Data", "Delete", "Exec", "Final", "Get", "Item",	/* 0D-14 */
	"Lang", "LocName", "LocURI", "Map", "MapItem", "Meta", "MsgID", "MsgRef",	/* 15-1C */
	"NoResp", "NoResults", "Put", "Replace", "RespURI", "Results", "Search",	/* 1D-23 */
	"Sequence", "SessionID", "SftDel", "Source", "SourceRef", "Status", "Sync",	/* 24-2A */
	"SyncBody", "SyncHdr", "SyncML", "Target", "TargetRef", NULL, "VerDTD",	/* 2B-31 */
	"VerProto", "NumberOfChanges", "MoreData", "Field", "Filter", "Record",	/* 32-37 */
	"FilterType", "SourceParent", "TargetParent", "Move", "Correlator",	/* 38-3C */
};

static const char *const page_metinf[] = {
	"Anchor", "EMI", "Format", "FreeID", "FreeMem", "Last", "Mark",		/* 05-0B */
	"MaxMsgSize", "Mem", "MetInf", "Next", "NextNonce", "SharedMem", "Size",	/* 0C-12 */
	"Type", "Version", "MaxObjSize", "FieldLevel",				/* 13-16 */
};

static const char *const page_dmddf[] = {
	"AccessType", "ACL", "Add", "b64", "bin", "bool", "chr", "CaseSense",	/* 05-0C */
	"CIS", "Copy", "CS", "date", "DDFName", "DefaultValue", "Delete",	/* 0D-13 */
	"Description", "DFFormat", "DFProperties", "DFTitle", "DFType", "Dynamic",	/* 14-19 */
	"Exec", "float", "Format", "Get", "int", "Man", "MgmtTree", "MIME",	/* 1A-21 */
	"Mod", "Name", "Node", "node", "NodeName", "null", "Occurrence", "One",	/* 22-29 */
	"OneOrMore", "OneOrN", "Path", "Permanent", "Replace", "RTProperties",	/* 2A-2F */
	"Scope", "Size", "time", "Title", "TStamp", "Type", "Value", "VerDTD",	/* 30-37 */
	"VerNo", "xml", "ZeroOrMore", "ZeroOrN", "ZeroOrOne",			/* 38-3C */
};

struct page {
	const char *const *names;
	unsigned n;
};

static const struct page pages[DM_WB_PAGES] = {
	{ page_syncml, sizeof(page_syncml) / sizeof(page_syncml[0]) },
	{ page_metinf, sizeof(page_metinf) / sizeof(page_metinf[0]) },
	{ page_dmddf, sizeof(page_dmddf) / sizeof(page_dmddf[0]) },
};

const char *dm_wb_tab_name(unsigned page, unsigned token)
{
	if (page >= DM_WB_PAGES || token < FIRST_TOKEN || token - FIRST_TOKEN >= pages[page].n)
		return NULL;
	return pages[page].names[token - FIRST_TOKEN];
}

bool dm_wb_tab_token(unsigned page, const char *name, uint8_t *token)
{
	unsigned i;

	if (page >= DM_WB_PAGES)
		return false;
	for (i = 0; i < pages[page].n; i++) {
		if (pages[page].names[i] && !strcmp(pages[page].names[i], name)) {
			*token = (uint8_t)(FIRST_TOKEN + i);
			return true;
		}
	}
	return false;
}

int dm_wb_page_of_ns(const char *href)
{
	if (!href || !strcasecmp(href, DM_NS_SYNCML12) || !strcasecmp(href, DM_NS_SYNCML11))
		return DM_WB_PAGE_SYNCML;
	if (!strcasecmp(href, DM_NS_METINF))
		return DM_WB_PAGE_METINF;
	if (!strcasecmp(href, DM_NS_DMDDF))
		return DM_WB_PAGE_DMDDF;
	return -1;
}
