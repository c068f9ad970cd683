// Child processes for tests that start the kith binary and may SIGKILL it.
//
//   pid_t pid = kith::test::Spawn({kith::test::KithBinary(), "deliver", ...}, dir / "out", dir / "err");
//   kill(pid, SIGKILL);
//   kith::test::Exit e = kith::test::Wait(pid); // e.signaled, e.code == SIGKILL
#pragma once

#include <filesystem>
#include <string>
#include <sys/types.h>
#include <vector>

namespace kith::test {

//! The built kith binary.
std::string KithBinary();

//! Starts argv with stdout and stderr redirected to files (stderr to err_pipe when given, a pipe's write end whose
//! read end is read_end); -1 when it cannot start.
pid_t Spawn(const std::vector<std::string>& argv, const std::filesystem::path& out, const std::filesystem::path& err,
            int err_pipe = -1, int read_end = -1);

struct Exit {
    bool signaled = false;
    int code = -1; //!< the exit code, or the signal
};

//! What a waitpid status means.
Exit Decode(int status);

//! Waits for the process (reaping it) and says how it ended.
Exit Wait(pid_t pid);

} // namespace kith::test
