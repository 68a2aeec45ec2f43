/*
 * matrix-supervise: runs one stage command and guarantees that when it ends,
 * nothing it started is left running, whatever session or process group the
 * descendants moved to (daemons that setsid(), double forks, qemu helpers).
 *
 *   matrix-supervise STATUS_FD GRACE_MS -- PROGRAM [ARGS...]
 *
 * How: the supervisor makes itself a child subreaper (prctl
 * PR_SET_CHILD_SUBREAPER), so every orphan in its subtree is reparented to it
 * instead of init. Its descendants are therefore exactly the processes whose
 * parent chain in /proc/<pid>/stat leads to it. When the command exits, or on
 * SIGTERM/SIGINT/SIGHUP (graceful: SIGTERM to the tree, SIGKILL after
 * GRACE_MS) or SIGUSR1 (at once: SIGKILL), it kills every descendant and
 * reaps until it has no child left, then writes the command's end
 * ("exit N" or "signal N") to the file descriptor STATUS_FD (a pipe the
 * orchestrator reads; close-on-exec, so the command never sees it) and exits 0. Once it has exited, no
 * process of the tree holds the stage's stdout/stderr any more.
 *
 * If the orchestrator dies (even by SIGKILL), PR_SET_PDEATHSIG delivers
 * SIGUSR1 to the supervisor, which then kills the tree.
 *
 * With --server (below), the same binary is the orchestrator's spawn server:
 * one process per run that starts every command on request, each under its
 * own forked copy of this supervision, so the large Node process never forks.
 *
 * Exit status: 0 after a normal supervision (the command's own status is on
 * STATUS_FD), 127 when the command could not be executed (the reason is
 * written to STATUS_FD as "spawn-error <errno> <message>"),
 * 125 on a usage or setup error of the supervisor itself.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int stop_request; /* 0 none, 1 graceful, 2 at once */

static void note_signal(int sig) {
    if (sig == SIGUSR1) stop_request = 2;
    else if (sig != SIGCHLD && stop_request < 1) stop_request = 1;
}

static long long now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(int ms) {
    struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
    nanosleep(&ts, NULL);
}

/* Parent pid of `pid` from /proc/<pid>/stat, or -1. */
static pid_t parent_of(pid_t pid) {
    char path[64], buf[512];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0) return -1;
    buf[n] = 0;
    /* The command name may hold spaces and parentheses: fields follow the last ')'. */
    char *p = strrchr(buf, ')');
    if (!p) return -1;
    char state;
    int ppid;
    if (sscanf(p + 1, " %c %d", &state, &ppid) != 2) return -1;
    return (pid_t)ppid;
}

/*
 * Sends `sig` to every live descendant of this process; returns how many it
 * found. Walks /proc once, collecting (pid, ppid), then marks descendants by
 * following parent links (the table is small: one machine's processes).
 */
static int signal_descendants(int sig) {
    pid_t self = getpid();
    size_t cap = 1024, len = 0;
    pid_t *pids = malloc(cap * sizeof *pids), *ppids = malloc(cap * sizeof *ppids);
    if (!pids || !ppids) { free(pids); free(ppids); return 0; }
    DIR *d = opendir("/proc");
    if (!d) { free(pids); free(ppids); return 0; }
    struct dirent *e;
    while ((e = readdir(d))) {
        char *end;
        long v = strtol(e->d_name, &end, 10);
        if (*end || v <= 0) continue;
        pid_t pp = parent_of((pid_t)v);
        if (pp < 0) continue;
        if (len == cap) {
            cap *= 2;
            pid_t *a = realloc(pids, cap * sizeof *pids), *b = realloc(ppids, cap * sizeof *ppids);
            if (!a || !b) { free(a ? a : pids); free(b ? b : ppids); closedir(d); return 0; }
            pids = a; ppids = b;
        }
        pids[len] = (pid_t)v;
        ppids[len] = pp;
        len++;
    }
    closedir(d);
    int found = 0;
    for (size_t i = 0; i < len; i++) {
        /* Follow the parent chain up to self (a descendant) or to init/unknown. */
        pid_t p = ppids[i];
        int depth = 0, mine = 0;
        while (p > 1 && depth++ < 4096) {
            if (p == self) { mine = 1; break; }
            pid_t next = -1;
            for (size_t j = 0; j < len; j++) if (pids[j] == p) { next = ppids[j]; break; }
            p = next;
        }
        if (mine && pids[i] != self) {
            kill(pids[i], sig);
            found++;
        }
    }
    free(pids);
    free(ppids);
    return found;
}

static void write_status(int fd, const char *text) {
    ssize_t ignored = write(fd, text, strlen(text));
    (void)ignored;
}

/* Reaps every exited child; records the command's status. Returns 1 while any child is left. */
static int reap(pid_t cmd, int *cmd_status, int *cmd_done) {
    for (;;) {
        int st;
        pid_t r = waitpid(-1, &st, WNOHANG);
        if (r > 0) {
            if (r == cmd) { *cmd_status = st; *cmd_done = 1; }
            continue;
        }
        if (r == 0) return 1;
        return errno == ECHILD ? 0 : 1;
    }
}

/* The signals every mode takes synchronously (sigtimedwait or signalfd):
 * children ending, the orchestrator's stop requests, and SIGUSR1, the
 * parent-death signal. */
static void supervised_signals(sigset_t *set)
{
    sigemptyset(set);
    sigaddset(set, SIGCHLD);
    sigaddset(set, SIGTERM);
    sigaddset(set, SIGINT);
    sigaddset(set, SIGHUP);
    sigaddset(set, SIGQUIT);
    sigaddset(set, SIGUSR1);
}

static int classic_main(int argc, char **argv) {
    if (argc < 5 || strcmp(argv[3], "--") != 0) {
        fprintf(stderr, "usage: matrix-supervise STATUS_FD GRACE_MS -- PROGRAM [ARGS...]\n");
        return 125;
    }
    int status_file = atoi(argv[1]);
    if (fcntl(status_file, F_SETFD, FD_CLOEXEC) != 0) {
        fprintf(stderr, "matrix-supervise: status fd %d: %s\n", status_file, strerror(errno));
        return 125;
    }
    int grace_ms = atoi(argv[2]);
    pid_t orchestrator = getppid();

    if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0) {
        fprintf(stderr, "matrix-supervise: prctl(PR_SET_CHILD_SUBREAPER): %s\n", strerror(errno));
        return 125;
    }
    /* Signals are blocked and taken synchronously with sigtimedwait: no race between a check and a wait. */
    sigset_t set, old;
    supervised_signals(&set);
    sigprocmask(SIG_BLOCK, &set, &old);
    prctl(PR_SET_PDEATHSIG, SIGUSR1, 0, 0, 0);
    if (getppid() != orchestrator) stop_request = 2; /* died before PDEATHSIG was armed */

    /* exec failures come back through a close-on-exec pipe. */
    int ep[2];
    if (pipe2(ep, O_CLOEXEC) != 0) return 125;
    pid_t cmd = fork();
    if (cmd < 0) {
        fprintf(stderr, "matrix-supervise: fork: %s\n", strerror(errno));
        return 125;
    }
    if (cmd == 0) {
        close(ep[0]);
        sigprocmask(SIG_SETMASK, &old, NULL);
        prctl(PR_SET_PDEATHSIG, 0, 0, 0, 0);
        execvp(argv[4], argv + 4);
        int err = errno;
        ssize_t ignored = write(ep[1], &err, sizeof err);
        (void)ignored;
        _exit(127);
    }
    close(ep[1]);
    int exec_errno = 0;
    ssize_t got;
    do got = read(ep[0], &exec_errno, sizeof exec_errno); while (got < 0 && errno == EINTR);
    close(ep[0]);
    if (got == (ssize_t)sizeof exec_errno) {
        int st;
        waitpid(cmd, &st, 0);
        char msg[600];
        snprintf(msg, sizeof msg, "spawn-error %d %s: %s\n", exec_errno, argv[4], strerror(exec_errno));
        write_status(status_file, msg);
        return 127;
    }

    int cmd_status = 0, cmd_done = 0;
    long long kill_at = -1; /* when graceful stop turns into SIGKILL */
    int terminated = 0;
    for (;;) {
        int left = reap(cmd, &cmd_status, &cmd_done);
        if (cmd_done || stop_request == 2) {
            /* The command ended (or we must stop now): nothing else may live on. */
            signal_descendants(SIGKILL);
            if (!reap(cmd, &cmd_status, &cmd_done)) break;
            sleep_ms(2);
            continue;
        }
        if (stop_request == 1 && !terminated) {
            terminated = 1;
            signal_descendants(SIGTERM);
            kill_at = now_ms() + grace_ms;
        }
        if (terminated && now_ms() >= kill_at) { stop_request = 2; continue; }
        if (!left) break;
        long long wait = terminated ? kill_at - now_ms() : 1000;
        if (wait < 1) wait = 1;
        struct timespec ts = { (time_t)(wait / 1000), (long)(wait % 1000) * 1000000L };
        int sig = sigtimedwait(&set, NULL, &ts);
        if (sig > 0) note_signal(sig);
    }

    char text[64];
    if (!cmd_done) snprintf(text, sizeof text, "signal %d\n", SIGKILL);
    else if (WIFSIGNALED(cmd_status)) snprintf(text, sizeof text, "signal %d\n", WTERMSIG(cmd_status));
    else snprintf(text, sizeof text, "exit %d\n", WEXITSTATUS(cmd_status));
    write_status(status_file, text);
    return 0;
}

/* ------------------------------------------------------------------------
 * Server mode: matrix-supervise --server SIGNAMES
 *
 * One long-lived process per orchestrator, started once, so that the large
 * Node process never forks per command. Requests arrive on fd 0, replies go
 * out on fd 1, both framed as a little-endian u32 byte count then the body.
 *
 *   spawn:   'S' u32 id, u32 timeout_ms (0: none), u32 grace_ms, u32 log_limit,
 *            u32 argc, u32 envc, then NUL-terminated strings: cwd, log path
 *            ("" for none), log header, argv[0..argc), env[0..envc)
 *   cancel:  'C' u32 id   (graceful: SIGTERM to the tree, SIGKILL after grace)
 *   kill:    'K' u32 id   (at once: SIGKILL to the tree)
 *
 * For every spawn the server forks a small helper (a copy of this tiny
 * process, not of Node) that becomes a subreaper in its own session, forks
 * and execs the command with stdout and stderr on pipes, keeps the capped
 * views of the output (the first half of log_limit and the most recent half,
 * the combined stream and stdout alone), enforces the timeout, kills every
 * descendant when the command ends, writes the log file (header, output,
 * "# <how it ended>") and sends its reply through the server:
 *
 *   done:    'D' u32 id, u8 kind (0 exit, 1 signal, 2 could not start),
 *            i32 code (exit code, signal number or errno), u8 timed_out,
 *            u8 canceled, i32 log_errno (0: log written), u64 total bytes,
 *            u64 stdout bytes, u64 x4 CPU us (the command tree's user and
 *            system, the helper's own user and system), u32 x5 lengths then
 *            the bytes: combined head, combined tail, stdout head, stdout
 *            tail, message (the spawn error, or the log file's errno text)
 *   lost:    'E' u32 id, then a message (the helper died without a reply)
 *   hello:   'H' (once, when the server is ready)
 *
 * When fd 0 reaches EOF (the orchestrator exited or was killed, even by
 * SIGKILL), on PR_SET_PDEATHSIG (SIGUSR1) or on SIGTERM/SIGINT/SIGHUP/SIGQUIT,
 * the server SIGUSR1s every helper (each SIGKILLs its whole tree and reaps
 * it), waits for them, kills anything else left under it (it is a subreaper
 * too), writes its CPU use to $MATRIX_SPAWN_SERVER_USAGE if set, and exits.
 * ---------------------------------------------------------------------- */
#include <poll.h>
#include <spawn.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/uio.h>

extern char **environ;

static const char *signal_names[65];

static void parse_signal_names(char *spec) {
    /* "1:SIGHUP,2:SIGINT,...": the orchestrator's own names, so both paths say the same. */
    for (char *tok = strtok(spec, ","); tok; tok = strtok(NULL, ",")) {
        char *colon = strchr(tok, ':');
        if (!colon) continue;
        int n = atoi(tok);
        if (n > 0 && n < 65 && !signal_names[n]) signal_names[n] = colon + 1;
    }
}

static int write_all(int fd, const void *buf, size_t len) {
    const char *p = buf;
    while (len > 0) {
        ssize_t w = write(fd, p, len);
        if (w < 0) {
            if (errno == EINTR) continue;
            if (errno == EAGAIN) { struct pollfd pf = { fd, POLLOUT, 0 }; poll(&pf, 1, 100); continue; }
            return -1;
        }
        p += w;
        len -= (size_t)w;
    }
    return 0;
}

static uint32_t get_u32(const unsigned char *p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void put_u32(unsigned char *p, uint32_t v) {
    p[0] = (unsigned char)v; p[1] = (unsigned char)(v >> 8); p[2] = (unsigned char)(v >> 16); p[3] = (unsigned char)(v >> 24);
}

static void put_u64(unsigned char *p, uint64_t v) {
    put_u32(p, (uint32_t)v);
    put_u32(p + 4, (uint32_t)(v >> 32));
}

static uint64_t tv_us(struct timeval tv) { return (uint64_t)tv.tv_sec * 1000000u + (uint64_t)tv.tv_usec; }

/* The first `head_cap` bytes and the last `tail_cap` bytes of a stream (as CappedOutput). Grown as needed. */
struct capped {
    char *head; size_t head_len, head_alloc, head_cap;
    char *ring; size_t ring_start, ring_len, ring_alloc, tail_cap;
    uint64_t total;
};

static void capped_reset(struct capped *c, size_t limit) {
    if (limit < 1024) limit = 1024;
    c->head_cap = limit / 2;
    c->tail_cap = limit - c->head_cap;
    c->head_len = c->ring_start = c->ring_len = 0;
    c->total = 0;
    if (c->ring_alloc > (size_t)1 << 20) { free(c->ring); c->ring = NULL; c->ring_alloc = 0; } /* a big tail is not kept for the next command */
    if (c->head_alloc > (size_t)1 << 20) { free(c->head); c->head = NULL; c->head_alloc = 0; }
}

static void *grow(char **p, size_t *alloc, size_t want) {
    if (*alloc >= want) return *p;
    size_t n = *alloc ? *alloc : 8192;
    while (n < want) n *= 2;
    char *q = realloc(*p, n);
    if (!q) _exit(125); /* the server reports the command as lost */
    *p = q;
    *alloc = n;
    return q;
}

static void capped_push(struct capped *c, const char *p, size_t n) {
    c->total += n;
    if (c->head_len < c->head_cap) {
        size_t take = c->head_cap - c->head_len < n ? c->head_cap - c->head_len : n;
        grow(&c->head, &c->head_alloc, c->head_len + take);
        memcpy(c->head + c->head_len, p, take);
        c->head_len += take;
        p += take;
        n -= take;
    }
    if (n == 0) return;
    if (c->ring_alloc < c->tail_cap) { free(c->ring); c->ring = NULL; c->ring_alloc = 0; grow(&c->ring, &c->ring_alloc, c->tail_cap); }
    if (n >= c->tail_cap) { /* the rest alone fills the tail */
        memcpy(c->ring, p + (n - c->tail_cap), c->tail_cap);
        c->ring_start = 0;
        c->ring_len = c->tail_cap;
        return;
    }
    while (n > 0) {
        size_t take;
        if (c->ring_len < c->tail_cap) {
            size_t at = (c->ring_start + c->ring_len) % c->tail_cap;
            take = c->tail_cap - at;
            if (take > c->tail_cap - c->ring_len) take = c->tail_cap - c->ring_len;
            if (take > n) take = n;
            memcpy(c->ring + at, p, take);
            c->ring_len += take;
        } else { /* full: overwrite the oldest bytes */
            take = c->tail_cap - c->ring_start;
            if (take > n) take = n;
            memcpy(c->ring + c->ring_start, p, take);
            c->ring_start = (c->ring_start + take) % c->tail_cap;
        }
        p += take;
        n -= take;
    }
}

/* Makes the tail contiguous from c->ring[0]. */
static void capped_flatten(struct capped *c) {
    if (c->ring_start == 0) return;
    char *flat = malloc(c->ring_alloc);
    if (!flat) _exit(125);
    for (size_t i = 0; i < c->ring_len; i++) flat[i] = c->ring[(c->ring_start + i) % c->tail_cap];
    free(c->ring);
    c->ring = flat;
    c->ring_start = 0;
}

static int mkdir_parents(const char *file) {
    char path[4096];
    size_t n = strlen(file);
    if (n >= sizeof path) return ENAMETOOLONG;
    memcpy(path, file, n + 1);
    char *slash = strrchr(path, '/');
    if (!slash || slash == path) return 0;
    *slash = 0;
    struct stat st;
    if (stat(path, &st) == 0) return S_ISDIR(st.st_mode) ? 0 : ENOTDIR;
    for (char *p = path + 1; *p; p++) {
        if (*p != '/') continue;
        *p = 0;
        if (mkdir(path, 0777) != 0 && errno != EEXIST) return errno;
        *p = '/';
    }
    if (mkdir(path, 0777) != 0 && errno != EEXIST) return errno;
    return 0;
}

struct request {
    uint32_t id, timeout_ms, grace_ms, log_limit, argc, envc;
    const char *cwd, *log_path, *header;
    char **argv, **envp;
};

static int parse_request(unsigned char *body, size_t len, struct request *r) {
    if (len < 25) return -1;
    r->id = get_u32(body + 1);
    r->timeout_ms = get_u32(body + 5);
    r->grace_ms = get_u32(body + 9);
    r->log_limit = get_u32(body + 13);
    r->argc = get_u32(body + 17);
    r->envc = get_u32(body + 21);
    if (r->argc < 1 || r->argc > len || r->envc > len) return -1;
    size_t nstr = 3 + (size_t)r->argc + r->envc;
    char **strs = malloc(nstr * sizeof *strs);
    if (!strs) return -1;
    char *p = (char *)body + 25, *end = (char *)body + len;
    for (size_t i = 0; i < nstr; i++) {
        char *z = memchr(p, 0, (size_t)(end - p));
        if (!z) { free(strs); return -1; }
        strs[i] = p;
        p = z + 1;
    }
    r->cwd = strs[0];
    r->log_path = strs[1];
    r->header = strs[2];
    r->argv = strs + 3; /* strs[3 .. 3+argc) then strs[3+argc ..): NULL-terminated copies below */
    char **argv = malloc(((size_t)r->argc + 1 + (size_t)r->envc + 1) * sizeof(char *));
    if (!argv) { free(strs); return -1; }
    memcpy(argv, strs + 3, r->argc * sizeof(char *));
    argv[r->argc] = NULL;
    memcpy(argv + r->argc + 1, strs + 3 + r->argc, r->envc * sizeof(char *));
    argv[r->argc + 1 + r->envc] = NULL;
    free(strs);
    r->argv = argv;
    r->envp = argv + r->argc + 1;
    return 0;
}

/* The command's "# ..." line, as describeEnd() in src/runtime/command.ts words it. */
static void describe_end(char *out, size_t cap, int kind, int code, int timed_out, int canceled, const char *spawn_msg) {
    if (kind == 2 && !timed_out && !canceled) snprintf(out, cap, "could not start: %s", spawn_msg);
    else if (timed_out) snprintf(out, cap, "timed out: process tree killed");
    else if (canceled) snprintf(out, cap, "canceled: process tree killed");
    else if (kind == 1) {
        if (code > 0 && code < 65 && signal_names[code]) snprintf(out, cap, "killed by %s", signal_names[code]);
        else snprintf(out, cap, "killed by signal %d", code);
    } else snprintf(out, cap, "exit code %d", code);
}

static const char OMITTED_FMT[] = "\n[... matrix: %llu bytes of output omitted (log limit) ...]\n";

/* ---- the helper: a subreaper that runs the server's commands one at a time ---- */

static int h_req = -1, h_rep = -1, h_sig = -1;
static unsigned char *h_in;
static size_t h_in_len, h_in_cap;
static int h_exit_after; /* told to stop: finish this command, then exit */
static struct capped h_all, h_out;
static struct rusage h_prev_self, h_prev_kids;

/* Reads what the server sent; returns 0 at EOF (the server is gone). */
static int helper_read(void) {
    if (h_in_cap - h_in_len < 4096) {
        size_t cap = h_in_cap ? h_in_cap * 2 : 65536;
        unsigned char *b = realloc(h_in, cap);
        if (!b) _exit(125);
        h_in = b;
        h_in_cap = cap;
    }
    ssize_t got = read(h_req, h_in + h_in_len, h_in_cap - h_in_len);
    if (got > 0) { h_in_len += (size_t)got; return 1; }
    if (got < 0 && (errno == EINTR || errno == EAGAIN)) return 1;
    return 0;
}

/* Applies cancel/kill frames at the front of the input to command `id`; stops at a spawn frame. */
static void helper_controls(uint32_t id, int *stop, int *canceled) {
    size_t at = 0;
    while (h_in_len - at >= 4) {
        uint32_t flen = get_u32(h_in + at);
        if (h_in_len - at - 4 < flen) break;
        unsigned char *body = h_in + at + 4;
        if (flen >= 1 && body[0] == 'S') break;
        if (flen >= 5 && get_u32(body + 1) == id) {
            if (body[0] == 'C' && *stop < 1) { *stop = 1; *canceled = 1; }
            if (body[0] == 'K') { *stop = 2; *canceled = 1; }
        }
        at += 4 + (size_t)flen;
    }
    memmove(h_in, h_in + at, h_in_len - at);
    h_in_len -= at;
}

static void helper_signals(int *stop, int *canceled, int timed_out) {
    struct signalfd_siginfo si;
    while (read(h_sig, &si, sizeof si) == (ssize_t)sizeof si) {
        int sig = (int)si.ssi_signo;
        if (sig == SIGCHLD) continue;
        h_exit_after = 1;
        if (sig == SIGUSR1) { *stop = 2; *canceled = 1; }
        else if (*stop < 1) { *stop = 1; if (!timed_out) *canceled = 1; }
    }
}

static void run_command(struct request *r) {
    long long started = now_ms();
    capped_reset(&h_all, r->log_limit);
    capped_reset(&h_out, r->log_limit);
    int po[2], pe[2];
    int kind = 0, code = 0, spawned = 0, stop = h_exit_after ? 2 : 0, timed_out = 0, canceled = stop ? 1 : 0;
    char spawn_msg[700] = "";
    pid_t cmd = -1;
    if (pipe2(po, O_CLOEXEC)) {
        kind = 2; code = errno;
        snprintf(spawn_msg, sizeof spawn_msg, "pipe: %s", strerror(code));
    } else if (pipe2(pe, O_CLOEXEC)) {
        kind = 2; code = errno;
        snprintf(spawn_msg, sizeof spawn_msg, "pipe: %s", strerror(code));
        close(po[0]);
        close(po[1]);
    } else {
        /* posix_spawn: glibc starts the child with CLONE_VM|CLONE_VFORK, so nothing of the
           helper is copied. The child gets its own session (as a per-command supervisor's
           command has: a kill(0, ...) reaches its own group only), default signal
           dispositions, an empty mask, /dev/null for stdin and the two pipes, and no
           parent-death signal (fork clears it). */
        posix_spawn_file_actions_t fa;
        posix_spawnattr_t at;
        sigset_t none, all;
        sigemptyset(&none);
        sigfillset(&all);
        posix_spawn_file_actions_init(&fa);
        posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
        posix_spawn_file_actions_adddup2(&fa, po[1], 1);
        posix_spawn_file_actions_adddup2(&fa, pe[1], 2);
        posix_spawn_file_actions_addchdir_np(&fa, r->cwd);
        posix_spawnattr_init(&at);
        posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSID);
        posix_spawnattr_setsigmask(&at, &none);
        posix_spawnattr_setsigdefault(&at, &all);
        /* The PATH search uses the command's environment, as execvp in the per-command supervisor. */
        char **saved = environ;
        environ = r->envp;
        int err = stop == 2 ? ECANCELED : posix_spawnp(&cmd, r->argv[0], &fa, &at, r->argv, r->envp);
        environ = saved;
        posix_spawn_file_actions_destroy(&fa);
        posix_spawnattr_destroy(&at);
        close(po[1]);
        close(pe[1]);
        if (err == 0) spawned = 1;
        else {
            struct stat st;
            int cwd_err = stat(r->cwd, &st) != 0 ? errno : S_ISDIR(st.st_mode) ? 0 : ENOTDIR;
            kind = 2; code = err;
            if (cwd_err) snprintf(spawn_msg, sizeof spawn_msg, "cannot enter %s: %s", r->cwd, strerror(cwd_err));
            else snprintf(spawn_msg, sizeof spawn_msg, "%s: %s", r->argv[0], strerror(code));
            close(po[0]);
            close(pe[0]);
        }
    }

    if (spawned) {
        int cmd_status = 0, cmd_done = 0, tree_dead = 0, terminated = 0;
        long long deadline = r->timeout_ms ? started + r->timeout_ms : -1;
        long long kill_at = -1, drain_until = -1;
        int open_fds = 2;
        struct pollfd pf[4] = { { po[0], POLLIN, 0 }, { pe[0], POLLIN, 0 }, { h_sig, POLLIN, 0 }, { h_req, POLLIN, 0 } };
        static char chunk[65536];
        for (;;) {
            /* The command ended (or must stop now): nothing it started may live on. */
            if ((cmd_done || stop == 2) && !tree_dead) {
                if (reap(cmd, &cmd_status, &cmd_done)) {
                    signal_descendants(SIGKILL);
                    if (reap(cmd, &cmd_status, &cmd_done)) { sleep_ms(2); continue; }
                }
                tree_dead = 1;
                drain_until = now_ms() + 250;
            }
            if (tree_dead && (open_fds == 0 || now_ms() >= drain_until)) break;
            if (!tree_dead && stop == 1 && !terminated) {
                terminated = 1;
                signal_descendants(SIGTERM);
                kill_at = now_ms() + r->grace_ms;
            }
            if (terminated && !tree_dead && now_ms() >= kill_at) { stop = 2; continue; }
            if (!tree_dead && !terminated && deadline >= 0 && now_ms() >= deadline) {
                timed_out = 1;
                stop = 1;
                continue;
            }
            long long wait = 1000, t = now_ms();
            if (tree_dead) wait = drain_until - t;
            else if (terminated) wait = kill_at - t;
            else if (deadline >= 0 && deadline - t < wait) wait = deadline - t;
            if (wait < 0) wait = 0;
            int n = poll(pf, 4, (int)wait);
            if (n < 0 && errno != EINTR) break;
            for (int i = 0; i < 2; i++) {
                if (pf[i].fd < 0 || !(pf[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
                ssize_t got = read(pf[i].fd, chunk, sizeof chunk);
                if (got > 0) {
                    capped_push(&h_all, chunk, (size_t)got);
                    if (i == 0) capped_push(&h_out, chunk, (size_t)got);
                } else if (got == 0 || (errno != EINTR && errno != EAGAIN)) {
                    close(pf[i].fd);
                    pf[i].fd = -1;
                    open_fds--;
                }
            }
            if (pf[2].revents & POLLIN) helper_signals(&stop, &canceled, timed_out);
            if (pf[3].fd >= 0 && (pf[3].revents & (POLLIN | POLLHUP | POLLERR))) {
                if (helper_read()) helper_controls(r->id, &stop, &canceled);
                else { pf[3].fd = -1; h_exit_after = 1; stop = 2; canceled = 1; } /* the server is gone */
            }
            if (!cmd_done) reap(cmd, &cmd_status, &cmd_done);
        }
        for (int i = 0; i < 2; i++) if (pf[i].fd >= 0) close(pf[i].fd);
        if (!cmd_done) { kind = 1; code = SIGKILL; }
        else if (WIFSIGNALED(cmd_status)) { kind = 1; code = WTERMSIG(cmd_status); }
        else { kind = 0; code = WEXITSTATUS(cmd_status); }
    }
    if (timed_out) canceled = 0; /* a timeout is reported as one, even if a cancel came too */

    capped_flatten(&h_all);
    capped_flatten(&h_out);
    int log_errno = 0;
    char log_msg[600] = "";
    if (r->log_path[0]) {
        char end[800], omitted[128];
        describe_end(end, sizeof end, kind, code, timed_out, canceled, spawn_msg);
        int truncated = h_all.total > h_all.head_len + h_all.ring_len;
        if (truncated) snprintf(omitted, sizeof omitted, OMITTED_FMT, (unsigned long long)(h_all.total - h_all.head_len - h_all.ring_len));
        char last = h_all.ring_len ? h_all.ring[h_all.ring_len - 1] : h_all.head_len ? h_all.head[h_all.head_len - 1] : '\n';
        char trailer[820];
        snprintf(trailer, sizeof trailer, "%s# %s\n", last == '\n' ? "" : "\n", end);
        int err = mkdir_parents(r->log_path);
        int fd = err ? -1 : open(r->log_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
        if (!err && fd < 0) err = errno;
        if (fd >= 0) {
            struct iovec iov[5] = {
                { (void *)r->header, strlen(r->header) }, { h_all.head, h_all.head_len },
                { omitted, truncated ? strlen(omitted) : 0 }, { h_all.ring, h_all.ring_len }, { trailer, strlen(trailer) },
            };
            for (int i = 0; i < 5 && !err; i++) if (iov[i].iov_len && write_all(fd, iov[i].iov_base, iov[i].iov_len)) err = errno;
            if (close(fd) != 0 && !err) err = errno;
        }
        if (err) {
            log_errno = err;
            snprintf(log_msg, sizeof log_msg, "%s", strerror(err));
        }
    }

    /* CPU since the last reply: this helper's own, and the command tree's (reaped: all of it). */
    struct rusage self, kids;
    getrusage(RUSAGE_CHILDREN, &kids);
    getrusage(RUSAGE_SELF, &self);
    uint64_t cpu[4] = {
        tv_us(kids.ru_utime) - tv_us(h_prev_kids.ru_utime), tv_us(kids.ru_stime) - tv_us(h_prev_kids.ru_stime),
        tv_us(self.ru_utime) - tv_us(h_prev_self.ru_utime), tv_us(self.ru_stime) - tv_us(h_prev_self.ru_stime),
    };
    h_prev_kids = kids;
    h_prev_self = self;
    const char *msg = log_errno ? log_msg : spawn_msg;
    size_t msg_len = strlen(msg);
    unsigned char hdr[4 + 84];
    unsigned char *p = hdr;
    put_u32(p, (uint32_t)(84 + h_all.head_len + h_all.ring_len + h_out.head_len + h_out.ring_len + msg_len)); p += 4;
    *p++ = 'D';
    put_u32(p, r->id); p += 4;
    *p++ = (unsigned char)kind;
    put_u32(p, (uint32_t)code); p += 4;
    *p++ = (unsigned char)timed_out;
    *p++ = (unsigned char)canceled;
    put_u32(p, (uint32_t)log_errno); p += 4;
    put_u64(p, h_all.total); p += 8;
    put_u64(p, h_out.total); p += 8;
    for (int i = 0; i < 4; i++) { put_u64(p, cpu[i]); p += 8; }
    put_u32(p, (uint32_t)h_all.head_len); p += 4;
    put_u32(p, (uint32_t)h_all.ring_len); p += 4;
    put_u32(p, (uint32_t)h_out.head_len); p += 4;
    put_u32(p, (uint32_t)h_out.ring_len); p += 4;
    put_u32(p, (uint32_t)msg_len);
    struct iovec iov[6] = {
        { hdr, sizeof hdr }, { h_all.head, h_all.head_len }, { h_all.ring, h_all.ring_len },
        { h_out.head, h_out.head_len }, { h_out.ring, h_out.ring_len }, { (void *)msg, msg_len },
    };
    for (int i = 0; i < 6; i++) if (iov[i].iov_len && write_all(h_rep, iov[i].iov_base, iov[i].iov_len)) { h_exit_after = 1; break; }
}

static void helper_main(int req_fd, int rep_fd, pid_t server) {
    h_req = req_fd;
    h_rep = rep_fd;
    setsid();
    prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
    prctl(PR_SET_PDEATHSIG, SIGUSR1, 0, 0, 0);
    if (getppid() != server) _exit(0);
    sigset_t set;
    supervised_signals(&set);
    h_sig = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
    if (h_sig < 0) _exit(125);
    getrusage(RUSAGE_SELF, &h_prev_self);
    getrusage(RUSAGE_CHILDREN, &h_prev_kids);
    for (;;) {
        if (h_exit_after) _exit(0);
        /* A whole spawn frame at the front? (cancels of commands already done are dropped.) */
        int stop = 0, canceled = 0;
        helper_controls(0, &stop, &canceled);
        if (h_in_len >= 4 && h_in_len - 4 >= get_u32(h_in)) {
            uint32_t flen = get_u32(h_in);
            unsigned char *body = malloc(flen ? flen : 1);
            if (!body) _exit(125);
            memcpy(body, h_in + 4, flen);
            memmove(h_in, h_in + 4 + flen, h_in_len - 4 - flen);
            h_in_len -= 4 + (size_t)flen;
            struct request r;
            if (parse_request(body, flen, &r) == 0) {
                run_command(&r);
                free(r.argv);
            }
            free(body);
            continue;
        }
        struct pollfd pf[2] = { { h_req, POLLIN, 0 }, { h_sig, POLLIN, 0 } };
        if (poll(pf, 2, -1) < 0 && errno != EINTR) _exit(0);
        if (pf[1].revents & POLLIN) helper_signals(&stop, &canceled, 0);
        if ((pf[0].revents & (POLLIN | POLLHUP | POLLERR)) && !helper_read()) _exit(0);
    }
}

/* ---- the server ---- */

struct helper {
    pid_t pid;        /* 0 once reaped */
    int req_fd;       /* -1 once closed */
    int rep_fd;       /* -1 at EOF */
    int busy;
    uint32_t id;      /* the command it runs, when busy */
    unsigned char *buf;
    size_t len, cap;
    struct helper *next;
};

static struct helper *helpers;
static uint64_t helper_cpu_us[2], command_cpu_us[2];
static uint64_t helpers_started;

static void send_lost(uint32_t id, const char *why) {
    size_t n = strlen(why);
    unsigned char hdr[9];
    put_u32(hdr, (uint32_t)(5 + n));
    hdr[4] = 'E';
    put_u32(hdr + 5, id);
    if (write_all(1, hdr, sizeof hdr) == 0) write_all(1, why, n);
}

static uint64_t get_u64(const unsigned char *p) { return get_u32(p) | (uint64_t)get_u32(p + 4) << 32; }

/* Passes on every whole reply the helper has sent. */
static void forward_replies(struct helper *h) {
    size_t at = 0;
    while (h->len - at >= 4) {
        uint32_t flen = get_u32(h->buf + at);
        if (h->len - at - 4 < flen) break;
        const unsigned char *body = h->buf + at + 4;
        if (flen >= 84 && body[0] == 'D') {
            command_cpu_us[0] += get_u64(body + 32);
            command_cpu_us[1] += get_u64(body + 40);
            helper_cpu_us[0] += get_u64(body + 48);
            helper_cpu_us[1] += get_u64(body + 56);
        }
        write_all(1, h->buf + at, 4 + (size_t)flen);
        h->busy = 0;
        at += 4 + (size_t)flen;
    }
    memmove(h->buf, h->buf + at, h->len - at);
    h->len -= at;
}

static struct helper *start_helper(void) {
    int req[2], rep[2];
    if (pipe2(req, O_CLOEXEC)) return NULL;
    if (pipe2(rep, O_CLOEXEC)) { close(req[0]); close(req[1]); return NULL; }
    struct helper *h = calloc(1, sizeof *h);
    if (!h) { close(req[0]); close(req[1]); close(rep[0]); close(rep[1]); return NULL; }
    pid_t server = getpid();
    pid_t pid = fork();
    if (pid < 0) { free(h); close(req[0]); close(req[1]); close(rep[0]); close(rep[1]); return NULL; }
    if (pid == 0) {
        /* The orchestrator's pipes and the other helpers' are not this helper's; fds 0 and 1 stay taken (/dev/null). */
        int dn = open("/dev/null", O_RDWR | O_CLOEXEC);
        if (dn >= 0) { dup2(dn, 0); dup2(dn, 1); if (dn > 1) close(dn); }
        for (struct helper *o = helpers; o; o = o->next) {
            if (o->req_fd >= 0) close(o->req_fd);
            if (o->rep_fd >= 0) close(o->rep_fd);
        }
        close(req[1]);
        close(rep[0]);
        helper_main(req[0], rep[1], server);
        _exit(0);
    }
    close(req[0]);
    close(rep[1]);
    helpers_started++;
    h->pid = pid;
    h->req_fd = req[1];
    h->rep_fd = rep[0];
    h->next = helpers;
    helpers = h;
    return h;
}

static void start_job(const unsigned char *frame, size_t flen) {
    uint32_t id = get_u32(frame + 5);
    struct helper *h = helpers;
    while (h && (h->busy || h->pid <= 0 || h->req_fd < 0 || h->rep_fd < 0)) h = h->next;
    if (!h) h = start_helper();
    if (!h) { send_lost(id, strerror(errno)); return; }
    h->busy = 1;
    h->id = id;
    if (write_all(h->req_fd, frame, 4 + flen)) {
        h->busy = 0;
        close(h->req_fd);
        h->req_fd = -1;
        send_lost(id, "the command's supervisor is gone");
    }
}

static void control_job(const unsigned char *frame) {
    uint32_t id = get_u32(frame + 5);
    for (struct helper *h = helpers; h; h = h->next)
        if (h->busy && h->id == id && h->req_fd >= 0) write_all(h->req_fd, frame, 9);
}

/* Reaps helpers (and any orphan that reached the server); drops helpers that are gone. */
static void reap_server(void) {
    for (;;) {
        pid_t r = waitpid(-1, NULL, WNOHANG);
        if (r <= 0) break;
        for (struct helper *h = helpers; h; h = h->next) if (h->pid == r) h->pid = 0;
    }
    for (struct helper **ph = &helpers; *ph;) {
        struct helper *h = *ph;
        if (h->rep_fd < 0 && h->pid == 0) {
            if (h->busy) send_lost(h->id, "the command's supervisor ended without a reply");
            if (h->req_fd >= 0) close(h->req_fd);
            free(h->buf);
            *ph = h->next;
            free(h);
        } else ph = &h->next;
    }
}

static void write_usage_file(void) {
    const char *path = getenv("MATRIX_SPAWN_SERVER_USAGE");
    if (!path || !*path) return;
    struct rusage self;
    getrusage(RUSAGE_SELF, &self);
    char tmp[4200], text[600];
    snprintf(tmp, sizeof tmp, "%s.%d.tmp", path, (int)getpid());
    int n = snprintf(text, sizeof text,
        "{\"serverUserUs\":%llu,\"serverSystemUs\":%llu,\"helperUserUs\":%llu,\"helperSystemUs\":%llu,"
        "\"commandUserUs\":%llu,\"commandSystemUs\":%llu,\"helpers\":%llu,\"maxRssKb\":%ld}\n",
        (unsigned long long)tv_us(self.ru_utime), (unsigned long long)tv_us(self.ru_stime),
        (unsigned long long)helper_cpu_us[0], (unsigned long long)helper_cpu_us[1],
        (unsigned long long)command_cpu_us[0], (unsigned long long)command_cpu_us[1],
        (unsigned long long)helpers_started, self.ru_maxrss);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
    if (fd < 0) return;
    int ok = write_all(fd, text, (size_t)n) == 0;
    close(fd);
    if (ok) rename(tmp, path);
}

static int server_main(int argc, char **argv) {
    if (argc >= 3) parse_signal_names(argv[2]);
    pid_t orchestrator = getppid();
    prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
    sigset_t set;
    supervised_signals(&set);
    sigprocmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);
    int sfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
    if (sfd < 0) { fprintf(stderr, "matrix-supervise: signalfd: %s\n", strerror(errno)); return 125; }
    prctl(PR_SET_PDEATHSIG, SIGUSR1, 0, 0, 0);
    int stopping = getppid() != orchestrator;
    fcntl(0, F_SETFD, FD_CLOEXEC);
    fcntl(1, F_SETFD, FD_CLOEXEC);
    unsigned char hello[5] = { 1, 0, 0, 0, 'H' };
    if (!stopping && write_all(1, hello, sizeof hello)) stopping = 1;

    size_t in_cap = 1 << 16, in_len = 0;
    unsigned char *in = malloc(in_cap);
    struct pollfd *pf = NULL;
    struct helper **ph = NULL;
    size_t pf_cap = 0;
    if (!in) return 125;
    while (!stopping) {
        size_t nh = 0;
        for (struct helper *h = helpers; h; h = h->next) if (h->rep_fd >= 0) nh++;
        if (nh + 2 > pf_cap) {
            pf_cap = (nh + 2) * 2;
            pf = realloc(pf, pf_cap * sizeof *pf);
            ph = realloc(ph, pf_cap * sizeof *ph);
            if (!pf || !ph) return 125;
        }
        pf[0] = (struct pollfd){ 0, POLLIN, 0 };
        pf[1] = (struct pollfd){ sfd, POLLIN, 0 };
        size_t k = 0;
        for (struct helper *h = helpers; h; h = h->next) if (h->rep_fd >= 0) { pf[2 + k] = (struct pollfd){ h->rep_fd, POLLIN, 0 }; ph[k++] = h; }
        int n = poll(pf, 2 + nh, -1);
        if (n < 0 && errno != EINTR) stopping = 1;
        for (size_t i = 0; i < nh; i++) {
            if (!(pf[2 + i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
            struct helper *h = ph[i];
            if (h->cap - h->len < 65536) {
                size_t cap = h->cap ? h->cap * 2 : 65536 * 2;
                unsigned char *b = realloc(h->buf, cap);
                if (!b) return 125;
                h->buf = b;
                h->cap = cap;
            }
            ssize_t got = read(h->rep_fd, h->buf + h->len, h->cap - h->len);
            if (got > 0) {
                h->len += (size_t)got;
                forward_replies(h);
            } else if (got == 0 || (errno != EINTR && errno != EAGAIN)) {
                close(h->rep_fd);
                h->rep_fd = -1; /* a busy one is reported lost once reaped */
            }
        }
        if (pf[1].revents & POLLIN) {
            struct signalfd_siginfo si;
            while (read(sfd, &si, sizeof si) == (ssize_t)sizeof si)
                if (si.ssi_signo != SIGCHLD) stopping = 1;
        }
        if (!stopping && (pf[0].revents & (POLLIN | POLLHUP | POLLERR))) {
            if (in_cap - in_len < 65536) {
                unsigned char *b = realloc(in, in_cap * 2);
                if (!b) return 125;
                in = b;
                in_cap *= 2;
            }
            ssize_t got = read(0, in + in_len, in_cap - in_len);
            if (got > 0) {
                in_len += (size_t)got;
                size_t at = 0;
                while (in_len - at >= 4) {
                    uint32_t flen = get_u32(in + at);
                    if (in_len - at - 4 < flen) break;
                    const unsigned char *frame = in + at;
                    if (flen >= 25 && frame[4] == 'S') start_job(frame, flen);
                    else if (flen == 5 && (frame[4] == 'C' || frame[4] == 'K')) control_job(frame);
                    at += 4 + (size_t)flen;
                }
                memmove(in, in + at, in_len - at);
                in_len -= at;
            } else if (got == 0 || (errno != EINTR && errno != EAGAIN)) {
                stopping = 1; /* EOF: the orchestrator is gone */
            }
        }
        reap_server();
    }

    /* Shut down: every tree dies at once; wait (bounded) for the helpers to reap theirs. */
    for (struct helper *h = helpers; h; h = h->next) {
        if (h->pid > 0) kill(h->pid, SIGUSR1);
        if (h->req_fd >= 0) { close(h->req_fd); h->req_fd = -1; }
        if (h->rep_fd >= 0) { close(h->rep_fd); h->rep_fd = -1; }
        h->busy = 0;
    }
    long long until = now_ms() + 5000;
    for (;;) {
        reap_server();
        if (!helpers || now_ms() >= until) break;
        sleep_ms(2);
    }
    /* Anything reparented to the server (a helper that died first) dies too. */
    signal_descendants(SIGKILL);
    while (waitpid(-1, NULL, WNOHANG) > 0) {}
    write_usage_file();
    return 0;
}

int main(int argc, char **argv) {
    if (argc >= 2 && strcmp(argv[1], "--server") == 0) return server_main(argc, argv);
    return classic_main(argc, argv);
}
