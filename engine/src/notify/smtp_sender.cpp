#include "notify/smtp_sender.hpp"

#include "notify/base64.hpp"
#include "notify/smtp_reply.hpp"

#include <artery/tls_context.hpp>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include <openssl/ssl.h>

#include <memory>
#include <optional>

namespace artery::notify {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using boost::system::error_code;

template <class Start>
error_code run_step(asio::io_context& io, Start start) {
  error_code result = asio::error::would_block;
  start([&](error_code ec, auto&&...) { result = ec; });
  io.restart();
  io.run();
  return result;
}

// One SMTP connection: plaintext first, TLS after STARTTLS (or from the start).
class SmtpConnection {
 public:
  SmtpConnection(asio::io_context& io, const SmtpSettings& settings) : io_(io), settings_(settings), plain_(io) {}

  std::string connect() {
    tcp::resolver resolver(io_);
    error_code ec;
    auto endpoints = resolver.resolve(settings_.host, std::to_string(settings_.port), ec);
    if (ec) return "cannot resolve " + settings_.host + ": " + ec.message();
    plain_.expires_after(settings_.connect_timeout);
    ec = run_step(io_, [&](auto handler) { plain_.async_connect(endpoints, handler); });
    if (ec) return "connect to " + where() + ": " + describe(ec, settings_.connect_timeout);
    return {};
  }

  std::string start_tls() {
    std::string problem;
    context_ = make_client_tls_context(settings_.tls, problem);
    if (!context_) return problem;
    secure_ = std::make_unique<beast::ssl_stream<beast::tcp_stream>>(std::move(plain_), *context_);
    const std::string name = settings_.tls.server_name.empty() ? settings_.host : settings_.tls.server_name;
    SSL_set_tlsext_host_name(secure_->native_handle(), name.c_str());
    if (settings_.tls.verify_peer) secure_->set_verify_callback(ssl::host_name_verification(name));
    lowest().expires_after(settings_.connect_timeout);
    error_code ec = run_step(io_, [&](auto handler) { secure_->async_handshake(ssl::stream_base::client, handler); });
    if (ec) return "TLS handshake with " + where() + ": " + describe(ec, settings_.connect_timeout);
    return {};
  }

  // Writes `line` (which carries its own CRLF). "" or what went wrong.
  std::string write(const std::string& bytes) {
    lowest().expires_after(settings_.timeout);
    error_code ec = secure_ ? run_step(io_, [&](auto h) { asio::async_write(*secure_, asio::buffer(bytes), h); })
                            : run_step(io_, [&](auto h) { asio::async_write(plain_, asio::buffer(bytes), h); });
    return ec ? "sending to " + where() + ": " + describe(ec, settings_.timeout) : std::string{};
  }

  // Reads one complete reply; nullopt with `problem` on a lost connection, a
  // timeout or a malformed reply.
  std::optional<SmtpReply> read_reply(std::string& problem) {
    SmtpReplyReader reader;
    for (;;) {
      auto end = buffer_.find("\r\n");
      while (end == std::string::npos) {
        if (buffer_.size() > 64 * 1024) {
          problem = where() + " sent a reply line longer than 64 KiB";
          return std::nullopt;
        }
        lowest().expires_after(settings_.timeout);
        auto into = asio::dynamic_buffer(buffer_);
        error_code ec = secure_ ? run_step(io_, [&](auto h) { asio::async_read_until(*secure_, into, "\r\n", h); })
                                : run_step(io_, [&](auto h) { asio::async_read_until(plain_, into, "\r\n", h); });
        if (ec) {
          problem = "waiting for " + where() + ": " + describe(ec, settings_.timeout);
          return std::nullopt;
        }
        end = buffer_.find("\r\n");
      }
      std::string line = buffer_.substr(0, end);
      buffer_.erase(0, end + 2);
      switch (reader.add_line(line)) {
        case SmtpReplyReader::Step::more: break;
        case SmtpReplyReader::Step::done: return reader.reply();
        case SmtpReplyReader::Step::malformed:
          problem = where() + ": " + reader.problem();
          return std::nullopt;
      }
    }
  }

  bool pending_input() const { return !buffer_.empty(); }
  std::string where() const { return settings_.host + ":" + std::to_string(settings_.port); }

 private:
  beast::tcp_stream& lowest() { return secure_ ? beast::get_lowest_layer(*secure_) : plain_; }
  static std::string describe(const error_code& ec, std::chrono::milliseconds timeout) {
    if (ec == beast::error::timeout) return "timed out after " + std::to_string(timeout.count()) + "ms";
    return ec.message();
  }

  asio::io_context& io_;
  const SmtpSettings& settings_;
  beast::tcp_stream plain_;
  std::optional<ssl::context> context_;
  std::unique_ptr<beast::ssl_stream<beast::tcp_stream>> secure_;
  std::string buffer_;
};

// The dialogue, step by step; the first failure ends it.
class SmtpDialogue {
 public:
  SmtpDialogue(SmtpConnection& connection, SmtpSendResult& result) : connection_(connection), result_(result) {}

  // Sends `command` (empty: only reads, for the greeting) and expects a reply
  // with code `expected` (or any 2xx when 0). `shown` replaces the command in
  // error messages (AUTH lines carry secrets).
  std::optional<SmtpReply> step(const std::string& command, int expected, const std::string& shown = {}) {
    if (!command.empty()) {
      if (std::string problem = connection_.write(command + "\r\n"); !problem.empty()) return fail_io(problem);
    }
    std::string problem;
    auto reply = connection_.read_reply(problem);
    if (!reply) return fail_io(problem);
    const bool good = expected == 0 ? reply->code / 100 == 2 : reply->code == expected;
    if (!good) {
      const std::string what = command.empty() ? "greeting" : shown.empty() ? first_word(command) : shown;
      result_.code = reply->code;
      result_.transient = reply->transient();
      result_.error = connection_.where() + " refused " + what + ": " + reply->text();
      return std::nullopt;
    }
    return reply;
  }

  std::nullopt_t fail_io(const std::string& problem) {
    result_.transient = true;
    result_.error = problem;
    return std::nullopt;
  }

 private:
  static std::string first_word(const std::string& command) {
    auto colon = command.find(':');
    auto space = command.find(' ');
    return command.substr(0, std::min(colon, space));
  }
  SmtpConnection& connection_;
  SmtpSendResult& result_;
};

bool authenticate(SmtpDialogue& dialogue, const SmtpSettings& settings, const SmtpCapabilities& caps,
                  SmtpSendResult& result) {
  if (caps.auth.count("PLAIN")) {
    const std::string token = base64_encode(std::string(1, '\0') + settings.username + '\0' + settings.password);
    return dialogue.step("AUTH PLAIN " + token, 235, "AUTH PLAIN").has_value();
  }
  if (caps.auth.count("LOGIN")) {
    if (!dialogue.step("AUTH LOGIN", 334)) return false;
    if (!dialogue.step(base64_encode(settings.username), 334, "AUTH LOGIN user name")) return false;
    return dialogue.step(base64_encode(settings.password), 235, "AUTH LOGIN password").has_value();
  }
  result.error = "server offers no AUTH PLAIN or LOGIN (it offers: ";
  for (const auto& m : caps.auth) result.error += m + " ";
  result.error += caps.auth.empty() ? "none)" : ")";
  return false;
}

}  // namespace

SmtpSendResult send_email(const SmtpSettings& settings, const EmailContent& email) {
  SmtpSendResult result;
  if (std::string problem = check_address(email.from); !problem.empty()) {
    result.error = "from: " + problem;
    return result;
  }
  if (email.to.empty()) {
    result.error = "to: no recipients";
    return result;
  }
  for (const auto& address : email.to)
    if (std::string problem = check_address(address); !problem.empty()) {
      result.error = "to: " + problem;
      return result;
    }

  asio::io_context io;
  SmtpConnection connection(io, settings);
  SmtpDialogue dialogue(connection, result);
  if (std::string problem = connection.connect(); !problem.empty()) {
    dialogue.fail_io(problem);
    return result;
  }
  if (settings.tls_mode == SmtpTls::implicit) {
    if (std::string problem = connection.start_tls(); !problem.empty()) {
      dialogue.fail_io(problem);
      return result;
    }
  }
  if (!dialogue.step("", 220)) return result;
  auto ehlo = dialogue.step("EHLO " + settings.helo_name, 250);
  if (!ehlo) return result;
  auto caps = SmtpCapabilities::from_ehlo(*ehlo);
  if (settings.tls_mode == SmtpTls::starttls) {
    if (!caps.starttls) {
      // Required: sending the message and a password in the clear because
      // the server (or someone in between) left STARTTLS out is not an option.
      result.error = connection.where() + " does not offer STARTTLS (tls: starttls requires it; use tls: implicit "
                     "for port 465, or tls: none for a plaintext relay)";
      return result;
    }
    if (!dialogue.step("STARTTLS", 220)) return result;
    if (connection.pending_input()) {
      // Bytes sent before the handshake would be injected plaintext (CVE-2011-0411).
      result.error = connection.where() + " sent data after its STARTTLS reply; refusing the connection";
      return result;
    }
    if (std::string problem = connection.start_tls(); !problem.empty()) {
      dialogue.fail_io(problem);
      return result;
    }
    ehlo = dialogue.step("EHLO " + settings.helo_name, 250);  // capabilities may differ under TLS
    if (!ehlo) return result;
    caps = SmtpCapabilities::from_ehlo(*ehlo);
  }
  if (!settings.username.empty() && !authenticate(dialogue, settings, caps, result)) return result;
  if (!dialogue.step("MAIL FROM:<" + email.from + ">", 250)) return result;
  for (const auto& address : email.to)
    if (!dialogue.step("RCPT TO:<" + address + ">", 0)) return result;
  if (!dialogue.step("DATA", 354)) return result;
  const std::string data = format_email(email, std::chrono::system_clock::now(), make_message_id(email.from));
  auto accepted = dialogue.step(data + ".", 250, "the message");
  if (!accepted) return result;
  result.ok = true;
  result.code = accepted->code;
  result.reply = accepted->text();
  // QUIT is a courtesy: the message is accepted already, so its answer does not matter.
  (void)connection.write("QUIT\r\n");
  return result;
}

}  // namespace artery::notify
