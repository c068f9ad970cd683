#include "common/confined_path.hpp"

#include <cerrno>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

namespace kith::confined {
namespace {

namespace fs = std::filesystem;

// root/ (the confined folder, with out/ and inside -> out) beside outside/ (with secret.txt).
class ConfinedPath : public ::testing::Test {
protected:
    void SetUp() override {
        base_ = fs::temp_directory_path() / ("kith_confined_" + std::to_string(getpid()) + "_" +
                                             ::testing::UnitTest::GetInstance()->current_test_info()->name());
        fs::remove_all(base_);
        root_ = base_ / "root";
        fs::create_directories(root_ / "out");
        fs::create_directories(base_ / "outside");
        std::ofstream(base_ / "outside" / "secret.txt") << "secret\n";
        fs::create_directory_symlink("out", root_ / "inside");
        root_fd_ = ::open(root_.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
        ASSERT_GE(root_fd_, 0);
    }
    void TearDown() override {
        ::close(root_fd_);
        fs::remove_all(base_);
    }
    std::string Root() const { return root_.string(); }
    std::string Problem(const std::string& rel) {
        auto ok = CheckBeneath(Root(), rel);
        return ok ? "" : ok.error().message;
    }

    fs::path base_, root_;
    int root_fd_ = -1;
};

TEST_F(ConfinedPath, RelativePathsStayBeneathTheRoot) {
    EXPECT_EQ(RelativePath(Root(), "events.ndjson"), "events.ndjson");
    EXPECT_EQ(RelativePath(Root(), "./out//events.ndjson"), "out/events.ndjson");
    EXPECT_EQ(RelativePath(Root(), Root() + "/out/events.ndjson"), "out/events.ndjson");
    EXPECT_EQ(RelativePath(Root() + "/", Root() + "/e.ndjson"), "e.ndjson");

    auto outside = RelativePath(Root(), "/etc/passwd");
    ASSERT_FALSE(outside);
    EXPECT_EQ(outside.error().code, ErrorCode::INVALID);
    EXPECT_EQ(outside.error().message, "\"/etc/passwd\" is outside [delivery] file_root (" + Root() +
                                           "): a file destination writes only beneath that folder");
    EXPECT_FALSE(RelativePath(Root(), "/proc/self/mem"));
    EXPECT_FALSE(RelativePath(Root(), Root() + "x/e.ndjson")); // a sibling whose name starts like the root
    auto up = RelativePath(Root(), "../../etc/passwd");
    ASSERT_FALSE(up);
    EXPECT_NE(up.error().message.find("climbs with \"..\""), std::string::npos) << up.error().message;
    EXPECT_FALSE(RelativePath(Root(), "out/../events.ndjson")); // ".." is refused even where it would stay inside
    EXPECT_FALSE(RelativePath(Root(), Root() + "/out/../../outside/secret.txt"));
    EXPECT_FALSE(RelativePath(Root(), ""));
    EXPECT_FALSE(RelativePath(Root(), std::string("e.ndjson\0/x", 11)));
    EXPECT_NE(RelativePath(Root(), Root()).error().message.find("itself"), std::string::npos);
    EXPECT_NE(RelativePath(Root(), "out/").error().message.find("names a folder"), std::string::npos);
}

TEST_F(ConfinedPath, FoldersOpenBeneathTheRootWithoutFollowingALinkOut) {
    fs::create_directory_symlink(base_ / "outside", root_ / "escape");
    fs::create_directory_symlink("../outside", root_ / "up");
    int out = OpenFolderBeneath(root_fd_, "out");
    EXPECT_GE(out, 0);
    ::close(out);
    int inside = OpenFolderBeneath(root_fd_, "inside"); // a link that stays beneath the root
    EXPECT_GE(inside, 0);
    ::close(inside);
    for (const char* rel : {"escape", "up"}) {
        errno = 0;
        EXPECT_EQ(OpenFolderBeneath(root_fd_, rel), -1) << rel;
        EXPECT_EQ(errno, EXDEV) << rel;
    }
    // The walk for kernels without openat2 follows no link at all.
    int walked = OpenFolderByWalk(root_fd_, "out");
    EXPECT_GE(walked, 0);
    ::close(walked);
    for (const char* rel : {"escape", "up", "inside"}) {
        errno = 0;
        EXPECT_EQ(OpenFolderByWalk(root_fd_, rel), -1) << rel;
        EXPECT_EQ(errno, ELOOP) << rel;
    }
    EXPECT_EQ(OpenFolderByWalk(root_fd_, "missing"), -1);
    EXPECT_EQ(errno, ENOENT);
}

TEST_F(ConfinedPath, ChecksWhatExistsOnTheWayWhenSaved) {
    EXPECT_EQ(Problem("events.ndjson"), "");
    EXPECT_EQ(Problem("out/events.ndjson"), "");
    EXPECT_EQ(Problem("inside/events.ndjson"), "");
    EXPECT_EQ(Problem("not-yet/events.ndjson"), ""); // made later: delivery reports it meanwhile

    fs::create_directory_symlink(base_ / "outside", root_ / "escape");
    EXPECT_EQ(Problem("escape/secret.txt"),
              "\"escape/secret.txt\": a symbolic link on the way leads out of [delivery] file_root");
    fs::create_symlink(base_ / "outside" / "secret.txt", root_ / "link.ndjson");
    EXPECT_EQ(Problem("link.ndjson"),
              "\"link.ndjson\": it is a symbolic link (kith appends only to regular files)");
    fs::create_symlink("/proc/self/mem", root_ / "mem");
    EXPECT_NE(Problem("mem").find("symbolic link"), std::string::npos);
    fs::create_directory_symlink("/proc/self", root_ / "self");
    EXPECT_NE(Problem("self/mem").find("symbolic link"), std::string::npos);
    ASSERT_EQ(::mkfifo((root_ / "fifo").c_str(), 0600), 0);
    EXPECT_NE(Problem("fifo").find("not a regular file"), std::string::npos);
    EXPECT_NE(Problem("out").find("a folder"), std::string::npos);
    fs::create_hard_link(base_ / "outside" / "secret.txt", root_ / "hard.ndjson");
    EXPECT_NE(Problem("hard.ndjson").find("hard links"), std::string::npos);
}

TEST_F(ConfinedPath, KernelFilesAreNeverAppendedTo) {
    // A root an operator set on /proc still yields no file to write.
    int proc = ::open("/proc/self", O_PATH | O_DIRECTORY | O_CLOEXEC);
    ASSERT_GE(proc, 0);
    int mem = ::openat(proc, "mem", O_RDONLY | O_CLOEXEC);
    ::close(proc);
    if (mem < 0) GTEST_SKIP() << "cannot open /proc/self/mem here";
    auto why = CheckOpenFile(mem);
    ::close(mem);
    ASSERT_TRUE(why);
    EXPECT_EQ(*why, "it is on the kernel's proc file system, not a file to append to");
    auto checked = CheckBeneath("/proc/self", "mem");
    ASSERT_FALSE(checked);
    EXPECT_NE(checked.error().message.find("proc file system"), std::string::npos) << checked.error().message;
}

} // namespace
} // namespace kith::confined
