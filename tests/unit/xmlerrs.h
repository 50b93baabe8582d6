/* libxml2 error text collected for schema tests: "; "-separated messages. */
#ifndef MCX_TESTS_UNIT_XMLERRS_H
#define MCX_TESTS_UNIT_XMLERRS_H

#include <libxml/xmlerror.h>

#define TEST_XML_ERRS_LEN 8192

struct test_xml_errs {
	char text[TEST_XML_ERRS_LEN];   /* truncated when full */
	int n;                          /* errors seen */
};

/* A libxml2 structured-error handler; arg is a struct test_xml_errs. */
void test_xml_collect(void *arg, xmlErrorPtr e);

#endif
