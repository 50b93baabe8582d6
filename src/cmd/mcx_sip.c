/* mcx sip: placeholder until its issue lands (being written). */
#include <stdio.h>

#include "cmd/mcx.h"

int cmd_sip(struct mcx_ctx *x, int argc, char **argv)
{
	(void)x;
	(void)argc;
	(void)argv;
	fprintf(stderr, "mcx sip: not available yet\n");
	return 2;
}
