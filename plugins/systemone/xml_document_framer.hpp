// Finds where one XML document ends in a byte stream, whatever the read
// boundaries. SystmOne's wire has no length prefix: a request or response is
// "an XML document terminated by a newline", yet responses may carry raw
// newlines inside text, and simpler peers omit the newline or close the socket
// instead. So the end of a document is the close of its root element, found
// by a small tokenizer that tracks element depth (it does not validate: the
// complete document still goes through a real XML parser).
#pragma once
#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace artery::systemone {

class XmlDocumentFramer {
 public:
  enum class Status {
    need_more,  // no complete document buffered yet
    document,   // `out` holds one document (prolog + root element, no trailing bytes)
    rejected,   // a complete document was consumed but is not acceptable (DOCTYPE): answer `error`
    garbage,    // bytes that cannot start a document were discarded (up to the next '<' or newline)
    malformed,  // a document that can never be well-formed (an end tag that does not match its start
                // tag, a '<' that starts no markup): dropped through the end of its line, so the
                // peer is answered at once instead of waiting for a root close that cannot come
    too_large,  // the document being read passed the size limit; the stream cannot resynchronise
  };

  explicit XmlDocumentFramer(std::size_t max_document_size);

  void feed(const char* data, std::size_t size);
  void feed(const std::string& data) { feed(data.data(), data.size()); }

  // Advance through the buffered bytes and report the next event. `error` is
  // set for rejected/garbage/malformed/too_large. too_large is sticky until reset().
  Status next(std::string& out, std::string& error);

  // True when part of a document (anything but whitespace) is buffered.
  bool in_document() const { return start_ != npos; }
  // Everything buffered from the start of the current partial document, for a
  // peer that ends its request by closing the socket. Resets the framer.
  std::string take_partial();
  // Forget all buffered bytes and state.
  void reset();
  std::size_t buffered() const { return buffer_.size(); }

 private:
  enum class State { outside, markup, processing_instruction, comment, cdata, doctype, start_tag, end_tag };
  static constexpr std::size_t npos = static_cast<std::size_t>(-1);

  Status scan(std::string& out, std::string& error);
  Status finish_document(std::string& out, std::string& error);
  // Drops the first `consumed` buffered bytes and the state of the document they held.
  void forget_document(std::size_t consumed);
  // Drops the bad bytes at `at` (and any partial document before them); true
  // when this starts a new garbage run that the caller must report.
  bool discard_garbage(std::size_t at, std::string& error);
  // Reports too_large, sticky until reset().
  Status refuse_too_large(std::string& error);
  // Drops the current document through the end of its line and says why.
  Status discard_malformed(std::string why, std::string& error);
  // The element names still open, as they are written in buffer_.
  std::string_view open_name(std::size_t i) const { return {buffer_.data() + open_[i].first, open_[i].second}; }
  bool over_limit() const;
  // Moves pos_ past `terminator` if buffered; otherwise keeps enough bytes to
  // match a terminator split across reads and returns false.
  bool skip_past(const char* terminator, std::size_t length);

  std::size_t max_size_;
  std::string buffer_;
  std::size_t pos_ = 0;          // next byte to examine
  std::size_t start_ = npos;     // offset of the current document's first byte
  State state_ = State::outside;
  int depth_ = 0;
  bool root_seen_ = false;
  bool doctype_seen_ = false;
  bool skipping_garbage_ = false;  // a garbage run continues into the next read
  bool too_large_ = false;
  bool skipping_line_ = false;  // the rest of a malformed document's line continues into the next read
  // Open elements: offset and length of each start tag's name in buffer_
  // (stable while a document is buffered: bytes before start_ are only
  // dropped between documents). depth_ == open_.size().
  std::vector<std::pair<std::size_t, std::size_t>> open_;
  std::size_t name_start_ = npos;  // the start or end tag being read: its name's offset
  std::size_t name_length_ = 0;
  bool name_done_ = false;  // a start tag's name has been read whole
  char quote_ = 0;        // inside an attribute value / DOCTYPE literal
  char last_in_tag_ = 0;  // last non-space byte of a start tag, to spot "/>"
  int doctype_brackets_ = 0;
};

}  // namespace artery::systemone
