#include "deliver/file_destination.hpp"

#include "common/confined_path.hpp"
#include "common/fd.hpp"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <fmt/format.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

namespace kith::deliver {

namespace {

std::string OsError(std::string_view what, const std::string& path) {
    return fmt::format("cannot {} {}: {}", what, path, std::strerror(errno));
}

// The size of the file without a torn last line: the offset just after its last newline.
// Returns -1 (errno set) when the file cannot be read.
off_t WholeLinesSize(int fd, off_t size) {
    char buf[4096];
    off_t end = size;
    while (end > 0) {
        off_t start = end > static_cast<off_t>(sizeof buf) ? end - static_cast<off_t>(sizeof buf) : 0;
        ssize_t n = ::pread(fd, buf, static_cast<size_t>(end - start), start);
        if (n < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        if (n != end - start) {
            errno = EIO;
            return -1;
        }
        for (off_t i = n; i > 0; --i) {
            if (buf[i - 1] == '\n') return start + i;
        }
        end = start;
    }
    return 0;
}

bool WriteAll(int fd, const std::string& data) {
    size_t done = 0;
    while (done < data.size()) {
        ssize_t n = ::write(fd, data.data() + done, data.size() - done);
        if (n < 0) {
            if (errno == EINTR) continue;
            return false;
        }
        done += static_cast<size_t>(n);
    }
    return true;
}

// The root, then the folder beneath it without following a link out, then the file itself (never a link); what
// was opened must be a regular file outside the kernel's file systems. Returns the error when one of them fails.
std::string OpenBeneath(const std::string& root, const std::string& folder, const std::string& name,
                        const std::string& path, Fd& dir, Fd& file) {
    Fd top(::open(root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (top.get() < 0) return fmt::format("cannot open [delivery] file_root {}: {}", root, std::strerror(errno));
    dir.reset(confined::OpenFolderBeneath(top.get(), folder));
    if (dir.get() < 0) return fmt::format("cannot open {}: {}", path, confined::Reason(errno));
    file.reset(::openat(dir.get(), name.c_str(),
                        O_RDWR | O_APPEND | O_CREAT | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK | O_CLOEXEC, 0644));
    if (file.get() < 0) return fmt::format("cannot open {}: {}", path, confined::Reason(errno));
    if (auto bad = confined::CheckOpenFile(file.get())) return fmt::format("cannot append to {}: {}", path, *bad);
    return "";
}

} // namespace

FileDestination::FileDestination(std::string root, std::string relative, Mapper mapper)
    : root_(std::move(root)), mapper_(std::move(mapper)) {
    std::filesystem::path rel(relative);
    folder_ = rel.parent_path().string();
    name_ = rel.filename().string();
    path_ = (std::filesystem::path(root_) / rel).string();
}

std::vector<Outcome> FileDestination::Send(std::span<const store::OutboxEvent> events) {
    if (events.empty()) return {};
    // Events whose mapping fails are failed for good; the others are written.
    std::vector<Outcome> outcomes(events.size(), Outcome::Delivered());
    std::string lines;
    size_t written = 0;
    for (size_t i = 0; i < events.size(); ++i) {
        if (!mapper_) {
            // The stored text is the canonical JSON already.
            const auto& e = events[i];
            lines += e.payload.is_null() && !e.payload_text.empty() ? e.payload_text : store::CanonicalJson(e.payload);
        } else {
            auto mapped = mapper_(events[i].payload);
            if (!mapped) {
                outcomes[i] = Outcome::Failed("mapping: " + mapped.error().message);
                continue;
            }
            lines += store::CanonicalJson(*mapped);
        }
        lines += '\n';
        ++written;
    }
    if (written == 0) return outcomes;
    auto all = [&](Outcome o) {
        for (auto& out : outcomes) {
            if (out.kind == Outcome::DELIVERED) out = o;
        }
        return outcomes;
    };

    Fd dir(-1), fd(-1);
    if (std::string error = OpenBeneath(root_, folder_, name_, path_, dir, fd); !error.empty()) {
        return all(Outcome::Retry(std::move(error)));
    }
    while (::flock(fd.get(), LOCK_EX) != 0) {
        if (errno != EINTR) return all(Outcome::Retry(OsError("lock", path_)));
    }
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0) return all(Outcome::Retry(OsError("stat", path_)));
    off_t size = st.st_size;
    if (size > 0) {
        // A crash in an earlier write may have left part of a line: its events were never marked delivered and
        // are being sent again, so the partial line goes.
        off_t whole = WholeLinesSize(fd.get(), size);
        if (whole < 0) return all(Outcome::Retry(OsError("read", path_)));
        if (whole != size) {
            if (::ftruncate(fd.get(), whole) != 0) return all(Outcome::Retry(OsError("truncate", path_)));
            size = whole;
        }
    }
    auto undo = [&](std::string error) {
        (void)!::ftruncate(fd.get(), size); // best effort: the events are retried either way
        return all(Outcome::Retry(std::move(error)));
    };
    if (!WriteAll(fd.get(), lines)) return undo(OsError("write to", path_));
    if (::fsync(fd.get()) != 0) return undo(OsError("sync", path_));
    // A new file's name is durable once its folder is synced too.
    if (st.st_size == 0 && ::fsync(dir.get()) != 0) return undo(OsError("sync the folder of", path_));
    return outcomes;
}

ProbeResult FileDestination::Probe(const store::OutboxEvent& event) {
    ProbeResult result;
    std::vector<Outcome> outcomes = Send(std::span(&event, 1));
    result.outcome = outcomes.empty() ? Outcome::Retry("no outcome") : outcomes.front();
    Exchange x;
    nlohmann::json line = event.payload;
    if (mapper_) {
        auto mapped = mapper_(event.payload);
        line = mapped ? *mapped : nlohmann::json(nullptr);
    }
    x.request = {{"append_to", path_}, {"line", line}};
    x.response = {{"status", 0},
                  {"error", result.outcome.kind == Outcome::DELIVERED ? "" : result.outcome.Describe()}};
    result.exchanges.push_back(std::move(x));
    return result;
}

} // namespace kith::deliver
