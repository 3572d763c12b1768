// XML pieces both directions of the SystmOne client-integration wire share:
// parsing without DTDs, one-line serialisation, GUIDs, text helpers.
#pragma once
#include <pugixml.hpp>

#include <string>
#include <string_view>

namespace artery::systemone {

inline constexpr const char* kRequestRoot = "ClientIntegrationRequest";
inline constexpr const char* kResponseRoot = "ClientIntegrationResponse";

// Parses a whole document (or, with `fragment`, any sequence of nodes).
// DOCTYPE is never processed (pugixml expands no custom entities, and the
// doctype node is not even kept); callers reject documents that carry one.
bool parse_xml(std::string_view text, pugi::xml_document& doc, bool fragment, std::string& error);

// The document as ONE line of UTF-8: the wire frames on newlines, so line
// breaks inside text and attribute values leave as &#10;/&#13;, CDATA holding
// a line break becomes escaped text, and comments/PIs lose their line breaks.
// The document is modified in the process.
std::string to_single_line(pugi::xml_document& doc);

// Adds <?xml version="1.0" encoding="UTF-8"?> as the first node.
void add_declaration(pugi::xml_document& doc);

// A random (version 4) GUID, upper case as SystmOne writes its ResponseUIDs.
std::string new_guid();

// The first line of a possibly multi-line error (no tracebacks on the wire),
// trimmed and capped at 500 bytes.
std::string first_line(std::string_view text);

// Trimmed text content of `parent`'s child `name` ("" when absent).
std::string child_text(pugi::xml_node parent, const char* name);

bool is_true(std::string_view text);  // "true"/"1", any case, surrounding space ignored

}  // namespace artery::systemone
