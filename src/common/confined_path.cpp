#include "common/confined_path.hpp"

#include "common/fd.hpp"
#include "common/text.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <fmt/format.h>
#include <linux/magic.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace kith::confined {

namespace {

namespace fs = std::filesystem;

// Kernel file systems: their "files" are interfaces to the kernel (/proc/self/mem, /sys, cgroups, EFI variables).
struct KernelFs {
    unsigned long magic;
    const char* name;
};
constexpr KernelFs kKernelFs[] = {
    {PROC_SUPER_MAGIC, "proc"},       {SYSFS_MAGIC, "sysfs"},          {DEBUGFS_MAGIC, "debugfs"},
    {TRACEFS_MAGIC, "tracefs"},       {SECURITYFS_MAGIC, "securityfs"}, {CGROUP_SUPER_MAGIC, "cgroup"},
    {CGROUP2_SUPER_MAGIC, "cgroup2"}, {BPF_FS_MAGIC, "bpf"},           {DEVPTS_SUPER_MAGIC, "devpts"},
    {EFIVARFS_MAGIC, "efivarfs"},     {PSTOREFS_MAGIC, "pstore"},
};

std::optional<std::string> KernelFsOf(int fd) {
    struct statfs sfs {};
    if (::fstatfs(fd, &sfs) != 0) return fmt::format("cannot tell its file system: {}", std::strerror(errno));
    for (const auto& k : kKernelFs) {
        if (static_cast<unsigned long>(sfs.f_type) == k.magic) {
            return fmt::format("it is on the kernel's {} file system, not a file to append to", k.name);
        }
    }
    return std::nullopt;
}

std::optional<std::string> CheckStat(const struct stat& st) {
    if (S_ISLNK(st.st_mode)) return "it is a symbolic link (kith appends only to regular files)";
    if (S_ISDIR(st.st_mode)) return "it is a folder";
    if (!S_ISREG(st.st_mode)) return "it is not a regular file (a device, a FIFO or a socket)";
    if (st.st_nlink > 1) {
        return fmt::format("it has {} names (hard links): it may be a file outside the folder", st.st_nlink);
    }
    return std::nullopt;
}

} // namespace

Result<std::string> RelativePath(const std::string& root, const std::string& path) {
    if (path.empty()) return Fail(ErrorCode::INVALID, "the path is empty");
    if (path.find('\0') != std::string::npos) return Fail(ErrorCode::INVALID, "the path holds a NUL byte");
    fs::path p(path);
    for (const auto& part : p) {
        if (part == "..") {
            return Fail(ErrorCode::INVALID,
                        fmt::format("{} climbs with \"..\": a path stays beneath [delivery] file_root ({})",
                                    text::Quote(path), root));
        }
    }
    fs::path rel = p.lexically_normal();
    if (p.is_absolute()) {
        fs::path base = fs::path(root).lexically_normal();
        auto [r, q] = std::mismatch(base.begin(), base.end(), rel.begin(), rel.end());
        // A trailing separator of root ("/srv/kith/") is an empty last element.
        bool under = r == base.end() || (std::next(r) == base.end() && r->empty());
        if (!under) {
            return Fail(ErrorCode::INVALID,
                        fmt::format("{} is outside [delivery] file_root ({}): a file destination writes only "
                                    "beneath that folder",
                                    text::Quote(path), root));
        }
        fs::path out;
        for (; q != rel.end(); ++q) out /= *q;
        rel = out;
    }
    if (rel.empty() || rel == ".") {
        return Fail(ErrorCode::INVALID, fmt::format("{} names the folder [delivery] file_root itself, not a file in it",
                                                    text::Quote(path)));
    }
    if (!rel.has_filename() || rel.filename() == ".") {
        return Fail(ErrorCode::INVALID, fmt::format("{} names a folder, not a file", text::Quote(path)));
    }
    return rel.string();
}

int OpenFolderByWalk(int root_fd, const std::string& rel) {
    int fd = ::openat(root_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    for (const auto& part : fs::path(rel)) {
        if (fd < 0) return -1;
        if (part.empty() || part == ".") continue;
        if (part == ".." || part.is_absolute() || part == "/") {
            ::close(fd);
            errno = EXDEV;
            return -1;
        }
        int next = ::openat(fd, part.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        int saved = errno;
        // O_DIRECTORY | O_NOFOLLOW on a link fails with ENOTDIR: say ELOOP, as openat2 does for a link it refuses.
        struct stat st {};
        if (next < 0 && saved == ENOTDIR && ::fstatat(fd, part.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 &&
            S_ISLNK(st.st_mode)) {
            saved = ELOOP;
        }
        ::close(fd);
        errno = saved;
        fd = next;
    }
    return fd;
}

int OpenFolderBeneath(int root_fd, const std::string& rel) {
    open_how how{};
    how.flags = O_RDONLY | O_DIRECTORY | O_CLOEXEC;
    how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
    const char* path = rel.empty() ? "." : rel.c_str();
    for (int attempt = 0; attempt < 8; ++attempt) {
        long fd = ::syscall(SYS_openat2, root_fd, path, &how, sizeof how);
        if (fd >= 0) return static_cast<int>(fd);
        if (errno == ENOSYS) return OpenFolderByWalk(root_fd, rel); // a kernel before 5.6, or a filter hiding it
        if (errno != EAGAIN && errno != EINTR) return -1;            // EAGAIN: a rename raced the resolution
    }
    return -1;
}

std::optional<std::string> CheckOpenFile(int fd) {
    struct stat st {};
    if (::fstat(fd, &st) != 0) return fmt::format("cannot stat it: {}", std::strerror(errno));
    if (auto bad = CheckStat(st)) return bad;
    return KernelFsOf(fd);
}

std::string Reason(int error) {
    if (error == EXDEV) return "a symbolic link on the way leads out of [delivery] file_root";
    if (error == ELOOP) return "a symbolic link on the way that kith does not follow (the file itself, a /proc link)";
    return std::strerror(error);
}

Status CheckBeneath(const std::string& root, const std::string& rel) {
    Fd root_fd(::open(root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (root_fd.get() < 0) return {}; // the folder may be made later; delivery reports it meanwhile
    fs::path p(rel);
    Fd dir(OpenFolderBeneath(root_fd.get(), p.parent_path().string()));
    if (dir.get() < 0) {
        if (errno == EXDEV || errno == ELOOP || errno == ENOTDIR) {
            return Fail(ErrorCode::INVALID, fmt::format("{}: {}", text::Quote(rel), Reason(errno)));
        }
        return {}; // missing (made later) or unreadable: delivery reports it with the system's words
    }
    if (auto bad = KernelFsOf(dir.get())) {
        return Fail(ErrorCode::INVALID, fmt::format("{}: {}", text::Quote(rel), *bad));
    }
    struct stat st {};
    if (::fstatat(dir.get(), p.filename().c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) return {}; // not there yet
    if (auto bad = CheckStat(st)) return Fail(ErrorCode::INVALID, fmt::format("{}: {}", text::Quote(rel), *bad));
    return {};
}

} // namespace kith::confined
