#include "message_splitter.hpp"

#include <artery/hl7.hpp>

#include <string_view>

namespace artery::file_connector {
namespace {

bool blank(std::string_view text) {
  return text.find_first_not_of(" \t\r\n\f\v") == std::string_view::npos;
}

}  // namespace

SplitResult split_messages(std::string content, SplitMode mode, const std::string& delimiter) {
  SplitResult out;
  switch (mode) {
    case SplitMode::none:
      if (!content.empty()) out.messages.push_back(std::move(content));
      break;
    case SplitMode::delimiter: {
      std::string_view rest(content);
      while (true) {
        std::size_t at = delimiter.empty() ? std::string_view::npos : rest.find(delimiter);
        std::string_view piece = rest.substr(0, at);
        if (!blank(piece)) out.messages.emplace_back(piece);
        if (at == std::string_view::npos) break;
        rest.remove_prefix(at + delimiter.size());
      }
      break;
    }
    case SplitMode::hl7_batch: {
      if (blank(content)) break;
      hl7::ParseError parse_error;
      auto messages = hl7::split_batch(content, &parse_error);
      if (!messages) {
        out.error = "not a valid HL7 batch: " + parse_error.message + " (at byte " +
                    std::to_string(parse_error.offset) + ")";
        break;
      }
      out.messages = std::move(*messages);
      break;
    }
  }
  return out;
}

}  // namespace artery::file_connector
