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

int main(int argc, char **argv) {
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
    sigemptyset(&set);
    sigaddset(&set, SIGCHLD);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    sigaddset(&set, SIGQUIT);
    sigaddset(&set, SIGUSR1);
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
