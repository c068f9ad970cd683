// Where alert messages go: a Slack incoming webhook (an HTTP POST of
// {"text": ...}), email over SMTP (libcurl: MAIL FROM, RCPT TO and an RFC 5322
// message; user and password, and STARTTLS, when configured). In-app
// notifications are rows of the store, written by the evaluator. A send
// returns a Status and never throws; the caller decides what a failure means.
//
//   alert::Channels channels = alert::ChannelsFromConfig(config);
//   alert::Message m{"Audience size: \"vip\" +50.0%", "The audience \"vip\" has 150 members..."};
//   if (auto ok = alert::SendEmail(channels.smtp, {"ops@example.com"}, m, now_ms); !ok) log(ok.error());
//   if (auto ok = alert::SendSlack("https://hooks.slack.com/services/...", m, channels); !ok) log(ok.error());
#pragma once

#include "common/error.hpp"
#include "common/outbound.hpp"
#include "config/config.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace kith::alert {

//! How email is sent.
struct SmtpSettings {
    std::string url;                   //!< smtp://host:port or smtps://host:port; empty: email is not configured
    std::string from = "kith@localhost"; //!< an address, or "Name <address>"
    std::string user;                  //!< empty: no authentication
    std::string password;
    bool starttls = false;             //!< require STARTTLS on smtp://
    bool verify_tls = true;            //!< verify the server's certificate and host name
    int64_t timeout_ms = 30000;        //!< the whole exchange
};

//! What the channels need besides each alert's own settings (addresses, webhook URLs).
struct Channels {
    SmtpSettings smtp;
    int64_t http_timeout_ms = 10000; //!< one Slack request
    bool verify_tls = true;          //!< Slack's TLS certificate and host name
    std::string public_url;          //!< the app's address for links in messages; empty: no links
    std::vector<outbound::AllowRule> allow_hosts; //!< internal addresses Slack webhooks may be at ([delivery])
};

//! The channels as the config sets them ([alerts], and [delivery] verify_tls and allow_hosts).
Channels ChannelsFromConfig(const config::Config& config);

//! One alert message, the same for every channel.
struct Message {
    std::string subject; //!< one line: the email's Subject, the in-app title, Slack's first line
    std::string text;    //!< plain text, lines separated by \n
};

//! Posts {"text": "*subject*\ntext"} to a Slack incoming webhook: an https:// URL, or http:// to an IP address
//! that channels.allow_hosts covers; an internal address that it does not cover is refused when connecting. An
//! answer other than 2xx (or none, or a refused address) is an IO error naming the status and an excerpt of the
//! body.
Status SendSlack(const std::string& webhook_url, const Message& message, const Channels& channels);

//! The RFC 5322 text of an alert email: Date (now_ms, UTC), From, To, Subject (RFC 2047 when not ASCII),
//! Message-ID, MIME-Version and a UTF-8 plain text body, lines ended by CRLF. Header values never carry a line
//! break.
std::string EmailText(const SmtpSettings& smtp, const std::vector<std::string>& to, const Message& message,
                      int64_t now_ms, const std::string& message_id);

//! Sends the message to every address in one SMTP transaction. Fails with USAGE when smtp.url is empty (email is
//! not configured), IO with libcurl's and the server's words otherwise.
Status SendEmail(const SmtpSettings& smtp, const std::vector<std::string>& to, const Message& message,
                 int64_t now_ms);

//! "Sun, 29 Nov 2026 13:02:43 +0000" (RFC 5322 date-time, UTC).
std::string Rfc5322Date(int64_t now_ms);

} // namespace kith::alert
