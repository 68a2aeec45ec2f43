/* batch.c: corpus and differential-batch runners (TAP). */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cj_internal.h"
#include "cj_tools.h"

#define CJ_OUT_CAP 65536

char *cj_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap);
    while (buf) {
        size_t got = fread(buf + n, 1, cap - n - 1, f);
        n += got;
        if (n + 1 < cap) break;
        char *q = realloc(buf, cap * 2);
        if (!q) {
            free(buf);
            buf = NULL;
            break;
        }
        buf = q;
        cap *= 2;
    }
    fclose(f);
    if (!buf) return NULL;
    buf[n] = 0;
    if (len) *len = n;
    return buf;
}

static enum jit_err cj_build(struct jit_execmem *mem, const char *text, size_t len, uint32_t flags,
                             struct cj_program **p, char *msg, size_t msg_len)
{
    struct cj_builder *b;
    struct cj_builder_params bp = {.flags = flags};
    enum jit_err e = cj_builder_create(&bp, &b);
    if (e) {
        snprintf(msg, msg_len, "builder: %s", jit_err_str(e));
        return e;
    }
    struct cj_parse_error pe;
    e = cj_parse(b, text, len, &pe);
    if (e) {
        snprintf(msg, msg_len, "line %u: %s", pe.line, pe.msg[0] ? pe.msg : jit_err_str(e));
    } else if ((e = cj_builder_finish(b, mem, p))) {
        snprintf(msg, msg_len, "finish: %s", jit_err_str(e));
    }
    cj_builder_destroy(b);
    return e;
}

/* Appends the run's out values and status line to a growing buffer. */
static char *cj_format(const struct cj_run *r, const cj_word *out)
{
    size_t n = r->out_n < CJ_OUT_CAP ? r->out_n : CJ_OUT_CAP;
    size_t cap = 64 + n * 24 + sizeof r->fault.desc;
    char *s = malloc(cap), *p = s;
    if (!s) return NULL;
    for (size_t i = 0; i < n; i++) p += sprintf(p, "%" PRIu64 "\n", out[i]);
    p += sprintf(p, "status %s\n", cj_status_name(r->status));
    if (r->status == CJ_STATUS_CRASH || r->status == CJ_STATUS_TIMEOUT) sprintf(p, "fault %s\n", r->fault.desc);
    return s;
}

int cj_tool_run_text(struct jit_execmem *mem, const char *text, size_t len, int trace, FILE *out, FILE *err)
{
    struct cj_program *p = NULL;
    char msg[256];
    if (cj_build(mem, text, len, trace ? CJ_BUILD_TRACE : 0, &p, msg, sizeof msg)) {
        fprintf(err, "copyjit: %s\n", msg);
        return 2;
    }
    static cj_word outv[CJ_OUT_CAP];
    struct cj_trace_rec *tr = NULL;
    struct cj_run r;
    memset(&r, 0, sizeof r);
    r.out = outv;
    r.out_cap = CJ_OUT_CAP;
    if (trace) {
        r.trace_cap = 1u << 20;
        r.trace = malloc(r.trace_cap * sizeof *tr);
        if (!r.trace) return 2;
    }
    cj_program_run(p, &r);
    if (trace) {
        for (size_t i = 0; i < r.trace_n; i++) {
            const struct cj_trace_rec *t = &r.trace[i];
            fprintf(out, "step %zu line %" PRIu64 " a=%" PRIu64 " x=%" PRIu64 " y=%" PRIu64 " o=%" PRIu64 " sp=%" PRIu64 "\n",
                    i, t->line, t->a, t->x, t->y, t->o, t->sp);
        }
    }
    char *s = cj_format(&r, outv);
    if (s) fputs(s, out);
    free(s);
    free(r.trace);
    cj_program_free(p);
    return r.status == CJ_STATUS_HALT ? 0 : 1;
}

/* Expected output: the lines starting with "#> " in the program text. */
static char *cj_expected(const char *text)
{
    size_t cap = strlen(text) + 1, n = 0;
    char *s = malloc(cap);
    if (!s) return NULL;
    const char *p = text;
    while (*p) {
        const char *e = strchr(p, '\n');
        size_t l = e ? (size_t)(e - p) : strlen(p);
        if (l >= 3 && p[0] == '#' && p[1] == '>' && p[2] == ' ') {
            memcpy(s + n, p + 3, l - 3);
            n += l - 3;
            s[n++] = '\n';
        }
        p += l + (e ? 1 : 0);
    }
    s[n] = 0;
    return s;
}

static void cj_yaml_block(FILE *out, const char *key, const char *text)
{
    fprintf(out, "  %s: |\n", key);
    const char *p = text;
    while (*p) {
        const char *e = strchr(p, '\n');
        size_t l = e ? (size_t)(e - p) : strlen(p);
        fprintf(out, "    %.*s\n", (int)l, p);
        p += l + (e ? 1 : 0);
    }
}

int cj_tool_corpus(struct jit_execmem *mem, const char *filter, FILE *out)
{
    size_t n = 0;
    for (const struct cj_corpus_entry *c = cj_corpus; c->name; c++)
        if (!filter || strstr(c->name, filter)) n++;
    fprintf(out, "TAP version 13\n1..%zu\n", n);
    int fails = 0;
    size_t i = 0;
    static cj_word outv[CJ_OUT_CAP];
    for (const struct cj_corpus_entry *c = cj_corpus; c->name; c++) {
        if (filter && !strstr(c->name, filter)) continue;
        i++;
        char *want = cj_expected(c->text);
        struct cj_program *p = NULL;
        char msg[256];
        if (cj_build(mem, c->text, strlen(c->text), 0, &p, msg, sizeof msg)) {
            fprintf(out, "not ok %zu - %s\n  ---\n  message: \"%s\"\n  ...\n", i, c->name, msg);
            fails++;
            free(want);
            continue;
        }
        struct cj_run r;
        memset(&r, 0, sizeof r);
        r.out = outv;
        r.out_cap = CJ_OUT_CAP;
        r.timeout_s = 60;
        cj_program_run(p, &r);
        char *got = cj_format(&r, outv);
        int ok = want && got && want[0] && strcmp(want, got) == 0;
        fprintf(out, "%s %zu - %s\n", ok ? "ok" : "not ok", i, c->name);
        if (!ok) {
            fails++;
            fprintf(out, "  ---\n  message: \"output differs\"\n");
            cj_yaml_block(out, "expected", want ? want : "");
            cj_yaml_block(out, "got", got ? got : "");
            fprintf(out, "  ...\n");
        }
        free(want);
        free(got);
        cj_program_free(p);
    }
    return fails ? 1 : 0;
}

/* ---- differential batch ---- */

struct cj_expect {
    char status[32];
    cj_word a, x, y, o, sp, out_n;
    uint32_t out_hash, mem_hash;
    cj_word steps;
};

static uint32_t cj_step_hash(const struct cj_trace_rec *t)
{
    cj_word w[6] = {t->line, t->a, t->x, t->y, t->o, t->sp};
    return cj_hash_words(CJ_HASH_INIT, w, 6) & 0xffffu;
}

static const char *cj_line_text(const char *text, uint64_t line, size_t *len)
{
    const char *p = text;
    for (uint64_t l = 1; l < line && p; l++) {
        p = strchr(p, '\n');
        if (p) p++;
    }
    if (!p || line == 0) {
        *len = 14;
        return "(implicit halt)";
    }
    const char *e = strchr(p, '\n');
    *len = e ? (size_t)(e - p) : strlen(p);
    return p;
}

static int cj_batch_one(struct jit_execmem *mem, FILE *out, size_t idx, const char *name, const char *seed,
                        const char *text, const struct cj_expect *ex, const char *trace_hex, int traced)
{
    char msg[512] = "";
    char detail[1024] = "";
    static cj_word outv[CJ_OUT_CAP];
    struct cj_program *p = NULL;
    int ok = 1;
    /* 1: plain run against the final state. */
    if (cj_build(mem, text, strlen(text), 0, &p, msg, sizeof msg)) {
        ok = 0;
    } else {
        struct cj_run r;
        memset(&r, 0, sizeof r);
        r.out = outv;
        r.out_cap = CJ_OUT_CAP;
        r.timeout_s = 20;
        cj_program_run(p, &r);
        cj_program_free(p);
        p = NULL;
        uint32_t oh = cj_hash_words(CJ_HASH_INIT, outv, r.out_n < CJ_OUT_CAP ? r.out_n : CJ_OUT_CAP);
        if (strcmp(cj_status_name(r.status), ex->status) || r.ra != ex->a || r.rx != ex->x || r.ry != ex->y ||
            r.ro != ex->o || r.sp != ex->sp || r.out_n != ex->out_n || oh != ex->out_hash || r.mem_hash != ex->mem_hash) {
            ok = 0;
            snprintf(msg, sizeof msg,
                     "final state differs: got %s a=%" PRIu64 " x=%" PRIu64 " y=%" PRIu64 " o=%" PRIu64 " sp=%u out=%zu/%08x mem=%08x; "
                     "want %s a=%" PRIu64 " x=%" PRIu64 " y=%" PRIu64 " o=%" PRIu64 " sp=%" PRIu64 " out=%" PRIu64 "/%08x mem=%08x%s%s",
                     cj_status_name(r.status), r.ra, r.rx, r.ry, r.ro, r.sp, r.out_n, oh, r.mem_hash, ex->status, ex->a,
                     ex->x, ex->y, ex->o, ex->sp, ex->out_n, ex->out_hash, ex->mem_hash,
                     r.status == CJ_STATUS_CRASH ? "; " : "", r.status == CJ_STATUS_CRASH ? r.fault.desc : "");
        }
    }
    /* 2: traced run against the reference's per-step hashes: finds the first
     * diverging step even when the final state happens to agree; always for a
     * program that failed (it says where it went wrong). */
    if (traced || !ok) {
        struct cj_program *tp = NULL;
        char tmsg[256];
        if (!cj_build(mem, text, strlen(text), CJ_BUILD_TRACE, &tp, tmsg, sizeof tmsg)) {
            size_t steps = (size_t)ex->steps;
            struct cj_run r;
            memset(&r, 0, sizeof r);
            r.out = outv;
            r.out_cap = CJ_OUT_CAP;
            r.trace_cap = steps + 1;
            r.trace = malloc(r.trace_cap * sizeof *r.trace);
            r.timeout_s = 20;
            if (r.trace) {
                cj_program_run(tp, &r);
                size_t hexlen = strlen(trace_hex);
                size_t k = 0, n = r.trace_n < steps ? r.trace_n : steps;
                for (; k < n; k++) {
                    unsigned want = 0;
                    if (4 * k + 4 > hexlen || sscanf(trace_hex + 4 * k, "%4x", &want) != 1) break;
                    if (cj_step_hash(&r.trace[k]) != want) break;
                }
                if (k < n || r.trace_n != steps) {
                    ok = 0;
                    size_t bad = k < n ? k : n;
                    size_t ll = 0;
                    const struct cj_trace_rec *t = bad < r.trace_n ? &r.trace[bad] : NULL;
                    const struct cj_trace_rec *prev = bad > 0 ? &r.trace[bad - 1] : NULL;
                    const char *lt = prev ? cj_line_text(text, prev->line, &ll) : "(start)";
                    if (!prev) ll = 7;
                    int w = snprintf(detail, sizeof detail,
                                     "first diverging step: %zu (state after step %zu, line %" PRIu64 ": '%.*s'); traced %zu steps, reference %zu",
                                     bad, bad ? bad - 1 : 0, prev ? prev->line : 0, (int)ll, lt, r.trace_n, steps);
                    if (t && w > 0 && (size_t)w < sizeof detail)
                        snprintf(detail + w, sizeof detail - (size_t)w,
                                 "; native state: line %" PRIu64 " a=%" PRIu64 " x=%" PRIu64 " y=%" PRIu64 " o=%" PRIu64 " sp=%" PRIu64,
                                 t->line, t->a, t->x, t->y, t->o, t->sp);
                    if (!msg[0]) snprintf(msg, sizeof msg, "trace differs (status %s%s%s)", cj_status_name(r.status),
                                          r.status == CJ_STATUS_CRASH ? ": " : "", r.status == CJ_STATUS_CRASH ? r.fault.desc : "");
                }
                free(r.trace);
            }
            cj_program_free(tp);
        } else if (!msg[0]) {
            ok = 0;
            snprintf(msg, sizeof msg, "trace build: %s", tmsg);
        }
    }
    fprintf(out, "%s %zu - %s seed=%s\n", ok ? "ok" : "not ok", idx, name, seed);
    if (!ok) {
        fprintf(out, "  ---\n  message: \"");
        for (const char *c = msg; *c; c++) fputc(*c == '"' ? '\'' : *c, out);
        fprintf(out, "\"\n");
        if (detail[0]) {
            fprintf(out, "  divergence: \"");
            for (const char *c = detail; *c; c++) fputc(*c == '"' ? '\'' : *c, out);
            fprintf(out, "\"\n");
        }
        fprintf(out, "  reproduce: \"node dist/copyjit/cli.js trace --seed %s\"\n", seed);
        fprintf(out, "  ...\n");
    }
    return ok;
}

int cj_tool_batch(struct jit_execmem *mem, const char *path, unsigned trace_every, FILE *out)
{
    if (trace_every == 0) trace_every = 1;
    size_t len;
    char *buf = cj_read_file(path, &len);
    if (!buf) {
        fprintf(out, "Bail out! cannot read %s\n", path);
        return 2;
    }
    if (strncmp(buf, "copyjit-batch 1\n", 16) != 0) {
        fprintf(out, "Bail out! %s is not a copyjit-batch 1 file\n", path);
        free(buf);
        return 2;
    }
    size_t count = 0;
    for (char *p = buf; (p = strstr(p, "\nprogram ")); p++) count++;
    fprintf(out, "TAP version 13\n1..%zu\n", count);
    int fails = 0;
    size_t idx = 0;
    char *p = buf + 16;
    while ((p = strstr(p, "program ")) && idx < count) {
        char name[128], seed[64];
        if (sscanf(p, "program %127s %63s", name, seed) != 2) break;
        char *text = strchr(p, '\n');
        if (!text) break;
        text++;
        char *exp = strstr(text, "\nexpect ");
        if (!exp) break;
        *exp = 0;
        char *ep = exp + 1;
        struct cj_expect ex;
        memset(&ex, 0, sizeof ex);
        if (sscanf(ep, "expect %31s %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64 " %x %x %" SCNu64,
                   ex.status, &ex.a, &ex.x, &ex.y, &ex.o, &ex.sp, &ex.out_n, &ex.out_hash, &ex.mem_hash, &ex.steps) != 10) {
            fprintf(out, "Bail out! bad expect line for %s\n", name);
            free(buf);
            return 2;
        }
        char *tl = strstr(ep, "\ntrace ");
        char *end = strstr(ep, "\nend");
        if (!tl || !end || tl > end) {
            fprintf(out, "Bail out! missing trace/end for %s\n", name);
            free(buf);
            return 2;
        }
        char *th = tl + 7;
        char *te = strchr(th, '\n');
        if (te) *te = 0;
        idx++;
        if (!cj_batch_one(mem, out, idx, name, seed, text, &ex, th, (idx - 1) % trace_every == 0)) fails++;
        fflush(out);
        p = te ? te + 1 : th + strlen(th);
    }
    free(buf);
    if (idx != count) {
        fprintf(out, "Bail out! parsed %zu of %zu programs\n", idx, count);
        return 2;
    }
    return fails ? 1 : 0;
}
