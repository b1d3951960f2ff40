/* Preloaded into natsfault under valgrind 3.19 (scripts/bench's instruction counts): libdispatch's main thread
 * calls sigsuspend with a mask in read-only memory, and that valgrind crashes writing to it. This sigsuspend
 * hands the kernel a copy on the stack instead; nothing else changes. */
#define _GNU_SOURCE
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

int sigsuspend(const sigset_t *mask)
{
    sigset_t copy = *mask;
    return (int)syscall(SYS_rt_sigsuspend, &copy, _NSIG / 8);
}
