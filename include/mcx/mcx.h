/* libmcx public face: error codes shared by every module and the version. */
#ifndef MCX_MCX_H
#define MCX_MCX_H

#define MCX_VERSION "0.1.0"

#if defined(__GNUC__)
#define MCX_WUR __attribute__((warn_unused_result))
#define MCX_PRINTF(a, b) __attribute__((format(printf, a, b)))
#define MCX_API __attribute__((visibility("default")))
#else
#define MCX_WUR
#define MCX_PRINTF(a, b)
#define MCX_API
#endif

/* One error space for the whole library (curl's CURLcode shape).
 * Protocol outcomes (HTTP 409, SIP 489, ...) are not errors here: they are
 * values produced by the protocol layers from these codes. */
enum mcx_err {
	MCX_OK = 0,
	MCX_ENOMEM,     /* allocation failed */
	MCX_EINVAL,     /* bad argument or malformed input */
	MCX_ENOENT,     /* no such document, user or node */
	MCX_EEXIST,     /* already exists */
	MCX_ELIMIT,     /* a configured bound was exceeded */
	MCX_EIO,        /* operating system I/O error */
	MCX_ECONFLICT,  /* precondition failed: the ETag changed */
	MCX_EDB,        /* the store failed */
	MCX_EAUTH,      /* authentication failed */
	MCX_EPERM,      /* not allowed */
	MCX_EBUSY,      /* try again */
	MCX_EINTERNAL   /* a bug: an invariant did not hold */
};

MCX_API const char *mcx_strerror(enum mcx_err err);

#endif
