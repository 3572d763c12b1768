// An email as it goes over SMTP's DATA: RFC 5322 headers (Date, Message-ID,
// From, To, Subject) and a MIME UTF-8 text body, with lines ending CRLF and
// dot-stuffed (RFC 5321 4.5.2), ready to be followed by "." CRLF.
#pragma once
#include <chrono>
#include <string>
#include <string_view>
#include <vector>

namespace artery::notify {

struct EmailContent {
  std::string from;
  std::vector<std::string> to;
  std::string subject;
  std::string body;  // UTF-8 text; any line ending
};

// `now` and `message_id` are parameters so tests can pin them; the sender
// passes the clock and make_message_id().
std::string format_email(const EmailContent& email, std::chrono::system_clock::time_point now,
                         const std::string& message_id);
// "<random.time@domain>" with the domain of `from` (or "artery.local").
std::string make_message_id(std::string_view from);

// RFC 5321 dot-stuffing: a line that starts with "." gets another; every line
// break becomes CRLF; the text ends with CRLF.
std::string dot_stuff(std::string_view text);
// A header value as RFC 2047 encoded words when it is not plain ASCII.
std::string encode_header_value(std::string_view text);
// An address with anything that could break the header or the envelope
// (CR, LF, '<', '>') is refused: "" when fine, else what is wrong.
std::string check_address(std::string_view address);

}  // namespace artery::notify
