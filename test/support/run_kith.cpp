#include "support/run_kith.hpp"

#include "common/text.hpp"

#include <array>
#include <cstdio>
#include <cstdlib>
#include <sys/wait.h>
#include <unistd.h>

namespace kith::test {

KithOutcome RunKith(const std::string& args) {
    // stderr goes to a file of its own, so stdout stays exactly what the command printed there.
    char err_path[] = "/tmp/kith_stderr_XXXXXX";
    int fd = mkstemp(err_path);
    if (fd < 0) return KithOutcome{-1, "", "cannot create a temporary file for stderr"};
    close(fd);
    std::string cmd = std::string(KITH_BINARY_DIR) + "/kith " + args + " 2>" + err_path;
    KithOutcome r;
    FILE* p = popen(cmd.c_str(), "r");
    if (!p) {
        unlink(err_path);
        return KithOutcome{-1, "", "cannot start " + cmd};
    }
    std::array<char, 4096> buf{};
    size_t n;
    while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) r.out.append(buf.data(), n);
    int status = pclose(p);
    r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    r.err = text::ReadFile(err_path).value_or("");
    unlink(err_path);
    return r;
}

} // namespace kith::test
