#include "support/smtp_server.hpp"

#include "support/process.hpp"

#include <algorithm>
#include <arpa/inet.h>
#include <cctype>
#include <chrono>
#include <csignal>
#include <fstream>
#include <netinet/in.h>
#include <sstream>
#include <sys/socket.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

namespace kith::test {

namespace {

namespace fs = std::filesystem;

// A port the kernel just handed out (and that is free again): the server binds it next.
int FreePort() {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return 0;
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(a);
    int port = 0;
    if (bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0 &&
        getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0) {
        port = ntohs(a.sin_port);
    }
    close(fd);
    return port;
}

bool Accepts(int port) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return false;
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<uint16_t>(port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bool ok = connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0;
    close(fd);
    return ok;
}

std::string ReadAll(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

SmtpServer::Mail Parse(std::string raw) {
    SmtpServer::Mail m;
    m.raw = raw;
    std::istringstream in(raw);
    std::string line, name;
    while (std::getline(in, line)) {
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (line.empty()) break;
        if ((line[0] == ' ' || line[0] == '\t') && !name.empty()) {
            m.headers[name] += line;
            continue;
        }
        auto colon = line.find(':');
        if (colon == std::string::npos) continue;
        name = line.substr(0, colon);
        std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
        std::string value = line.substr(colon + 1);
        value.erase(0, value.find_first_not_of(" \t"));
        m.headers[name] = value;
    }
    std::string rest((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    m.body = rest;
    return m;
}

} // namespace

std::string SmtpServer::Mail::Header(const std::string& lower_name) const {
    auto it = headers.find(lower_name);
    return it == headers.end() ? "" : it->second;
}

SmtpServer::SmtpServer(const fs::path& dir) : dir_(dir) {
    fs::create_directories(dir_);
    port_ = FreePort();
    if (port_ == 0) {
        error_ = "no free port";
        return;
    }
    // /usr/bin/python3: Debian's interpreter, which has Debian's python3-aiosmtpd (PATH may name another). Under
    // timeout(1), so that a test process that crashes before stopping it leaves no server behind for long (timeout
    // passes our SIGTERM on).
    pid_ = Spawn({"/usr/bin/timeout", "600", "/usr/bin/python3", "-m", "aiosmtpd", "-n", "-l",
                  "127.0.0.1:" + std::to_string(port_), "-c", "aiosmtpd.handlers.Mailbox", (dir_ / "maildir").string()},
                 dir_ / "smtp.out", dir_ / "smtp.err");
    if (pid_ < 0) {
        error_ = "cannot start /usr/bin/python3 -m aiosmtpd";
        return;
    }
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (std::chrono::steady_clock::now() < deadline) {
        if (Accepts(port_)) return;
        int status = 0;
        if (waitpid(pid_, &status, WNOHANG) == pid_) {
            pid_ = -1;
            error_ = "aiosmtpd exited (is python3-aiosmtpd installed? scripts/setup.sh): " + ReadAll(dir_ / "smtp.err");
            return;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    error_ = "aiosmtpd did not accept connections within 20 s: " + ReadAll(dir_ / "smtp.err");
}

SmtpServer::~SmtpServer() {
    if (pid_ > 0) {
        kill(pid_, SIGTERM);
        Wait(pid_);
    }
}

std::string SmtpServer::url() const { return "smtp://127.0.0.1:" + std::to_string(port_); }

std::vector<SmtpServer::Mail> SmtpServer::Messages(size_t at_least, int64_t wait_ms) const {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(wait_ms);
    while (true) {
        std::vector<std::pair<fs::file_time_type, fs::path>> files;
        for (const char* sub : {"new", "cur"}) {
            std::error_code ec;
            for (const auto& e : fs::directory_iterator(dir_ / "maildir" / sub, ec)) {
                if (e.is_regular_file()) files.emplace_back(e.last_write_time(), e.path());
            }
        }
        if (files.size() >= at_least || std::chrono::steady_clock::now() >= deadline) {
            std::sort(files.begin(), files.end());
            std::vector<Mail> out;
            for (const auto& [_, path] : files) out.push_back(Parse(ReadAll(path)));
            return out;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
}

} // namespace kith::test
