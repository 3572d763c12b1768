// Builds the ClientIntegrationRequest the systemone destination sends, and
// reads the ClientIntegrationResponse that comes back.
#pragma once
#include <optional>
#include <string>
#include <string_view>

namespace artery::systemone {

// Values the destination fills in (from its options, message vars and the
// stored DeviceID).
struct RequestDefaults {
  std::string api_key;
  std::string device_id;  // "" until SystmOne approves this device
  std::string device_version;
  std::string function;  // vars.function, else the destination's `function` option
  std::string function_version;
  std::string request_uid;  // vars.request_uid; "" = a new GUID
  std::string output_scheme_drugs;
  std::string output_scheme_codes;
  std::string today;  // local date YYYY-MM-DD, for the GetPatientRecord throttle exemption
};

struct BuiltRequest {
  std::string wire;  // one line, no trailing newline
  std::string request_uid;
  std::string function;
  bool full_patient_record = false;  // counts against SystmOne's 1 per 30 s GetPatientRecord limit
};

// `content` is either a whole <ClientIntegrationRequest> (empty or missing
// APIKey, DeviceID, DeviceVersion, RequestUID, Function, FunctionVersion are
// filled; OutputScheme added when configured and absent), a
// <FunctionParameters> element, or the inside of FunctionParameters (any XML
// fragment; empty content = no parameters). nullopt with `error` when the
// content is not XML or no function name is known.
std::optional<BuiltRequest> build_request(std::string_view content, const RequestDefaults& defaults,
                                          std::string& error);

struct ResponseReading {
  bool is_error = false;
  bool permanent = false;     // PermanentError true: do not retry
  std::string error_message;  // for is_error
  std::string device_id;      // the DeviceID the response carries ("" when none)
  std::string request_uid;
};

// Understands TPP's <ErrorMessage>/<PermanentError> and the simpler
// <Error>true</Error> shape, inside <Response> or directly under the root.
std::optional<ResponseReading> read_response(std::string_view document, std::string& error);

}  // namespace artery::systemone
