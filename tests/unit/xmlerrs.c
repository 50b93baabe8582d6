/* libxml2 error text collected for schema tests. */
#include <stdio.h>
#include <string.h>

#include "xmlerrs.h"

void test_xml_collect(void *arg, xmlErrorPtr e)
{
	struct test_xml_errs *er = arg;
	size_t used = strlen(er->text);

	er->n++;
	if (!e || !e->message || used + 3 >= sizeof(er->text))
		return;
	snprintf(er->text + used, sizeof(er->text) - used, "%s%s", used ? "; " : "", e->message);
	used = strlen(er->text);
	while (used && er->text[used - 1] == '\n')
		er->text[--used] = '\0';
}
