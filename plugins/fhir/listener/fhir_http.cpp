#include "listener/fhir_http.hpp"

#include <cctype>
#include <charconv>

namespace artery::fhir {
namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool json_media_type(std::string_view type) {
  auto semi = type.find(';');
  std::string t = lower(type.substr(0, semi));
  while (!t.empty() && t.back() == ' ') t.pop_back();
  while (!t.empty() && t.front() == ' ') t.erase(t.begin());
  return t == "application/fhir+json" || t == "application/json" || t == "json" || t == "*/*" ||
         t == "application/*" || t == "application/json+fhir";
}

}  // namespace

HttpResponse fhir_response(int status, std::string body) {
  HttpResponse r;
  r.status = status;
  r.body = std::move(body);
  if (!r.body.empty()) r.headers.set("Content-Type", kFhirJson);
  return r;
}

std::string operation_outcome_json(std::string_view severity, std::string_view code, std::string_view text) {
  return "{\"resourceType\":\"OperationOutcome\",\"issue\":[{\"severity\":" + json_quote(severity) +
         ",\"code\":" + json_quote(code) + ",\"diagnostics\":" + json_quote(text) + "}]}";
}

std::string_view issue_code_for(int status) {
  switch (status) {
    case 400: return "invalid";
    case 401: return "login";
    case 403: return "forbidden";
    case 404: return "not-found";
    case 405: return "not-supported";
    case 406: return "not-supported";
    case 409: return "conflict";
    case 410: return "deleted";
    case 412: return "conflict";
    case 413: return "too-costly";
    case 415: return "not-supported";
    case 422: return "business-rule";
    case 431: return "too-costly";
    case 503: return "transient";
    default: return status >= 500 ? "exception" : "processing";
  }
}

HttpResponse outcome_response(int status, std::string_view text, std::string_view code) {
  std::string_view severity = status >= 500 ? "fatal" : status >= 400 ? "error" : "information";
  return fhir_response(status, operation_outcome_json(severity, code.empty() ? issue_code_for(status) : code, text));
}

std::optional<HttpResponse> refuse_unacceptable(const HttpRequest& request) {
  if (auto format = request.query_param("_format")) {
    if (!json_media_type(*format)) return outcome_response(406, "_format " + *format + ": this server speaks JSON only");
    return std::nullopt;  // _format overrides Accept
  }
  const std::string accept = request.headers.get("Accept");
  if (accept.empty()) return std::nullopt;
  std::size_t start = 0;
  while (start <= accept.size()) {
    auto comma = accept.find(',', start);
    std::string_view item = std::string_view(accept).substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    if (json_media_type(item)) return std::nullopt;
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return outcome_response(406, "Accept: " + accept + ": this server answers application/fhir+json only");
}

std::optional<HttpResponse> refuse_content_type(const HttpRequest& request) {
  const std::string type = request.headers.get("Content-Type");
  auto semi = type.find(';');
  std::string t = lower(std::string_view(type).substr(0, semi));
  while (!t.empty() && t.back() == ' ') t.pop_back();
  if (t == "application/fhir+json" || t == "application/json" || t == "application/json+fhir") return std::nullopt;
  return outcome_response(415, type.empty() ? "a request body needs Content-Type: application/fhir+json"
                                            : "Content-Type " + type + " is not supported (application/fhir+json is)");
}

std::string etag(std::int64_t version) { return "W/\"" + std::to_string(version) + "\""; }

std::optional<std::int64_t> parse_etag(std::string_view text) {
  while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
  while (!text.empty() && text.back() == ' ') text.remove_suffix(1);
  if (text.substr(0, 2) == "W/") text.remove_prefix(2);
  if (text.size() >= 2 && text.front() == '"' && text.back() == '"') text = text.substr(1, text.size() - 2);
  std::int64_t v = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || p != text.data() + text.size()) return std::nullopt;
  return v;
}

}  // namespace artery::fhir
