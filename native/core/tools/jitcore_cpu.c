/* jitcore_cpu: what CPU a matrix cell really ran on, and the paths the JIT
 * core took on it. The matrix's CPU-variant stage calls
 *   jitcore_cpu --tap [--expect a,b,c] [--lacks d,e]
 * (either list may be ""), which prints TAP:
 *   # arch: / # detected: / # built for: / # paths: slot-swap=<path>
 *   one test per --expect feature (detected), one per --lacks feature (not
 *   detected), one for "every feature the build assumes is detected", and the
 *   slot swap's path (aarch64: LSE iff atomics is detected, else LL/SC;
 *   elsewhere: the arch's one path) checked by running a swap through it.
 * A name this arch does not know (a typo in matrix.yaml, another arch's
 * feature) is "not ok", never silently passed.
 *   jitcore_cpu --json
 * prints {"arch", "detected": [], "built_for": [], "paths": {}} (plus
 * "method", "note", "isa_state"). Exit status: 0 all ok, 1 a test failed,
 * 2 usage error. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jit/cpu.h"
#include "jit/replace.h"

#define MAX_NAMES 64

static int usage(const char *msg)
{
    fprintf(stderr,
            "jitcore_cpu: %s\n"
            "usage: jitcore_cpu --tap [--expect a,b,c] [--lacks d,e]\n"
            "       jitcore_cpu --json\n",
            msg);
    return 2;
}

/* Split a comma-separated list in place; empty items are dropped. */
static int split(char *list, char **out, int max, int *n)
{
    *n = 0;
    for (char *tok = strtok(list, ","); tok; tok = strtok(NULL, ",")) {
        while (*tok == ' ')
            tok++;
        size_t len = strlen(tok);
        while (len && tok[len - 1] == ' ')
            tok[--len] = 0;
        if (!*tok)
            continue;
        if (*n == max)
            return -1;
        out[(*n)++] = tok;
    }
    return 0;
}

static void print_set(jit_cpu_set s, const char *sep, int quoted)
{
    int first = 1;
    for (unsigned f = 0; f < JIT_CPU_FEATURE_COUNT; f++) {
        if (!(s & JIT_CPU_BIT(f)))
            continue;
        printf(quoted ? "%s\"%s\"" : "%s%s", first ? "" : sep, jit_cpu_feature_name((enum jit_cpu_feature)f));
        first = 0;
    }
}

static int tests, failed;

static void result(int ok, const char *fmt, const char *a, const char *b)
{
    tests++;
    if (!ok)
        failed++;
    printf("%s %d - ", ok ? "ok" : "not ok", tests);
    printf(fmt, a, b);
    printf("\n");
}

/* A swap through the path replace() takes, on a local slot. */
static int swap_works(enum jit_swap_path path, const char **why)
{
    static int a, b;
    void *slot = &a, *old = NULL;
    enum jit_err e = jit_slot_swap(&slot, &b, path, &old);
    if (e != JIT_OK) {
        *why = jit_err_str(e);
        return 0;
    }
    if (old != &a || slot != &b) {
        *why = "the swap returned the wrong old value or did not store the new one";
        return 0;
    }
    *why = NULL;
    return 1;
}

static void check_names(char **names, int n, int want_detected, const struct jit_cpu_info *ci)
{
    for (int i = 0; i < n; i++) {
        enum jit_cpu_feature f;
        if (jit_cpu_feature_lookup(names[i], &f) != JIT_OK) {
            tests++, failed++;
            printf("not ok %d - %s %s: no such feature on %s (known here:", tests,
                   want_detected ? "detects" : "does not detect", names[i], ci->arch);
            if (ci->known) {
                printf(" ");
                print_set(ci->known, " ", 0);
            } else {
                printf(" none, %s", ci->note ? ci->note : "no detection");
            }
            printf(")\n");
            continue;
        }
        int has = jit_cpu_has(f);
        if (want_detected)
            result(has, "detects %s (the variant needs it)%s", names[i], has ? "" : ": not detected");
        else
            result(!has, "does not detect %s (the variant's CPU lacks it)%s", names[i],
                   has ? ": detected" : "");
    }
}

static int run_tap(char **expect, int ne, char **lacks, int nl)
{
    const struct jit_cpu_info *ci = jit_cpu();
    enum jit_swap_path path = jit_slot_swap_auto();
    printf("TAP version 13\n");
    printf("# arch: %s\n# detected: ", ci->arch);
    print_set(ci->detected, " ", 0);
    printf("\n# built for: ");
    print_set(ci->built_for, " ", 0);
    if (ci->isa_state)
        printf("%s(%s state)", ci->built_for ? " " : "", ci->isa_state);
    printf("\n# paths: slot-swap=%s\n", jit_swap_path_name(path));
    printf("# method: %s\n", ci->method);
    if (ci->note)
        printf("# note: %s\n", ci->note);
    int plan = ne + nl + 2;
    printf("1..%d\n", plan);

    check_names(expect, ne, 1, ci);
    check_names(lacks, nl, 0, ci);

    jit_cpu_set missing = ci->built_for & ~ci->detected;
    tests++;
    if (missing) {
        failed++;
        printf("not ok %d - every feature the build assumes is detected: missing ", tests);
        print_set(missing, " ", 0);
        printf(" (the binary may hit SIGILL)\n");
    } else {
        printf("ok %d - every feature the build assumes is detected\n", tests);
    }

    /* A build that assumes a feature the CPU lacks would die of SIGILL in
     * the swap (aarch64 -march=armv8.1-a on an ARMv8.0 core): do not run it. */
    const char *why = NULL;
    int works = 0;
    if (missing)
        why = "not run: the build assumes features this CPU lacks";
    else
        works = swap_works(path, &why);
#if defined(__aarch64__)
    int lse = jit_cpu_has(JIT_CPU_ATOMICS);
    enum jit_swap_path want = lse ? JIT_SWAP_LSE : JIT_SWAP_LLSC;
    tests++;
    if (path == want && works) {
        printf("ok %d - slot swap takes the %s path\n", tests, lse ? "LSE" : "LL/SC");
    } else {
        failed++;
        printf("not ok %d - slot swap takes the %s path: it takes %s%s%s\n", tests,
               lse ? "LSE" : "LL/SC", jit_swap_path_name(path), why ? "; " : "", why ? why : "");
    }
#else
    result(works, "slot swap works through its one path here (%s)%s", jit_swap_path_name(path),
           works ? "" : ": failed");
    if (!works)
        printf("# slot swap: %s\n", why);
#endif
    printf("# %d passed, %d failed\n", tests - failed, failed);
    return failed ? 1 : 0;
}

static int run_json(void)
{
    const struct jit_cpu_info *ci = jit_cpu();
    printf("{\"arch\":\"%s\",\"detected\":[", ci->arch);
    print_set(ci->detected, ",", 1);
    printf("],\"built_for\":[");
    print_set(ci->built_for, ",", 1);
    printf("],\"paths\":{\"slot-swap\":\"%s\"},\"method\":\"%s\"", jit_slot_swap_path(), ci->method);
    if (ci->note)
        printf(",\"note\":\"%s\"", ci->note);
    if (ci->isa_state)
        printf(",\"isa_state\":\"%s\"", ci->isa_state);
    printf("}\n");
    return 0;
}

int main(int argc, char **argv)
{
    int tap = 0, json = 0;
    char *expect = NULL, *lacks = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--tap") == 0) {
            tap = 1;
        } else if (strcmp(argv[i], "--json") == 0) {
            json = 1;
        } else if (strcmp(argv[i], "--expect") == 0 || strcmp(argv[i], "--lacks") == 0) {
            if (i + 1 >= argc)
                return usage("--expect and --lacks take a comma-separated list (may be \"\")");
            *(argv[i][2] == 'e' ? &expect : &lacks) = argv[i + 1];
            i++;
        } else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            usage("help");
            return 0;
        } else {
            fprintf(stderr, "jitcore_cpu: unknown argument '%s'\n", argv[i]);
            return usage("bad arguments");
        }
    }
    setvbuf(stdout, NULL, _IOLBF, 0); /* lines survive a crash */
    if (tap == json)
        return usage("give exactly one of --tap and --json");
    if (json && (expect || lacks))
        return usage("--expect and --lacks go with --tap");
    if (json)
        return run_json();

    static char ebuf[4096], lbuf[4096];
    char *en[MAX_NAMES], *ln[MAX_NAMES];
    int ne = 0, nl = 0;
    if ((expect && strlen(expect) >= sizeof ebuf) || (lacks && strlen(lacks) >= sizeof lbuf))
        return usage("feature list too long");
    strcpy(ebuf, expect ? expect : "");
    strcpy(lbuf, lacks ? lacks : "");
    if (split(ebuf, en, MAX_NAMES, &ne) != 0 || split(lbuf, ln, MAX_NAMES, &nl) != 0)
        return usage("too many features in a list");
    return run_tap(en, ne, ln, nl);
}
