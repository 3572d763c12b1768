// The text side of the senders: SMTP replies and EHLO capabilities, the
// email as it goes over DATA (headers, MIME, dot-stuffing), base64, URLs.
#include "notify/base64.hpp"
#include "notify/email_message.hpp"
#include "notify/http_url.hpp"
#include "notify/smtp_reply.hpp"

#include <catch2/catch.hpp>

using namespace artery::notify;
using Step = SmtpReplyReader::Step;

TEST_CASE("smtp: a multi-line EHLO reply and what it offers") {
  SmtpReplyReader reader;
  CHECK(reader.add_line("250-mail.example.org Hello") == Step::more);
  CHECK(reader.add_line("250-PIPELINING") == Step::more);
  CHECK(reader.add_line("250-AUTH LOGIN plain") == Step::more);
  CHECK(reader.add_line("250-8BITMIME") == Step::more);
  CHECK(reader.add_line("250 STARTTLS") == Step::done);
  const auto& reply = reader.reply();
  CHECK(reply.code == 250);
  CHECK(reply.lines.size() == 5);
  auto caps = SmtpCapabilities::from_ehlo(reply);
  CHECK(caps.starttls);
  CHECK(caps.eight_bit_mime);
  CHECK(caps.auth == std::set<std::string>{"LOGIN", "PLAIN"});
  // The next line starts a new reply.
  CHECK(reader.add_line("535 5.7.8 Authentication credentials invalid\r") == Step::done);
  CHECK(reader.reply().code == 535);
  CHECK_FALSE(reader.reply().positive());
  CHECK_FALSE(reader.reply().transient());
  CHECK(reader.reply().text() == "535 5.7.8 Authentication credentials invalid");
}

TEST_CASE("smtp: malformed replies are refused, and 4xx is transient") {
  SmtpReplyReader reader;
  CHECK(reader.add_line("hello there") == Step::malformed);
  SmtpReplyReader mixed;
  CHECK(mixed.add_line("250-first") == Step::more);
  CHECK(mixed.add_line("354 second") == Step::malformed);
  SmtpReplyReader busy;
  CHECK(busy.add_line("421 4.3.2 try later") == Step::done);
  CHECK(busy.reply().transient());
  SmtpReplyReader bare;
  CHECK(bare.add_line("250") == Step::done);  // a code alone is a complete reply
}

TEST_CASE("smtp: the old AUTH=LOGIN form") {
  SmtpReply reply{250, {"mx", "AUTH=LOGIN"}};
  CHECK(SmtpCapabilities::from_ehlo(reply).auth.count("LOGIN") == 1);
}

TEST_CASE("email: dot-stuffing and CRLF line ends") {
  CHECK(dot_stuff("a\n.b\n..c\r\nd") == "a\r\n..b\r\n...c\r\nd\r\n");
  CHECK(dot_stuff(".") == "..\r\n");
  CHECK(dot_stuff("x\r\n") == "x\r\n");
}

TEST_CASE("email: RFC 5322 headers and a MIME UTF-8 body") {
  EmailContent email{"artery@example.org", {"a@example.org", "b@example.org"}, "Order changed", "Line 1\n.\nend"};
  const auto at = std::chrono::system_clock::from_time_t(1'796'126'400);
  const std::string text = format_email(email, at, "<id.1@example.org>");
  CHECK_THAT(text, Catch::StartsWith("Date: Tue, 01 Dec 2026 12:00:00 +0000\r\n"));
  CHECK_THAT(text, Catch::Contains("\r\nFrom: artery@example.org\r\nTo: a@example.org, b@example.org\r\n"));
  CHECK_THAT(text, Catch::Contains("\r\nMessage-ID: <id.1@example.org>\r\n"));
  CHECK_THAT(text, Catch::Contains("MIME-Version: 1.0\r\nContent-Type: text/plain; charset=UTF-8\r\n"
                                   "Content-Transfer-Encoding: 7bit\r\n\r\nLine 1\r\n..\r\nend\r\n"));

  EmailContent utf8{"a@b.org", {"c@d.org"}, "Änderung: Paracétamol", "Dosis geändert"};
  const std::string encoded = format_email(utf8, at, "<x@b.org>");
  CHECK_THAT(encoded, Catch::Contains("Subject: =?UTF-8?B?" + base64_encode("Änderung: Paracétamol") + "?=\r\n"));
  CHECK_THAT(encoded, Catch::Contains("Content-Transfer-Encoding: base64\r\n\r\n" + base64_encode("Dosis geändert")));
}

TEST_CASE("email: addresses that could inject headers or commands are refused") {
  CHECK(check_address("a@b.org").empty());
  CHECK_FALSE(check_address("a@b.org\r\nRCPT TO:<x@y>").empty());
  CHECK_FALSE(check_address("<a@b.org>").empty());
  CHECK_FALSE(check_address("nobody").empty());
  CHECK(encode_header_value("line\r\nBcc: x@y").find("\r\nBcc") == std::string::npos);
  CHECK_THAT(make_message_id("artery@example.org"), Catch::EndsWith("@example.org>"));
}

TEST_CASE("base64 round trips") {
  CHECK(base64_encode("") == "");
  CHECK(base64_encode(std::string("\0user\0pass", 10)) == "AHVzZXIAcGFzcw==");
  CHECK(base64_decode("AHVzZXIAcGFzcw==") == std::string("\0user\0pass", 10));
  CHECK(base64_decode("YQ==") == "a");
  CHECK_FALSE(base64_decode("abc").has_value());
  CHECK(base64_encode_lines(std::string(100, 'x')).find("\r\n") == 76);
}

TEST_CASE("http urls") {
  std::string problem;
  auto url = parse_http_url("https://hooks.example.org/a/b?x=1#frag", problem);
  REQUIRE(url);
  CHECK(url->tls);
  CHECK(url->host == "hooks.example.org");
  CHECK(url->port == 443);
  CHECK(url->target == "/a/b?x=1");
  CHECK(url->host_header() == "hooks.example.org");
  url = parse_http_url("http://u:p@[::1]:8080", problem);
  REQUIRE(url);
  CHECK(url->host == "::1");
  CHECK(url->port == 8080);
  CHECK(url->target == "/");
  CHECK(url->user == "u");
  CHECK(url->password == "p");
  CHECK(url->host_header() == "[::1]:8080");
  CHECK_FALSE(parse_http_url("ftp://x/", problem));
  CHECK_FALSE(parse_http_url("http://:80/", problem));
  CHECK_FALSE(parse_http_url("http://h:99999/", problem));
  CHECK_THAT(problem, Catch::Contains("bad port"));
}
