#include "consent/consent_filter.hpp"

#include "consent/consent_time.hpp"

#include <artery/hl7.hpp>
#include <artery/message.hpp>

#include <boost/json.hpp>

#include <cctype>

namespace artery::consent {
namespace json = boost::json;
namespace {

// The string at a dotted path with [n] indexes (subject.reference, entry[0].resource.id).
std::optional<std::string> json_at(const json::value& root, std::string_view path) {
  const json::value* node = &root;
  std::size_t at = 0;
  while (at <= path.size() && node) {
    std::size_t end = path.find('.', at);
    std::string_view segment = path.substr(at, end == std::string_view::npos ? std::string_view::npos : end - at);
    std::string_view name = segment.substr(0, segment.find('['));
    if (!node->is_object()) return std::nullopt;
    node = node->get_object().if_contains(name);
    for (std::size_t open = segment.find('['); node && open != std::string_view::npos;
         open = segment.find('[', open + 1)) {
      std::size_t index = 0;
      for (std::size_t i = open + 1; i < segment.size() && std::isdigit(static_cast<unsigned char>(segment[i])); ++i)
        index = index * 10 + static_cast<std::size_t>(segment[i] - '0');
      node = node->is_array() && index < node->get_array().size() ? &node->get_array()[index] : nullptr;
    }
    if (end == std::string_view::npos) break;
    at = end + 1;
  }
  if (!node) return std::nullopt;
  if (node->is_string()) return std::string(node->get_string());
  if (node->is_object()) {  // a Reference: its reference
    if (const auto* ref = node->get_object().if_contains("reference"); ref && ref->is_string())
      return std::string(ref->get_string());
  }
  return std::nullopt;
}

bool ends_with_id(std::string_view path) {
  return path == "id" || (path.size() > 3 && path.substr(path.size() - 3) == ".id");
}

}  // namespace

ConsentServer server_of(const ConsentFilterConfig& config) {
  ConsentServer server;
  server.base_url = config.base_url;
  server.auth_type = config.auth_type;
  server.token = config.token;
  server.username = config.username;
  server.password = config.password;
  server.tls = config.tls;
  server.timeout = config.timeout;
  return server;
}

ConsentFilter::ConsentFilter(ConsentFilterConfig config)
    : config_(std::move(config)), lookup_(server_of(config_), config_.cache_ttl) {}

ConsentVerdict ConsentFilter::check(std::string_view content, std::string_view data_type, std::int64_t received_ms) {
  ConsentVerdict out;
  PatientKey patient;
  ConsentQuestion question;
  question.at_ms = received_ms;
  question.scope = config_.scope;
  question.category = config_.category;
  question.purpose = config_.purpose;
  question.action = config_.action;
  question.actor = config_.actor;
  question.data_class = config_.data_class;
  std::string at_text;

  if (data_type == data_type::hl7v2) {
    auto message = hl7::Message::parse(content);
    if (message) {
      patient.value = message->get(config_.patient);
      if (config_.at != "received") at_text = message->get(config_.at);
    }
    patient.is_identifier = true;
  } else {
    boost::system::error_code ec;
    json::value doc = json::parse(content, ec);
    if (!ec) {
      std::string value = json_at(doc, config_.patient).value_or("");
      std::string type;
      if (doc.is_object())
        if (const auto* t = doc.get_object().if_contains("resourceType"); t && t->is_string())
          type = std::string(t->get_string());
      if (value.find('/') != std::string::npos) {
        patient.value = value;
      } else if (!value.empty() && ends_with_id(config_.patient) && type == "Patient") {
        patient.value = "Patient/" + value;  // the Patient resource itself
      } else {
        patient.value = value;
        patient.is_identifier = true;
      }
      if (question.data_class.empty()) question.data_class = type;
      if (config_.at != "received") at_text = json_at(doc, config_.at).value_or("");
    }
  }
  // The message time: `at` when it reads as a time, else the time received.
  if (!at_text.empty())
    if (auto span = parse_any_time(at_text)) question.at_ms = span->low;

  if (patient.value.empty()) {
    out.share = config_.default_permit;
    out.reason = "no patient at " + config_.patient + ": default " + (config_.default_permit ? "permit" : "deny");
    return out;
  }
  if (patient.is_identifier && !config_.identifier_system.empty() && patient.value.find('|') == std::string::npos)
    patient.value = config_.identifier_system + "|" + patient.value;
  if (!patient.is_identifier && patient.value.find("Patient/") == std::string::npos) {
    out.share = config_.default_permit;
    out.reason = "'" + patient.value + "' at " + config_.patient + " is not a Patient reference: default " +
                 (config_.default_permit ? "permit" : "deny");
    return out;
  }
  if (config_.base_url.empty()) {
    out.lookup_failed = true;
    out.share = config_.on_error_allow;
    out.reason = "consent lookup failed (on_error: " + std::string(config_.on_error_allow ? "allow" : "deny") +
                 "): server '" + config_.server + "' is not a FHIR listener channel that was loaded";
    return out;
  }

  ConsentLookupResult found = lookup_.find(patient, config_.category);
  if (!found.ok) {
    out.lookup_failed = true;
    out.share = config_.on_error_allow;
    out.reason = "consent lookup failed (on_error: " + std::string(config_.on_error_allow ? "allow" : "deny") +
                 "): " + found.error;
    return out;
  }
  if (found.patients.empty()) {
    out.share = config_.default_permit;
    out.reason = "no Patient with identifier " + patient.value + " at " + config_.base_url + ": default " +
                 (config_.default_permit ? "permit" : "deny");
    return out;
  }
  for (const auto& p : found.patients) question.patient += (question.patient.empty() ? "" : ",") + p;
  ConsentDecision decision = decide(found.consents, question, config_.default_permit);
  out.share = decision.permitted;
  out.reason = std::move(decision.reason);
  return out;
}

}  // namespace artery::consent
