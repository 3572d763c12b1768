#include "notify/notify_options.hpp"

#include "notify/http_url.hpp"

#include <artery/message.hpp>
#include <artery/option_reader.hpp>
#include <artery/tls_settings.hpp>

#include <cstdlib>

namespace artery::notify {

const OptionSpec kWebhookOptions[] = {
    {"url", "string", nullptr, true, "http:// or https:// URL to send to; ${var} templates allowed"},
    {"method", "enum:POST|PUT", "POST", false, "HTTP method"},
    {"headers", "map", nullptr, false, "Extra request header fields, name: value (values may use ${var})"},
    {"content_type", "string", "", false,
     "Content-Type of the body (default: from the data type: application/json, application/xml, "
     "x-application/hl7-v2+er7, text/plain; charset=utf-8)"},
    {"auth", "map", nullptr, false, "Authentication"},
    {"auth.type", "enum:none|basic|bearer", "none", false, "none, basic (username/password) or bearer (token)"},
    {"auth.username", "string", "", false, "Basic auth user name"},
    {"auth.password", "string", "", false, "Basic auth password (prefer auth.password_env)"},
    {"auth.password_env", "string", "", false, "Environment variable holding the basic auth password"},
    {"auth.token", "string", "", false, "Bearer token (prefer auth.token_env)"},
    {"auth.token_env", "string", "", false, "Environment variable holding the bearer token"},
    {"connect_timeout", "duration", "10s", false, "Give up connecting (and the TLS handshake) after this long"},
    {"timeout", "duration", "30s", false, "Give up sending the request and reading the answer after this long"},
    ARTERY_CLIENT_TLS_OPTIONS,
};
const std::size_t kWebhookOptionCount = std::size(kWebhookOptions);

const OptionSpec kEmailOptions[] = {
    {"host", "string", nullptr, true, "SMTP server host name or address"},
    {"port", "int", "587", false, "SMTP port: 587 (submission, STARTTLS), 465 (implicit TLS), 25"},
    ARTERY_CLIENT_TLS_OPTIONS,
    {"tls.mode", "enum:starttls|implicit|none", "starttls", false,
     "starttls: upgrade the connection, refuse a server that does not offer it; implicit: TLS from the start "
     "(port 465); none: plaintext (a local relay)"},
    {"username", "string", "", false, "AUTH user name (AUTH PLAIN or LOGIN, whichever the server offers)"},
    {"password", "string", "", false, "AUTH password (prefer password_env)"},
    {"password_env", "string", "", false, "Environment variable holding the AUTH password"},
    {"from", "string", nullptr, true, "Sender address (envelope and From:)"},
    {"to", "list", nullptr, true, "Recipient addresses"},
    {"subject", "string", "Artery message ${message_id}", false, "Subject template (${var})"},
    {"body", "string", "${content}", false, "Body template (${var}; ${content} is the message)"},
    {"helo_name", "string", "artery", false, "Name this client gives in EHLO"},
    {"connect_timeout", "duration", "10s", false, "Give up connecting (and the TLS handshake) after this long"},
    {"timeout", "duration", "30s", false, "Give up waiting for any one server reply after this long"},
};
const std::size_t kEmailOptionCount = std::size(kEmailOptions);

namespace {

// The one client TLS reader; TLS is on here whenever the URL or mode asks for it.
TlsSettings read_tls(OptionReader& read, const std::filesystem::path& base_dir) {
  TlsSettings tls = read_client_tls(read, base_dir);
  tls.enabled = true;
  return tls;
}

Secret read_secret(OptionReader& read, const std::string& key) {
  Secret secret{read.string(key), read.string(key + "_env")};
  if (!secret.value.empty() && !secret.env.empty())
    read.fail(key, "give " + key + " or " + key + "_env, not both");
  return secret;
}

std::optional<std::string> expand(const std::string& what, const std::string& text,
                                  const std::map<std::string, std::string>& vars, std::string& error) {
  std::string problem;
  auto out = expand_template(text, vars, &problem);
  if (!out) error = what + ": " + problem;
  return out;
}

std::string percent_encode(const std::string& text) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    const bool unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
                            c == '.' || c == '_' || c == '~';
    if (unreserved) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

}  // namespace

std::string Secret::resolve(std::string& problem) const {
  if (env.empty()) return value;
  const char* found = std::getenv(env.c_str());
  if (!found) {
    problem = "environment variable " + env + " is not set";
    return {};
  }
  return found;
}

std::string content_type_for(const std::string& data_type) {
  if (data_type == data_type::json) return "application/json";
  if (data_type == data_type::xml) return "application/xml";
  if (data_type == data_type::hl7v2) return "x-application/hl7-v2+er7";
  return "text/plain; charset=utf-8";
}

std::optional<WebhookSettings> read_webhook_settings(const ConnectorOptions& options,
                                                     const std::filesystem::path& base_dir, std::string& error) {
  OptionReader read(options, kWebhookOptions, kWebhookOptionCount);
  WebhookSettings s;
  s.url = read.required("url");
  // A URL without ${...} is checked now, so a typo fails `validate`.
  if (s.url.find("${") == std::string::npos && read.ok()) {
    std::string problem;
    if (!parse_http_url(s.url, problem)) read.fail("url", problem);
  }
  s.method = read.string("method");
  if (s.method != "POST" && s.method != "PUT") read.fail("method", "expected POST or PUT, got '" + s.method + "'");
  if (auto headers = options.tree.get_child_optional("headers"))
    for (const auto& [name, value] : *headers) {
      if (name.empty() || !value.empty()) {
        read.fail("headers", "expected a map of header names to text values");
        break;
      }
      if (name.find_first_of(" :\r\n") != std::string::npos || value.data().find_first_of("\r\n") != std::string::npos) {
        read.fail("headers." + name, "a header name or value with a space, colon or line break");
        break;
      }
      s.headers.emplace_back(name, value.data());
    }
  s.content_type = read.string("content_type");
  const std::size_t auth = read.choice("auth.type", {"none", "basic", "bearer"});
  s.auth = auth == 1 ? HttpAuth::Kind::basic : auth == 2 ? HttpAuth::Kind::bearer : HttpAuth::Kind::none;
  s.username = read.string("auth.username");
  s.password = read_secret(read, "auth.password");
  s.token = read_secret(read, "auth.token");
  if (s.auth == HttpAuth::Kind::basic && s.username.empty())
    read.fail("auth.username", "auth.type basic needs auth.username");
  if (s.auth == HttpAuth::Kind::bearer && s.token.value.empty() && s.token.env.empty())
    read.fail("auth.token", "auth.type bearer needs auth.token or auth.token_env");
  s.connect_timeout = read.duration("connect_timeout");
  s.timeout = read.duration("timeout");
  if (s.connect_timeout.count() <= 0) read.fail("connect_timeout", "must be more than 0");
  if (s.timeout.count() <= 0) read.fail("timeout", "must be more than 0");
  s.tls = read_tls(read, base_dir);
  if (!read.ok()) {
    error = read.error();
    return std::nullopt;
  }
  return s;
}

std::optional<EmailSettings> read_email_settings(const ConnectorOptions& options,
                                                 const std::filesystem::path& base_dir, std::string& error) {
  OptionReader read(options, kEmailOptions, kEmailOptionCount);
  EmailSettings s;
  s.smtp.host = read.required("host");
  s.smtp.port = static_cast<std::uint16_t>(read.integer("port", 1, 65535));
  const std::size_t mode = read.choice("tls.mode", {"starttls", "implicit", "none"});
  s.smtp.tls_mode = mode == 1 ? SmtpTls::implicit : mode == 2 ? SmtpTls::none : SmtpTls::starttls;
  s.smtp.tls = read_tls(read, base_dir);
  s.smtp.username = read.string("username");
  s.password = read_secret(read, "password");
  if (s.smtp.username.empty() && (!s.password.value.empty() || !s.password.env.empty()))
    read.fail("username", "a password is given but no username");
  // AUTH PLAIN and LOGIN carry the password as base64: never over plaintext.
  if (!s.smtp.username.empty() && s.smtp.tls_mode == SmtpTls::none)
    read.fail("username", "AUTH would send the password in the clear with tls.mode none; use starttls or implicit");
  s.smtp.helo_name = read.string("helo_name");
  s.smtp.connect_timeout = read.duration("connect_timeout");
  s.smtp.timeout = read.duration("timeout");
  if (s.smtp.connect_timeout.count() <= 0) read.fail("connect_timeout", "must be more than 0");
  if (s.smtp.timeout.count() <= 0) read.fail("timeout", "must be more than 0");
  s.from = read.required("from");
  if (read.ok() && s.from.find("${") == std::string::npos)
    if (std::string problem = check_address(s.from); !problem.empty()) read.fail("from", problem);
  s.to = read.list("to");
  if (s.to.empty() && read.ok()) read.fail("to", "needs at least one recipient");
  for (const auto& address : s.to)
    if (address.find("${") == std::string::npos)
      if (std::string problem = check_address(address); !problem.empty() && read.ok()) read.fail("to", problem);
  s.subject = read.string("subject");
  s.body = read.string("body");
  if (!read.ok()) {
    error = read.error();
    return std::nullopt;
  }
  return s;
}

std::optional<HttpSendRequest> webhook_request(const WebhookSettings& settings,
                                               const std::map<std::string, std::string>& vars, std::string body,
                                               const std::string& data_type, std::string& error) {
  HttpSendRequest request;
  // A value put into the URL is one path segment or query value: escaped so
  // "Ann Evans" or "a/b?c" cannot change the URL's shape.
  std::map<std::string, std::string> escaped;
  for (const auto& [name, value] : vars) escaped.emplace(name, percent_encode(value));
  auto url = expand("url", settings.url, escaped, error);
  if (!url) return std::nullopt;
  request.url = std::move(*url);
  request.method = settings.method;
  for (const auto& [name, value] : settings.headers) {
    auto expanded = expand("headers." + name, value, vars, error);
    if (!expanded) return std::nullopt;
    request.headers.emplace_back(name, std::move(*expanded));
  }
  if (settings.content_type.empty()) {
    request.content_type = content_type_for(data_type);
  } else {
    auto type = expand("content_type", settings.content_type, vars, error);
    if (!type) return std::nullopt;
    request.content_type = std::move(*type);
  }
  request.auth.kind = settings.auth;
  request.auth.username = settings.username;
  if (settings.auth == HttpAuth::Kind::basic) request.auth.password = settings.password.resolve(error);
  if (settings.auth == HttpAuth::Kind::bearer) request.auth.token = settings.token.resolve(error);
  if (!error.empty()) return std::nullopt;
  request.connect_timeout = settings.connect_timeout;
  request.timeout = settings.timeout;
  request.tls = settings.tls;
  request.body = std::move(body);
  return request;
}

std::optional<EmailContent> email_content(const EmailSettings& settings,
                                          const std::map<std::string, std::string>& vars, std::string& error) {
  EmailContent email;
  auto from = expand("from", settings.from, vars, error);
  if (!from) return std::nullopt;
  email.from = std::move(*from);
  for (const auto& address : settings.to) {
    auto to = expand("to", address, vars, error);
    if (!to) return std::nullopt;
    email.to.push_back(std::move(*to));
  }
  auto subject = expand("subject", settings.subject, vars, error);
  if (!subject) return std::nullopt;
  email.subject = std::move(*subject);
  auto body = expand("body", settings.body, vars, error);
  if (!body) return std::nullopt;
  email.body = std::move(*body);
  return email;
}

}  // namespace artery::notify
