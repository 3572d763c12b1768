#include "response_envelope.hpp"

#include "client_integration_xml.hpp"

namespace artery::systemone {
namespace {

pugi::xml_node start_response(pugi::xml_document& doc, const ResponseEnvelope& envelope) {
  add_declaration(doc);
  pugi::xml_node root = doc.append_child(kResponseRoot);
  root.append_child("DeviceID").text().set(envelope.device_id.c_str());
  root.append_child("RequestUID").text().set(envelope.request_uid.c_str());
  root.append_child("Function").text().set(envelope.function.c_str());
  root.append_child("FunctionVersion").text().set(envelope.function_version.c_str());
  root.append_child("ResponseUID").text().set(new_guid().c_str());
  return root.append_child("Response");
}

}  // namespace

std::string error_response(const ResponseEnvelope& envelope, std::string_view message, bool permanent,
                           ErrorStyle style) {
  pugi::xml_document doc;
  pugi::xml_node response = start_response(doc, envelope);
  std::string text = first_line(message);
  if (style == ErrorStyle::tpp) {
    response.append_child("ErrorMessage").text().set(text.c_str());
    response.append_child("PermanentError").text().set(permanent ? "true" : "false");
  } else {
    response.append_child("Error").text().set("true");
    response.append_child("ErrorMessage").text().set(text.c_str());
  }
  return to_single_line(doc);
}

std::optional<std::string> script_response(const ResponseEnvelope& envelope, std::string_view answer,
                                           std::string& error) {
  pugi::xml_document given;
  std::string ignored;
  if (parse_xml(answer, given, false, ignored) && std::string_view(given.document_element().name()) == kResponseRoot) {
    if (answer.find_first_of("\r\n") == std::string_view::npos) return std::string(answer);
    return to_single_line(given);
  }
  pugi::xml_document fragment;
  if (!parse_xml(answer, fragment, true, error)) {
    error = "the channel's response is not XML: " + error;
    return std::nullopt;
  }
  pugi::xml_node content = fragment;
  pugi::xml_node only = fragment.first_child();
  if (only && !only.next_sibling() && std::string_view(only.name()) == "Response") content = only;

  pugi::xml_document doc;
  pugi::xml_node response = start_response(doc, envelope);
  for (pugi::xml_node child = content.first_child(); child; child = child.next_sibling()) {
    if (child.type() == pugi::node_declaration || child.type() == pugi::node_doctype) continue;
    response.append_copy(child);
  }
  return to_single_line(doc);
}

}  // namespace artery::systemone
