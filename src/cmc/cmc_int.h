/* Inside the configuration management client: the object behind the public
 * struct mcx_cmc, shared by cmc.c (state, sync, NOTIFY processing), sub.c
 * (the SIP subscription on libre) and show.c. */
#ifndef MCX_CMC_CMC_INT_H
#define MCX_CMC_CMC_INT_H

#include <signal.h>
#include <stdbool.h>

#include "mcx/cmc.h"
#include "core/buf.h"
#include "cmc/http.h"
#include "cmc/initcfg.h"
#include "cmc/limits.h"
#include "cmc/login.h"

enum cmc_kind { CMC_K_PROFILE = 0, CMC_K_UECONF, CMC_K_SERVICE, CMC_K_GROUP, CMC_K_UEINIT };

struct cmc_doc {
	char *sel;            /* relative to the XCAP root */
	enum cmc_kind kind;
	int index;            /* profiles: user-profile-index from the name */
	char etag[80];        /* "" = no cached copy */
	struct mcx_buf bytes; /* the cached copy */
	bool wanted;          /* part of the current document set */
	/* profiles: what select_profile() and the group set need, read from
	 * the bytes of version info_etag (parsed again only when it changes) */
	char info_etag[80];
	bool pre;             /* <Pre-selected-indication/> */
	char *groups;         /* group ids, each NUL-terminated, one after another */
	size_t groups_len;
};

struct cmc_sip;

struct mcx_cmc {
	struct mcx_cmc_conf conf;      /* strings point into strs */
	char *strs[16];
	unsigned nstrs;
	char *password;                /* wiped at free */
	struct cmc_initcfg ic;
	char user[512];                /* MCPTT ID */
	char root[CMC_MAX_URL];        /* CMS XCAP root (effective, no trailing /) */
	char groot[CMC_MAX_URL];       /* GMS XCAP root */
	char authz[CMC_MAX_URL];       /* IdMS endpoints (effective) */
	char token_url[CMC_MAX_URL];
	struct cmc_http *http;
	struct cmc_tokens tok;
	struct cmc_doc docs[CMC_MAX_DOCS];
	unsigned ndocs;
	char selected[CMC_MAX_URL];    /* sel of the selected profile */
	char errmsg[768];
	volatile sig_atomic_t stop;
	struct cmc_sip *sip;           /* during mcx_cmc_run */
	bool scope_changed;            /* the group set changed: subscribe anew */
	/* the state file is out of date in more than the ETags of patched
	 * copies (which their bytes name: see state_load) */
	bool state_dirty;
};

/* "profile", "ue-config", ... (state file, show). */
const char *cmc_kind_name(enum cmc_kind k);
/* Emit an event to the application. */
void cmc_emit(struct mcx_cmc *c, enum mcx_cmc_ev type, const char *sel, const char *etag,
	      const char *how, const char *detail, unsigned ms);
/* Seconds before exp at which the access token is renewed. */
long long cmc_token_margin(const struct mcx_cmc *c);
/* A valid access token (refreshing or logging in when needed). */
MCX_WUR enum mcx_err cmc_token_ensure(struct mcx_cmc *c, bool force_refresh);
/* Process one NOTIFY body (after the 200 went out). */
void cmc_on_notify_body(struct mcx_cmc *c, const char *body, size_t len);
/* The resource list of the subscription (XML) into b. */
MCX_WUR enum mcx_err cmc_resource_list(struct mcx_cmc *c, struct mcx_buf *b);
/* Write the state file. */
MCX_WUR enum mcx_err cmc_state_save(struct mcx_cmc *c);
/* Run the SIP side until stopped (sub.c). */
MCX_WUR enum mcx_err cmc_sip_run(struct mcx_cmc *c, bool stop_on_signal);

#endif
