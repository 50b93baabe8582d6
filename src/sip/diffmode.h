/* The diff-processing modes of the xcap-diff event package (RFC 5875 §4.3). */
#ifndef MCX_SIP_DIFFMODE_H
#define MCX_SIP_DIFFMODE_H

enum sip_diff_mode {
	SIP_DIFF_NO_PATCHING = 0, /* etags only (the default) */
	SIP_DIFF_XCAP_PATCHING,	  /* RFC 5874 patch operations per change */
	SIP_DIFF_AGGREGATE	  /* patch operations folded since the last NOTIFY */
};

static inline const char *sip_diff_mode_name(enum sip_diff_mode m)
{
	return m == SIP_DIFF_XCAP_PATCHING ? "xcap-patching"
	       : m == SIP_DIFF_AGGREGATE   ? "aggregate"
					   : "no-patching";
}

#endif
