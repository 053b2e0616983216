/* Every libcheck suite of the unit test binary; one per module. */
#ifndef DOCKGATE_TEST_SUITES_H
#define DOCKGATE_TEST_SUITES_H

#include <check.h>
#include <stddef.h>

#include "jdoc.h"

/* Reads a whole file relative to the repository root (where make runs the
 * tests). Returns a new NUL-terminated buffer; fails the test when the file
 * cannot be read. */
char *test_slurp(const char *path, size_t *len);
/* A jansson copy of a jdoc value, to print or compare it. */
json_t *test_jv_json(const jv *v);
/* Fills buf[0..n) with mostly lower-case letters, and out of every span
 * draws the bytes of alpha[0..nalpha) (so plain runs happen between
 * them); NUL-terminates it. *seed carries the generator. */
void test_random_text(char *buf, size_t n, const unsigned char *alpha,
                      size_t nalpha, unsigned span, unsigned *seed);

Suite *base64_suite(void);
Suite *gojson_suite(void);
Suite *jdoc_suite(void);
Suite *imageref_suite(void);
Suite *route_suite(void);
Suite *authz_proto_suite(void);
Suite *request_suite(void);
Suite *policy_suite(void);
Suite *eval_suite(void);
Suite *selfprotect_suite(void);
Suite *hostpath_suite(void);
Suite *verdicts_suite(void);
Suite *auditlog_suite(void);
Suite *metrics_suite(void);
Suite *strbuf_suite(void);
Suite *declog_suite(void);
Suite *arena_suite(void);
Suite *acceptor_suite(void);
Suite *spinwait_suite(void);

#endif
