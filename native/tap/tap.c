/* tap.c: see tap.h. Cases run in registration order, in-process. */
#include "tap.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TAP_MAX_CASES 512
#define TAP_MAX_DIAG 8

struct tap_state {
    struct tap_case cases[TAP_MAX_CASES];
    int ncases;
    int failures;       /* failed checks in the running case */
    int checks;         /* checks in the running case */
    char skip[256];     /* non-empty: the running case skipped */
    char diag[TAP_MAX_DIAG][512];
    int ndiag;
    int quick; /* --quick: the matrix's quick profile */
};

static struct tap_state tap;

int tap_register(const char *name, tap_case_fn fn)
{
    if (tap.ncases >= TAP_MAX_CASES) {
        fprintf(stderr, "tap: too many cases (max %d), dropping %s\n", TAP_MAX_CASES, name);
        return -1;
    }
    tap.cases[tap.ncases].name = name;
    tap.cases[tap.ncases].fn = fn;
    tap.cases[tap.ncases].skip_reason = NULL;
    tap.ncases++;
    return 0;
}

int tap_check(int cond, const char *expr, const char *file, int line, const char *fmt, ...)
{
    tap.checks++;
    if (cond)
        return 1;
    tap.failures++;
    if (tap.ndiag < TAP_MAX_DIAG) {
        char detail[256] = "";
        if (fmt) {
            va_list ap;
            va_start(ap, fmt);
            vsnprintf(detail, sizeof detail, fmt, ap);
            va_end(ap);
        }
        snprintf(tap.diag[tap.ndiag++], sizeof tap.diag[0], "%s:%d: check failed: %s%s%s", file, line,
                 expr, detail[0] ? ": " : "", detail);
    }
    return 0;
}

int tap_check_eq(long long got, long long want, const char *expr, const char *file, int line)
{
    return tap_check(got == want, expr, file, line, "got %lld, want %lld", got, want);
}

void tap_skip(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(tap.skip, sizeof tap.skip, fmt, ap);
    va_end(ap);
    if (!tap.skip[0])
        strcpy(tap.skip, "skipped");
}

void tap_diag(const char *fmt, ...)
{
    va_list ap;
    fputs("# ", stdout);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    fputc('\n', stdout);
    fflush(stdout);
}

int tap_case_failures(void) { return tap.failures; }

int tap_quick(void) { return tap.quick; }

static int tap_selected(const char *name, int nfilters, char **filters)
{
    if (nfilters == 0)
        return 1;
    for (int i = 0; i < nfilters; i++)
        if (strstr(name, filters[i]))
            return 1;
    return 0;
}

/* YAML-quote a diagnostic line (escape backslash and double quote). */
static void tap_print_yaml_string(const char *s)
{
    putchar('"');
    for (; *s; s++) {
        if (*s == '"' || *s == '\\')
            putchar('\\');
        putchar(*s == '\n' ? ' ' : *s);
    }
    putchar('"');
}

int tap_main(int argc, char **argv)
{
    int list = 0, nfilters = 0;
    char **filters = argv + 1;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-l") == 0)
            list = 1;
        else if (strcmp(argv[i], "--quick") == 0)
            tap.quick = 1;
        else
            filters[nfilters++] = argv[i];
    }
    if (list) {
        for (int i = 0; i < tap.ncases; i++)
            puts(tap.cases[i].name);
        return 0;
    }
    int planned = 0;
    for (int i = 0; i < tap.ncases; i++)
        planned += tap_selected(tap.cases[i].name, nfilters, filters);

    /* Unbuffered output: a crash must not lose the lines already printed. */
    setvbuf(stdout, NULL, _IONBF, 0);
    printf("TAP version 13\n1..%d\n", planned);
    int n = 0, failed = 0;
    for (int i = 0; i < tap.ncases; i++) {
        struct tap_case *c = &tap.cases[i];
        if (!tap_selected(c->name, nfilters, filters))
            continue;
        n++;
        tap.failures = tap.checks = tap.ndiag = 0;
        tap.skip[0] = '\0';
        c->fn();
        if (tap.skip[0]) {
            printf("ok %d - %s # SKIP %s\n", n, c->name, tap.skip);
        } else if (tap.failures == 0) {
            printf("ok %d - %s\n", n, c->name);
        } else {
            failed++;
            printf("not ok %d - %s\n  ---\n  failures: %d\n  checks: %d\n  message: ", n, c->name,
                   tap.failures, tap.checks);
            tap_print_yaml_string(tap.diag[0]);
            printf("\n  diagnostics:\n");
            for (int d = 0; d < tap.ndiag; d++) {
                printf("    - ");
                tap_print_yaml_string(tap.diag[d]);
                putchar('\n');
            }
            printf("  ...\n");
        }
    }
    printf("# %d passed, %d failed\n", n - failed, failed);
    return failed ? 1 : 0;
}
