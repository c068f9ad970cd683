#include "support/sqlglot_check.hpp"

#include <nlohmann/json.hpp>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sys/wait.h>
#include <unistd.h>

namespace kith::test {

namespace {

std::string ShellQuote(const std::string& s) {
    std::string q = "'";
    for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return q + "'";
}

} // namespace

Status SqlglotCheck(const std::vector<SqlStatement>& statements) {
    const std::string root = KITH_SOURCE_DIR;
    const std::string python = root + "/.venv/bin/python";
    if (access(python.c_str(), X_OK) != 0) {
        // stdout of the setup goes to stderr: it is progress, not the check's answer.
        std::string setup = ShellQuote(root + "/scripts/setup.sh") + " venv 1>&2";
        if (std::system(setup.c_str()) != 0 || access(python.c_str(), X_OK) != 0)
            return Fail(ErrorCode::IO, "sqlglot check: .venv could not be set up (scripts/setup.sh venv)");
    }

    char in_path[] = "/tmp/kith_sqlglot_XXXXXX";
    int fd = mkstemp(in_path);
    if (fd < 0) return Fail(ErrorCode::IO, "sqlglot check: cannot create a temporary file");
    close(fd);
    {
        std::ofstream in(in_path, std::ios::binary | std::ios::trunc);
        for (const auto& s : statements)
            in << nlohmann::json{{"dialect", s.dialect}, {"sql", s.sql}, {"where", s.where}}.dump(
                      -1, ' ', false, nlohmann::json::error_handler_t::replace)
               << '\n';
        if (!in) {
            unlink(in_path);
            return Fail(ErrorCode::IO, "sqlglot check: cannot write the statements to a temporary file");
        }
    }

    std::string cmd = ShellQuote(python) + " " + ShellQuote(root + "/scripts/sqlglot_check.py") + " <" + in_path + " 2>&1";
    std::string out;
    FILE* p = popen(cmd.c_str(), "r");
    if (!p) {
        unlink(in_path);
        return Fail(ErrorCode::IO, "sqlglot check: cannot start " + cmd);
    }
    std::array<char, 4096> buf{};
    size_t n;
    while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) out.append(buf.data(), n);
    int status = pclose(p);
    unlink(in_path);
    int code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    while (!out.empty() && out.back() == '\n') out.pop_back();
    if (code == 0) return {};
    if (code == 1) return Fail(ErrorCode::INVALID, "sqlglot rejected SQL:\n" + out);
    return Fail(ErrorCode::IO, "sqlglot check failed (exit " + std::to_string(code) + "): " + out);
}

} // namespace kith::test
