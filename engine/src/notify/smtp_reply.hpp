// The server's side of the SMTP dialogue (RFC 5321 4.2): replies of one or
// more lines "250-..." ... "250 ...", and what EHLO says the server offers.
// Kept apart from the socket code so it can be tested on plain text.
#pragma once
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace artery::notify {

struct SmtpReply {
  int code = 0;                    // 220, 250, 334, 354, 421, 535, ...
  std::vector<std::string> lines;  // the text after "ddd-" / "ddd ", one per line

  bool positive() const { return code >= 200 && code < 400; }
  bool transient() const { return code >= 400 && code < 500; }  // 4xx: try again later
  // "535 5.7.8 Authentication credentials invalid": code and every line.
  std::string text() const;
};

// Collects lines (without CRLF) into replies.
class SmtpReplyReader {
 public:
  enum class Step { more, done, malformed };
  // `done`: reply() holds the complete reply; the next line starts a new one.
  Step add_line(std::string_view line);
  const SmtpReply& reply() const { return reply_; }
  const std::string& problem() const { return problem_; }

 private:
  SmtpReply reply_;
  bool complete_ = false;
  std::string problem_;
};

// What an EHLO reply announces (keywords upper-cased).
struct SmtpCapabilities {
  bool starttls = false;
  bool eight_bit_mime = false;
  bool smtputf8 = false;
  std::set<std::string> auth;  // "PLAIN", "LOGIN", ...

  static SmtpCapabilities from_ehlo(const SmtpReply& reply);
};

}  // namespace artery::notify
