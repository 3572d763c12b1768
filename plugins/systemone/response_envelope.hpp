// Builds the ClientIntegrationResponse documents the systemone source sends:
// error answers in either wire style, and the channel script's answer
// wrapped in (or passed through as) the response envelope.
#pragma once
#include <optional>
#include <string>
#include <string_view>

namespace artery::systemone {

// tpp:    <Response><ErrorMessage>m</ErrorMessage><PermanentError>true|false</PermanentError></Response>
// simple: <Response><Error>true</Error><ErrorMessage>m</ErrorMessage></Response>
enum class ErrorStyle { tpp, simple };

// The request facts every response echoes.
struct ResponseEnvelope {
  std::string device_id;
  std::string request_uid;
  std::string function;
  std::string function_version;
};

// One line, no trailing newline.
std::string error_response(const ResponseEnvelope& envelope, std::string_view message, bool permanent,
                           ErrorStyle style);

// The script's answer: a whole <ClientIntegrationResponse> document is sent as
// it is (made one line if it spans several); anything else is the content of
// <Response> (a single <Response> element is unwrapped, not nested) and gets
// the envelope with a new ResponseUID. nullopt with `error` when the answer is
// not XML.
std::optional<std::string> script_response(const ResponseEnvelope& envelope, std::string_view answer,
                                           std::string& error);

}  // namespace artery::systemone
