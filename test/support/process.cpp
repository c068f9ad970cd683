#include "support/process.hpp"

#include <cerrno>
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>

extern char** environ;

namespace kith::test {

std::string KithBinary() {
    return std::string(KITH_BINARY_DIR) + "/kith";
}

pid_t Spawn(const std::vector<std::string>& argv, const std::filesystem::path& out, const std::filesystem::path& err,
            int err_pipe, int read_end) {
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (err_pipe >= 0) {
        posix_spawn_file_actions_adddup2(&actions, err_pipe, 2);
        posix_spawn_file_actions_addclose(&actions, err_pipe);
        posix_spawn_file_actions_addclose(&actions, read_end);
    } else {
        posix_spawn_file_actions_addopen(&actions, 2, err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    }
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    pid_t pid = -1;
    int rc = posix_spawn(&pid, args[0], &actions, nullptr, args.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    return rc == 0 ? pid : -1;
}

Exit Decode(int status) {
    if (WIFSIGNALED(status)) return {true, WTERMSIG(status)};
    return {false, WIFEXITED(status) ? WEXITSTATUS(status) : -1};
}

Exit Wait(pid_t pid) {
    int status = 0;
    while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR) return {};
    }
    return Decode(status);
}

} // namespace kith::test
