// Reading a FHIR server's answer: a refusal in words (the OperationOutcome's
// issues, else the start of the body), and how long Retry-After asks to wait.
#pragma once
#include <artery/http_client.hpp>

#include <chrono>
#include <optional>
#include <string>

namespace artery::fhir {

// "answered 422 Unprocessable Entity: <diagnostics of each issue>; ..."
std::string refusal_text(const HttpClientResponse& response);
// Retry-After as delay-seconds or an HTTP-date, from now; nullopt when absent or unreadable.
std::optional<std::chrono::seconds> retry_after(const HttpClientResponse& response);

}  // namespace artery::fhir
