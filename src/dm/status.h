/* The SyncML DM status codes and alert codes with their names, and the one
 * table that maps library errors to DM statuses. */
#ifndef MCX_DM_STATUS_H
#define MCX_DM_STATUS_H

#include <stdbool.h>

#include "mcx/mcx.h"

enum dm_status {
	DM_ST_IN_PROGRESS = 101,
	DM_ST_OK = 200,
	DM_ST_ACCEPTED = 202,
	DM_ST_AUTH_ACCEPTED = 212,
	DM_ST_CHUNK_ACCEPTED = 213,
	DM_ST_CANCELLED = 214,
	DM_ST_NOT_EXECUTED = 215,
	DM_ST_ATOMIC_ROLLBACK_OK = 216,
	DM_ST_BAD_REQUEST = 400,
	DM_ST_INVALID_CRED = 401,
	DM_ST_FORBIDDEN = 403,
	DM_ST_NOT_FOUND = 404,
	DM_ST_NOT_ALLOWED = 405,
	DM_ST_OPTIONAL_NOT_SUPPORTED = 406,
	DM_ST_MISSING_CRED = 407,
	DM_ST_TIMEOUT = 408,
	DM_ST_INCOMPLETE = 412,
	DM_ST_TOO_LARGE = 413,
	DM_ST_URI_TOO_LONG = 414,
	DM_ST_UNSUPPORTED_MEDIA = 415,
	DM_ST_SIZE_TOO_BIG = 416,
	DM_ST_ALREADY_EXISTS = 418,
	DM_ST_DEVICE_FULL = 420,
	DM_ST_SIZE_MISMATCH = 424,
	DM_ST_PERMISSION_DENIED = 425,
	DM_ST_FAILED = 500,
	DM_ST_NOT_IMPLEMENTED = 501,
	DM_ST_PROCESSING_ERROR = 506,
	DM_ST_ATOMIC_FAILED = 507,
	DM_ST_DATA_STORE_FAILURE = 510,
	DM_ST_ATOMIC_ROLLBACK_FAILED = 516,
	DM_ST_ATOMIC_TOO_LARGE = 517,
};

enum dm_alert {
	DM_ALERT_DISPLAY = 1100,
	DM_ALERT_CONFIRM = 1101,
	DM_ALERT_TEXT_INPUT = 1102,
	DM_ALERT_SINGLE_CHOICE = 1103,
	DM_ALERT_MULTIPLE_CHOICE = 1104,
	DM_ALERT_SERVER_INITIATED = 1200,
	DM_ALERT_CLIENT_INITIATED = 1201,
	DM_ALERT_NEXT_MESSAGE = 1222,
	DM_ALERT_SESSION_ABORT = 1223,
	DM_ALERT_CLIENT_EVENT = 1224,
	DM_ALERT_NO_END_OF_DATA = 1225,
	DM_ALERT_GENERIC = 1226,
};

/* "OK", "Authentication accepted", ...; NULL for a code not in the table. */
const char *dm_status_name(unsigned code);
/* 1xx/2xx: the command (or header) succeeded. */
bool dm_status_is_success(unsigned code);
/* "DISPLAY", "NEXT MESSAGE", ...; NULL for an unknown alert code. */
const char *dm_alert_name(unsigned code);
/* The DM status a failed tree operation reports (MCX_ENOENT -> 404, ...). */
unsigned dm_status_from_err(enum mcx_err err);

#endif
