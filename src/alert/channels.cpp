#include "alert/channels.hpp"

#include "deliver/http.hpp"
#include "deliver/http_destinations.hpp"

#include <atomic>
#include <chrono>
#include <curl/curl.h>
#include <fmt/format.h>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <random>

namespace kith::alert {

namespace {

// A header value on one line: line breaks and other control characters become spaces.
std::string OneLine(std::string_view s) {
    std::string out(s);
    for (char& c : out) {
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = ' ';
    }
    return out;
}

bool Ascii(std::string_view s) {
    for (unsigned char c : s) {
        if (c >= 0x80) return false;
    }
    return true;
}

// An unstructured header value (RFC 2047 encoded word when it is not ASCII).
std::string HeaderText(std::string_view s) {
    std::string line = OneLine(s);
    if (Ascii(line)) return line;
    return "=?UTF-8?B?" + deliver::Base64(line) + "?=";
}

// The address of "Name <address>", or the text itself.
std::string AddressOf(const std::string& from) {
    auto open = from.rfind('<');
    auto close = from.rfind('>');
    if (open != std::string::npos && close != std::string::npos && close > open) {
        return from.substr(open + 1, close - open - 1);
    }
    return from;
}

std::string DomainOf(const std::string& address) {
    auto at = address.rfind('@');
    std::string domain = at == std::string::npos ? "" : address.substr(at + 1);
    return domain.empty() ? "localhost" : domain;
}

std::string NewMessageId(int64_t now_ms, const std::string& from) {
    static std::atomic<uint64_t> counter{0};
    std::random_device rd;
    uint64_t r = (static_cast<uint64_t>(rd()) << 32) | rd();
    return fmt::format("<kith.{}.{}.{:016x}@{}>", now_ms, counter.fetch_add(1), r, DomainOf(AddressOf(from)));
}

// What libcurl reads as the message (the DATA of the SMTP transaction).
struct Upload {
    const std::string* text;
    size_t offset = 0;
};

size_t ReadUpload(char* buffer, size_t size, size_t count, void* user) {
    auto* up = static_cast<Upload*>(user);
    size_t n = std::min(size * count, up->text->size() - up->offset);
    std::copy_n(up->text->data() + up->offset, n, buffer);
    up->offset += n;
    return n;
}

struct CurlFree {
    void operator()(CURL* c) const { curl_easy_cleanup(c); }
    void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};

} // namespace

Channels ChannelsFromConfig(const config::Config& config) {
    Channels c;
    c.smtp.url = config.alerts.smtp_url;
    c.smtp.from = config.alerts.smtp_from;
    c.smtp.user = config.alerts.smtp_user;
    c.smtp.password = config.alerts.smtp_password;
    c.smtp.starttls = config.alerts.smtp_starttls;
    c.smtp.verify_tls = config.delivery.verify_tls;
    c.verify_tls = config.delivery.verify_tls;
    c.public_url = config.alerts.public_url;
    c.allow_hosts = config.delivery.allow_hosts;
    return c;
}

std::string Rfc5322Date(int64_t now_ms) {
    using namespace std::chrono;
    static constexpr const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                              "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    sys_time<milliseconds> t{milliseconds(now_ms)};
    auto day = floor<days>(t);
    year_month_day ymd{day};
    weekday wd{day};
    hh_mm_ss hms{floor<seconds>(t - day)};
    return fmt::format("{}, {:02d} {} {:04d} {:02d}:{:02d}:{:02d} +0000", kDays[wd.c_encoding()],
                       static_cast<unsigned>(ymd.day()), kMonths[static_cast<unsigned>(ymd.month()) - 1],
                       static_cast<int>(ymd.year()), hms.hours().count(), hms.minutes().count(),
                       hms.seconds().count());
}

std::string EmailText(const SmtpSettings& smtp, const std::vector<std::string>& to, const Message& message,
                      int64_t now_ms, const std::string& message_id) {
    std::string recipients;
    for (const auto& a : to) recipients += (recipients.empty() ? "" : ", ") + OneLine(a);
    std::string out;
    out += "Date: " + Rfc5322Date(now_ms) + "\r\n";
    out += "From: " + OneLine(smtp.from) + "\r\n";
    out += "To: " + recipients + "\r\n";
    out += "Subject: " + HeaderText(message.subject) + "\r\n";
    out += "Message-ID: " + OneLine(message_id) + "\r\n";
    out += "MIME-Version: 1.0\r\n";
    out += "Content-Type: text/plain; charset=UTF-8\r\n";
    out += "Content-Transfer-Encoding: 8bit\r\n";
    out += "\r\n";
    // Lines end with CRLF; libcurl escapes a line starting with a dot.
    for (size_t i = 0; i < message.text.size(); ++i) {
        char c = message.text[i];
        if (c == '\r') continue;
        if (c == '\n') {
            out += "\r\n";
        } else {
            out += c;
        }
    }
    if (!out.ends_with("\r\n")) out += "\r\n";
    return out;
}

Status SendEmail(const SmtpSettings& smtp, const std::vector<std::string>& to, const Message& message,
                 int64_t now_ms) {
    if (smtp.url.empty()) return Fail(ErrorCode::USAGE, "email is not configured ([alerts] smtp_url)");
    if (to.empty()) return Fail(ErrorCode::USAGE, "an email needs at least one recipient");
    static std::once_flag curl_init;
    std::call_once(curl_init, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
    std::unique_ptr<CURL, CurlFree> curl(curl_easy_init());
    if (!curl) return Fail(ErrorCode::IO, "cannot start SMTP (curl_easy_init failed)");
    CURL* c = curl.get();

    curl_slist* list = nullptr;
    for (const auto& a : to) {
        curl_slist* next = curl_slist_append(list, ("<" + OneLine(a) + ">").c_str());
        if (!next) {
            curl_slist_free_all(list);
            return Fail(ErrorCode::IO, "out of memory listing recipients");
        }
        list = next;
    }
    std::unique_ptr<curl_slist, CurlFree> rcpt(list);
    std::string text = EmailText(smtp, to, message, now_ms, NewMessageId(now_ms, smtp.from));
    Upload upload{&text};
    std::string mail_from = "<" + OneLine(AddressOf(smtp.from)) + ">";
    char errors[CURL_ERROR_SIZE] = {};

    curl_easy_setopt(c, CURLOPT_URL, smtp.url.c_str());
    curl_easy_setopt(c, CURLOPT_MAIL_FROM, mail_from.c_str());
    curl_easy_setopt(c, CURLOPT_MAIL_RCPT, rcpt.get());
    curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(c, CURLOPT_READFUNCTION, ReadUpload);
    curl_easy_setopt(c, CURLOPT_READDATA, &upload);
    curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(text.size()));
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(smtp.timeout_ms));
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(std::min<int64_t>(smtp.timeout_ms, 10000)));
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errors);
    if (!smtp.user.empty()) {
        curl_easy_setopt(c, CURLOPT_USERNAME, smtp.user.c_str());
        curl_easy_setopt(c, CURLOPT_PASSWORD, smtp.password.c_str());
    }
    if (smtp.starttls) curl_easy_setopt(c, CURLOPT_USE_SSL, static_cast<long>(CURLUSESSL_ALL));
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, smtp.verify_tls ? 1L : 0L);
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, smtp.verify_tls ? 2L : 0L);

    CURLcode rc = curl_easy_perform(c);
    if (rc != CURLE_OK) {
        long code = 0;
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
        std::string why = errors[0] ? errors : curl_easy_strerror(rc);
        return Fail(ErrorCode::IO, code ? fmt::format("SMTP {}: {} (last reply {})", smtp.url, why, code)
                                        : fmt::format("SMTP {}: {}", smtp.url, why));
    }
    return {};
}

Status SendSlack(const std::string& webhook_url, const Message& message, const Channels& channels) {
    // The URL is a secret: errors name only its host.
    std::string where = webhook_url.substr(0, webhook_url.find('/', webhook_url.find("://") + 3));
    if (!webhook_url.starts_with("https://") && !outbound::AllowsPlainHttp(webhook_url, channels.allow_hosts)) {
        return Fail(ErrorCode::IO, fmt::format("Slack webhook {}: must be an https:// address (http:// only to an "
                                               "address [delivery] allow_hosts lists)",
                                               where));
    }
    deliver::HttpClient client({.timeout_ms = channels.http_timeout_ms,
                                .connect_timeout_ms = std::min<int64_t>(channels.http_timeout_ms, 10000),
                                .verify_tls = channels.verify_tls,
                                .allow_hosts = channels.allow_hosts});
    deliver::HttpRequest request;
    request.url = webhook_url;
    request.body = nlohmann::json{{"text", "*" + message.subject + "*\n" + message.text}}.dump(
        -1, ' ', false, nlohmann::json::error_handler_t::replace);
    auto responses = client.Perform(std::span(&request, 1));
    const deliver::HttpResponse& r = responses.at(0);
    if (r.status >= 200 && r.status < 300) return {};
    if (r.status == 0) return Fail(ErrorCode::IO, fmt::format("Slack webhook {}: {}", where, r.error));
    return Fail(ErrorCode::IO, fmt::format("Slack webhook {} answered {}: {}", where, r.status,
                                           deliver::BodyExcerpt(r.body)));
}

} // namespace kith::alert
