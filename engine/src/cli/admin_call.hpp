// What the commands that mirror the admin API share: the connection flags
// (--server, --token-file, --ca and their environment variables) and one
// call that turns every failure into a message on stderr, so that each
// command only handles the answer it asked for.
#pragma once
#include "cli/api_client.hpp"
#include "cli/arguments.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace artery::cli {

// The valued flags every API command accepts.
std::vector<std::string> api_flags(std::vector<std::string> more = {});

// The client from --server (else $ARTERY_SERVER, else http://127.0.0.1:8080),
// the token from --token-file (else $ARTERY_TOKEN) and --ca. nullopt with
// `problem` for a usage error (a bad address, an unreadable token file).
std::optional<ApiClient> api_client_from(const Arguments& args, std::string& problem);

// The body of a 2xx answer; otherwise prints why on stderr as
// "artery <command>: ..." (the server's own message, with advice for
// 401/403/unreachable) and returns nullopt: the command exits 1.
std::optional<std::string> call_api(const ApiClient& client, std::string_view command, std::string_view method,
                                    std::string_view target, const std::string& body = {});

// A path segment or query value, percent-encoded.
std::string url_encoded(std::string_view text);

}  // namespace artery::cli
