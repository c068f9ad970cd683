// A real SMTP server on 127.0.0.1 for tests: Debian's python3-aiosmtpd
// (`python3 -m aiosmtpd`) with its Mailbox handler, which stores every message
// it accepts in a maildir. Tests send mail to url() and read what arrived. The
// server ends with the object, or after 10 minutes at most.
//
//   SmtpServer smtp(dir / "smtp");
//   ASSERT_TRUE(smtp.ok()) << smtp.error();
//   ... send to smtp.url() ...
//   auto mails = smtp.Messages(1);  // waits until one has arrived
//   EXPECT_EQ(mails[0].Header("subject"), "...");
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <sys/types.h>
#include <vector>

namespace kith::test {

class SmtpServer {
public:
    //! One stored message.
    struct Mail {
        std::map<std::string, std::string> headers; //!< names in lower case; folded lines joined
        std::string body;                           //!< after the blank line, line ends as stored (\n)
        std::string raw;

        //! The header's value, or "" when absent.
        std::string Header(const std::string& lower_name) const;
    };

    //! Starts the server on a free port, keeping its maildir, logs and output in dir; waits until it accepts
    //! connections (ok() says whether it did).
    explicit SmtpServer(const std::filesystem::path& dir);
    //! Stops the server (SIGTERM) and reaps it.
    ~SmtpServer();
    SmtpServer(const SmtpServer&) = delete;
    SmtpServer& operator=(const SmtpServer&) = delete;

    bool ok() const { return error_.empty(); }
    //! Why it did not start, with its stderr.
    const std::string& error() const { return error_; }
    //! smtp://127.0.0.1:PORT
    std::string url() const;
    int port() const { return port_; }

    //! The messages stored so far, oldest first, waiting up to wait_ms until there are at least `at_least`.
    std::vector<Mail> Messages(size_t at_least = 0, int64_t wait_ms = 10000) const;

private:
    std::filesystem::path dir_;
    pid_t pid_ = -1;
    int port_ = 0;
    std::string error_;
};

} // namespace kith::test
