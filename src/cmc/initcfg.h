/* The UE initial configuration document (TS 24.484 §7, our schema
 * schemas/mcptt-ue-init-config.xsd): what the client needs from it before
 * anything else — the IdMS endpoints, the CMS/GMS XCAP roots and SIP URIs,
 * the default user profile, the on-network timers. Sans-I/O. */
#ifndef MCX_CMC_INITCFG_H
#define MCX_CMC_INITCFG_H

#include <stddef.h>
#include <stdbool.h>

#include "mcx/mcx.h"

#define CMC_INIT_MAX_TIMERS 16u
#define CMC_INIT_MAX_STR    1024u  /* bytes of one URI or name kept */

struct cmc_timer {
	char name[32];   /* T100, T101, ... as the element is named */
	long value;      /* seconds */
};

struct cmc_initcfg {
	char domain[256];
	char idms_auth[CMC_INIT_MAX_STR];    /* <idms-auth-endpoint> */
	char idms_token[CMC_INIT_MAX_STR];   /* <idms-token-endpoint> */
	char cms_root[CMC_INIT_MAX_STR];     /* <CMS-XCAP-root-URI> */
	char gms_root[CMC_INIT_MAX_STR];     /* <GMS-XCAP-root-URI> */
	char cms_uri[CMC_INIT_MAX_STR];      /* <App-Server-Info><cms> (SIP PSI) */
	char gms_uri[CMC_INIT_MAX_STR];      /* <GMS-URI> or <App-Server-Info><gms> */
	char default_user[CMC_INIT_MAX_STR]; /* <Default-user-profile User-ID> */
	int default_index;                   /* its user-profile-index; -1 none */
	struct cmc_timer timers[CMC_INIT_MAX_TIMERS];
	unsigned ntimers;
	bool integrity;                      /* <integrity-protection-enabled> */
	bool confidentiality;                /* <confidentiality-protection-enabled> */
};

/* Read an initial configuration. MCX_EINVAL (eb says why) when it is not
 * one, is not well-formed or lacks an IdMS endpoint or a CMS XCAP root. */
MCX_WUR enum mcx_err cmc_initcfg_parse(struct cmc_initcfg *ic, const char *p, size_t len,
				       char *eb, size_t el);

#endif
