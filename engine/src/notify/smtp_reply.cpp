#include "notify/smtp_reply.hpp"

#include <cctype>
#include <sstream>

namespace artery::notify {

std::string SmtpReply::text() const {
  std::string out = std::to_string(code);
  for (const auto& line : lines) out += " " + line;
  return out;
}

SmtpReplyReader::Step SmtpReplyReader::add_line(std::string_view line) {
  if (complete_) {
    reply_ = {};
    complete_ = false;
  }
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  const bool digits = line.size() >= 3 && std::isdigit(static_cast<unsigned char>(line[0])) &&
                      std::isdigit(static_cast<unsigned char>(line[1])) &&
                      std::isdigit(static_cast<unsigned char>(line[2]));
  if (!digits || (line.size() > 3 && line[3] != ' ' && line[3] != '-')) {
    problem_ = "malformed SMTP reply line '" + std::string(line.substr(0, 80)) + "'";
    return Step::malformed;
  }
  const int code = (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
  if (!reply_.lines.empty() && code != reply_.code) {
    problem_ = "SMTP reply changed its code mid-way (" + std::to_string(reply_.code) + " then " +
               std::to_string(code) + ")";
    return Step::malformed;
  }
  reply_.code = code;
  reply_.lines.emplace_back(line.size() > 4 ? line.substr(4) : std::string_view{});
  if (line.size() > 3 && line[3] == '-') return Step::more;
  complete_ = true;
  return Step::done;
}

SmtpCapabilities SmtpCapabilities::from_ehlo(const SmtpReply& reply) {
  SmtpCapabilities out;
  // The first line is the server's greeting name; each later line one extension.
  for (std::size_t i = 1; i < reply.lines.size(); ++i) {
    std::istringstream words(reply.lines[i]);
    std::string keyword;
    words >> keyword;
    for (auto& c : keyword) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    if (keyword == "STARTTLS") out.starttls = true;
    else if (keyword == "8BITMIME") out.eight_bit_mime = true;
    else if (keyword == "SMTPUTF8") out.smtputf8 = true;
    else if (keyword == "AUTH" || keyword.rfind("AUTH=", 0) == 0) {
      if (keyword.size() > 5) out.auth.insert(keyword.substr(5));  // old "AUTH=LOGIN PLAIN" form
      std::string mechanism;
      while (words >> mechanism) {
        for (auto& c : mechanism) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
        out.auth.insert(mechanism);
      }
    }
  }
  return out;
}

}  // namespace artery::notify
