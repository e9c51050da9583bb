/*
 * Which process opened a file, as fanotify tells its listener.
 *
 * Marks a directory for FAN_OPEN with FAN_REPORT_DFID_NAME (the only kind of
 * group an unprivileged process may create), opens a file in it from a child
 * and then from itself, and prints the pid each event carries. Run by
 * bench/fanotify_pid.sh, as root and as an unprivileged user.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <sys/fanotify.h>
#include <sys/wait.h>
#include <unistd.h>

static void open_and_close(const char *path)
{
    int fd = open(path, O_RDONLY);
    if (fd >= 0)
        close(fd);
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: %s DIR FILE\n", argv[0]);
        return 2;
    }
    int group = fanotify_init(FAN_CLASS_NOTIF | FAN_REPORT_DFID_NAME, O_RDONLY);
    if (group < 0) {
        perror("fanotify_init");
        return 1;
    }
    if (fanotify_mark(group, FAN_MARK_ADD, FAN_OPEN | FAN_EVENT_ON_CHILD, AT_FDCWD, argv[1]) < 0) {
        perror("fanotify_mark");
        return 1;
    }
    pid_t child = fork();
    if (child == 0) {
        open_and_close(argv[2]);
        _exit(0);
    }
    waitpid(child, NULL, 0);
    open_and_close(argv[2]);

    char buffer[8192];
    ssize_t length = read(group, buffer, sizeof buffer);
    struct fanotify_event_metadata *event = (struct fanotify_event_metadata *)buffer;
    printf("child %d, listener %d:", child, getpid());
    for (; FAN_EVENT_OK(event, length); event = FAN_EVENT_NEXT(event, length))
        printf(" open by pid %d", event->pid);
    printf("\n");
    return 0;
}
