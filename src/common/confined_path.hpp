// Files confined to a folder: a path that a stored setting names (a file
// destination's `path`) stays beneath the folder the config gives ([delivery]
// file_root). The text is checked when the setting is saved (RelativePath,
// CheckBeneath); the file is opened through a descriptor of the folder without
// following a link out of it when it is used (OpenFolderBeneath, then the last
// component with O_NOFOLLOW), so a link swapped in later does not lead out.
//
//   auto rel = confined::RelativePath("/srv/kith", "out/events.ndjson");   // "out/events.ndjson"
//   int root = ::open("/srv/kith", O_PATH | O_DIRECTORY | O_CLOEXEC);
//   int dir = confined::OpenFolderBeneath(root, "out");                      // -1, errno EXDEV: a link leads out
//   int fd = ::openat(dir, "events.ndjson", O_RDWR | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644);
//   if (auto bad = confined::CheckOpenFile(fd)) ...                          // not a regular file, on /proc, ...
#pragma once

#include "common/error.hpp"

#include <optional>
#include <string>

namespace kith::confined {

//! The path relative to root that `path` names: a relative path is taken from root, an absolute one must lie
//! under root. INVALID, saying why, for an empty path, a NUL byte, a ".." component, an absolute path outside
//! root, and a path naming root itself or a folder ("out/").
Result<std::string> RelativePath(const std::string& root, const std::string& path);

//! Opens the folder rel ("" or "." for root itself; relative, without "..") beneath the folder open as root_fd,
//! O_RDONLY | O_DIRECTORY, without following a link out of root: openat2 with RESOLVE_BENEATH |
//! RESOLVE_NO_MAGICLINKS where the kernel has it, else OpenFolderByWalk. -1 with errno set on failure (EXDEV: a
//! link leads out of root; ELOOP: a /proc link, or any link on the walk).
int OpenFolderBeneath(int root_fd, const std::string& rel);

//! The fallback of OpenFolderBeneath: each component opened from its parent's descriptor with O_NOFOLLOW, so no
//! link is followed at all (ELOOP).
int OpenFolderByWalk(int root_fd, const std::string& rel);

//! Why an open descriptor is not a file kith may append to: not a regular file (a device, a FIFO, a folder), more
//! than one name (a hard link may be a file outside the folder), or on a kernel file system (/proc, /sys, ...).
//! nullopt when it is fine.
std::optional<std::string> CheckOpenFile(int fd);

//! What an errno of opening beneath the root means, in words: EXDEV and ELOOP explained, else strerror.
std::string Reason(int error);

//! Checks, when a setting is saved, that the file rel beneath root may be appended to: the folders that exist on
//! its way lead to no link out of root (nor through any link where the kernel has no openat2), and the file, when
//! it exists, is not a link and passes CheckOpenFile. Folders and the file may not exist yet. INVALID saying why.
Status CheckBeneath(const std::string& root, const std::string& rel);

} // namespace kith::confined
