/* The floor of a trapped open under seccomp user notification, and what a
 * supervisor's own work does to it.
 *
 *   notify_floor ANSWER WORK_US [OPENS]
 *
 * A child traps every openat (SECCOMP_RET_USER_NOTIF) and opens a file
 * OPENS times (20,000 by default); the parent receives each call, spins
 * WORK_US microseconds (standing in for a supervisor's path read, checks and
 * record), then answers it:
 *   continue  SECCOMP_USER_NOTIF_FLAG_CONTINUE (the kernel opens the file)
 *   addfd     opens the file itself, SECCOMP_IOCTL_NOTIF_ADDFD, then the
 *             answer with the descriptor's number (what guard does for reads)
 *   send      the same in one ioctl (SECCOMP_ADDFD_FLAG_SEND)
 *   pinned    as addfd, the trapped thread held to the supervisor's CPU
 *             (sched_setaffinity) from before the descriptor to the answer
 *   bare      no filter and no supervisor: the same opens untrapped, the
 *             baseline the others are compared with (WORK_US is ignored)
 * The listener has SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP set, as guard's has.
 * Prints the mean time per open as the child saw it. */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef SECCOMP_IOCTL_NOTIF_SET_FLAGS
#define SECCOMP_IOCTL_NOTIF_SET_FLAGS SECCOMP_IOW(4, __u64)
#endif
#ifndef SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP
#define SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP 1
#endif

static const char *file = "/etc/hostname";

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

static void spin(double microseconds) {
    double until = now() + microseconds / 1e6;
    while (now() < until) {
    }
}

/* Passes a descriptor over a unix socket. */
static void send_fd(int socket, int fd) {
    char byte = 0, control[CMSG_SPACE(sizeof(int))] = {0};
    struct iovec io = {&byte, 1};
    struct msghdr message = {.msg_iov = &io, .msg_iovlen = 1, .msg_control = control, .msg_controllen = sizeof control};
    struct cmsghdr *header = CMSG_FIRSTHDR(&message);
    header->cmsg_level = SOL_SOCKET, header->cmsg_type = SCM_RIGHTS, header->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(header), &fd, sizeof(int));
    if (sendmsg(socket, &message, 0) < 0) perror("sendmsg"), exit(1);
}

static int receive_fd(int socket) {
    char byte, control[CMSG_SPACE(sizeof(int))];
    struct iovec io = {&byte, 1};
    struct msghdr message = {.msg_iov = &io, .msg_iovlen = 1, .msg_control = control, .msg_controllen = sizeof control};
    if (recvmsg(socket, &message, 0) < 0) perror("recvmsg"), exit(1);
    int fd;
    memcpy(&fd, CMSG_DATA(CMSG_FIRSTHDR(&message)), sizeof(int));
    return fd;
}

/* OPENS opens and closes of the file; prints the mean time of one. */
static void timed_opens(int opens) {
    double started = now();
    for (int i = 0; i < opens; i++) {
        int fd = openat(AT_FDCWD, file, O_RDONLY | O_CLOEXEC);
        if (fd < 0) perror("openat"), exit(1);
        close(fd);
    }
    printf("%.1f us per open\n", (now() - started) / opens * 1e6);
}

static void trapped_opens(int socket, int opens) {
    struct sock_filter program[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 0),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_openat, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_USER_NOTIF),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    struct sock_fprog filter = {4, program};
    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
    int listener = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER, &filter);
    if (listener < 0) perror("seccomp"), exit(1);
    send_fd(socket, listener);
    close(listener);
    char go;
    if (read(socket, &go, 1) != 1) exit(1);
    timed_opens(opens);
    exit(0);
}

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: notify_floor continue|addfd|send|pinned|bare WORK_US [OPENS]\n");
        return 2;
    }
    const char *answer = argv[1];
    double work = atof(argv[2]);
    int opens = argc > 3 ? atoi(argv[3]) : 20000;
    if (!strcmp(answer, "bare")) {
        timed_opens(opens);
        return 0;
    }
    int sockets[2];
    socketpair(AF_UNIX, SOCK_STREAM, 0, sockets);
    pid_t child = fork();
    if (child == 0) trapped_opens(sockets[0], opens);
    int listener = receive_fd(sockets[1]);
    __u64 flags = SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP;
    if (ioctl(listener, SECCOMP_IOCTL_NOTIF_SET_FLAGS, flags) < 0) perror("SYNC_WAKE_UP");
    if (write(sockets[1], "g", 1) != 1) return 1;
    struct seccomp_notif call;
    struct seccomp_notif_resp response;
    for (;;) {
        memset(&call, 0, sizeof call);
        if (ioctl(listener, SECCOMP_IOCTL_NOTIF_RECV, &call) < 0) {
            if (errno == EINTR) continue;
            break; /* no process left */
        }
        spin(work);
        memset(&response, 0, sizeof response);
        response.id = call.id;
        if (!strcmp(answer, "continue")) {
            response.flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
            ioctl(listener, SECCOMP_IOCTL_NOTIF_SEND, &response);
            continue;
        }
        int fd = openat(AT_FDCWD, file, O_RDONLY);
        struct seccomp_notif_addfd add = {.id = call.id, .srcfd = fd, .newfd_flags = O_CLOEXEC};
        if (!strcmp(answer, "send")) {
            add.flags = SECCOMP_ADDFD_FLAG_SEND;
            ioctl(listener, SECCOMP_IOCTL_NOTIF_ADDFD, &add);
        } else {
            int pinned = !strcmp(answer, "pinned");
            cpu_set_t before, here;
            if (pinned) {
                /* The descriptor's wake-up is not a synchronous one: the
                 * scheduler may move the waiting thread to an idle CPU. */
                CPU_ZERO(&here);
                CPU_SET(sched_getcpu(), &here);
                sched_getaffinity(call.pid, sizeof before, &before);
                sched_setaffinity(call.pid, sizeof here, &here);
            }
            response.val = ioctl(listener, SECCOMP_IOCTL_NOTIF_ADDFD, &add);
            if (pinned) sched_setaffinity(call.pid, sizeof before, &before);
            ioctl(listener, SECCOMP_IOCTL_NOTIF_SEND, &response);
        }
        close(fd);
    }
    waitpid(child, NULL, 0);
    return 0;
}
