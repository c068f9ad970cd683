// SigV4 against AWS's published examples. The vectors are AWS's Signature Version 4 test suite (first published in
// the AWS General Reference, "Signature Version 4 test suite", now kept with AWS's C signer: awslabs/aws-c-auth,
// tests/aws-signing-test-suite/v4/<name>/ request.txt, context.json, header-canonical-request.txt,
// header-string-to-sign.txt, header-signature.txt), all with the documented example key AKIDEXAMPLE /
// wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY, region us-east-1, service "service", at 2015-08-30T12:36:00Z.
#include "warehouse/rest/sigv4.hpp"

#include <algorithm>
#include <gtest/gtest.h>

namespace kith::warehouse::rest {
namespace {

const AwsCredentials kExample{"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", ""};
const SigV4Scope kScope{"us-east-1", "service"};

std::chrono::system_clock::time_point At20150830T123600Z() {
    return std::chrono::system_clock::time_point(std::chrono::seconds(1440938160));
}

using Pairs = std::vector<std::pair<std::string, std::string>>;

SigV4Request Request(std::string method, std::string path, Pairs headers, std::string body = {}, Pairs query = {}) {
    SigV4Request req;
    req.method = std::move(method);
    req.path = std::move(path);
    req.headers = std::move(headers);
    req.body = std::move(body);
    req.query = std::move(query);
    return req;
}

SigV4Signature Sign(const SigV4Request& req, const AwsCredentials& credentials = kExample) {
    auto s = SignV4(req, credentials, kScope, At20150830T123600Z());
    EXPECT_TRUE(s) << s.error().ToString();
    return s ? *s : SigV4Signature{};
}

std::string Hex(const std::string& bytes) {
    std::string out;
    for (unsigned char c : bytes) {
        out += "0123456789abcdef"[c >> 4];
        out += "0123456789abcdef"[c & 15];
    }
    return out;
}

TEST(SigV4, GetVanilla) {
    SigV4Signature s = Sign(Request("GET", "/", {{"Host", "example.amazonaws.com"}}));
    EXPECT_EQ(s.amz_date, "20150830T123600Z");
    EXPECT_EQ(s.canonical_request, "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\n"
                                   "host;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    EXPECT_EQ(s.string_to_sign, "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n"
                                "bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63");
    EXPECT_EQ(s.signature, "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31");
    EXPECT_EQ(s.authorization, "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
                               "SignedHeaders=host;x-amz-date, "
                               "Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31");
    EXPECT_EQ(s.headers, (std::vector<std::string>{"Host: example.amazonaws.com", "X-Amz-Date: 20150830T123600Z",
                                                   "Authorization: " + s.authorization}));
}

TEST(SigV4, GetVanillaWithSessionToken) {
    AwsCredentials temporary = kExample;
    temporary.session_token = "6e86291e8372ff2a2260956d9b8aae1d763fbf315fa00fa31553b73ebf194267";
    SigV4Signature s = Sign(Request("GET", "/", {{"Host", "example.amazonaws.com"}}), temporary);
    EXPECT_EQ(s.canonical_request,
              "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n"
              "x-amz-security-token:6e86291e8372ff2a2260956d9b8aae1d763fbf315fa00fa31553b73ebf194267\n\n"
              "host;x-amz-date;x-amz-security-token\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    EXPECT_EQ(s.string_to_sign, "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n"
                                "067b36aa60031588cea4a4cde1f21215227a047690c72247f1d70b32fbbfad2b");
    EXPECT_EQ(s.signature, "07ec1639c89043aa0e3e2de82b96708f198cceab042d4a97044c66dd9f74e7f8");
    EXPECT_NE(std::find(s.headers.begin(), s.headers.end(), "X-Amz-Security-Token: " + temporary.session_token),
              s.headers.end());
}

TEST(SigV4, PostXWwwFormUrlencoded) {
    // The suite's current edition also signs Content-Length and X-Amz-Content-Sha256.
    SigV4Signature s = Sign(Request("POST", "/",
                                     {{"Content-Type", "application/x-www-form-urlencoded"},
                                      {"Host", "example.amazonaws.com"},
                                      {"Content-Length", "13"},
                                      {"x-amz-content-sha256",
                                       "9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e"}},
                                     "Param1=value1"));
    EXPECT_EQ(s.canonical_request,
              "POST\n/\n\ncontent-length:13\ncontent-type:application/x-www-form-urlencoded\n"
              "host:example.amazonaws.com\n"
              "x-amz-content-sha256:9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e\n"
              "x-amz-date:20150830T123600Z\n\ncontent-length;content-type;host;x-amz-content-sha256;x-amz-date\n"
              "9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e");
    EXPECT_EQ(s.string_to_sign, "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n"
                                "b1edd1d03544c25390e32085d55b57acc9a3961bb59415ff86c45c3d89d16cfb");
    EXPECT_EQ(s.signature, "d3875051da38690788ef43de4db0d8f280229d82040bfac253562e56c3f20e0b");
    // The first edition signed Content-Type, Host and X-Amz-Date only, as kith signs its Query API calls (botocore
    // 1.44.5 computes the same signature for this request).
    SigV4Signature first = Sign(Request(
        "POST", "/", {{"Content-Type", "application/x-www-form-urlencoded"}, {"Host", "example.amazonaws.com"}},
        "Param1=value1"));
    EXPECT_EQ(first.signature, "ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a");
}

TEST(SigV4, QueryIsSortedAndPathSegmentsEncoded) {
    // get-vanilla-query-order-key-case: GET /?Param2=value2&Param1=value1.
    SigV4Signature q = Sign(
        Request("GET", "/", {{"Host", "example.amazonaws.com"}}, "", {{"Param2", "value2"}, {"Param1", "value1"}}));
    EXPECT_EQ(q.canonical_request.substr(0, q.canonical_request.find("host:")),
              "GET\n/\nParam1=value1&Param2=value2\n");
    EXPECT_EQ(q.signature, "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500");
    // get-utf8: GET /ሴ.
    SigV4Signature utf8 = Sign(Request("GET", "/\xE1\x88\xB4", {{"Host", "example.amazonaws.com"}}));
    EXPECT_EQ(utf8.canonical_request.substr(0, utf8.canonical_request.find("host:")), "GET\n/%E1%88%B4\n\n");
    EXPECT_EQ(utf8.signature, "8318018e0b0f223aa2bbf98705b62bb787dc9c0e678f255a891fd03141be5d85");
}

TEST(SigV4, HeaderValuesAreTrimmed) {
    // get-header-value-trim: My-Header1: " value1", My-Header2: "\"a   b   c\"".
    SigV4Signature s = Sign(Request(
        "GET", "/", {{"Host", "example.amazonaws.com"}, {"My-Header1", " value1"}, {"My-Header2", "\"a   b   c\""}}));
    EXPECT_NE(s.canonical_request.find("my-header1:value1\nmy-header2:\"a b c\"\n"), std::string::npos)
        << s.canonical_request;
    EXPECT_EQ(s.signature, "acc3ed3afb60bb290fc8d2dd0098b9911fcaa05412b367055dee359757a9c736");
}

TEST(SigV4, SigningKeyAsAwsDocumentsIt) {
    // AWS General Reference, "Examples of how to derive a signing key for Signature Version 4": 20120215, us-east-1,
    // iam.
    auto key = SigningKey("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "20120215", {"us-east-1", "iam"});
    ASSERT_TRUE(key) << key.error().ToString();
    EXPECT_EQ(Hex(*key), "f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d");
    EXPECT_EQ(AmzDate(At20150830T123600Z() + std::chrono::milliseconds(999)), "20150830T123600Z");
}

TEST(SigV4, AnotherSecretGivesAnotherSignature) {
    AwsCredentials wrong = kExample;
    wrong.secret_access_key.back() = 'X';
    SigV4Signature s = Sign(Request("GET", "/", {{"Host", "example.amazonaws.com"}}), wrong);
    EXPECT_NE(s.signature, "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31");
    for (const auto& h : s.headers) EXPECT_EQ(h.find(wrong.secret_access_key), std::string::npos) << h;
}

} // namespace
} // namespace kith::warehouse::rest
