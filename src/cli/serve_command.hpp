// `kith serve` (the service from a config file) and `kith demo` (the one-command product on the embedded default:
// a generated DuckDB warehouse, an owner account, sample audiences and a webhook activation to a sink kith serves
// itself).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace kith::cli {

struct ServeArgs {
    std::string config;
    std::string listen; //!< overrides the config's `listen`
};
//! `kith serve --config FILE [--listen HOST:PORT]`: runs until SIGINT or SIGTERM.
int Serve(const ServeArgs& args);

struct DemoArgs {
    std::string dir = "kith-demo";
    int port = 8080;
    int64_t profiles = 20000;
    bool no_serve = false; //!< set up and print, then exit (tests, scripts)
};
//! `kith demo [--port P] [--dir D]`: first start sets everything up; every start serves it.
int Demo(const DemoArgs& args);

struct UserAddArgs {
    std::string config;
    std::string email;
    std::string name;
    std::vector<std::string> roles;
    bool password_stdin = false; //!< read the password from stdin (one line); otherwise one is generated and printed
};
//! `kith users add --config FILE --email E [--name N] --role R... [--password-stdin]`: the first owner of a service,
//! or any user, without the API.
int UserAdd(const UserAddArgs& args);

} // namespace kith::cli
