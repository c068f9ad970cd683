// A throwaway PostgreSQL server for tests: its own data directory in a temporary folder (/dev/shm when roomy, else
// /tmp; $KITH_PG_TMPDIR overrides), listening on a free port of 127.0.0.1 only, trusting local connections, gone
// when the object is.
//
//   auto server = kith::test::PgServer::Shared();   // one per test binary, stopped at exit
//   ASSERT_TRUE(server) << server.error().ToString();
//   auto uri = (*server)->FreshDatabase("my_test"); // postgresql://postgres@127.0.0.1:PORT/my_test
//
// The server binaries come from $KITH_PG_BINDIR, else `pg_config --bindir`, else the newest
// /usr/lib/postgresql/*/bin. initdb refuses to run as root, so as root every server program runs as the `postgres` system
// user (runuser). The first server's data directory (after initdb and creating its databases) is kept as a template
// in the build folder; later servers copy it, which takes a fraction of initdb's time. A watchdog process stops the
// server and removes its folder if the test process dies without running destructors.
#pragma once

#include "common/error.hpp"

#include <memory>
#include <string>
#include <sys/types.h>

namespace kith::test {

class PgServer {
public:
    //! Starts a new server with an empty database kith_test.
    static Result<std::unique_ptr<PgServer>> Start();
    //! The server shared by the tests of this process: started on the first call, stopped at exit.
    static Result<PgServer*> Shared();

    //! Stops the server (pg_ctl stop -m immediate) and removes its folder.
    ~PgServer();
    PgServer(const PgServer&) = delete;
    PgServer& operator=(const PgServer&) = delete;

    //! postgresql://postgres@127.0.0.1:PORT/kith_test
    const std::string& uri() const { return uri_; }
    int port() const { return port_; }
    //! The server's folder (data directory, log, Unix socket).
    const std::string& dir() const { return dir_; }

    //! Creates an empty database (dropping one of that name first) and returns its URI.
    Result<std::string> FreshDatabase(const std::string& name);
    //! The URI of a database on this server.
    std::string UriFor(const std::string& database) const;

private:
    PgServer() = default;

    std::string bindir_;
    std::string dir_;
    std::string uri_;
    int port_ = 0;
    pid_t watchdog_ = -1;
    bool running_ = false;
    bool spare_ = false;
};

} // namespace kith::test
