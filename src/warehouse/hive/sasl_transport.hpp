// The SASL client transport of HiveServer2's binary mode, PLAIN mechanism (what Spark's Thrift server expects with
// hive.server2.authentication NONE, LDAP or CUSTOM).
//
//   auto socket = std::make_shared<TSocket>("127.0.0.1", 10000);
//   auto sasl = std::make_shared<hive::SaslPlainTransport>(socket, "kith", "");
//   sasl->open();                                   // connects, then negotiates
//   TCLIServiceClient client(std::make_shared<TBinaryProtocol>(sasl));
//
// Negotiation messages are a status byte (START=1, OK=2, BAD=3, ERROR=4, COMPLETE=5), a 4-byte big-endian length and
// the payload: the client sends START "PLAIN", then OK "\0user\0password"; the server answers COMPLETE (or BAD/ERROR
// with its reason). Afterwards every Thrift message travels in a frame: 4-byte big-endian length, then the bytes.
// Throws TTransportException like any Thrift transport (the driver catches it at its edge).
#pragma once

#include <thrift/transport/TVirtualTransport.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace kith::warehouse::hive {

//! Negotiation status bytes of Hive's SASL framing.
enum class SaslStatus : uint8_t { START = 1, OK = 2, BAD = 3, ERROR = 4, COMPLETE = 5 };

//! One negotiation message: status byte, 4-byte big-endian length, payload.
std::string EncodeSaslMessage(SaslStatus status, std::string_view payload);
//! The PLAIN mechanism's initial response (RFC 4616): empty authorization id, NUL, user, NUL, password.
std::string PlainInitialResponse(std::string_view user, std::string_view password);
//! A 4-byte big-endian length.
std::string EncodeFrameLength(uint32_t length);

//! SASL PLAIN over another transport (a TSocket), with Hive's framing. An empty password is sent as "x" (Hive's
//! server refuses empty ones even with authentication NONE).
class SaslPlainTransport final
    : public apache::thrift::transport::TVirtualTransport<SaslPlainTransport> {
public:
    SaslPlainTransport(std::shared_ptr<apache::thrift::transport::TTransport> inner, std::string user,
                       std::string password);

    bool isOpen() const override { return negotiated_ && inner_->isOpen(); }
    bool peek() override { return read_pos_ < read_buffer_.size() || inner_->peek(); }
    //! Opens the inner transport when needed, then negotiates; a refusal throws with the server's reason.
    void open() override;
    void close() override;

    uint32_t read(uint8_t* buf, uint32_t len);
    void write(const uint8_t* buf, uint32_t len);
    //! Sends what was written as one frame.
    void flush() override;

private:
    void ReadFully(uint8_t* buf, uint32_t len);
    void ReadFrame();

    std::shared_ptr<apache::thrift::transport::TTransport> inner_;
    std::string user_;
    std::string password_;
    bool negotiated_ = false;
    std::string write_buffer_;
    std::string read_buffer_;
    size_t read_pos_ = 0;
};

} // namespace kith::warehouse::hive
