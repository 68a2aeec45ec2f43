/* cj_tools.h: the command-line harness pieces shared by copyjit and its tests. */
#ifndef CJ_TOOLS_H
#define CJ_TOOLS_H

#include <stdio.h>

#include "copyjit.h"

struct cj_corpus_entry {
    const char *name;
    const char *text;
};
extern const struct cj_corpus_entry cj_corpus[]; /* NULL-terminated, embedded at build time */

/* Build and run program text; writes the out values and "status <name>"
 * (the format corpus expectations use) to `out`. Returns 0 on success,
 * 2 on parse/build errors (printed to `err`). */
int cj_tool_run_text(struct jit_execmem *mem, const char *text, size_t len, int trace, FILE *out, FILE *err);
/* TAP over the embedded corpus (filter: substring of names, or NULL). */
int cj_tool_corpus(struct jit_execmem *mem, const char *filter, FILE *out);
/* TAP over a batch file written by `node dist/copyjit/cli.js batch`. Every
 * program runs plainly against the reference's final state; every
 * `trace_every`-th one (1: all) and every one that fails also runs traced
 * against the reference's per-step hashes (the first diverging step). */
int cj_tool_batch(struct jit_execmem *mem, const char *path, unsigned trace_every, FILE *out);
/* Read a whole file (NUL-terminated); NULL on error. */
char *cj_read_file(const char *path, size_t *len);

#endif
