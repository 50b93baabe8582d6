/* Fixed structural bounds of the SIP notifier, in one place. The bounds an
 * operator tunes (expiry, body size, entries, queues, retries) are
 * configuration keys (src/http/config.c, section "sip"); these are the
 * shapes no valid request comes near. */
#ifndef MCX_SIP_LIMITS_H
#define MCX_SIP_LIMITS_H

#define SIP_MULTIPART_MAX_PARTS 8	       /* parts of a multipart/mixed body */
#define SIP_MULTIPART_BOUNDARY 70	       /* longest boundary (RFC 2046 §5.1.1) */
#define SIP_BODY_XML_DEPTH 16		       /* nesting in mcptt-info / resource-lists */
#define SIP_BODY_XML_ELEMENTS 4096	       /* elements in one body part */
#define SIP_BODY_XML_ATTRS 32		       /* attributes on one element */
#define SIP_URI_MAX 2048		       /* one XCAP URI of the resource list */
#define SIP_SEL_MAX 2048		       /* a sel attribute of the xcap-diff body */
#define SIP_XUI_MAX 256			       /* subscriber identity */
#define SIP_EVENT_ID_MAX 64		       /* Event header id parameter */
#define SIP_DIALOG_MAX 8192		       /* one dialog's strings (tags, URIs, route set) */
#define SIP_CSEQ_BLOCK 1000		       /* NOTIFY CSeqs reserved per store write */
#define SIP_RECORD_MAX (256 * 1024)	       /* one stored subscription (JSON) */
#define SIP_NOTIFY_BODY_MAX (16 * 1024 * 1024) /* one xcap-diff document */
#define SUB_SWEEP_MS 1000		       /* subscriptions' ends are checked this often */
#define SUB_HASH_BUCKETS 16384		       /* Call-ID index of the subscriptions */
#define SUB_RTX_TICK_MS 50		       /* UDP NOTIFY retransmissions are checked this often */
#define SIP_UDP_RCVBUF (8 * 1024 * 1024)       /* receive buffer asked for the SIP UDP socket */
#define SIP_PEM_MAX (1024 * 1024)	       /* a TLS certificate or key file */

#endif
