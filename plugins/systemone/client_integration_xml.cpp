#include "client_integration_xml.hpp"

#include <openssl/rand.h>

#include <array>
#include <cstdio>
#include <random>
#include <vector>

namespace artery::systemone {
namespace {

std::string_view trim(std::string_view text) {
  auto is_space = [](char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; };
  while (!text.empty() && is_space(text.front())) text.remove_prefix(1);
  while (!text.empty() && is_space(text.back())) text.remove_suffix(1);
  return text;
}

bool has_line_break(const char* text) {
  for (; *text != 0; ++text)
    if (*text == '\n' || *text == '\r') return true;
  return false;
}

void flatten_line_breaks(pugi::xml_node node) {
  std::vector<pugi::xml_node> cdata_with_breaks;
  for (pugi::xml_node child = node.first_child(); child; child = child.next_sibling()) {
    switch (child.type()) {
      case pugi::node_cdata:
        if (has_line_break(child.value())) cdata_with_breaks.push_back(child);
        break;
      case pugi::node_comment:
      case pugi::node_pi:
        if (has_line_break(child.value())) {
          std::string value = child.value();
          for (char& c : value)
            if (c == '\n' || c == '\r') c = ' ';
          child.set_value(value.c_str());
        }
        break;
      case pugi::node_element:
        flatten_line_breaks(child);
        break;
      default:
        break;
    }
  }
  // CDATA cannot carry a character reference, so it becomes ordinary (escaped) text.
  for (pugi::xml_node cdata : cdata_with_breaks) {
    node.insert_child_before(pugi::node_pcdata, cdata).set_value(cdata.value());
    node.remove_child(cdata);
  }
}

struct StringWriter : pugi::xml_writer {
  std::string out;
  void write(const void* data, size_t size) override {
    const char* bytes = static_cast<const char*>(data);
    for (size_t i = 0; i < size; ++i) {
      char c = bytes[i];
      if (c == '\n') out += "&#10;";
      else if (c == '\r') out += "&#13;";
      else out += c;
    }
  }
};

}  // namespace

bool parse_xml(std::string_view text, pugi::xml_document& doc, bool fragment, std::string& error) {
  unsigned options = pugi::parse_default;
  options &= ~static_cast<unsigned>(pugi::parse_doctype);
  if (fragment) options |= pugi::parse_fragment;
  pugi::xml_parse_result result = doc.load_buffer(text.data(), text.size(), options, pugi::encoding_auto);
  if (result) {
    if (!fragment && !doc.document_element()) {
      error = "no root element";
      return false;
    }
    return true;
  }
  error = std::string(result.description()) + " at offset " + std::to_string(result.offset);
  return false;
}

std::string to_single_line(pugi::xml_document& doc) {
  flatten_line_breaks(doc);
  StringWriter writer;
  writer.out.reserve(1024);
  doc.save(writer, "", pugi::format_raw | pugi::format_no_declaration, pugi::encoding_utf8);
  return std::move(writer.out);
}

void add_declaration(pugi::xml_document& doc) {
  pugi::xml_node decl = doc.prepend_child(pugi::node_declaration);
  decl.append_attribute("version") = "1.0";
  decl.append_attribute("encoding") = "UTF-8";
}

std::string new_guid() {
  std::array<unsigned char, 16> bytes{};
  if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1) {
    // OpenSSL's generator failing is near impossible; a GUID only needs uniqueness.
    static thread_local std::mt19937_64 fallback{std::random_device{}()};
    for (auto& b : bytes) b = static_cast<unsigned char>(fallback());
  }
  bytes[6] = static_cast<unsigned char>((bytes[6] & 0x0F) | 0x40);  // version 4
  bytes[8] = static_cast<unsigned char>((bytes[8] & 0x3F) | 0x80);  // RFC 4122 variant
  char out[37];
  std::snprintf(out, sizeof out, "%02X%02X%02X%02X-%02X%02X-%02X%02X-%02X%02X-%02X%02X%02X%02X%02X%02X", bytes[0],
                bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7], bytes[8], bytes[9], bytes[10],
                bytes[11], bytes[12], bytes[13], bytes[14], bytes[15]);
  return std::string(out, 36);
}

std::string first_line(std::string_view text) {
  text = trim(text);
  auto end = text.find_first_of("\r\n");
  if (end != std::string_view::npos) text = trim(text.substr(0, end));
  if (text.size() > 500) text = text.substr(0, 500);
  return std::string(text);
}

std::string child_text(pugi::xml_node parent, const char* name) {
  return std::string(trim(parent.child(name).text().as_string()));
}

bool is_true(std::string_view text) {
  text = trim(text);
  if (text == "1") return true;
  if (text.size() != 4) return false;
  const char* word = "true";
  for (int i = 0; i < 4; ++i)
    if ((text[i] | 0x20) != word[i]) return false;
  return true;
}

}  // namespace artery::systemone
