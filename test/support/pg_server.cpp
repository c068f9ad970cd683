#include "support/pg_server.hpp"

#include <algorithm>
#include <arpa/inet.h>
#include <cctype>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <libpq-fe.h>
#include <mutex>
#include <netinet/in.h>
#include <optional>
#include <pwd.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

extern char** environ;

namespace kith::test {

namespace {

namespace fs = std::filesystem;

constexpr const char* kServerUser = "postgres";
constexpr const char* kDatabase = "kith_test";
// An empty database made with the template; the first FreshDatabase renames it instead of creating one (much faster).
constexpr const char* kSpare = "kith_spare";

Error Problem(std::string message) { return Error{ErrorCode::INTERNAL, std::move(message), "test PostgreSQL server"}; }

bool IsRoot() { return geteuid() == 0; }

// The system user that runs the server programs when this process is root.
struct ServerUser {
    uid_t uid = 0;
    gid_t gid = 0;
};

Result<ServerUser> LookUpServerUser() {
    struct passwd* pw = getpwnam(kServerUser);
    if (!pw) return std::unexpected(Problem("running as root and there is no 'postgres' user to run the server"));
    return ServerUser{pw->pw_uid, pw->pw_gid};
}

// Runs a program (found in PATH when argv[0] has no slash) with stdin from /dev/null; returns its stdout and stderr.
Result<std::string> Run(const std::vector<std::string>& argv) {
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) return std::unexpected(Problem(std::string("pipe: ") + std::strerror(errno)));
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&actions, fds[1], 1);
    posix_spawn_file_actions_adddup2(&actions, fds[1], 2);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    pid_t pid = -1;
    int rc = posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    close(fds[1]);
    if (rc != 0) {
        close(fds[0]);
        return std::unexpected(Problem("cannot run " + argv[0] + ": " + std::strerror(rc)));
    }
    std::string output;
    char buf[4096];
    ssize_t n;
    while ((n = read(fds[0], buf, sizeof buf)) != 0) {
        if (n < 0) {
            if (errno == EINTR) continue;
            break;
        }
        output.append(buf, static_cast<size_t>(n));
    }
    close(fds[0]);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        std::string command;
        for (const auto& a : argv) command += (command.empty() ? "" : " ") + a;
        return std::unexpected(Problem(command + " failed:\n" + output));
    }
    return output;
}

// argv run as the server user: through runuser when this process is root.
std::vector<std::string> AsServerUser(std::vector<std::string> argv) {
    if (IsRoot()) argv.insert(argv.begin(), {"runuser", "-u", kServerUser, "--"});
    return argv;
}

bool HasInitdb(const fs::path& dir) {
    std::error_code ec;
    return !dir.empty() && fs::exists(dir / "initdb", ec) && fs::exists(dir / "pg_ctl", ec);
}

Result<std::string> FindBinDir() {
    if (const char* env = std::getenv("KITH_PG_BINDIR"); env && HasInitdb(env)) return std::string(env);
    if (auto out = Run({"pg_config", "--bindir"})) {
        std::string dir = *out;
        while (!dir.empty() && (dir.back() == '\n' || dir.back() == ' ')) dir.pop_back();
        if (HasInitdb(dir)) return dir;
    }
    // Debian's layout: /usr/lib/postgresql/<major>/bin; the newest major wins.
    std::vector<std::pair<int, fs::path>> found;
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator("/usr/lib/postgresql", ec)) {
        fs::path bin = entry.path() / "bin";
        int major = std::atoi(entry.path().filename().c_str());
        if (HasInitdb(bin)) found.emplace_back(major, bin);
    }
    if (found.empty()) {
        return std::unexpected(Problem("no PostgreSQL server binaries (initdb, pg_ctl) found: install the Debian "
                                       "package 'postgresql' (scripts/setup.sh does)"));
    }
    std::sort(found.begin(), found.end());
    return found.back().second.string();
}

Status ChownTree(const fs::path& root, const ServerUser& user) {
    auto chown_one = [&](const fs::path& p) -> Status {
        if (lchown(p.c_str(), user.uid, user.gid) != 0) {
            return std::unexpected(Problem("chown " + p.string() + ": " + std::strerror(errno)));
        }
        return {};
    };
    if (auto ok = chown_one(root); !ok) return ok;
    std::error_code ec;
    for (auto it = fs::recursive_directory_iterator(root, ec); !ec && it != fs::recursive_directory_iterator();
         it.increment(ec)) {
        if (auto ok = chown_one(it->path()); !ok) return ok;
    }
    if (ec) return std::unexpected(Problem("walking " + root.string() + ": " + ec.message()));
    return {};
}

Result<int> FreePort() {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return std::unexpected(Problem(std::string("socket: ") + std::strerror(errno)));
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    socklen_t len = sizeof addr;
    if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
        std::string message = std::strerror(errno);
        close(fd);
        return std::unexpected(Problem("cannot find a free port: " + message));
    }
    close(fd);
    return ntohs(addr.sin_port);
}

std::string ReadFile(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// Where a prepared data directory is kept for later servers: the build folder, keyed by the server version and
// by kTemplateFormat (bump it when the template's content changes).
constexpr const char* kTemplateFormat = "1";

std::optional<fs::path> TemplateDir(const std::string& bindir) {
    auto version = Run({bindir + "/initdb", "--version"}); // "initdb (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)"
    if (!version) return std::nullopt;
    std::string text = *version, key;
    if (size_t at = text.find(") "); at != std::string::npos) text = text.substr(at + 2);
    for (char c : text) {
        bool keep = std::isalnum(static_cast<unsigned char>(c)) || c == '.';
        if (keep) key += c;
        else if (!key.empty() && key.back() != '-') key += '-';
    }
    while (!key.empty() && key.back() == '-') key.pop_back();
    fs::path root = KITH_PG_TEMPLATE_ROOT;
    std::error_code ec;
    if (key.empty() || !fs::is_directory(root, ec) || access(root.c_str(), W_OK) != 0) return std::nullopt;
    return root / (std::string("pg-template-") + kTemplateFormat + "-" + key);
}

// Settings every test server shares; the port and the socket folder are given on the command line.
Status Configure(const fs::path& data) {
    std::ofstream conf(data / "postgresql.conf", std::ios::app);
    conf << "\n# throwaway test server: loopback only, durability off for speed\n"
         << "listen_addresses = '127.0.0.1'\n"
         << "fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n"
         << "shared_buffers = 32MB\nmax_connections = 40\nmin_wal_size = 2MB\nmax_wal_size = 64MB\n";
    conf.close();
    if (!conf) return std::unexpected(Problem("cannot write " + (data / "postgresql.conf").string()));
    return {};
}

// pg_ctl start on a free port; another process may take the port before the server binds it, so a few are tried.
Result<int> StartServer(const std::string& bindir, const fs::path& data, const fs::path& dir) {
    fs::path log = dir / "server.log";
    std::optional<Error> last;
    for (int attempt = 0; attempt < 5; ++attempt) {
        auto port = FreePort();
        if (!port) return std::unexpected(port.error());
        auto out = Run(AsServerUser({bindir + "/pg_ctl", "-D", data.string(), "-l", log.string(), "-w", "-t", "60",
                                     "-o", "-p " + std::to_string(*port) + " -k " + dir.string(), "start"}));
        if (out) return *port;
        std::string server_log = ReadFile(log);
        last = Problem(out.error().message + server_log);
        if (server_log.find("could not bind") == std::string::npos) break;
    }
    return std::unexpected(*last);
}

Status StopServer(const std::string& bindir, const fs::path& data, const char* mode) {
    auto out = Run(AsServerUser({bindir + "/pg_ctl", "-D", data.string(), "-m", mode, "-w", "stop"}));
    if (!out) return std::unexpected(out.error());
    return {};
}

Status Admin(int port, const std::string& sql);

// A data directory holding the databases kDatabase and kSpare: a copy of the template when there is one; otherwise
// initdb, a first start to create the databases, a clean stop, and the result published as the template.
Status MakeDataDir(const std::string& bindir, const fs::path& data, const fs::path& dir,
                   const std::optional<ServerUser>& user) {
    std::optional<fs::path> tmpl = TemplateDir(bindir);
    std::error_code ec;
    if (tmpl && fs::exists(*tmpl / "PG_VERSION", ec)) {
        fs::copy(*tmpl, data, fs::copy_options::recursive, ec);
        if (!ec) return {};
        fs::remove_all(data, ec);
    }
    auto out = Run(AsServerUser({bindir + "/initdb", "-D", data.string(), "-U", "postgres", "-A", "trust", "-E",
                                 "UTF8", "--locale=C", "--no-sync", "--wal-segsize=1"}));
    if (!out) return std::unexpected(out.error());
    if (auto ok = Configure(data); !ok) return ok;
    if (user) {
        if (auto ok = ChownTree(dir, *user); !ok) return ok;
    }
    auto port = StartServer(bindir, data, dir);
    if (!port) return std::unexpected(port.error());
    auto made = Admin(*port, std::string("CREATE DATABASE ") + kDatabase);
    if (made) made = Admin(*port, std::string("CREATE DATABASE ") + kSpare);
    auto stopped = StopServer(bindir, data, "fast");
    if (!made) return made;
    if (!stopped) return stopped;
    if (tmpl) {
        // Publish atomically: concurrent test processes see a whole template or none.
        fs::path staging = tmpl->string() + ".tmp-" + std::to_string(getpid());
        fs::copy(data, staging, fs::copy_options::recursive, ec);
        if (ec || std::rename(staging.c_str(), tmpl->c_str()) != 0) fs::remove_all(staging, ec);
    }
    return {};
}

// The folder for server folders: $KITH_PG_TMPDIR, else /dev/shm when it is a roomy tmpfs (a server's files never
// touch the disk), else /tmp.
std::string TempRoot() {
    if (const char* env = std::getenv("KITH_PG_TMPDIR"); env && *env) return env;
    struct statvfs st{};
    if (statvfs("/dev/shm", &st) == 0 && access("/dev/shm", W_OK) == 0 &&
        static_cast<unsigned long long>(st.f_bavail) * st.f_frsize > (1ULL << 30)) {
        return "/dev/shm";
    }
    return "/tmp";
}

std::string Quoted(const std::string& s) {
    std::string out = "'";
    for (char c : s) {
        if (c == '\'') out += "'\\''";
        else out += c;
    }
    return out + "'";
}

// A detached shell that waits for this process to end, then stops the server and removes its folder: the cleanup
// for a test process that dies without running destructors. Its output goes to /dev/null so that nothing waiting
// for the test's output waits for it.
pid_t StartWatchdog(const std::string& bindir, const std::string& dir) {
    std::string stop = (IsRoot() ? "runuser -u postgres -- " : "") + Quoted(bindir + "/pg_ctl") + " -D " +
                       Quoted(dir + "/data") + " -m immediate stop";
    std::string script = "while kill -0 " + std::to_string(getpid()) + " 2>/dev/null; do sleep 1; done; " + stop +
                         "; rm -rf " + Quoted(dir);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSID);
    const char* args[] = {"/bin/sh", "-c", script.c_str(), nullptr};
    pid_t pid = -1;
    if (posix_spawn(&pid, "/bin/sh", &actions, &attr, const_cast<char* const*>(args), environ) != 0) pid = -1;
    posix_spawnattr_destroy(&attr);
    posix_spawn_file_actions_destroy(&actions);
    return pid;
}

// Runs one statement on the server's `postgres` database.
Status Admin(int port, const std::string& sql) {
    std::string conninfo = "host=127.0.0.1 port=" + std::to_string(port) + " user=postgres dbname=postgres";
    PGconn* conn = PQconnectdb(conninfo.c_str());
    PQsetNoticeProcessor(conn, [](void*, const char*) {}, nullptr);
    std::optional<Error> error;
    if (PQstatus(conn) != CONNECTION_OK) {
        error = Problem(std::string("cannot connect: ") + PQerrorMessage(conn));
    } else {
        PGresult* r = PQexec(conn, sql.c_str());
        if (PQresultStatus(r) != PGRES_COMMAND_OK) error = Problem(sql + ": " + PQresultErrorMessage(r));
        PQclear(r);
    }
    PQfinish(conn);
    if (error) return std::unexpected(std::move(*error));
    return {};
}

std::string QuoteIdent(const std::string& name) {
    std::string out = "\"";
    for (char c : name) {
        if (c == '"') out += '"';
        out += c;
    }
    return out + '"';
}

} // namespace

Result<std::unique_ptr<PgServer>> PgServer::Start() {
    auto bindir = FindBinDir();
    if (!bindir) return std::unexpected(bindir.error());
    std::optional<ServerUser> user;
    if (IsRoot()) {
        auto u = LookUpServerUser();
        if (!u) return std::unexpected(u.error());
        user = *u;
    }

    std::string pattern = TempRoot() + "/kith-pg-XXXXXX";
    if (!mkdtemp(pattern.data())) return std::unexpected(Problem(std::string("mkdtemp: ") + std::strerror(errno)));
    std::unique_ptr<PgServer> server(new PgServer());
    server->bindir_ = *bindir;
    server->dir_ = pattern;
    fs::path dir = server->dir_, data = dir / "data";
    if (user) {
        if (auto ok = ChownTree(dir, *user); !ok) return std::unexpected(ok.error());
    }
    if (auto ok = MakeDataDir(*bindir, data, dir, user); !ok) return std::unexpected(ok.error());
    if (user) {
        if (auto ok = ChownTree(dir, *user); !ok) return std::unexpected(ok.error());
    }
    std::error_code ec;
    fs::permissions(data, fs::perms::owner_all, ec);
    auto port = StartServer(*bindir, data, dir);
    if (!port) return std::unexpected(port.error());
    server->port_ = *port;
    server->running_ = true;
    server->spare_ = true;
    server->watchdog_ = StartWatchdog(*bindir, server->dir_);
    server->uri_ = server->UriFor(kDatabase);
    return server;
}

Result<PgServer*> PgServer::Shared() {
    static std::mutex mutex;
    static std::unique_ptr<PgServer> server;
    static std::optional<Error> failure;
    std::lock_guard lock(mutex);
    if (server) return server.get();
    if (failure) return std::unexpected(*failure);
    auto started = Start();
    if (!started) {
        failure = started.error();
        return std::unexpected(*failure);
    }
    server = std::move(*started);
    return server.get();
}

PgServer::~PgServer() {
    if (running_) (void)StopServer(bindir_, fs::path(dir_) / "data", "immediate");
    if (watchdog_ > 0) {
        kill(watchdog_, SIGKILL);
        while (waitpid(watchdog_, nullptr, 0) < 0 && errno == EINTR) {
        }
    }
    std::error_code ec;
    if (!dir_.empty()) fs::remove_all(dir_, ec);
}

std::string PgServer::UriFor(const std::string& database) const {
    return "postgresql://postgres@127.0.0.1:" + std::to_string(port_) + "/" + database;
}

Result<std::string> PgServer::FreshDatabase(const std::string& name) {
    auto ok = Admin(port_, "DROP DATABASE IF EXISTS " + QuoteIdent(name) + " WITH (FORCE)");
    if (ok && spare_) {
        spare_ = false;
        ok = Admin(port_, std::string("ALTER DATABASE ") + kSpare + " RENAME TO " + QuoteIdent(name));
    } else if (ok) {
        ok = Admin(port_, "CREATE DATABASE " + QuoteIdent(name));
    }
    if (!ok) return std::unexpected(ok.error());
    return UriFor(name);
}

} // namespace kith::test
