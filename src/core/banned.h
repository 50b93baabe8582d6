/* Functions this project never calls: unbounded copies and silent conversions.
 * Included last by every .c file through core/common.h. */
#ifndef MCX_CORE_BANNED_H
#define MCX_CORE_BANNED_H

#if defined(__GNUC__) && !defined(MCX_NO_BANNED)
#pragma GCC poison strcpy strcat sprintf vsprintf gets atoi atol strtok
#endif

#endif
