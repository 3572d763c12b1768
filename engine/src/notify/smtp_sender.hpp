// Sending one email over SMTP (RFC 5321): plain, STARTTLS (RFC 3207) or
// implicit TLS (RFC 8314), AUTH PLAIN or LOGIN (RFC 4954), each step with a
// deadline. Blocking; used by the `email` destination and by alerts.
// (Boost.Asio is inside the .cpp only.)
#pragma once
#include "notify/email_message.hpp"

#include <artery/tls_settings.hpp>

#include <chrono>
#include <cstdint>
#include <string>

namespace artery::notify {

enum class SmtpTls {
  starttls,  // upgrade with STARTTLS; a server that does not offer it is refused
  implicit,  // TLS from the first byte (port 465)
  none,      // plaintext: only for a relay on the same host or a test server
};

struct SmtpSettings {
  std::string host;
  std::uint16_t port = 587;
  SmtpTls tls_mode = SmtpTls::starttls;
  // Certificate and host name checked by default, against tls.ca or the system store.
  TlsSettings tls{true, {}, {}, {}, true, {}};
  std::string username, password;  // AUTH when username is set
  std::string helo_name = "artery";  // the name given in EHLO
  std::chrono::milliseconds connect_timeout{10'000};
  std::chrono::milliseconds timeout{30'000};  // per reply
};

struct SmtpSendResult {
  bool ok = false;
  int code = 0;        // the failing reply's code; 0 when there was none (connection, TLS, timeout)
  std::string error;   // what failed, with the server's text
  bool transient = false;  // 4xx, a lost connection or a timeout: worth trying again later
  std::string reply;   // the server's answer to the message (250 ... queued as ...)
};

SmtpSendResult send_email(const SmtpSettings& settings, const EmailContent& email);

}  // namespace artery::notify
