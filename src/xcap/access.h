/* The access model: one table, role x usage x tree x method (read/write),
 * with content conditions decided by the usage's cond hook. Organisations
 * (tenants) are domains: sip:alice@example.org belongs to example.org;
 * tel: users to the default organisation; UE-instance directories
 * (urn:uuid:..., urn:gsma:imei:..., optionally behind "sip:") belong to the
 * organisation named by the document's domain attribute. */
#ifndef MCX_XCAP_ACCESS_H
#define MCX_XCAP_ACCESS_H

#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>

#include "xcap/usage.h"

enum xcap_role {
	XCAP_ROLE_OWNER,      /* the XUI of the users-tree directory */
	XCAP_ROLE_ORG_USER,   /* another user of the same organisation */
	XCAP_ROLE_ADMIN,      /* an administrator of the organisation */
	XCAP_ROLE_SERVER,     /* on the authorised MCPTT server list */
	XCAP_ROLE_FOREIGN,    /* anyone of another organisation */
	XCAP_ROLE_N
};

enum xcap_tree_kind { XCAP_TREE_USER, XCAP_TREE_UE, XCAP_TREE_GLOBAL, XCAP_TREE_N };

#define XCAP_ACC_R  1u    /* may read */
#define XCAP_ACC_W  2u    /* may write */
#define XCAP_ACC_RC 4u    /* may read if the usage's cond hook agrees */
#define XCAP_ACC_WC 8u    /* may write if the usage's cond hook agrees */

struct xcap_access_rule {
	const char *auid;
	enum xcap_tree_kind tree;
	uint8_t perm[XCAP_ROLE_N];
};

extern const struct xcap_access_rule xcap_access_table[];

struct xcap_who {
	const char *xui;          /* NULL = anonymous */
	bool admin;
	bool root;                /* a local tool: every organisation */
	bool server;              /* on the authorised MCPTT server list */
};

/* The organisation of an XUI: the domain of sip:/sips: URIs (without
 * parameters), def_org for tel: and anything else. out gets "" for
 * UE-instance directories, whose organisation is in the document. */
void xcap_xui_org(const char *xui, const char *def_org, char *out, size_t len);
bool xcap_xui_is_ue(const char *xui);
enum xcap_tree_kind xcap_tree_of(const struct xcap_uri *uri);
enum xcap_role xcap_role_of(const struct xcap_who *w, const char *who_org,
			    const struct xcap_uri *uri, const char *def_org);
/* Permission bits of a role on a usage and tree (table or default policy). */
unsigned xcap_access(const struct xcap_usage *u, enum xcap_tree_kind tree, enum xcap_role role);
const char *xcap_role_name(enum xcap_role r);

#endif
