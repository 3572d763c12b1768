// The channel's `consent:` filter option: before a message that passed the
// channel script is queued, the patient's FHIR Consent resources are looked
// up and evaluated (engine/src/consent/); a message sharing is not permitted
// for is dropped (FILTERED, with the reason) or routed to one named
// destination only.
//
//   consent:
//     server: ehr-fhir            # a base URL, or the name of a channel with a FHIR listener
//     patient: PID-3.1            # HL7 path, or a JSON path (subject.reference, id) for json
//     category: http://loinc.org|59284-0
//     when_denied: drop           # or {route: <destination>}
//     on_error: deny              # or allow
//     default: deny               # no consent in force: deny or permit
#pragma once
#include "config/diagnostic.hpp"

#include <artery/tls_settings.hpp>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace YAML {
class Node;
}

namespace artery {

struct ChannelConfig;

namespace config {
class YamlSource;
struct MapEntry;
}  // namespace config

struct ConsentFilterConfig {
  std::string server;            // as written: a URL, or a channel name
  bool server_is_channel = false;
  std::string base_url;          // the URL, or the named listener's (filled by resolve_consent_servers)
  Diagnostic server_at;          // where `server` was written, for cross-channel errors
  std::string auth_type = "none";  // none | bearer | basic
  std::string token, username, password;
  TlsSettings tls{true, {}, {}, {}, true, {}};  // client side: verify the server by default
  std::chrono::milliseconds timeout{10'000};
  std::chrono::milliseconds cache_ttl{30'000};

  std::string patient;            // the path to the patient in the message
  bool patient_is_hl7 = false;    // an HL7 path (PID-3.1): the value is an identifier
  std::string identifier_system;  // qualifies an identifier value: system|value
  std::string at = "received";    // the message time: received, or a path (MSH-7, meta.lastUpdated)

  std::string category;  // "system|code" or "code": searched by and checked
  std::string scope;     // patient-privacy | research | treatment | adr (checked)
  std::string purpose, action, actor, data_class;  // what the nested provisions are matched against

  bool default_permit = false;  // `default:` when no consent is in force
  bool on_error_allow = false;  // `on_error:` when the lookup fails
  std::string route;            // `when_denied: {route: x}`; empty: drop
  std::string location;         // "file:line:col" of the block
};

// Reads the block (every problem to `source` at its node). `destinations`:
// the channel's destination names, which `when_denied.route` must be one of;
// `data_type`: the channel's, which decides how `patient` and `at` are read.
std::optional<ConsentFilterConfig> read_consent_filter(const config::MapEntry& entry,
                                                       const std::vector<std::string>& destinations,
                                                       const std::string& data_type, config::YamlSource& source);

// Across channel files: a `server` that names a channel must name one whose
// source is a FHIR listener (`type: fhir`, `mode: listen`, `repository:
// true`); its base URL is filled in. Channels whose server does not resolve
// are reported and removed.
void resolve_consent_servers(std::vector<ChannelConfig>& channels, Diagnostics& diagnostics);

}  // namespace artery
