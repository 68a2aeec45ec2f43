/* tap.h: a tiny TAP (version 13) producer for the native test binaries.
 *
 * A test binary registers cases with TAP_CASE and calls tap_main(); each case
 * is a function that makes checks with TAP_CHECK / TAP_CHECK_EQ. A case that
 * makes any failing check is "not ok", with the failing checks as YAML
 * diagnostics. Command line: `prog [-l] [--quick] [filter...]` runs cases
 * whose name contains any filter; -l lists case names; --quick asks the
 * cases that scale (randomized and stress runs) for their short form.
 */
#ifndef MATRIX_TAP_H
#define MATRIX_TAP_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef void (*tap_case_fn)(void);

struct tap_case {
    const char *name;
    tap_case_fn fn;
    const char *skip_reason; /* non-NULL: reported as "# SKIP reason" */
};

/* Register a case; returns 0 (usable from a constructor). */
int tap_register(const char *name, tap_case_fn fn);

/* Record a check result for the running case; returns cond. */
int tap_check(int cond, const char *expr, const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* Mark the running case as skipped with a reason (stop the case with return). */
void tap_skip(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A free-form "# ..." comment line in the TAP stream. */
void tap_diag(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Run the registered cases; returns the process exit status (0 all ok). */
int tap_main(int argc, char **argv);

/* 1 when --quick was given: a case may run fewer random operations (and
 * must say so in a diagnostic), never fewer kinds of check. */
int tap_quick(void);

/* Number of failed checks in the current case so far. */
int tap_case_failures(void);

#define TAP_CASE(name)                                                         \
    static void tap_case_##name(void);                                         \
    __attribute__((constructor)) static void tap_reg_##name(void)              \
    {                                                                          \
        tap_register(#name, tap_case_##name);                                  \
    }                                                                          \
    static void tap_case_##name(void)

#define TAP_CHECK(cond) tap_check(!!(cond), #cond, __FILE__, __LINE__, NULL)
#define TAP_CHECKF(cond, ...) tap_check(!!(cond), #cond, __FILE__, __LINE__, __VA_ARGS__)
/* Evaluates each argument once (a function call, not a repeated expression). */
int tap_check_eq(long long got, long long want, const char *expr, const char *file, int line);
#define TAP_CHECK_EQ(a, b) tap_check_eq((long long)(a), (long long)(b), #a " == " #b, __FILE__, __LINE__)

#ifdef __cplusplus
}
#endif
#endif
