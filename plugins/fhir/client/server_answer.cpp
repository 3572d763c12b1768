#include "client/server_answer.hpp"

#include <boost/json.hpp>

#include <cctype>
#include <ctime>

namespace artery::fhir {

std::string refusal_text(const HttpClientResponse& response) {
  std::string out = "answered " + std::to_string(response.status) + (response.reason.empty() ? "" : " ") +
                    response.reason;
  boost::system::error_code ec;
  auto value = boost::json::parse(response.body, ec);
  std::string issues;
  if (!ec && value.is_object()) {
    const auto& object = value.get_object();
    const auto* type = object.if_contains("resourceType");
    const auto* list = object.if_contains("issue");
    if (type && type->is_string() && type->get_string() == "OperationOutcome" && list && list->is_array()) {
      for (const auto& issue : list->get_array()) {
        if (!issue.is_object()) continue;
        std::string text;
        if (const auto* d = issue.get_object().if_contains("diagnostics"); d && d->is_string())
          text = std::string(d->get_string());
        else if (const auto* details = issue.get_object().if_contains("details"); details && details->is_object())
          if (const auto* t = details->get_object().if_contains("text"); t && t->is_string())
            text = std::string(t->get_string());
        if (text.empty())
          if (const auto* code = issue.get_object().if_contains("code"); code && code->is_string())
            text = std::string(code->get_string());
        if (!text.empty()) issues += (issues.empty() ? "" : "; ") + text;
      }
    }
  }
  if (!issues.empty()) return out + ": " + issues;
  if (!response.body.empty())
    out += ": " + (response.body.size() > 300 ? response.body.substr(0, 300) + "..." : response.body);
  return out;
}

std::optional<std::chrono::seconds> retry_after(const HttpClientResponse& response) {
  const std::string text = response.header("Retry-After");
  if (text.empty()) return std::nullopt;
  if (std::isdigit(static_cast<unsigned char>(text[0]))) {
    long long seconds = 0;
    for (char c : text) {
      if (!std::isdigit(static_cast<unsigned char>(c))) return std::nullopt;
      seconds = seconds * 10 + (c - '0');
      if (seconds > 86'400 * 365) return std::nullopt;
    }
    return std::chrono::seconds(seconds);
  }
  std::tm when{};
  const char* end = strptime(text.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &when);
  if (!end) return std::nullopt;
  const std::time_t at = timegm(&when);
  const std::time_t now = std::time(nullptr);
  return std::chrono::seconds(at > now ? at - now : 0);
}

}  // namespace artery::fhir
