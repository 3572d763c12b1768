// HL7 v2 messages: parse, path access, update, encode, acknowledgements.
// Public because connectors (MLLP) read MSH fields and build ACKs.
#pragma once
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace artery::hl7 {

struct Delimiters {
  char field = '|';
  char component = '^';
  char repetition = '~';
  char escape = '\\';
  char subcomponent = '&';
};

struct ParseError {
  std::string message;  // "MSH-2 has duplicate encoding characters", ...
  std::size_t offset = 0;
};

// A location such as "PID-5.1", "OBX(2)-5", "PID-3[2].1", "MSH-9.2", "PV1-3.1.2".
// Indexes are 1-based; 0 means "not given". Segment and field repetitions default to 1.
struct Path {
  std::string segment;
  int segment_index = 1;  // OBX(2): the second OBX
  int field = 0;
  int repetition = 1;     // PID-3[2]
  int component = 0;
  int subcomponent = 0;
};
// nullopt with `error` set when the text is not a path.
std::optional<Path> parse_path(std::string_view text, std::string* error = nullptr);

std::string escape(std::string_view text, const Delimiters& d);
std::string unescape(std::string_view text, const Delimiters& d);

class Message {
 public:
  Message();
  ~Message();
  Message(Message&&) noexcept;
  Message& operator=(Message&&) noexcept;
  Message(const Message&);
  Message& operator=(const Message&);

  // Accepts segment terminators \r, \n or \r\n. Never throws, never crashes.
  static std::optional<Message> parse(std::string_view text, ParseError* error = nullptr);

  // Byte-for-byte the parsed input when nothing was changed; otherwise the
  // message re-encoded with its own delimiters and terminator.
  std::string encode() const;

  const Delimiters& delimiters() const;

  // Unescaped value at a path; "" when absent. A path to a field or component
  // that has children returns its encoded text (delimiters kept, unescaped leaves).
  std::string get(std::string_view path) const;
  std::string get(const Path& path) const;
  // The encoded (still escaped) text at a path; "" when absent.
  std::string get_raw(const Path& path) const;
  // Sets the value at a path (escaping it), creating segments/fields/components as
  // needed. Returns false with `error` set for a bad path or MSH-1/MSH-2.
  bool set(std::string_view path, std::string_view value, std::string* error = nullptr);
  bool set(const Path& path, std::string_view value, std::string* error = nullptr);

  std::size_t segment_count() const;
  std::string_view segment_name(std::size_t index) const;  // 0-based
  // How many segments have this name (OBX -> 3).
  int count(std::string_view segment) const;
  // Fields in the n-th (1-based) segment with this name, MSH counting MSH-1.
  int field_count(std::string_view segment, int segment_index = 1) const;
  int repetition_count(const Path& field_path) const;

  // Appends a new segment given as encoded text ("NTE|1||hello").
  void add_segment(std::string_view encoded);
  // Removes the n-th (1-based) segment with this name; false if absent.
  bool remove_segment(std::string_view segment, int segment_index = 1);

  // Convenience: MSH-9.1, MSH-9.2, MSH-10, MSH-12.
  std::string message_type() const;      // "ORU^R01" (type^trigger, without structure)
  std::string control_id() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// A file or batch (FHS/BHS...BTS/FTS, or plain back-to-back messages) split
// into its messages. Each entry is the text of one message starting at MSH.
// Returns an error when the batch structure is invalid (nested FHS, no MSH).
std::optional<std::vector<std::string>> split_batch(std::string_view text, ParseError* error = nullptr);

struct AckOptions {
  std::string code;          // AA, AE, AR (original mode) or CA, CE, CR (enhanced)
  std::string text;          // MSA-3 / ERR text, optional
  std::string control_id;    // MSH-10 of the ACK itself; generated when empty
  std::string timestamp;     // MSH-7; now when empty
};
// ACK for a parsed message: sender and receiver swapped, MSH-9 ACK^<trigger>^ACK,
// MSH-11/MSH-12 kept, MSA-2 = the original's MSH-10, ERR segment for AE/AR.
std::string build_ack(const Message& original, const AckOptions& options);
// Best-effort ACK for bytes that did not parse: takes what it can from the MSH
// line (delimiters, control id, version) and falls back to defaults.
std::string build_ack_for_raw(std::string_view raw, const AckOptions& options);

}  // namespace artery::hl7
