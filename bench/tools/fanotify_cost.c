/*
 * What recording every open through fanotify would cost the process that
 * opens, for the privileged fast path issue 13 asks about.
 *
 * Usage: fanotify_cost MODE OUTPUT -- COMMAND...
 *   MODE  "fd":    a mount mark for FAN_OPEN | FAN_OPEN_EXEC on the mount
 *                  holding the working directory; each event's descriptor is
 *                  named (readlink of /proc/self/fd/N) and closed, the way a
 *                  record would name the file the kernel opened;
 *         "pidfd": the same, with FAN_REPORT_PIDFD (the opener as a pidfd,
 *                  so a pid reused after exit is not misattributed);
 *         "none":  no listener (the command alone, for the same wrapper).
 * One line per event goes to OUTPUT (buffered). Prints the command's wall
 * time and the events seen to stderr. Needs CAP_SYS_ADMIN. Run by
 * bench/fanotify_cost.sh.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/fanotify.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef FAN_REPORT_PIDFD
#define FAN_REPORT_PIDFD 0x00000080
#endif

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

/* Reads and names every queued event; returns how many. */
static long drain(int group, FILE *out)
{
    static char buffer[256 * 1024];
    char link[64], name[4096];
    long count = 0;
    for (;;) {
        ssize_t length = read(group, buffer, sizeof buffer);
        if (length < 0)
            return errno == EAGAIN ? count : -1;
        struct fanotify_event_metadata *event = (void *)buffer;
        for (; FAN_EVENT_OK(event, length); event = FAN_EVENT_NEXT(event, length)) {
            int pidfd = -1;
            /* The pidfd, when asked for, follows the metadata. */
            for (char *info = (char *)event + event->metadata_len;
                 info < (char *)event + event->event_len;) {
                struct fanotify_event_info_header *header = (void *)info;
                if (header->info_type == FAN_EVENT_INFO_TYPE_PIDFD)
                    pidfd = ((struct fanotify_event_info_pidfd *)info)->pidfd;
                info += header->len;
            }
            ssize_t n = -1;
            if (event->fd >= 0) {
                snprintf(link, sizeof link, "/proc/self/fd/%d", event->fd);
                n = readlink(link, name, sizeof name - 1);
                close(event->fd);
            }
            if (pidfd >= 0)
                close(pidfd);
            fprintf(out, "%d %llx %.*s\n", event->pid, (unsigned long long)event->mask,
                    (int)(n < 0 ? 0 : n), name);
            count++;
        }
    }
}

int main(int argc, char **argv)
{
    if (argc < 5 || strcmp(argv[3], "--") != 0) {
        fprintf(stderr, "usage: %s fd|pidfd|none OUTPUT -- COMMAND...\n", argv[0]);
        return 2;
    }
    const char *mode = argv[1];
    FILE *out = fopen(argv[2], "w");
    if (!out) {
        perror(argv[2]);
        return 1;
    }
    int group = -1;
    if (strcmp(mode, "none") != 0) {
        unsigned flags = FAN_CLASS_NOTIF | FAN_CLOEXEC | FAN_NONBLOCK | FAN_UNLIMITED_QUEUE;
        if (strcmp(mode, "pidfd") == 0)
            flags |= FAN_REPORT_PIDFD;
        group = fanotify_init(flags, O_RDONLY | O_LARGEFILE | O_CLOEXEC);
        if (group < 0 || fanotify_mark(group, FAN_MARK_ADD | FAN_MARK_MOUNT,
                                       FAN_OPEN | FAN_OPEN_EXEC, AT_FDCWD, ".") < 0) {
            perror("fanotify");
            return 1;
        }
    }
    double start = now();
    pid_t child = fork();
    if (child == 0) {
        execvp(argv[4], argv + 4);
        _exit(127);
    }
    long events = 0;
    int status = 0;
    for (;;) {
        if (group >= 0) {
            struct pollfd wait = {.fd = group, .events = POLLIN};
            poll(&wait, 1, 5);
            events += drain(group, out);
        }
        pid_t done = waitpid(child, &status, group >= 0 ? WNOHANG : 0);
        if (done == child)
            break;
    }
    if (group >= 0)
        events += drain(group, out);
    double elapsed = now() - start;
    fclose(out);
    fprintf(stderr, "%s: %.3f s, %ld events\n", mode, elapsed, events);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}
