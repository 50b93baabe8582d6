/* The MCPTT user database (TS 29.283's role, CSC-13): the user profiles
 * written through the CMS are its content. Data Pull (a user's profiles),
 * Data Update (through the one commit path) and Data Notification (change
 * listeners) for the MCPTT server side and the subscription proxy. */
#ifndef MCX_HTTP_USERDB_H
#define MCX_HTTP_USERDB_H

#include <stdbool.h>
#include <stddef.h>

#include "mcx/mcx.h"
#include "http/handler.h"

#define USERDB_AUID "org.3gpp.mcptt.user-profile"

struct userdb_profile {
	const char *path;          /* store key */
	const char *etag;
	const char *bytes;
	size_t len;
	long index;                /* user-profile-index, -1 if unreadable */
	bool preselected;
};

typedef int (userdb_profile_h)(const struct userdb_profile *p, void *arg);

/* Data Pull: every profile of mcptt_id, in document order. */
MCX_WUR enum mcx_err userdb_pull(struct mcx_store *st, const char *mcptt_id,
				 userdb_profile_h *cb, void *arg);
/* Data Update: create or replace the profile with the document's own
 * user-profile-index, as mcptt-user-profile-<index>.xml, through the XCAP
 * handler (validation, constraints, history, change events). rs gets the
 * outcome; author acts as an administrator of the user's organisation. */
void userdb_update(struct xcap_handler *h, const char *mcptt_id, const char *bytes, size_t len,
		   const char *author, struct xcap_response *rs);

/* Data Notification: h runs for every committed change of a user profile
 * (of mcptt_id, or of everyone when NULL), on the committing thread. */
typedef void (userdb_notify_h)(const char *mcptt_id, const char *path, const char *prev_etag,
			       const char *new_etag, void *arg);
MCX_WUR enum mcx_err userdb_subscribe(struct mcx_store *st, const char *mcptt_id,
				      userdb_notify_h *h, void *arg);
/* The MCPTT ID of a user-profile store key, into out; false if not one. */
bool userdb_path_user(const char *path, char *out, size_t len);

#endif
