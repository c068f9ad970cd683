// The service under load (a benchmark, not a test): a generated warehouse, an owner, four enabled audiences and two
// webhook activations to a sink in this process, one `kith serve`, and N clients on 127.0.0.1, each on its own
// kept-alive connection, for S seconds: 70% reads, 15% writes that run no audience (an audience's description,
// an alert created and deleted), 10% previews (wait_ms=30000, then polled until done), 5% "Run now", while runs and deliveries proceed.
// Then it waits for the runs and the outbox to finish and checks that nothing was lost (test/support/api_load.hpp).
//
//   api_load [--clients 200] [--seconds 30] [--profiles 20000] [--warmup 3] [--previews 10] [--keep DIR]
//
// Prints latency per class and per operation, runs and events; exit 1 on any failed request or lost event.
#include "support/api_load.hpp"

#include <cstdio>
#include <filesystem>
#include <fmt/format.h>
#include <fstream>
#include <string>
#include <thread>
#include <unistd.h>

namespace {

namespace fs = std::filesystem;

std::string LoadAverage() {
    std::ifstream in("/proc/loadavg");
    std::string a, b, c;
    in >> a >> b >> c;
    return a + " " + b + " " + c;
}

} // namespace

int main(int argc, char** argv) {
    kith::test::LoadOptions o;
    o.clients = 200;
    o.seconds = 30;
    o.profiles = 20000;
    std::string keep;
    for (int i = 1; i + 1 < argc; i += 2) {
        std::string k = argv[i];
        if (k == "--clients") o.clients = std::stoi(argv[i + 1]);
        else if (k == "--seconds") o.seconds = std::stoi(argv[i + 1]);
        else if (k == "--profiles") o.profiles = std::stoll(argv[i + 1]);
        else if (k == "--keep") keep = argv[i + 1];
        else if (k == "--warmup") o.warmup_seconds = std::stoi(argv[i + 1]);
        else if (k == "--previews") o.preview_percent = std::stoi(argv[i + 1]);
        else {
            std::fprintf(stderr, "usage: api_load [--clients N] [--seconds S] [--profiles P] [--warmup S] [--previews PCT] [--keep DIR]\n");
            return 2;
        }
    }
    if (argc % 2 == 0 || o.clients < 1 || o.seconds < 1 || o.profiles < 1) {
        std::fprintf(stderr, "usage: api_load [--clients N] [--seconds S] [--profiles P] [--warmup S] [--previews PCT] [--keep DIR]\n");
        return 2;
    }
    o.dir = keep.empty() ? fs::temp_directory_path() / fmt::format("kith_api_load_{}", getpid()) : fs::path(keep);
    o.progress = [](std::string_view line) { fmt::print(stderr, "api_load: {}\n", line); };

    std::string command;
    for (int i = 0; i < argc; ++i) command += (i ? " " : "") + std::string(argv[i]);
    fmt::print("command: {}\nmachine: {} cores (nproc), load average {} before\n", command,
               std::thread::hardware_concurrency(), LoadAverage());
    std::fflush(stdout);
    kith::test::LoadReport r = kith::test::RunApiLoad(o);
    fmt::print("load average {} after\n\n{}", LoadAverage(), kith::test::FormatLoadReport(r));
    if (keep.empty()) {
        std::error_code ec;
        fs::remove_all(o.dir, ec);
    } else {
        fmt::print("kept {} (kith.toml, state.sqlite, log/serve.err)\n", o.dir.string());
    }
    return r.Passed() ? 0 : 1;
}
