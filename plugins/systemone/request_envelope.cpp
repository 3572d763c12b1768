#include "request_envelope.hpp"

#include "client_integration_xml.hpp"

#include <array>
#include <cstring>

namespace artery::systemone {
namespace {

// Element order of the request envelope (the XSD's xs:sequence).
constexpr std::array<const char*, 8> kRequestOrder = {"APIKey",   "DeviceID",        "DeviceVersion", "RequestUID",
                                                      "Function", "FunctionVersion", "OutputScheme",  "FunctionParameters"};

std::size_t order_of(const char* name) {
  for (std::size_t i = 0; i < kRequestOrder.size(); ++i)
    if (std::strcmp(kRequestOrder[i], name) == 0) return i;
  return kRequestOrder.size();
}

// The child `name` of the request root, created at its place in the sequence if missing.
pugi::xml_node envelope_child(pugi::xml_node root, const char* name) {
  if (pugi::xml_node existing = root.child(name)) return existing;
  std::size_t rank = order_of(name);
  for (pugi::xml_node child = root.first_child(); child; child = child.next_sibling())
    if (child.type() == pugi::node_element && order_of(child.name()) > rank) return root.insert_child_before(name, child);
  return root.append_child(name);
}

void fill_if_empty(pugi::xml_node root, const char* name, const std::string& value) {
  pugi::xml_node node = envelope_child(root, name);
  bool has_elements = node.find_child([](pugi::xml_node n) { return n.type() == pugi::node_element; });
  if (child_text(root, name).empty() && !has_elements) node.text().set(value.c_str());
}

void add_output_scheme(pugi::xml_node scheme, const RequestDefaults& defaults) {
  if (!defaults.output_scheme_drugs.empty() && !scheme.child("Drugs"))
    scheme.append_child("Drugs").text().set(defaults.output_scheme_drugs.c_str());
  if (!defaults.output_scheme_codes.empty() && !scheme.child("Codes"))
    scheme.append_child("Codes").text().set(defaults.output_scheme_codes.c_str());
}

// SystmOne serves one full GetPatientRecord per 30 s; demographics-only
// requests and "entered today" requests (MinEntryDate = MaxEntryDate = today)
// are exempt.
bool is_full_patient_record(pugi::xml_node root, const std::string& function, const std::string& today) {
  if (function != "GetPatientRecord") return false;
  pugi::xml_node filter = root.child("FunctionParameters").child("Filter");
  if (!filter) return true;
  bool only_demographics = true;
  bool any = false;
  for (pugi::xml_node child : filter.children()) {
    if (child.type() != pugi::node_element) continue;
    any = true;
    if (std::strcmp(child.name(), "Demographics") != 0) only_demographics = false;
  }
  if (any && only_demographics) return false;
  std::string min = child_text(filter, "MinEntryDate");
  std::string max = child_text(filter, "MaxEntryDate");
  // Date-times are accepted too: only the date part is compared.
  auto date = [](const std::string& s) { return s.substr(0, 10); };
  if (!min.empty() && !today.empty() && date(min) == today && date(max) == today) return false;
  return true;
}

}  // namespace

std::optional<BuiltRequest> build_request(std::string_view content, const RequestDefaults& defaults,
                                          std::string& error) {
  pugi::xml_document doc;
  pugi::xml_node root;
  std::string ignored;
  if (parse_xml(content, doc, false, ignored) && std::string_view(doc.document_element().name()) == kRequestRoot) {
    root = doc.document_element();
  } else {
    pugi::xml_document fragment;
    if (!parse_xml(content, fragment, true, error)) {
      error = "message content is not XML: " + error;
      return std::nullopt;
    }
    doc.reset();
    add_declaration(doc);
    root = doc.append_child(kRequestRoot);
    pugi::xml_node first = fragment.first_child();
    while (first && (first.type() == pugi::node_declaration || first.type() == pugi::node_comment))
      first = first.next_sibling();
    bool is_parameters = first && !first.next_sibling() && std::string_view(first.name()) == "FunctionParameters";
    if (is_parameters) {
      root.append_copy(first);
    } else {
      pugi::xml_node parameters = root.append_child("FunctionParameters");
      for (pugi::xml_node child = fragment.first_child(); child; child = child.next_sibling())
        if (child.type() != pugi::node_declaration) parameters.append_copy(child);
    }
  }

  BuiltRequest built;
  built.request_uid = defaults.request_uid.empty() ? new_guid() : defaults.request_uid;
  fill_if_empty(root, "APIKey", defaults.api_key);
  fill_if_empty(root, "DeviceID", defaults.device_id);
  fill_if_empty(root, "DeviceVersion", defaults.device_version);
  fill_if_empty(root, "RequestUID", built.request_uid);
  fill_if_empty(root, "Function", defaults.function);
  fill_if_empty(root, "FunctionVersion", defaults.function_version);
  if (!defaults.output_scheme_drugs.empty() || !defaults.output_scheme_codes.empty())
    add_output_scheme(envelope_child(root, "OutputScheme"), defaults);
  envelope_child(root, "FunctionParameters");

  built.request_uid = child_text(root, "RequestUID");
  built.function = child_text(root, "Function");
  if (built.function.empty()) {
    error = "no function to call: set the destination's `function` option or ctx.vars.function";
    return std::nullopt;
  }
  built.full_patient_record = is_full_patient_record(root, built.function, defaults.today);
  built.wire = to_single_line(doc);
  return built;
}

std::optional<ResponseReading> read_response(std::string_view document, std::string& error) {
  pugi::xml_document doc;
  if (!parse_xml(document, doc, false, error)) {
    error = "response is not XML: " + error;
    return std::nullopt;
  }
  pugi::xml_node root = doc.document_element();
  ResponseReading reading;
  reading.device_id = child_text(root, "DeviceID");
  reading.request_uid = child_text(root, "RequestUID");
  for (pugi::xml_node scope : {root.child("Response"), root}) {
    if (!scope) continue;
    pugi::xml_node message = scope.child("ErrorMessage");
    pugi::xml_node flag = scope.child("Error");
    if (!message && !(flag && is_true(flag.text().as_string()))) continue;
    reading.is_error = true;
    reading.permanent = is_true(scope.child("PermanentError").text().as_string());
    reading.error_message = first_line(message.text().as_string());
    if (reading.error_message.empty()) reading.error_message = "the peer answered with an error";
    break;
  }
  return reading;
}

}  // namespace artery::systemone
