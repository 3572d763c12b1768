// Requests, responses and their small text rules (header case, query and
// cookie parsing, JSON quoting): no Beast here, so this builds fast.
#include <artery/http_message.hpp>
#include "json/json_string.hpp"

#include <cstdio>

namespace artery {
namespace {

char lower(char c) noexcept { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool same_name(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (lower(a[i]) != lower(b[i])) return false;
  return true;
}

int hex_value(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string_view trim(std::string_view text) noexcept {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

const std::string kEmpty;

}  // namespace

const std::string* HttpHeaders::find(std::string_view name) const noexcept {
  for (auto& [key, value] : fields_)
    if (same_name(key, name)) return &value;
  return nullptr;
}

std::string HttpHeaders::get(std::string_view name, std::string_view fallback) const {
  const std::string* value = find(name);
  return value ? *value : std::string(fallback);
}

void HttpHeaders::set(std::string_view name, std::string_view value) {
  remove(name);
  add(name, value);
}

void HttpHeaders::add(std::string_view name, std::string_view value) { fields_.emplace_back(name, value); }

void HttpHeaders::remove(std::string_view name) noexcept {
  std::erase_if(fields_, [&](const auto& field) { return same_name(field.first, name); });
}

const std::string& HttpRequest::param(std::string_view name) const noexcept {
  for (auto& [key, value] : path_params)
    if (key == name) return value;
  return kEmpty;
}

std::optional<std::string> HttpRequest::query_param(std::string_view key) const {
  for (auto& [k, v] : query)
    if (k == key) return v;
  return std::nullopt;
}

std::optional<std::string> HttpRequest::cookie(std::string_view name) const {
  // Cookie: a=1; b=2 (RFC 6265 section 4.2); a browser may send several Cookie fields over HTTP/2
  // proxies, so look at every one.
  for (auto& [key, value] : headers.fields()) {
    if (!same_name(key, "cookie")) continue;
    std::string_view rest = value;
    while (!rest.empty()) {
      auto semicolon = rest.find(';');
      std::string_view pair = trim(rest.substr(0, semicolon));
      rest = semicolon == std::string_view::npos ? std::string_view{} : rest.substr(semicolon + 1);
      auto equals = pair.find('=');
      if (equals == std::string_view::npos || trim(pair.substr(0, equals)) != name) continue;
      std::string_view cookie_value = trim(pair.substr(equals + 1));
      if (cookie_value.size() >= 2 && cookie_value.front() == '"' && cookie_value.back() == '"')
        cookie_value = cookie_value.substr(1, cookie_value.size() - 2);
      return std::string(cookie_value);
    }
  }
  return std::nullopt;
}

bool HttpStreamWriter::send_event(std::string_view data, std::string_view event, std::string_view id) {
  std::string text;
  text.reserve(data.size() + event.size() + id.size() + 32);
  if (!event.empty()) text.append("event: ").append(event).append("\n");
  if (!id.empty()) text.append("id: ").append(id).append("\n");
  // Every line of the payload needs its own "data:" prefix, or a newline in
  // it would end the event early (the SSE grammar splits on any of CR, LF, CRLF).
  std::size_t start = 0;
  for (;;) {
    auto end = data.find_first_of("\r\n", start);
    text.append("data: ").append(data.substr(start, end - start)).append("\n");
    if (end == std::string_view::npos) break;
    start = end + ((data[end] == '\r' && end + 1 < data.size() && data[end + 1] == '\n') ? 2 : 1);
  }
  text.append("\n");
  return write(text);
}

bool HttpStreamWriter::send_comment(std::string_view text) {
  std::string line;
  line.append(": ").append(text.substr(0, text.find_first_of("\r\n"))).append("\n\n");
  return write(line);
}

HttpResponse HttpResponse::json(int status, std::string body) {
  HttpResponse r;
  r.status = status;
  r.headers.set("Content-Type", "application/json");
  r.body = std::move(body);
  return r;
}

HttpResponse HttpResponse::text(int status, std::string body, std::string_view content_type) {
  HttpResponse r;
  r.status = status;
  r.headers.set("Content-Type", content_type);
  r.body = std::move(body);
  return r;
}

HttpResponse HttpResponse::error(int status, std::string_view message) {
  return json(status, "{\"error\": " + json_quote(message) + "}");
}

HttpResponse HttpResponse::event_stream(HttpStreamOpener opener) {
  HttpResponse r = streaming("text/event-stream", std::move(opener));
  // Proxies such as nginx buffer responses unless told not to; the events
  // must reach the browser as they are pushed.
  r.headers.set("Cache-Control", "no-cache");
  r.headers.set("X-Accel-Buffering", "no");
  return r;
}

HttpResponse HttpResponse::streaming(std::string_view content_type, HttpStreamOpener opener) {
  HttpResponse r;
  r.status = 200;
  r.headers.set("Content-Type", content_type);
  r.stream = std::move(opener);
  return r;
}

std::string json_quote(std::string_view text) {
  std::string out;
  out.reserve(text.size() + 2);
  append_json_string(out, text);
  return out;
}

std::optional<std::string> percent_decode(std::string_view text, bool plus_is_space) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '%') {
      if (i + 2 >= text.size()) return std::nullopt;
      int high = hex_value(text[i + 1]);
      int low = hex_value(text[i + 2]);
      if (high < 0 || low < 0) return std::nullopt;
      out.push_back(static_cast<char>(high * 16 + low));
      i += 2;
    } else if (c == '+' && plus_is_space) {
      out.push_back(' ');
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::string_view http_reason(int status) noexcept {
  switch (status) {
    case 100: return "Continue";
    case 200: return "OK";
    case 201: return "Created";
    case 202: return "Accepted";
    case 204: return "No Content";
    case 301: return "Moved Permanently";
    case 302: return "Found";
    case 303: return "See Other";
    case 304: return "Not Modified";
    case 307: return "Temporary Redirect";
    case 308: return "Permanent Redirect";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 406: return "Not Acceptable";
    case 408: return "Request Timeout";
    case 409: return "Conflict";
    case 410: return "Gone";
    case 412: return "Precondition Failed";
    case 413: return "Content Too Large";
    case 415: return "Unsupported Media Type";
    case 422: return "Unprocessable Content";
    case 428: return "Precondition Required";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    default: return "";
  }
}

}  // namespace artery
