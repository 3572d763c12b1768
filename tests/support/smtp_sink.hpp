// A real SMTP server on loopback for tests: Debian's aiosmtpd running
// tests/fixtures/integration/smtp_sink.py, which writes every accepted message
// to a folder. With a certificate it requires STARTTLS and AUTH (artery / secret).
#pragma once
#include <filesystem>
#include <string>
#include <vector>

#include <sys/types.h>

namespace artery::testing {

class SmtpSink {
 public:
  // Starts the server and waits until it listens (throws if it does not).
  // `implicit`: TLS from the first byte instead of STARTTLS.
  SmtpSink(int port, std::filesystem::path dir, std::string cert = {}, std::string key = {}, bool implicit = false);
  ~SmtpSink();  // stops it
  SmtpSink(const SmtpSink&) = delete;
  SmtpSink& operator=(const SmtpSink&) = delete;

  int port() const { return port_; }
  // The messages received so far (the DATA as sent), in arrival order.
  std::vector<std::string> messages() const;
  // Each message's "sender\nrecipients\nauthenticated user\n".
  std::vector<std::string> envelopes() const;

 private:
  int port_;
  std::filesystem::path dir_;
  pid_t pid_ = -1;
};

}  // namespace artery::testing
