#include "common/thread.hpp"

#include <cerrno>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace kith::thread {

namespace {

id_t ThisThread() { return static_cast<id_t>(::syscall(SYS_gettid)); }

} // namespace

void RunInBackground() {
    // On Linux, PRIO_PROCESS with a thread id sets that thread's nice value only.
    if (Nice() < kBackgroundNice) (void)::setpriority(PRIO_PROCESS, ThisThread(), kBackgroundNice);
}

int Nice() {
    errno = 0;
    int n = ::getpriority(PRIO_PROCESS, ThisThread());
    return errno == 0 ? n : 0;
}

} // namespace kith::thread
