#include "deliver/file_destination.hpp"

#include "common/text.hpp"

#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>
#include <unistd.h>

namespace kith::deliver {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

class FileDestinationTest : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = fs::temp_directory_path() / ("kith_file_destination_" + std::to_string(getpid()) + "_" +
                                            ::testing::UnitTest::GetInstance()->current_test_info()->name());
        fs::remove_all(dir_);
        fs::create_directories(dir_);
    }
    void TearDown() override { fs::remove_all(dir_); }

    static std::vector<store::OutboxEvent> Events(std::initializer_list<const char*> ids) {
        std::vector<store::OutboxEvent> out;
        int64_t n = 0;
        for (const char* id : ids) {
            store::OutboxEvent e;
            e.id = ++n;
            e.message_id = id;
            e.payload = {{"type", "track"}, {"messageId", id}, {"properties", {{"name", "Ada \"L\"\n"}}}};
            out.push_back(e);
        }
        return out;
    }
    std::string Read(const fs::path& p) { return text::ReadFile(p.string()).value_or("<unreadable>"); }

    fs::path dir_;
};

TEST_F(FileDestinationTest, AppendsOneCompactLinePerEventInOrder) {
    FileDestination file(dir_.string(), "events.ndjson");
    auto first = Events({"m1", "m2"});
    auto outcomes = file.Send(first);
    ASSERT_EQ(outcomes.size(), 2u);
    for (const auto& o : outcomes) EXPECT_EQ(o.kind, Outcome::DELIVERED) << o.error;
    auto second = Events({"m3"});
    ASSERT_EQ(file.Send(second).at(0).kind, Outcome::DELIVERED);
    EXPECT_EQ(Read(dir_ / "events.ndjson"), R"({"messageId":"m1","properties":{"name":"Ada \"L\"\n"},"type":"track"})"
                                            "\n"
                                            R"({"messageId":"m2","properties":{"name":"Ada \"L\"\n"},"type":"track"})"
                                            "\n"
                                            R"({"messageId":"m3","properties":{"name":"Ada \"L\"\n"},"type":"track"})"
                                            "\n");
    EXPECT_TRUE(file.Send({}).empty());
}

TEST_F(FileDestinationTest, AppendsToWhatIsThereAndCutsATornLastLine) {
    fs::path p = dir_ / "events.ndjson";
    std::ofstream(p) << "{\"messageId\":\"old\"}\n{\"messageId\":\"to";
    FileDestination file(dir_.string(), "events.ndjson");
    ASSERT_EQ(file.Send(Events({"m1"})).at(0).kind, Outcome::DELIVERED);
    EXPECT_EQ(Read(p), "{\"messageId\":\"old\"}\n" + store::CanonicalJson(Events({"m1"})[0].payload) + "\n");
    // A file that is one torn line is emptied first.
    std::ofstream(p) << "{\"messa";
    ASSERT_EQ(file.Send(Events({"m2"})).at(0).kind, Outcome::DELIVERED);
    EXPECT_EQ(Read(p), store::CanonicalJson(Events({"m2"})[0].payload) + "\n");
}

TEST_F(FileDestinationTest, OsErrorsAreRetryableWithTheOsMessage) {
    FileDestination missing(dir_.string(), "no-such-folder/events.ndjson");
    auto outcomes = missing.Send(Events({"m1", "m2"}));
    ASSERT_EQ(outcomes.size(), 2u);
    for (const auto& o : outcomes) {
        EXPECT_EQ(o.kind, Outcome::RETRY);
        EXPECT_EQ(o.error, "cannot open " + (dir_ / "no-such-folder" / "events.ndjson").string() +
                               ": No such file or directory");
        EXPECT_EQ(o.status, 0);
    }
    EXPECT_FALSE(fs::exists(dir_ / "no-such-folder")); // the folder is never created

    fs::create_directories(dir_ / "folder");
    FileDestination folder(dir_.string(), "folder");
    auto at_folder = folder.Send(Events({"m1"}));
    ASSERT_EQ(at_folder.size(), 1u);
    EXPECT_EQ(at_folder[0].kind, Outcome::RETRY);
    EXPECT_NE(at_folder[0].error.find("Is a directory"), std::string::npos) << at_folder[0].error;
}

TEST_F(FileDestinationTest, OnlyRegularFilesAreAppendedTo) {
    if (!fs::exists("/dev/full")) GTEST_SKIP() << "no /dev/full";
    // /dev/full is not a regular file: refused before anything is written (even under a root set on /dev).
    FileDestination full("/dev", "full");
    auto outcomes = full.Send(Events({"m1"}));
    ASSERT_EQ(outcomes.size(), 1u);
    EXPECT_EQ(outcomes[0].kind, Outcome::RETRY);
    EXPECT_EQ(outcomes[0].error, "cannot append to /dev/full: it is not a regular file (a device, a FIFO or a socket)");
}

// The path was checked when the activation was saved; what is on disk when events are written may have changed
// since. Links swapped in later do not lead the write out of the root, and nothing outside is touched.
TEST_F(FileDestinationTest, LinksSwappedInLaterDoNotLeadOutOfTheRoot) {
    fs::path root = dir_ / "root";
    fs::create_directories(root / "out");
    fs::create_directories(dir_ / "elsewhere");
    std::ofstream(dir_ / "elsewhere" / "events.ndjson") << "theirs\n";
    FileDestination file(root.string(), "out/events.ndjson");
    ASSERT_EQ(file.Send(Events({"m1"})).at(0).kind, Outcome::DELIVERED);

    // The folder becomes a link out of the root.
    fs::rename(root / "out", root / "was-out");
    fs::create_directory_symlink(dir_ / "elsewhere", root / "out");
    auto folder = file.Send(Events({"m2"}));
    EXPECT_EQ(folder.at(0).kind, Outcome::RETRY);
    EXPECT_EQ(folder[0].error, "cannot open " + (root / "out" / "events.ndjson").string() +
                                   ": a symbolic link on the way leads out of [delivery] file_root");
    fs::remove(root / "out");
    fs::create_directory_symlink("../elsewhere", root / "out");
    EXPECT_EQ(file.Send(Events({"m2"})).at(0).kind, Outcome::RETRY);

    // The file itself becomes a link: to a file outside, or to /proc/self/mem.
    fs::remove(root / "out");
    fs::rename(root / "was-out", root / "out");
    fs::remove(root / "out" / "events.ndjson");
    fs::create_symlink(dir_ / "elsewhere" / "events.ndjson", root / "out" / "events.ndjson");
    auto leaf = file.Send(Events({"m3"}));
    EXPECT_EQ(leaf.at(0).kind, Outcome::RETRY);
    EXPECT_NE(leaf[0].error.find("symbolic link"), std::string::npos) << leaf[0].error;
    fs::remove(root / "out" / "events.ndjson");
    fs::create_symlink("/proc/self/mem", root / "out" / "events.ndjson");
    EXPECT_EQ(file.Send(Events({"m3"})).at(0).kind, Outcome::RETRY);
    // A hard link may name a file outside the folder.
    fs::remove(root / "out" / "events.ndjson");
    fs::create_hard_link(dir_ / "elsewhere" / "events.ndjson", root / "out" / "events.ndjson");
    auto hard = file.Send(Events({"m4"}));
    EXPECT_EQ(hard.at(0).kind, Outcome::RETRY);
    EXPECT_NE(hard[0].error.find("hard links"), std::string::npos) << hard[0].error;

    EXPECT_EQ(Read(dir_ / "elsewhere" / "events.ndjson"), "theirs\n");
    // Back to a plain file: delivered again.
    fs::remove(root / "out" / "events.ndjson");
    EXPECT_EQ(file.Send(Events({"m5"})).at(0).kind, Outcome::DELIVERED);
}

} // namespace
} // namespace kith::deliver
