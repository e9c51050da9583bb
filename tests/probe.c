/* A small program for the escape suite: performs one operation, prints "ok"
 * or "denied: <errno name>", and exits 0 on success, 1 on failure, 2 on misuse.
 * Built by the tests with the system C compiler. */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/landlock.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <linux/perf_event.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sched.h>
#include <unistd.h>
#include <pthread.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <time.h>

/* The race: one thread flips a shared address between two socket paths while
 * another connects through it. */
static struct sockaddr_un race_address = {.sun_family = AF_UNIX};
static const char *race_paths[2];
static volatile int race_done;

static const char *thread_dir;

/* The thread of the "tree" operation: one read, and a signal to pid 1
 * (outside the session), which is refused. */
static void *thread_read(void *unused) {
    (void)unused;
    syscall(SYS_tgkill, 1, 1, 0);
    char path[512];
    snprintf(path, sizeof path, "%s/a.txt", thread_dir);
    int fd = open(path, O_RDONLY);
    if (fd >= 0) close(fd);
    return NULL;
}

/* The threads of the "flood" operation: each opens its own file, many times. */
static const char *flood_dir;
static int flood_opens;
static void *flood_thread(void *number) {
    char path[512];
    snprintf(path, sizeof path, "%s/flood-%ld.txt", flood_dir, (long)number);
    for (int i = 0; i < flood_opens; i++) {
        int fd = open(path, O_RDONLY);
        if (fd >= 0) close(fd);
    }
    return NULL;
}

/* The thread of the "thread_exec" operation: executes cat on a file, so the
 * process goes on as cat under the leader's id. */
static const char *thread_exec_file;
static void *exec_thread(void *unused) {
    (void)unused;
    execl("/bin/cat", "cat", thread_exec_file, (char *)NULL);
    return NULL;
}

/* A child sharing its parent's filesystem state (clone(CLONE_FS)) moves the
 * working directory and narrows the creation mask of both. */
static const char *clone_dir;
static int clone_child(void *unused) {
    (void)unused;
    if (chdir(clone_dir) < 0) return 1;
    umask(077);
    return 0;
}

static void *thread_create(void *unused) {
    (void)unused;
    char path[512];
    snprintf(path, sizeof path, "%s/from-thread.txt", thread_dir);
    int fd = open(path, O_CREAT | O_WRONLY, 0644);
    if (fd >= 0) close(fd);
    return NULL;
}

static void *flip(void *unused) {
    (void)unused;
    for (unsigned i = 0; !race_done; i++)
        strncpy(race_address.sun_path, race_paths[i & 1], sizeof race_address.sun_path - 1);
    return NULL;
}

/* The metadata and write races: one thread flips a path between an allowed
 * file and a forbidden one while another acts through it. */
static char race_path[512];

static void *flip_path(void *unused) {
    (void)unused;
    for (unsigned i = 0; !race_done; i++)
        strncpy(race_path, race_paths[i & 1], sizeof race_path - 1);
    return NULL;
}

static int result(long rc) {
    if (rc < 0) {
        printf("denied: %s (errno %d)\n", strerrorname_np(errno), errno);
        return 1;
    }
    printf("ok\n");
    return 0;
}

/* One line for one call: NAME: ok, or NAME: denied: ERRNO. */
static void report_call(const char *name, long rc) {
    if (rc < 0) {
        printf("%s: denied: %s\n", name, strerrorname_np(errno));
    } else {
        printf("%s: ok\n", name);
    }
}

/* Asks with every call that sends a signal whether PID (its main thread)
 * exists (signal 0), printing one line per call. */
static int signal_calls(pid_t pid) {
    siginfo_t info = {.si_code = SI_QUEUE, .si_pid = getpid(), .si_uid = getuid()};
    report_call("kill", syscall(SYS_kill, pid, 0));
    report_call("tkill", syscall(SYS_tkill, pid, 0));
    report_call("tgkill", syscall(SYS_tgkill, pid, pid, 0));
    report_call("rt_sigqueueinfo", syscall(SYS_rt_sigqueueinfo, pid, 0, &info));
    report_call("rt_tgsigqueueinfo", syscall(SYS_rt_tgsigqueueinfo, pid, pid, 0, &info));
    long pidfd = syscall(SYS_pidfd_open, pid, 0);
    report_call("pidfd_send_signal", pidfd < 0 ? pidfd : syscall(SYS_pidfd_send_signal, pidfd, 0, NULL, 0));
    return 0;
}

static int connect_unix(const char *name, int abstract) {
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    if (fd < 0) return result(fd);
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    socklen_t len;
    if (abstract) {
        addr.sun_path[0] = 0;
        strncpy(addr.sun_path + 1, name, sizeof addr.sun_path - 2);
        len = offsetof(struct sockaddr_un, sun_path) + 1 + strlen(name);
    } else {
        strncpy(addr.sun_path, name, sizeof addr.sun_path - 1);
        len = sizeof addr;
    }
    return result(connect(fd, (struct sockaddr *)&addr, len));
}

/* The swap race: one thread keeps swapping, at one name, a regular file and
 * a directory holding a symbolic link, while the main thread renames that
 * name into a protected tree (and a regular file that arrives back out). */
static const char *swap_name, *swap_file, *swap_dir;
static volatile int swap_done;

static void *swap_entries(void *unused) {
    (void)unused;
    while (!swap_done) {
        rename(swap_file, swap_name);
        rename(swap_name, swap_file);
        rename(swap_dir, swap_name);
        rename(swap_name, swap_dir);
    }
    return NULL;
}

static int swap_race(const char *name, const char *target, int tries) {
    char file[4096], dir[4096], link_path[4200];
    snprintf(file, sizeof file, "%s.file", name);
    snprintf(dir, sizeof dir, "%s.dir", name);
    snprintf(link_path, sizeof link_path, "%s/inside", dir);
    close(open(file, O_WRONLY | O_CREAT, 0644));
    mkdir(dir, 0755);
    symlink("/etc/passwd", link_path);
    swap_name = name, swap_file = file, swap_dir = dir;
    pthread_t swapper;
    pthread_create(&swapper, NULL, swap_entries, NULL);
    int files = 0, brought = 0;
    for (int i = 0; i < tries && !brought; i++) {
        if (rename(name, target) != 0) continue;
        struct stat st;
        if (lstat(target, &st) == 0 && !S_ISREG(st.st_mode)) brought = 1;
        else if (rename(target, file) == 0) files++;
    }
    swap_done = 1;
    pthread_join(swapper, NULL);
    printf("%s %d\n", brought ? "brought" : "ok", files);
    return brought;
}

/* The open race: one thread flips a buffer between two paths of the same
 * length while another opens through it. */
static char open_race_path[4096];
static const char *open_race_paths[2];
static volatile int open_race_done;
static void *open_flip(void *unused) {
    (void)unused;
    size_t length = strlen(open_race_paths[0]) + 1;
    for (unsigned i = 0; !open_race_done; i++) memcpy(open_race_path, open_race_paths[i & 1], length);
    return NULL;
}

/* open_race A B N: opens N times through the flipping buffer; prints how
 * often each file was opened (told by its inode) and refused. */
static int open_race(const char *a, const char *b, int tries) {
    struct stat a_stat, b_stat;
    if (strlen(a) != strlen(b) || strlen(a) >= sizeof open_race_path) return 2;
    if (stat(a, &a_stat) != 0) return result(-1);
    int b_exists = stat(b, &b_stat) == 0;
    open_race_paths[0] = a, open_race_paths[1] = b;
    strcpy(open_race_path, a);
    pthread_t flipper;
    pthread_create(&flipper, NULL, open_flip, NULL);
    int opened_a = 0, opened_b = 0, refused = 0, other = 0;
    for (int i = 0; i < tries; i++) {
        int fd = open(open_race_path, O_RDONLY);
        struct stat st;
        if (fd < 0) {
            if (errno == EACCES || errno == EPERM) refused++;
            else other++;
            continue;
        }
        fstat(fd, &st);
        if (st.st_dev == a_stat.st_dev && st.st_ino == a_stat.st_ino) opened_a++;
        else if (b_exists && st.st_dev == b_stat.st_dev && st.st_ino == b_stat.st_ino) opened_b++;
        else other++;
        close(fd);
    }
    open_race_done = 1;
    pthread_join(flipper, NULL);
    printf("ok a=%d b=%d refused=%d other=%d\n", opened_a, opened_b, refused, other);
    return 0;
}

/* The exec race: in each child, a thread flips the program's path and its
 * last argument between two values of one length while the child execs. */
static char exec_race_path[4096], exec_race_arg[4096];
static const char *exec_race_values[4];
static void *exec_flip(void *unused) {
    (void)unused;
    size_t path_length = strlen(exec_race_values[0]) + 1, arg_length = strlen(exec_race_values[2]) + 1;
    for (unsigned i = 0;; i++) {
        memcpy(exec_race_path, exec_race_values[i & 1], path_length);
        memcpy(exec_race_arg, exec_race_values[2 + ((i >> 1) & 1)], arg_length);
    }
    return NULL;
}

/* exec_race PATH_A PATH_B ARG_A ARG_B N: N children each exec the flipping
 * path with the arguments `racer -c ARG` (a shell, say); prints "ran PID
 * STATUS" for each, the status telling what ran. */
static int exec_race(char **values, int tries) {
    if (strlen(values[0]) != strlen(values[1]) || strlen(values[2]) != strlen(values[3])) return 2;
    for (int i = 0; i < 4; i++) exec_race_values[i] = values[i];
    for (int i = 0; i < tries; i++) {
        pid_t child = fork();
        if (child == 0) {
            strcpy(exec_race_path, values[0]);
            strcpy(exec_race_arg, values[2]);
            pthread_t flipper;
            pthread_create(&flipper, NULL, exec_flip, NULL);
            char *args[] = {"racer", "-c", exec_race_arg, NULL};
            execv(exec_race_path, args);
            _exit(127);
        }
        int status;
        waitpid(child, &status, 0);
        printf("ran %d %d\n", child, WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
    }
    return 0;
}

/* One line of "open_kinds": what an open gave, as far as the caller can
 * tell: the error, or the file's type, its status flags, close-on-exec, and
 * whether it is the file `same` names (when given). */
static void open_kind(const char *name, int fd, const char *same) {
    if (fd < 0) {
        printf("%s %s\n", name, strerrorname_np(errno));
        return;
    }
    struct stat st, other;
    fstat(fd, &st);
    int status = fcntl(fd, F_GETFL) & (O_ACCMODE | O_NONBLOCK | O_APPEND | O_DIRECT | O_NOATIME | O_PATH);
    int cloexec = fcntl(fd, F_GETFD) & FD_CLOEXEC;
    int is_same = same && stat(same, &other) == 0 && other.st_ino == st.st_ino && other.st_dev == st.st_dev;
    printf("%s type=%o status=%o cloexec=%d%s\n", name, st.st_mode & S_IFMT, status, cloexec, is_same ? " same" : "");
    close(fd);
}

/* open_kinds DIR: read-only opens of every kind, printed one per line, so
 * that a run in a session can be compared with a run outside. */
static int open_kinds(const char *dir) {
    char a[4096], link_path[4096], fifo[4096], proc_fd[64];
    snprintf(a, sizeof a, "%s/a.txt", dir);
    snprintf(link_path, sizeof link_path, "%s/link", dir);
    snprintf(fifo, sizeof fifo, "%s/fifo", dir);
    unlink(link_path), unlink(fifo);
    close(open(a, O_WRONLY | O_CREAT, 0644));
    symlink("a.txt", link_path);
    mkfifo(fifo, 0644);
    int dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    open_kind("plain", open(a, O_RDONLY), a);
    open_kind("cloexec_at", openat(dirfd, "a.txt", O_RDONLY | O_CLOEXEC), a);
    open_kind("nonblock", open(a, O_RDONLY | O_NONBLOCK), a);
    open_kind("unknown_bit", open(a, O_RDONLY | 0x40000000), a);
    open_kind("path", open(dir, O_PATH), dir);
    open_kind("path_link", open(link_path, O_PATH | O_NOFOLLOW | O_NONBLOCK), NULL);
    open_kind("nofollow_link", open(link_path, O_RDONLY | O_NOFOLLOW), NULL);
    open_kind("through_link", open(link_path, O_RDONLY), a);
    open_kind("directory", open(dir, O_RDONLY | O_DIRECTORY), dir);
    open_kind("not_directory", open(a, O_RDONLY | O_DIRECTORY), NULL);
    open_kind("missing", open("/nonexistent/x", O_RDONLY), NULL);
    open_kind("bad_dirfd", openat(999, "a.txt", O_RDONLY), NULL);
    open_kind("dev_null", open("/dev/null", O_RDONLY), "/dev/null");
    open_kind("dev_stdin", open("/dev/stdin", O_RDONLY), "/proc/self/fd/0");
    open_kind("dev_tty", open("/dev/tty", O_RDONLY), isatty(0) ? ttyname(0) : NULL);
    int held = open(a, O_RDONLY);
    snprintf(proc_fd, sizeof proc_fd, "/proc/self/fd/%d", held);
    open_kind("proc_self_fd", open(proc_fd, O_RDONLY), a);
    close(held);
    int status = open("/proc/self/status", O_RDONLY);
    char text[4096] = {0}, want[64];
    if (status >= 0) read(status, text, sizeof text - 1), close(status);
    snprintf(want, sizeof want, "\nPid:\t%d\n", getpid());
    printf("proc_self_status %s\n", strstr(text, want) ? "mine" : "not mine");
    open_kind("fifo_nonblock", open(fifo, O_RDONLY | O_NONBLOCK), fifo);
    pid_t writer = fork();
    if (writer == 0) {
        int w = open(fifo, O_WRONLY);
        write(w, "x", 1);
        _exit(0);
    }
    int r = open(fifo, O_RDONLY);
    char got = 0;
    if (r >= 0) read(r, &got, 1);
    printf("fifo_blocking %c\n", got);
    open_kind("fifo", r, fifo);
    waitpid(writer, NULL, 0);
    if (chdir(dir) == 0) open_kind("relative", open("a.txt", O_RDONLY), a);
    open_kind("proc_self_cwd", open("/proc/self/cwd/a.txt", O_RDONLY), a);
    open_kind("proc_self_ns", open("/proc/self/ns/net", O_RDONLY), "/proc/self/ns/net");
    return 0;
}

static int read_file(const char *path) {
    int fd = open(path, O_RDONLY);
    if (fd < 0) return result(fd);
    char buffer[64];
    return result(read(fd, buffer, sizeof buffer));
}

int main(int argc, char **argv) {
    if (argc < 2) return 2;
    const char *op = argv[1];
    const char *arg = argc > 2 ? argv[2] : "";
    if (!strcmp(op, "landlock_layer")) {
        /* A sandbox of the session's own: a Landlock layer that allows
         * writes only below arg, as landrun or nono would add. */
        struct landlock_ruleset_attr attr = {.handled_access_fs = LANDLOCK_ACCESS_FS_WRITE_FILE |
                                                                LANDLOCK_ACCESS_FS_MAKE_REG};
        int ruleset = syscall(SYS_landlock_create_ruleset, &attr, sizeof attr, 0);
        if (ruleset < 0) return result(ruleset);
        struct landlock_path_beneath_attr beneath = {.allowed_access = attr.handled_access_fs,
                                                     .parent_fd = open(arg, O_PATH | O_CLOEXEC)};
        long added = syscall(SYS_landlock_add_rule, ruleset, LANDLOCK_RULE_PATH_BENEATH, &beneath, 0);
        if (added < 0) return result(added);
        return result(syscall(SYS_landlock_restrict_self, ruleset, 0));
    }
    if (!strcmp(op, "read")) return read_file(arg);
    if (!strcmp(op, "mkfifo")) return result(mkfifo(arg, 0644));
    if (!strcmp(op, "open_kinds")) return open_kinds(arg);
    if (!strcmp(op, "open_race") && argc > 4) return open_race(arg, argv[3], atoi(argv[4]));
    if (!strcmp(op, "exec_race") && argc > 6) return exec_race(argv + 2, atoi(argv[6]));
    if (!strcmp(op, "swap_race") && argc > 4) return swap_race(arg, argv[3], atoi(argv[4]));
    if (!strcmp(op, "io_uring")) {
        char params[120] = {0};
        return result(syscall(SYS_io_uring_setup, 1, params));
    }
    if (!strcmp(op, "bpf")) {
        union bpf_attr attr = {.map_type = BPF_MAP_TYPE_ARRAY, .key_size = 4, .value_size = 4, .max_entries = 1};
        return result(syscall(SYS_bpf, BPF_MAP_CREATE, &attr, sizeof attr));
    }
    if (!strcmp(op, "keyctl")) return result(syscall(SYS_keyctl, 0 /* KEYCTL_GET_KEYRING_ID */, -3 /* session */, 0));
    if (!strcmp(op, "mount")) return result(mount("none", "/tmp", "tmpfs", 0, NULL));
    if (!strcmp(op, "unshare_user")) return result(unshare(CLONE_NEWUSER));
    if (!strcmp(op, "perf")) {
        struct perf_event_attr attr = {.type = PERF_TYPE_SOFTWARE, .size = sizeof attr, .config = PERF_COUNT_SW_CPU_CLOCK, .exclude_kernel = 1};
        return result(syscall(SYS_perf_event_open, &attr, 0, -1, -1, 0));
    }
    if (!strcmp(op, "userfaultfd")) return result(syscall(SYS_userfaultfd, 0));
    if (!strcmp(op, "ptrace")) return result(ptrace(PTRACE_ATTACH, atoi(arg), 0, 0));
    if (!strcmp(op, "kill")) return result(kill(atoi(arg), SIGTERM));
    if (!strcmp(op, "signal_calls")) return signal_calls(atoi(arg));
    if (!strcmp(op, "fifo_linger") && argc > 3) {
        /* FIFO N: N times, (1) open FIFO for reading without blocking and
         * close it, then open it for writing without blocking, which must
         * fail (ENXIO: no reader left); (2) with a reader held, open it for
         * writing and close that, after which the reader must see the end
         * (read gives 0: no writer left). Prints how often an end the
         * process closed was still open. */
        int readers = 0, writers = 0, tries = atoi(argv[3]);
        for (int i = 0; i < tries; i++) {
            int r = open(arg, O_RDONLY | O_NONBLOCK);
            if (r < 0) return result(r);
            close(r);
            int w = open(arg, O_WRONLY | O_NONBLOCK);
            if (w >= 0) readers++, close(w);
            r = open(arg, O_RDONLY | O_NONBLOCK);
            w = open(arg, O_WRONLY | O_NONBLOCK);
            if (r < 0 || w < 0) return result(-1);
            close(w);
            char byte;
            if (read(r, &byte, 1) != 0) writers++;
            close(r);
        }
        printf("readers lingered %d, writers lingered %d\n", readers, writers);
        return 0;
    }
    if (!strcmp(op, "tiocsti")) {
        char c = 'x';
        return result(ioctl(0, TIOCSTI, &c));
    }
    if (!strcmp(op, "abstract")) return connect_unix(arg, 1);
    if (!strcmp(op, "unix")) return connect_unix(arg, 0);
    if (!strcmp(op, "selfconnect")) {
        /* Listen on a socket file at ARG, then connect to it. */
        int server = socket(AF_UNIX, SOCK_STREAM, 0);
        if (server < 0) return result(server);
        struct sockaddr_un addr = {.sun_family = AF_UNIX};
        strncpy(addr.sun_path, arg, sizeof addr.sun_path - 1);
        unlink(arg);
        if (bind(server, (struct sockaddr *)&addr, sizeof addr) < 0) return result(-1);
        if (listen(server, 1) < 0) return result(-1);
        return connect_unix(arg, 0);
    }
    if (!strcmp(op, "race") && argc > 4) {
        /* race ALLOWED FORBIDDEN N: connect N times through the flipping
         * address; print how many connects succeeded. */
        race_paths[0] = argv[2];
        race_paths[1] = argv[3];
        strncpy(race_address.sun_path, argv[2], sizeof race_address.sun_path - 1);
        pthread_t flipper;
        pthread_create(&flipper, NULL, flip, NULL);
        int connected = 0, tries = atoi(argv[4]);
        for (int i = 0; i < tries; i++) {
            int fd = socket(AF_UNIX, SOCK_STREAM, 0);
            if (fd < 0) return result(fd);
            if (connect(fd, (struct sockaddr *)&race_address, sizeof race_address) == 0) connected++;
            close(fd);
        }
        race_done = 1;
        pthread_join(flipper, NULL);
        printf("ok %d\n", connected);
        return 0;
    }
    if (!strcmp(op, "daemon")) {
        /* Double fork into a new session: `sleep ARG` re-parented away from us. */
        pid_t first = fork();
        if (first < 0) return result(first);
        if (first == 0) {
            if (setsid() < 0) _exit(1);
            if (fork() == 0) {
                execlp("sleep", "sleep", arg, (char *)NULL);
                _exit(1);
            }
            _exit(0);
        }
        return result(0);
    }
    if (!strcmp(op, "flood") && argc > 4) {
        /* flood DIR THREADS N: THREADS threads each open DIR/flood-T.txt N
         * times, as fast as they can. */
        flood_dir = arg;
        int threads = atoi(argv[3]);
        flood_opens = atoi(argv[4]);
        pthread_t ids[64];
        if (threads < 1 || threads > 64) return 2;
        for (long t = 0; t < threads; t++) pthread_create(&ids[t], NULL, flood_thread, (void *)t);
        for (int t = 0; t < threads; t++) pthread_join(ids[t], NULL);
        return result(0);
    }
    if (!strcmp(op, "thread_exec")) {
        /* thread_exec FILE: read FILE here, then a second thread executes
         * cat FILE (which then reads it as the leader). */
        thread_exec_file = arg;
        int fd = open(arg, O_RDONLY);
        if (fd >= 0) close(fd);
        pthread_t thread;
        pthread_create(&thread, NULL, exec_thread, NULL);
        pthread_join(thread, NULL);
        return 1; /* the exec failed */
    }
    if (!strcmp(op, "audit_ops")) {
        /* Known operations for the audit-log test, in DIR (an absolute path). */
        int dir = open(arg, O_RDONLY | O_DIRECTORY);
        if (dir < 0) return result(dir);
        int fd = openat(dir, "via-dirfd.txt", O_CREAT | O_WRONLY, 0644);
        if (fd >= 0) close(fd);
        thread_dir = arg;
        pthread_t thread;
        pthread_create(&thread, NULL, thread_create, NULL);
        pthread_join(thread, NULL);
        if (chdir(arg) < 0) return result(-1);
        fd = open("after-chdir.txt", O_CREAT | O_WRONLY, 0644);
        if (fd >= 0) close(fd);
        symlink("after-chdir.txt", "link.txt");
        fd = open("link.txt", O_RDONLY);
        if (fd >= 0) close(fd);
        rename("after-chdir.txt", "renamed.txt");
        mkdir("subdir", 0755);
        unlink("renamed.txt");
        fd = open("/etc/shadow", O_RDONLY);           /* denied: no rule */
        if (fd >= 0) close(fd);
        pid_t child = fork();
        if (child == 0) {
            execlp("true", "true", "from-grandchild", (char *)NULL);
            _exit(1);
        }
        int status;
        waitpid(child, &status, 0);
        return result(0);
    }
    if (!strcmp(op, "tree")) {
        /* A process, its thread, a child and a grandchild (an exec of cat),
         * each opening files in DIR (absolute paths); refused: a read (the
         * process), a signal (the thread), a directory made outside the
         * session's grants and a call of the deny list (the child). */
        char path[512];
        snprintf(path, sizeof path, "%s/a.txt", arg);
        int fd = open(path, O_RDONLY);
        if (fd >= 0) close(fd);
        snprintf(path, sizeof path, "%s/b.txt", arg);
        fd = openat(AT_FDCWD, path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd >= 0) close(fd);
        fd = open("/etc/shadow", O_RDONLY);
        if (fd >= 0) close(fd);
        thread_dir = arg;
        pthread_t thread;
        pthread_create(&thread, NULL, thread_read, NULL);
        pthread_join(thread, NULL);
        pid_t child = fork();
        if (child == 0) {
            snprintf(path, sizeof path, "%s/c.txt", arg);
            int fd = open(path, O_RDWR | O_CREAT, 0644);
            if (fd >= 0) close(fd);
            mkdir("/etc/guard-probe-refused", 0755);
            ptrace(PTRACE_ATTACH, 1, 0, 0);
            pid_t grandchild = fork();
            if (grandchild == 0) {
                snprintf(path, sizeof path, "%s/a.txt", arg);
                execlp("cat", "cat", path, (char *)NULL);
                _exit(1);
            }
            int status;
            waitpid(grandchild, &status, 0);
            _exit(0);
        }
        int status;
        waitpid(child, &status, 0);
        return result(0);
    }
    if (!strcmp(op, "clone_fs") && argc > 3) {
        /* In DIR1: read a.txt; a CLONE_FS child moves to DIR2 and sets umask
         * 077; then read a.txt and create b.txt (mode 0666) relative again. */
        if (chdir(arg) < 0) return result(-1);
        int fd = open("a.txt", O_RDONLY);
        if (fd >= 0) close(fd);
        clone_dir = argv[3];
        static char stack[65536];
        pid_t child = clone(clone_child, stack + sizeof stack, CLONE_FS | SIGCHLD, NULL);
        if (child < 0) return result(-1);
        int status;
        waitpid(child, &status, 0);
        fd = open("a.txt", O_RDONLY);
        if (fd >= 0) close(fd);
        fd = open("b.txt", O_CREAT | O_WRONLY, 0666);
        if (fd < 0) return result(-1);
        close(fd);
        return result(0);
    }
    if (!strcmp(op, "inode_ioctls")) {
        /* On FILE opened for reading and on the empty directory DIR (argv[3]),
         * the inode ioctls an owner may make, each with a value that changes
         * nothing (the current flags, attributes, generation): one line each. */
        if (argc < 4) return 2;
        int fd = open(arg, O_RDONLY);
        int dir = open(argv[3], O_RDONLY | O_DIRECTORY);
        if (fd < 0 || dir < 0) return result(-1);
        long flags = 0;
        unsigned int version = 0;
        char fsx[28] = {0}, verity[128] = {0}, policy[12] = {0};
        ioctl(fd, 0x80086601 /* FS_IOC_GETFLAGS */, &flags);
        ioctl(fd, 0x801c581f /* FS_IOC_FSGETXATTR */, fsx);
        ioctl(fd, 0x80087601 /* FS_IOC_GETVERSION */, &version);
        verity[0] = 1; /* version */
        verity[4] = 1; /* SHA-256 */
        verity[8] = 0; verity[9] = 0x10; /* 4096-byte blocks */
        struct { const char *name; int fd; unsigned long cmd; void *arg; } calls[] = {
            {"setflags", fd, 0x40086602, &flags},
            {"fssetxattr", fd, 0x401c5820, fsx},
            {"setversion", fd, 0x40087602, &version},
            {"enable_verity", fd, 0x40806685, verity},
            {"set_encryption_policy", dir, 0x800c6613, policy},
        };
        for (size_t i = 0; i < sizeof calls / sizeof calls[0]; i++) {
            long rc = ioctl(calls[i].fd, calls[i].cmd, calls[i].arg);
            printf("%s: %s\n", calls[i].name, rc < 0 ? strerrorname_np(errno) : "ok");
        }
        return 0;
    }
    if (!strcmp(op, "unix_dgram")) return result(socket(AF_UNIX, SOCK_DGRAM, 0));
    if (!strcmp(op, "tcp")) {
        int fd = socket(AF_INET, SOCK_STREAM, 0);
        if (fd < 0) return result(fd);
        struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons(atoi(arg)), .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
        return result(connect(fd, (struct sockaddr *)&addr, sizeof addr));
    }
    if (!strcmp(op, "tcp_bind")) {
        int fd = socket(AF_INET, SOCK_STREAM, 0);
        if (fd < 0) return result(fd);
        struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons(atoi(arg)), .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
        return result(bind(fd, (struct sockaddr *)&addr, sizeof addr));
    }
    if (!strcmp(op, "udp")) {
        int fd = socket(AF_INET, SOCK_DGRAM, 0);
        if (fd < 0) return result(fd);
        struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons(53), .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
        return result(sendto(fd, "q", 1, 0, (struct sockaddr *)&addr, sizeof addr));
    }
    if (!strcmp(op, "memfd_exec")) {
        /* Copy this very program into an anonymous memfd and run it from
         * there: code no Landlock rule grants. */
        int memfd = syscall(SYS_memfd_create, "x", 0);
        if (memfd < 0) return result(memfd);
        int self = open("/proc/self/exe", O_RDONLY);
        if (self < 0) return result(self);
        char buffer[65536];
        ssize_t n;
        while ((n = read(self, buffer, sizeof buffer)) > 0) write(memfd, buffer, n);
        char path[64];
        snprintf(path, sizeof path, "/proc/self/fd/%d", memfd);
        char *args[] = {"probe", "exit0", NULL};
        return result(execv(path, args));
    }
    if (!strcmp(op, "exit0")) return result(0);
    /* nodump_exec SCRIPT: made non-dumpable (its memory then cannot be read
     * by an unprivileged supervisor), runs bash -c SCRIPT. */
    if (!strcmp(op, "nodump_exec")) {
        if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0) return result(-1);
        execl("/bin/bash", "bash", "-c", arg, (char *)NULL);
        return result(-1);
    }
    /* Metadata changes, one per operation: chmod PATH MODE, fchmod PATH MODE
     * (through a descriptor opened for reading), lchmod-free utimes PATH
     * (back to 2000-01-01), setxattr PATH, chown PATH UID. */
    if (!strcmp(op, "chmod") && argc > 3) return result(chmod(arg, strtol(argv[3], NULL, 8)));
    if (!strcmp(op, "fchmod") && argc > 3) {
        int fd = open(arg, O_RDONLY);
        if (fd < 0) return result(fd);
        return result(fchmod(fd, strtol(argv[3], NULL, 8)));
    }
    if (!strcmp(op, "utimes")) {
        struct timespec times[2] = {{946684800, 0}, {946684800, 0}};
        return result(utimensat(AT_FDCWD, arg, times, 0));
    }
    if (!strcmp(op, "setxattr")) return result(setxattr(arg, "user.planted", "x", 1, 0));
    if (!strcmp(op, "setacl")) {
        /* A valid POSIX ACL: the owner's, the owning group's and others'
         * entries, and read-write for user 65534. */
        struct { unsigned short tag, perm; unsigned int id; } __attribute__((packed)) entries[] = {
            {0x01, 6, ~0u}, {0x02, 6, 65534}, {0x04, 4, ~0u}, {0x10, 6, ~0u}, {0x20, 4, ~0u},
        };
        unsigned char value[4 + sizeof entries];
        unsigned int version = 2;
        memcpy(value, &version, 4);
        memcpy(value + 4, entries, sizeof entries);
        return result(setxattr(arg, "system.posix_acl_access", value, sizeof value, 0));
    }
    if (!strcmp(op, "chown") && argc > 3) return result(chown(arg, atoi(argv[3]), -1));
    /* The i386 system call ABI (int 0x80: chmod is 15 there). */
    if (!strcmp(op, "int80_chmod")) {
        long rc;
        __asm__ volatile("int $0x80" : "=a"(rc) : "a"(15), "b"(arg), "c"(0777) : "memory");
        return result(rc < 0 ? (errno = -rc, -1) : rc);
    }
    /* chmod_race ALLOWED FORBIDDEN N, append_race ALLOWED FORBIDDEN N: act N
     * times through the flipping path; print how many calls succeeded. */
    if ((!strcmp(op, "chmod_race") || !strcmp(op, "append_race")) && argc > 4) {
        race_paths[0] = argv[2];
        race_paths[1] = argv[3];
        strncpy(race_path, argv[2], sizeof race_path - 1);
        pthread_t flipper;
        pthread_create(&flipper, NULL, flip_path, NULL);
        int done = 0, tries = atoi(argv[4]);
        for (int i = 0; i < tries; i++) {
            if (op[0] == 'c') {
                if (chmod(race_path, 0777) == 0) done++;
            } else {
                int fd = open(race_path, O_WRONLY | O_APPEND);
                if (fd >= 0) {
                    if (write(fd, "raced\n", 6) == 6) done++;
                    close(fd);
                }
            }
        }
        race_done = 1;
        pthread_join(flipper, NULL);
        printf("ok %d\n", done);
        return 0;
    }
    return 2;
}
