#include "notify/email_message.hpp"

#include "notify/base64.hpp"

#include <openssl/rand.h>

#include <ctime>

namespace artery::notify {
namespace {

bool plain_ascii(std::string_view text) {
  for (unsigned char c : text)
    if (c >= 0x80 || (c < 0x20 && c != '\t' && c != '\r' && c != '\n')) return false;
  return true;
}

// CRLF line endings, for a body known to be short-lined ASCII.
std::string crlf_lines(std::string_view text) {
  std::string out;
  out.reserve(text.size() + text.size() / 40 + 2);
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\r') {
      if (i + 1 < text.size() && text[i + 1] == '\n') ++i;
      out += "\r\n";
    } else if (text[i] == '\n') {
      out += "\r\n";
    } else {
      out += text[i];
    }
  }
  if (out.size() < 2 || out.compare(out.size() - 2, 2, "\r\n") != 0) out += "\r\n";
  return out;
}

bool short_lines(std::string_view text) {
  std::size_t run = 0;
  for (char c : text) {
    run = (c == '\n' || c == '\r') ? 0 : run + 1;
    if (run > 900) return false;  // RFC 5322 allows 998; stay well below
  }
  return true;
}

std::string rfc5322_date(std::chrono::system_clock::time_point now) {
  const std::time_t t = std::chrono::system_clock::to_time_t(now);
  std::tm utc{};
  gmtime_r(&t, &utc);
  char buffer[64];
  std::strftime(buffer, sizeof buffer, "%a, %d %b %Y %H:%M:%S +0000", &utc);
  return buffer;
}

}  // namespace

std::string dot_stuff(std::string_view text) {
  const std::string lines = crlf_lines(text);
  std::string out;
  out.reserve(lines.size() + 8);
  bool line_start = true;
  for (char c : lines) {
    if (line_start && c == '.') out += '.';
    out += c;
    line_start = c == '\n';
  }
  return out;
}

std::string encode_header_value(std::string_view text) {
  if (plain_ascii(text) && text.find_first_of("\r\n") == std::string_view::npos) return std::string(text);
  // Encoded words are at most 75 characters: split the UTF-8 text (never
  // inside a character) into pieces of up to 45 bytes.
  std::string out;
  std::size_t at = 0;
  while (at < text.size()) {
    std::size_t end = std::min(text.size(), at + 45);
    while (end < text.size() && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;
    std::string piece(text.substr(at, end - at));
    for (auto& c : piece)
      if (c == '\r' || c == '\n') c = ' ';
    if (!out.empty()) out += "\r\n ";
    out += "=?UTF-8?B?" + base64_encode(piece) + "?=";
    at = end;
  }
  return out;
}

std::string check_address(std::string_view address) {
  if (address.empty()) return "empty address";
  if (address.find_first_of("\r\n<>") != std::string_view::npos)
    return "address '" + std::string(address) + "' contains a line break or angle bracket";
  if (address.find('@') == std::string_view::npos) return "address '" + std::string(address) + "' has no '@'";
  return {};
}

std::string make_message_id(std::string_view from) {
  unsigned char random[12];
  RAND_bytes(random, sizeof random);
  static const char* hex = "0123456789abcdef";
  std::string id;
  for (unsigned char b : random) {
    id += hex[b >> 4];
    id += hex[b & 15];
  }
  const auto at = from.rfind('@');
  std::string domain = at == std::string_view::npos ? "artery.local" : std::string(from.substr(at + 1));
  if (domain.empty()) domain = "artery.local";
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::system_clock::now().time_since_epoch())
                      .count();
  return "<" + id + "." + std::to_string(ms) + "@" + domain + ">";
}

std::string format_email(const EmailContent& email, std::chrono::system_clock::time_point now,
                         const std::string& message_id) {
  std::string to;
  for (const auto& address : email.to) to += (to.empty() ? "" : ", ") + address;
  std::string out;
  out += "Date: " + rfc5322_date(now) + "\r\n";
  out += "From: " + email.from + "\r\n";
  out += "To: " + to + "\r\n";
  out += "Message-ID: " + message_id + "\r\n";
  out += "Subject: " + encode_header_value(email.subject) + "\r\n";
  out += "MIME-Version: 1.0\r\n";
  out += "Content-Type: text/plain; charset=UTF-8\r\n";
  // 7bit when it already is (readable as it travels); otherwise base64, which
  // every server carries whether or not it offers 8BITMIME.
  if (plain_ascii(email.body) && short_lines(email.body)) {
    out += "Content-Transfer-Encoding: 7bit\r\n\r\n";
    out += dot_stuff(email.body);
  } else {
    out += "Content-Transfer-Encoding: base64\r\n\r\n";
    out += base64_encode_lines(email.body);  // no line starts with '.'
  }
  return out;
}

}  // namespace artery::notify
