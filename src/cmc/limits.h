/* Every bound of the configuration management client in one place. */
#ifndef MCX_CMC_LIMITS_H
#define MCX_CMC_LIMITS_H

#define CMC_MAX_DOC        (4u << 20)  /* bytes of one document (= PATCH_MAX_DOC) */
#define CMC_MAX_INIT       (1u << 20)  /* bytes of the UE initial configuration */
#define CMC_MAX_NOTIFY     (4u << 20)  /* bytes of one NOTIFY body */
#define CMC_MAX_NOTIFY_DOCS 256u       /* <document> elements in one NOTIFY */
#define CMC_MAX_PROFILES   16u         /* user profiles probed (index 0..n-1) */
#define CMC_MAX_GROUPS     64u         /* group documents followed */
#define CMC_MAX_DOCS       (CMC_MAX_PROFILES + CMC_MAX_GROUPS + 8u)
#define CMC_MAX_URL        4096u       /* bytes of a URL or a selector */
#define CMC_MAX_STATE      (256u << 10) /* bytes of the cache's state file */
#define CMC_MAX_HTTP_BODY  (4u << 20)  /* bytes of an HTTP answer */
#define CMC_MAX_TOKEN      16384u      /* bytes of an access or refresh token */
#define CMC_MAX_BINDS      24u         /* namespace bindings in scope of a <document> */
#define CMC_MAX_XML_DEPTH  64u         /* element nesting read from any document */
#define CMC_HTTP_TIMEOUT_S 20L         /* one HTTP exchange */
#define CMC_DEF_EXPIRES    3600u       /* SUBSCRIBE Expires asked for */
#define CMC_DEF_MARGIN     30u         /* token refreshed this many s before exp */
#define CMC_DEF_BACKOFF_MIN 500u       /* ms */
#define CMC_DEF_BACKOFF_MAX 60000u     /* ms */

#endif
