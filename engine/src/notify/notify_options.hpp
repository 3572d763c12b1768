// The options of the two senders, declared once as OptionSpecs: the
// `webhook` and `email` destinations take them in channel YAML, and the
// engine's `alerts:` targets take the very same keys, checked the same way.
// Read into sender settings with OptionReader.
#pragma once
#include "notify/http_sender.hpp"
#include "notify/smtp_sender.hpp"

#include <artery/options.hpp>

#include <cstddef>
#include <map>
#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace artery::notify {

extern const OptionSpec kWebhookOptions[];
extern const std::size_t kWebhookOptionCount;
extern const OptionSpec kEmailOptions[];
extern const std::size_t kEmailOptionCount;

// A secret written in the YAML, or the name of the environment variable that
// holds it (read when the connector starts, so the YAML and `validate` need
// no secret).
struct Secret {
  std::string value;
  std::string env;  // when set: the value comes from this environment variable
  // The secret; "" with `problem` set when the variable is not set.
  std::string resolve(std::string& problem) const;
};

// Webhook settings; url, header values and content_type may hold ${var}
// templates, expanded per message.
struct WebhookSettings {
  std::string url;
  std::string method = "POST";
  std::vector<std::pair<std::string, std::string>> headers;
  std::string content_type;  // "": from the message's data type
  HttpAuth::Kind auth = HttpAuth::Kind::none;
  std::string username;
  Secret password, token;
  std::chrono::milliseconds connect_timeout{10'000};
  std::chrono::milliseconds timeout{30'000};
  TlsSettings tls;
};

// Email settings; subject and body are ${var} templates.
struct EmailSettings {
  SmtpSettings smtp;  // password filled in when the sender starts
  Secret password;
  std::string from;
  std::vector<std::string> to;
  std::string subject, body;
};

std::optional<WebhookSettings> read_webhook_settings(const ConnectorOptions& options,
                                                     const std::filesystem::path& base_dir, std::string& error);
std::optional<EmailSettings> read_email_settings(const ConnectorOptions& options,
                                                 const std::filesystem::path& base_dir, std::string& error);

// The request for one send: templates expanded with `vars`, secrets resolved.
// nullopt with `error` when a template names an unset variable or a secret's
// variable is missing.
std::optional<HttpSendRequest> webhook_request(const WebhookSettings& settings,
                                               const std::map<std::string, std::string>& vars, std::string body,
                                               const std::string& data_type, std::string& error);
std::optional<EmailContent> email_content(const EmailSettings& settings,
                                          const std::map<std::string, std::string>& vars, std::string& error);

// The Content-Type a message of this data type is sent with by default.
std::string content_type_for(const std::string& data_type);

}  // namespace artery::notify
