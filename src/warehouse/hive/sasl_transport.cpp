#include "warehouse/hive/sasl_transport.hpp"

#include <thrift/transport/TTransportException.h>

#include <cstring>

namespace kith::warehouse::hive {

using apache::thrift::transport::TTransportException;

namespace {

// The largest frame kith accepts from a server (a page of results is far smaller).
constexpr uint32_t kMaxFrame = 1u << 30;

uint32_t DecodeLength(const uint8_t* b) {
    return (uint32_t{b[0]} << 24) | (uint32_t{b[1]} << 16) | (uint32_t{b[2]} << 8) | uint32_t{b[3]};
}

} // namespace

std::string EncodeFrameLength(uint32_t length) {
    std::string out(4, '\0');
    out[0] = static_cast<char>((length >> 24) & 0xff);
    out[1] = static_cast<char>((length >> 16) & 0xff);
    out[2] = static_cast<char>((length >> 8) & 0xff);
    out[3] = static_cast<char>(length & 0xff);
    return out;
}

std::string EncodeSaslMessage(SaslStatus status, std::string_view payload) {
    std::string out(1, static_cast<char>(status));
    out += EncodeFrameLength(static_cast<uint32_t>(payload.size()));
    out += payload;
    return out;
}

std::string PlainInitialResponse(std::string_view user, std::string_view password) {
    std::string out;
    out += '\0';
    out += user;
    out += '\0';
    out += password;
    return out;
}

SaslPlainTransport::SaslPlainTransport(std::shared_ptr<apache::thrift::transport::TTransport> inner,
                                       std::string user, std::string password)
    : inner_(std::move(inner)), user_(std::move(user)), password_(std::move(password)) {
    // Hive's PLAIN server refuses an empty password even when it checks none (authentication NONE): send a
    // placeholder then, as other HiveServer2 clients do.
    if (password_.empty()) password_ = "x";
}

void SaslPlainTransport::open() {
    if (!inner_->isOpen()) inner_->open();
    negotiated_ = false;
    std::string hello = EncodeSaslMessage(SaslStatus::START, "PLAIN") +
                        EncodeSaslMessage(SaslStatus::OK, PlainInitialResponse(user_, password_));
    inner_->write(reinterpret_cast<const uint8_t*>(hello.data()), static_cast<uint32_t>(hello.size()));
    inner_->flush();
    while (true) {
        uint8_t header[5];
        ReadFully(header, 5);
        uint32_t length = DecodeLength(header + 1);
        if (length > kMaxFrame) {
            throw TTransportException(TTransportException::CORRUPTED_DATA, "SASL negotiation: message too long");
        }
        std::string payload(length, '\0');
        if (length > 0) ReadFully(reinterpret_cast<uint8_t*>(payload.data()), length);
        switch (static_cast<SaslStatus>(header[0])) {
        case SaslStatus::COMPLETE:
            negotiated_ = true;
            return;
        case SaslStatus::OK:
            // PLAIN has no challenge; a server that sends one gets an empty answer.
            {
                std::string reply = EncodeSaslMessage(SaslStatus::OK, "");
                inner_->write(reinterpret_cast<const uint8_t*>(reply.data()), static_cast<uint32_t>(reply.size()));
                inner_->flush();
            }
            continue;
        case SaslStatus::BAD:
        case SaslStatus::ERROR:
            inner_->close();
            throw TTransportException(TTransportException::NOT_OPEN,
                                      "SASL authentication refused: " + (payload.empty() ? "no reason given" : payload));
        default:
            inner_->close();
            throw TTransportException(TTransportException::CORRUPTED_DATA,
                                      "SASL negotiation: unexpected status " + std::to_string(header[0]) +
                                          " (is the server configured for NOSASL? then add auth=nosasl to the URI)");
        }
    }
}

void SaslPlainTransport::close() {
    negotiated_ = false;
    write_buffer_.clear();
    read_buffer_.clear();
    read_pos_ = 0;
    if (inner_->isOpen()) inner_->close();
}

void SaslPlainTransport::ReadFully(uint8_t* buf, uint32_t len) {
    uint32_t got = 0;
    while (got < len) {
        uint32_t n = inner_->read(buf + got, len - got);
        if (n == 0) throw TTransportException(TTransportException::END_OF_FILE, "the server closed the connection");
        got += n;
    }
}

void SaslPlainTransport::ReadFrame() {
    uint8_t header[4];
    ReadFully(header, 4);
    uint32_t length = DecodeLength(header);
    if (length > kMaxFrame) throw TTransportException(TTransportException::CORRUPTED_DATA, "frame too long");
    read_buffer_.assign(length, '\0');
    read_pos_ = 0;
    if (length > 0) ReadFully(reinterpret_cast<uint8_t*>(read_buffer_.data()), length);
}

uint32_t SaslPlainTransport::read(uint8_t* buf, uint32_t len) {
    if (read_pos_ >= read_buffer_.size()) ReadFrame();
    uint32_t n = static_cast<uint32_t>(std::min<size_t>(len, read_buffer_.size() - read_pos_));
    std::memcpy(buf, read_buffer_.data() + read_pos_, n);
    read_pos_ += n;
    return n;
}

void SaslPlainTransport::write(const uint8_t* buf, uint32_t len) {
    write_buffer_.append(reinterpret_cast<const char*>(buf), len);
}

void SaslPlainTransport::flush() {
    std::string frame = EncodeFrameLength(static_cast<uint32_t>(write_buffer_.size()));
    frame += write_buffer_;
    write_buffer_.clear();
    inner_->write(reinterpret_cast<const uint8_t*>(frame.data()), static_cast<uint32_t>(frame.size()));
    inner_->flush();
}

} // namespace kith::warehouse::hive
