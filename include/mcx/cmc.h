/* The configuration management client (CMC) of an MCPTT UE (TS 24.484 §6.3,
 * TS 24.482 for the login): logs the user in at the IdMS named by the UE
 * initial configuration, keeps a local cache of the user's configuration
 * documents (user profiles, UE configuration, service configuration, group
 * documents) in step with the CMS/GMS by conditional GETs and the xcap-diff
 * subscription, and tells the application what changed.
 *
 * Threads: one client is used from one thread at a time, except
 * mcx_cmc_stop(), which any thread may call. mcx_cmc_run() runs the SIP
 * event loop (libre's re_main) on the calling thread; callbacks are called
 * on that thread. */
#ifndef MCX_CMC_H
#define MCX_CMC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mcx/mcx.h"

struct mcx_cmc;

/* The SIP transport of the subscription. TLS verifies the server's
 * certificate (cacert, else the system's CAs) and its name or address
 * against the host of sip_server, unless insecure. */
enum mcx_cmc_sip_tp { MCX_CMC_SIP_UDP = 0, MCX_CMC_SIP_TCP, MCX_CMC_SIP_TLS };

/* What happened; one event per call of the event callback. */
enum mcx_cmc_ev {
	MCX_CMC_EV_PROGRESS = 0, /* a step started or ended (detail says which) */
	MCX_CMC_EV_LOGIN,        /* tokens obtained (login or refresh) */
	MCX_CMC_EV_DOC,          /* a cached document changed: created, patched,
				    fetched or deleted (how) */
	MCX_CMC_EV_UNCHANGED,    /* a conditional GET gave 304 */
	MCX_CMC_EV_SUBSCRIBED,   /* the subscription was accepted (or refreshed) */
	MCX_CMC_EV_NOTIFY,       /* a NOTIFY was received and processed */
	MCX_CMC_EV_RETRY,        /* the subscription failed; next attempt in ms */
	MCX_CMC_EV_ERROR         /* a step failed (detail says which and why) */
};

struct mcx_cmc_event {
	enum mcx_cmc_ev type;
	const char *sel;     /* document, relative to the XCAP root (or NULL) */
	const char *etag;    /* its new ETag (NULL when deleted / none) */
	const char *how;     /* "patched", "fetched", "deleted", "cached", ... */
	const char *detail;  /* one sentence for people */
	unsigned ms;         /* EV_RETRY: the delay */
};

/* Called on the client's thread; the event's strings live for the call. */
typedef void(mcx_cmc_event_h)(const struct mcx_cmc_event *ev, void *arg);

struct mcx_cmc_conf {
	/* The UE initial configuration document (bytes, required): names the
	 * IdMS endpoints, the CMS/GMS XCAP roots and SIP URIs. */
	const char *init_xml;
	size_t init_len;
	/* Or the directory of an OMA DM client's management tree (mcx dm client):
	 * the UE initial configuration MO in it (./MCPTT/UEInitialConfiguration)
	 * mapped back to the document, and ./DevInfo/DevId as the instance ID
	 * when instance_id is NULL. Not together with init_xml. Either is kept
	 * in the cache, so later clients over the same cache need neither. */
	const char *dm_tree;
	const char *instance_id;    /* urn:uuid:... or urn:gsma:imei:... (required) */
	const char *user;           /* MCPTT ID (sip:alice@example.org) for the login */
	const char *password;       /* for the headless login (copied, wiped at free) */
	const char *refresh_token;  /* instead of a password */
	const char *cache_dir;      /* required; created 0700 when missing */
	/* Overrides of what the initial configuration says (NULL = use it). */
	const char *xcap_root;      /* CMS and GMS XCAP root */
	const char *idms_issuer;    /* base URL: <issuer>/authorize and /token */
	const char *sip_server;     /* host:port the SUBSCRIBE goes to (required for run) */
	const char *sip_local;      /* local address:port for SIP (default: by server) */
	enum mcx_cmc_sip_tp sip_transport; /* UDP by default */
	const char *client_id;      /* OAuth client (default mcptt-demo-client) */
	const char *redirect_uri;   /* default http://127.0.0.1:8123/callback */
	bool insecure;              /* TLS (HTTP and SIP): accept any certificate (-k) */
	const char *cacert;         /* TLS (HTTP and SIP): CA bundle file */
	uint32_t expires;           /* SUBSCRIBE Expires asked for (0 = 3600) */
	uint32_t token_margin;      /* refresh the access token this many s before exp (0 = 30) */
	uint32_t backoff_min_ms;    /* re-subscription backoff (0 = 500) */
	uint32_t backoff_max_ms;    /* (0 = 60000) */
	mcx_cmc_event_h *event_h;
	void *arg;
};

/* A client over conf (copied). *cp is set only on success; errbuf says why not. */
MCX_API MCX_WUR enum mcx_err mcx_cmc_alloc(struct mcx_cmc **cp, const struct mcx_cmc_conf *conf,
					   char *errbuf, size_t errlen);
MCX_API void mcx_cmc_free(struct mcx_cmc *c);

/* What the last failing call failed at and what the peer said. */
MCX_API const char *mcx_cmc_errmsg(const struct mcx_cmc *c);

/* Log in: password (code + PKCE, headless) or refresh token; with neither, the
 * refresh token of the cache. Stores the tokens in the cache's state file. */
MCX_API MCX_WUR enum mcx_err mcx_cmc_login(struct mcx_cmc *c);
/* One-shot: fetch every document with If-None-Match (logging in first when
 * there is no valid token), update the cache. */
MCX_API MCX_WUR enum mcx_err mcx_cmc_sync(struct mcx_cmc *c);
/* Sync, subscribe, and follow NOTIFYs until mcx_cmc_stop() (or a signal when
 * stop_on_signal): refreshes the token and the subscription, re-subscribes
 * with backoff. Returns MCX_OK when stopped. */
MCX_API MCX_WUR enum mcx_err mcx_cmc_run(struct mcx_cmc *c, bool stop_on_signal);
/* Make mcx_cmc_run() return soon; any thread. */
MCX_API void mcx_cmc_stop(struct mcx_cmc *c);

/* The effective configuration from the cache as a JSON text (timers, server
 * URIs, the selected profile's entries, groups); caller frees with free(). */
MCX_API MCX_WUR enum mcx_err mcx_cmc_show(struct mcx_cmc *c, char **json);

#endif
