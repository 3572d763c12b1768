// Method + path-pattern routing. A handful of routes per server (the admin
// API has a few dozen), so a linear scan that picks the most specific match
// is plenty and keeps the precedence rule easy to state.
#include <artery/http_router.hpp>

#include <algorithm>
#include <exception>
#include <set>

namespace artery {
namespace {

// Ordered by precedence: a lower kind wins at the first segment that differs.
enum class SegmentKind { literal = 0, parameter = 1, rest = 2 };

struct Segment {
  SegmentKind kind;
  std::string text;  // the literal, or the parameter's name
};

std::vector<std::string_view> split_path(std::string_view path) {
  std::vector<std::string_view> out;
  if (!path.empty() && path.front() == '/') path.remove_prefix(1);
  if (path.empty()) return out;
  std::size_t start = 0;
  for (;;) {
    auto slash = path.find('/', start);
    out.push_back(path.substr(start, slash - start));
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  return out;
}

bool valid_name(std::string_view name) {
  if (name.empty()) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
  });
}

bool parse_pattern(std::string_view pattern, std::vector<Segment>& out, std::string& error) {
  if (pattern.empty() || pattern.front() != '/') {
    error = "route pattern '" + std::string(pattern) + "' must start with '/'";
    return false;
  }
  auto parts = split_path(pattern);
  for (std::size_t i = 0; i < parts.size(); ++i) {
    std::string_view part = parts[i];
    if (part.size() >= 2 && part.front() == '{' && part.back() == '}') {
      std::string_view name = part.substr(1, part.size() - 2);
      SegmentKind kind = SegmentKind::parameter;
      if (name.size() > 3 && name.substr(name.size() - 3) == "...") {
        if (i + 1 != parts.size()) {
          error = "route pattern '" + std::string(pattern) + "': {" + std::string(name) + "} must be the last segment";
          return false;
        }
        name.remove_suffix(3);
        kind = SegmentKind::rest;
      }
      if (!valid_name(name)) {
        error = "route pattern '" + std::string(pattern) + "': bad parameter name '" + std::string(name) + "'";
        return false;
      }
      out.push_back({kind, std::string(name)});
    } else if (part.find_first_of("{}") != std::string_view::npos) {
      error = "route pattern '" + std::string(pattern) + "': a segment is either literal or one {name}";
      return false;
    } else {
      out.push_back({SegmentKind::literal, std::string(part)});
    }
  }
  return true;
}

}  // namespace

struct HttpRouter::Route {
  std::string method;
  std::string pattern;
  std::vector<Segment> segments;
  HttpAsyncHandler handler;

  // Params when the (raw) path matches, nullopt otherwise. Sets `bad_escape`
  // when a segment it needed to decode is malformed.
  std::optional<std::vector<std::pair<std::string, std::string>>> match(const std::vector<std::string_view>& parts,
                                                                        bool& bad_escape) const {
    std::vector<std::pair<std::string, std::string>> params;
    for (std::size_t i = 0; i < segments.size(); ++i) {
      const Segment& segment = segments[i];
      if (segment.kind == SegmentKind::rest) {
        std::string rest;
        for (std::size_t j = i; j < parts.size(); ++j) {
          if (j > i) rest.push_back('/');
          auto decoded = percent_decode(parts[j], false);
          if (!decoded) {
            bad_escape = true;
            return std::nullopt;
          }
          rest += *decoded;
        }
        params.emplace_back(segment.text, std::move(rest));
        return params;
      }
      if (i >= parts.size()) return std::nullopt;
      auto decoded = percent_decode(parts[i], false);
      if (!decoded) {
        bad_escape = true;
        return std::nullopt;
      }
      if (segment.kind == SegmentKind::literal) {
        if (*decoded != segment.text) return std::nullopt;
      } else {
        if (decoded->empty()) return std::nullopt;
        params.emplace_back(segment.text, std::move(*decoded));
      }
    }
    if (parts.size() != segments.size()) return std::nullopt;
    return params;
  }

  bool more_specific_than(const Route& other) const {
    std::size_t n = std::min(segments.size(), other.segments.size());
    for (std::size_t i = 0; i < n; ++i)
      if (segments[i].kind != other.segments[i].kind) return segments[i].kind < other.segments[i].kind;
    return segments.size() > other.segments.size();
  }
};

void HttpResponder::respond(HttpResponse response) const noexcept {
  if (target_) target_->complete(std::move(response));
}

HttpRouter::HttpRouter() = default;
HttpRouter::~HttpRouter() = default;
HttpRouter::HttpRouter(HttpRouter&&) noexcept = default;
HttpRouter& HttpRouter::operator=(HttpRouter&&) noexcept = default;

bool HttpRouter::add(std::string_view method, std::string_view pattern, HttpHandler handler,
                     std::string* error) noexcept {
  try {
    if (!handler) {
      if (error) *error = "route " + std::string(method) + " " + std::string(pattern) + " has no handler";
      return false;
    }
    auto shared = std::make_shared<HttpHandler>(std::move(handler));
    return add_async(
        method, pattern,
        [shared](HttpRequest request, HttpResponder responder) { responder.respond((*shared)(request)); }, error);
  } catch (const std::exception& e) {
    if (error) *error = e.what();
    return false;
  }
}

bool HttpRouter::add_async(std::string_view method, std::string_view pattern, HttpAsyncHandler handler,
                           std::string* error) noexcept {
  try {
    std::string problem;
    auto route = std::make_unique<Route>();
    route->method = std::string(method);
    route->pattern = std::string(pattern);
    if (route->method.empty()) problem = "route " + route->pattern + " has no method";
    if (problem.empty()) parse_pattern(pattern, route->segments, problem);
    if (problem.empty() && !handler) problem = "route " + route->method + " " + route->pattern + " has no handler";
    for (auto& existing : routes_)
      if (problem.empty() && existing->method == route->method && existing->pattern == route->pattern)
        problem = "route " + route->method + " " + route->pattern + " is already defined";
    if (!problem.empty()) {
      if (error) *error = std::move(problem);
      return false;
    }
    route->handler = std::move(handler);
    routes_.push_back(std::move(route));
    return true;
  } catch (const std::exception& e) {
    if (error) *error = e.what();
    return false;
  }
}

HttpRouteMatch HttpRouter::match(std::string_view method, std::string_view path) const {
  HttpRouteMatch result;
  const auto parts = split_path(path);
  const Route* best = nullptr;
  const Route* best_get = nullptr;  // HEAD falls back to GET
  std::vector<std::pair<std::string, std::string>> best_params, best_get_params;
  std::set<std::string> allowed;
  bool bad_escape = false;
  for (auto& route : routes_) {
    auto params = route->match(parts, bad_escape);
    if (!params) continue;
    allowed.insert(route->method);
    if (route->method == "GET") allowed.insert("HEAD");
    if (route->method == method && (!best || route->more_specific_than(*best))) {
      best = route.get();
      best_params = std::move(*params);
    } else if (method == "HEAD" && route->method == "GET" && (!best_get || route->more_specific_than(*best_get))) {
      best_get = route.get();
      best_get_params = std::move(*params);
    }
  }
  if (!best && best_get) {
    best = best_get;
    best_params = std::move(best_get_params);
  }
  if (best) {
    result.status = 200;
    result.handler = &best->handler;
    result.params = std::move(best_params);
    return result;
  }
  if (!allowed.empty()) {
    result.status = 405;
    for (auto& m : allowed) result.allow += (result.allow.empty() ? "" : ", ") + m;
    return result;
  }
  result.status = bad_escape ? 400 : 404;
  return result;
}

}  // namespace artery
