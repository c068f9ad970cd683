// A file descriptor closed when it goes out of scope.
//
//   Fd dir(::open(path, O_DIRECTORY | O_CLOEXEC));
//   if (dir.get() < 0) return ...;       // errno says why
//   dir.reset(::openat(dir.get(), ...));  // closes the one held first
#pragma once

#include <unistd.h>

namespace kith {

class Fd {
public:
    explicit Fd(int fd = -1) : fd_(fd) {}
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;
    ~Fd() { reset(); }
    int get() const { return fd_; }
    //! Closes the descriptor held, then holds fd.
    void reset(int fd = -1) {
        if (fd_ >= 0) ::close(fd_);
        fd_ = fd;
    }

private:
    int fd_;
};

} // namespace kith
