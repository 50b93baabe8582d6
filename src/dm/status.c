/* SyncML status codes (OMA SyncML RepPro 1.2 + DM 1.2 additions) and DM
 * alert codes, each with its name; the library-error to status map. */
#include <stddef.h>

#include "dm/status.h"
#include "core/banned.h"

struct code_name {
	unsigned code;
	const char *name;
};

static const struct code_name statuses[] = {
	{ 101, "In progress" },
	{ 200, "OK" },
	{ 201, "Item added" },
	{ 202, "Accepted for processing" },
	{ 203, "Non-authoritative response" },
	{ 204, "No content" },
	{ 205, "Reset content" },
	{ 206, "Partial content" },
	{ 207, "Conflict resolved with merge" },
	{ 208, "Conflict resolved with client's command winning" },
	{ 209, "Conflict resolved with duplicate" },
	{ 210, "Delete without archive" },
	{ 211, "Item not deleted" },
	{ 212, "Authentication accepted" },
	{ 213, "Chunked item accepted and buffered" },
	{ 214, "Operation cancelled" },
	{ 215, "Not executed" },
	{ 216, "Atomic roll back OK" },
	{ 300, "Multiple choices" },
	{ 301, "Moved permanently" },
	{ 302, "Found" },
	{ 303, "See other" },
	{ 304, "Not modified" },
	{ 305, "Use proxy" },
	{ 400, "Bad request" },
	{ 401, "Invalid credentials" },
	{ 402, "Payment required" },
	{ 403, "Forbidden" },
	{ 404, "Not found" },
	{ 405, "Command not allowed" },
	{ 406, "Optional feature not supported" },
	{ 407, "Missing credentials" },
	{ 408, "Request timeout" },
	{ 409, "Conflict" },
	{ 410, "Gone" },
	{ 411, "Size required" },
	{ 412, "Incomplete command" },
	{ 413, "Request entity too large" },
	{ 414, "URI too long" },
	{ 415, "Unsupported media type or format" },
	{ 416, "Requested size too big" },
	{ 417, "Retry later" },
	{ 418, "Already exists" },
	{ 419, "Conflict resolved with server data" },
	{ 420, "Device full" },
	{ 421, "Unknown search grammar" },
	{ 422, "Bad CGI script" },
	{ 423, "Soft-delete conflict" },
	{ 424, "Size mismatch" },
	{ 425, "Permission denied" },
	{ 426, "Partial item not accepted" },
	{ 427, "Item not empty" },
	{ 428, "Move failed" },
	{ 500, "Command failed" },
	{ 501, "Command not implemented" },
	{ 502, "Bad gateway" },
	{ 503, "Service unavailable" },
	{ 504, "Gateway timeout" },
	{ 505, "DTD version not supported" },
	{ 506, "Processing error" },
	{ 507, "Atomic failed" },
	{ 508, "Refresh required" },
	{ 510, "Data store failure" },
	{ 511, "Server failure" },
	{ 512, "Synchronization failed" },
	{ 513, "Protocol version not supported" },
	{ 514, "Operation cancelled" },
	{ 516, "Atomic roll back failed" },
	{ 517, "Atomic response too large to fit" },
};

static const struct code_name alerts[] = {
	{ 1100, "DISPLAY" },
	{ 1101, "CONFIRM_OR_REJECT" },
	{ 1102, "TEXT_INPUT" },
	{ 1103, "SINGLE_CHOICE" },
	{ 1104, "MULTIPLE_CHOICE" },
	{ 1200, "SERVER-INITIATED MGMT" },
	{ 1201, "CLIENT-INITIATED MGMT" },
	{ 1222, "NEXT MESSAGE" },
	{ 1223, "SESSION ABORT" },
	{ 1224, "CLIENT EVENT" },
	{ 1225, "NO END OF DATA" },
	{ 1226, "GENERIC ALERT" },
};

static const char *lookup(const struct code_name *t, size_t n, unsigned code)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (t[i].code == code)
			return t[i].name;
	return NULL;
}

const char *dm_status_name(unsigned code)
{
	return lookup(statuses, sizeof(statuses) / sizeof(statuses[0]), code);
}

bool dm_status_is_success(unsigned code)
{
	return code >= 100 && code < 300;
}

const char *dm_alert_name(unsigned code)
{
	return lookup(alerts, sizeof(alerts) / sizeof(alerts[0]), code);
}

unsigned dm_status_from_err(enum mcx_err err)
{
	switch (err) {
	case MCX_OK:		return DM_ST_OK;
	case MCX_EINVAL:	return DM_ST_BAD_REQUEST;
	case MCX_ENOENT:	return DM_ST_NOT_FOUND;
	case MCX_EEXIST:	return DM_ST_ALREADY_EXISTS;
	case MCX_ELIMIT:	return DM_ST_TOO_LARGE;
	case MCX_EAUTH:		return DM_ST_INVALID_CRED;
	case MCX_EPERM:		return DM_ST_PERMISSION_DENIED;
	case MCX_ENOMEM:	return DM_ST_DEVICE_FULL;
	case MCX_EIO:
	case MCX_EDB:		return DM_ST_DATA_STORE_FAILURE;
	case MCX_ECONFLICT:	return DM_ST_FAILED;
	case MCX_EBUSY:		return DM_ST_FAILED;
	case MCX_EINTERNAL:	return DM_ST_FAILED;
	}
	return DM_ST_FAILED;
}
