#include "cli/admin_call.hpp"

#include <boost/json.hpp>

#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>

namespace artery::cli {

std::vector<std::string> api_flags(std::vector<std::string> more) {
  more.insert(more.end(), {"--server", "--token-file", "--ca"});
  return more;
}

std::optional<ApiClient> api_client_from(const Arguments& args, std::string& problem) {
  std::string url = "http://127.0.0.1:8080";
  if (const char* env = std::getenv("ARTERY_SERVER"); env && *env) url = env;
  if (auto flag = args.flag("--server")) url = *flag;
  auto server = ApiServer::parse(url, problem);
  if (!server) return std::nullopt;
  std::string token;
  if (const char* env = std::getenv("ARTERY_TOKEN"); env) token = env;
  if (auto file = args.flag("--token-file")) {
    std::ifstream in(*file, std::ios::binary);
    if (!in) {
      problem = "--token-file " + *file + ": cannot read it";
      return std::nullopt;
    }
    std::ostringstream text;
    text << in.rdbuf();
    token = text.str();
  }
  // A token file usually ends with a newline; a header value must not.
  auto first = token.find_first_not_of(" \t\r\n");
  auto last = token.find_last_not_of(" \t\r\n");
  token = first == std::string::npos ? std::string() : token.substr(first, last - first + 1);
  if (token.find_first_of("\r\n") != std::string::npos) {
    problem = "the API token holds a line break: give one token";
    return std::nullopt;
  }
  return ApiClient(std::move(*server), std::move(token), args.flag("--ca").value_or(""));
}

namespace {

// The server's {"error": "..."}, or the body itself when it is not that.
std::string server_message(const ApiResponse& response) {
  boost::system::error_code ec;
  auto json = boost::json::parse(response.body, ec);
  if (!ec && json.is_object())
    if (auto* error = json.as_object().if_contains("error"); error && error->is_string())
      return std::string(error->as_string());
  std::string text = response.body.substr(0, 300);
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  return text.empty() ? "HTTP " + std::to_string(response.status) : text;
}

}  // namespace

std::optional<std::string> call_api(const ApiClient& client, std::string_view command, std::string_view method,
                                    std::string_view target, const std::string& body) {
  const std::string name(command);
  std::string error;
  auto response = client.request(method, target, body, error);
  if (!response) {
    std::fprintf(stderr, "artery %s: %s\n", name.c_str(), error.c_str());
    return std::nullopt;
  }
  if (response->status >= 200 && response->status < 300) return std::move(response->body);
  const std::string message = server_message(*response);
  if (response->status == 401) {
    std::fprintf(stderr,
                 "artery %s: not authenticated by %s (%s): give an API token in $ARTERY_TOKEN or with "
                 "--token-file FILE\n",
                 name.c_str(), client.server().url().c_str(), message.c_str());
  } else if (response->status == 403) {
    std::fprintf(stderr, "artery %s: refused: %s (the token's user needs a role that may do this)\n", name.c_str(),
                 message.c_str());
  } else {
    std::fprintf(stderr, "artery %s: %s (HTTP %d)\n", name.c_str(), message.c_str(), response->status);
  }
  return std::nullopt;
}

std::string url_encoded(std::string_view text) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

}  // namespace artery::cli
