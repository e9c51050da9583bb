/* What a signal between two threads of one process costs.
 *
 *   signal_cost [SIGNALS]
 *
 * A thread waits in pause(); the main thread sends it signal 0 with tgkill
 * SIGNALS times (20,000 by default): the call a Go runtime makes to preempt
 * a goroutine, which a guard session traps to record signals sent outside
 * it. Prints the mean time per call. */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static volatile pid_t waiting;

static void *wait_here(void *unused) {
    waiting = gettid();
    for (;;) pause();
    return unused;
}

int main(int argc, char **argv) {
    int signals = argc > 1 ? atoi(argv[1]) : 20000;
    pthread_t thread;
    pthread_create(&thread, NULL, wait_here, NULL);
    while (!waiting) usleep(100);
    struct timespec start, end;
    clock_gettime(CLOCK_MONOTONIC, &start);
    for (int i = 0; i < signals; i++) syscall(SYS_tgkill, getpid(), waiting, 0);
    clock_gettime(CLOCK_MONOTONIC, &end);
    double elapsed = (end.tv_sec - start.tv_sec) * 1e9 + (end.tv_nsec - start.tv_nsec);
    printf("%.2f µs per tgkill\n", elapsed / 1e3 / signals);
    return 0;
}
