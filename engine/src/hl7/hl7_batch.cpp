// Splitting HL7 files into messages: FHS/BHS...BTS/FTS batch files and plain
// back-to-back messages. Only the structure is checked here; each returned
// message is validated when it is parsed.
#include <cctype>

#include "artery/hl7.hpp"

namespace artery::hl7 {
namespace {


bool is_blank_line(std::string_view line) {
  for (char c : line)
    if (c != ' ' && c != '\t') return false;
  return true;
}

std::string printable(std::string_view s) {
  std::string out(s.substr(0, 12));
  for (char& c : out)
    if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) >= 0x7F) c = '?';
  return out;
}

}  // namespace

std::optional<std::vector<std::string>> split_batch(std::string_view text, ParseError* error) {
  std::vector<std::string> messages;
  auto reject = [error](std::string message, std::size_t offset) -> std::optional<std::vector<std::string>> {
    if (error) {
      error->message = std::move(message);
      error->offset = offset;
    }
    return std::nullopt;
  };
  std::size_t pos = 0;
  if (text.substr(0, 3) == "\xEF\xBB\xBF") pos = 3;  // UTF-8 BOM written by some editors

  bool file_open = false, file_closed = false, batch_open = false;
  bool any_content = false, blank_in_message = false;
  std::size_t message_start = std::string_view::npos, message_end = 0;
  std::size_t blank_offset = 0;

  auto close_message = [&] {
    if (message_start != std::string_view::npos) {
      messages.emplace_back(text.substr(message_start, message_end - message_start));
      message_start = std::string_view::npos;
    }
    blank_in_message = false;
  };

  while (pos < text.size()) {
    std::size_t eol = text.find_first_of("\r\n", pos);
    if (eol == std::string_view::npos) eol = text.size();
    std::size_t next = eol;
    if (next < text.size()) {
      next += (text[next] == '\r' && next + 1 < text.size() && text[next + 1] == '\n') ? 2 : 1;
    }
    const std::string_view line = text.substr(pos, eol - pos);
    const std::size_t line_offset = pos;
    pos = next;

    if (is_blank_line(line)) {
      // Blank lines between messages are common in files; inside a message
      // they are an error, which we only know once another segment follows.
      if (message_start != std::string_view::npos && !blank_in_message) {
        blank_in_message = true;
        blank_offset = line_offset;
      }
      continue;
    }
    if (file_closed) return reject("content after the FTS file trailer", line_offset);
    const std::string_view id = line.substr(0, 3);
    const bool delimited = line.size() == 3 || (line.size() > 3 && !std::isalnum(static_cast<unsigned char>(line[3])));

    if (id == "FHS" && delimited) {
      if (file_open) return reject("nested FHS: a second file header inside the file", line_offset);
      if (any_content) return reject("FHS file header after other segments", line_offset);
      file_open = true;
    } else if (id == "BHS" && delimited) {
      close_message();
      if (batch_open) return reject("BHS inside an open batch (missing BTS)", line_offset);
      batch_open = true;
    } else if (id == "BTS" && delimited) {
      close_message();
      if (!batch_open) return reject("BTS without a matching BHS", line_offset);
      batch_open = false;
    } else if (id == "FTS" && delimited) {
      close_message();
      if (!file_open) return reject("FTS without a matching FHS", line_offset);
      if (batch_open) return reject("FTS before the batch was closed by BTS", line_offset);
      file_closed = true;
    } else if (id == "MSH") {
      close_message();
      message_start = line_offset;
      message_end = next;
    } else {
      if (message_start == std::string_view::npos) {
        return reject("segment \"" + printable(line) + "\" appears before any MSH", line_offset);
      }
      if (blank_in_message) return reject("empty segment line inside a message", blank_offset);
      message_end = next;
    }
    any_content = true;
  }
  close_message();
  if (batch_open) return reject("batch not closed: BHS without BTS", text.size());
  if (file_open && !file_closed) return reject("file not closed: FHS without FTS", text.size());
  if (messages.empty()) return reject("no MSH message found", 0);
  return messages;
}

}  // namespace artery::hl7
