// The `file` destination: appends each event's payload as one compact JSON
// line (NDJSON) to a file, for tests and for piping events into other tools.
//
//   FileDestination file("/var/kith", "out/events.ndjson");  // [delivery] file_root, the path beneath it
//   auto outcomes = file.Send(events); // DELIVERED only once the lines are fsync'ed
//
// Invariants
// - The file stays beneath the root: every Send opens the root, then the
//   folder beneath it without following a link out of it
//   (confined::OpenFolderBeneath: openat2 RESOLVE_BENEATH |
//   RESOLVE_NO_MAGICLINKS), then the file itself with O_NOFOLLOW; what it
//   opened must be a regular file with one name, not on /proc or another
//   kernel file system (confined::CheckOpenFile), before anything is read or
//   written. A link swapped in after the activation was saved does not lead out.
// - A batch is written with as few write() calls as the kernel allows, then
//   fsync'ed (and, for a new file, its folder too) before any outcome says
//   DELIVERED: a crash before the drainer marks the events re-sends the same
//   lines (same messageId), never drops them.
// - Writers of the same file take an exclusive flock() for the whole batch,
//   so two kith processes never interleave lines.
// - A failed write is undone (the file is truncated back to its size before the
//   batch); a torn last line left by a crash (no final newline) is cut off before
//   the next batch is appended. The file is kith's: only whole lines stay in it.
// - Every OS error (missing folder, permission denied, disk full, a folder at the
//   path) is retryable, with the OS's message: an operator can fix each of them,
//   and the drainer fails the events for good once [delivery] retry_for_s has
//   passed. The folder is never created.
#pragma once

#include "deliver/destination.hpp"

#include <string>

namespace kith::deliver {

class FileDestination final : public Destination {
public:
    //! root is the folder files are confined to ([delivery] file_root, absolute); relative the file's path beneath
    //! it, as confined::RelativePath gives it (MakeDestination checks it). mapper turns each payload into the line
    //! written (null: the payload itself).
    FileDestination(std::string root, std::string relative, Mapper mapper = nullptr);

    std::string_view type() const override { return "file"; }
    size_t MaxBatch() const override { return 1000; }
    std::vector<Outcome> Send(std::span<const store::OutboxEvent> events) override;
    ProbeResult Probe(const store::OutboxEvent& event) override;
    bool SendsStoredText() const override { return !mapper_; }

    //! root/relative, as messages name the file.
    const std::string& path() const { return path_; }

private:
    std::string root_;
    std::string folder_; //!< the file's folder relative to root_ ("" for root_ itself)
    std::string name_;   //!< the file's name in it
    std::string path_;
    Mapper mapper_;
};

} // namespace kith::deliver
