// FHIR's side of HTTP for the listener: the application/fhir+json answer,
// OperationOutcome errors, content negotiation (_format, Accept,
// Content-Type) and weak ETags.
#pragma once
#include <artery/http_message.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace artery::fhir {

inline constexpr std::string_view kFhirJson = "application/fhir+json; charset=utf-8";

HttpResponse fhir_response(int status, std::string body);
std::string operation_outcome_json(std::string_view severity, std::string_view code, std::string_view text);
// An OperationOutcome answer; `code` from FHIR's issue-type value set.
HttpResponse outcome_response(int status, std::string_view text, std::string_view code = {});
// The issue-type code that suits an HTTP error status.
std::string_view issue_code_for(int status);

// 406 when _format or Accept ask for something other than JSON.
std::optional<HttpResponse> refuse_unacceptable(const HttpRequest& request);
// 415 unless the body is application/fhir+json or application/json.
std::optional<HttpResponse> refuse_content_type(const HttpRequest& request);

std::string etag(std::int64_t version);
// W/"3", "3" or 3 -> 3; nullopt when it is not a version.
std::optional<std::int64_t> parse_etag(std::string_view text);

}  // namespace artery::fhir
