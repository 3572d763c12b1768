#include "xml_document_framer.hpp"

#include <cstring>

namespace artery::systemone {
namespace {

bool is_space(char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; }

bool is_name_start(char c) {
  auto u = static_cast<unsigned char>(c);
  return (u >= 'A' && u <= 'Z') || (u >= 'a' && u <= 'z') || u == '_' || u == ':' || u >= 0x80;
}

// How much of `prefix` the bytes at `text` match: full, a proper prefix of
// what is buffered so far (need more bytes), or not at all.
enum class Match { yes, partial, no };
Match match_prefix(const std::string& buffer, std::size_t at, const char* prefix) {
  std::size_t length = std::strlen(prefix);
  std::size_t available = buffer.size() - at;
  std::size_t n = available < length ? available : length;
  if (std::memcmp(buffer.data() + at, prefix, n) != 0) return Match::no;
  return n == length ? Match::yes : Match::partial;
}

// A tag name for an error message: short, since it is echoed to the peer.
std::string shown(std::string_view name) {
  constexpr std::size_t kMax = 64;
  return name.size() <= kMax ? std::string(name) : std::string(name.substr(0, kMax)) + "...";
}

}  // namespace

XmlDocumentFramer::XmlDocumentFramer(std::size_t max_document_size) : max_size_(max_document_size) {}

void XmlDocumentFramer::feed(const char* data, std::size_t size) { buffer_.append(data, size); }

void XmlDocumentFramer::reset() {
  buffer_.clear();
  pos_ = 0;
  start_ = npos;
  state_ = State::outside;
  depth_ = 0;
  root_seen_ = doctype_seen_ = skipping_garbage_ = too_large_ = skipping_line_ = false;
  quote_ = last_in_tag_ = 0;
  doctype_brackets_ = 0;
  open_.clear();
  name_start_ = npos;
  name_done_ = false;
}

std::string XmlDocumentFramer::take_partial() {
  std::string out;
  if (start_ != npos) out = buffer_.substr(start_);
  reset();
  return out;
}

bool XmlDocumentFramer::over_limit() const { return start_ != npos && pos_ - start_ > max_size_; }

bool XmlDocumentFramer::skip_past(const char* terminator, std::size_t length) {
  auto found = buffer_.find(terminator, pos_, length);
  if (found == std::string::npos) {
    // Keep the last length-1 bytes unexamined: the terminator may straddle reads.
    if (buffer_.size() >= length) pos_ = std::max(pos_, buffer_.size() - (length - 1));
    return false;
  }
  pos_ = found + length;
  return true;
}

void XmlDocumentFramer::forget_document(std::size_t consumed) {
  buffer_.erase(0, consumed);
  pos_ = 0;
  start_ = npos;
  state_ = State::outside;
  depth_ = 0;
  open_.clear();
  root_seen_ = doctype_seen_ = false;
}

bool XmlDocumentFramer::discard_garbage(std::size_t at, std::string& error) {
  // Drop bytes up to the next '<' (a possible document start) or through the
  // next newline (the end of a garbage "request" line), whichever comes first,
  // so each garbage line is answered once and the stream can resynchronise.
  bool report = !skipping_garbage_;
  std::size_t i = at;
  std::size_t end = buffer_.size();
  if (i < end && buffer_[i] == '<') ++i;  // the offending '<' itself goes too
  while (i < end && buffer_[i] != '<' && buffer_[i] != '\n') ++i;
  // The run may continue in the next read unless a '<' or newline ended it.
  skipping_garbage_ = (i == end);
  if (i < end && buffer_[i] == '\n') ++i;
  forget_document(i);
  if (report) error = "expected an XML document, got other bytes";
  return report;
}

XmlDocumentFramer::Status XmlDocumentFramer::refuse_too_large(std::string& error) {
  too_large_ = true;
  error = "document exceeds the size limit of " + std::to_string(max_size_) + " bytes";
  return Status::too_large;
}

XmlDocumentFramer::Status XmlDocumentFramer::discard_malformed(std::string why, std::string& error) {
  // A document decided on (here or in finish_document) in the same step that
  // carried pos_ past the limit is too large, as it is when a read ends inside
  // that step: the outcome must not depend on where the reads were cut.
  if (over_limit()) return refuse_too_large(error);
  // A request is one line on SystmOne's wire, so the line's end is where the
  // next request can start; '<' cannot resynchronise here, the broken
  // document is full of them.
  auto newline = buffer_.find('\n', pos_);
  skipping_line_ = newline == std::string::npos;
  forget_document(skipping_line_ ? buffer_.size() : newline + 1);
  error = "Invalid XML format: " + why;
  return Status::malformed;
}

XmlDocumentFramer::Status XmlDocumentFramer::finish_document(std::string& out, std::string& error) {
  if (over_limit()) return refuse_too_large(error);
  bool had_doctype = doctype_seen_;
  out.assign(buffer_, start_, pos_ - start_);
  forget_document(pos_);
  if (had_doctype) {
    out.clear();
    error = "DOCTYPE declarations are not allowed";
    return Status::rejected;
  }
  return Status::document;
}

XmlDocumentFramer::Status XmlDocumentFramer::next(std::string& out, std::string& error) {
  Status status = scan(out, error);
  if (status == Status::need_more && over_limit()) return refuse_too_large(error);
  return status;
}

XmlDocumentFramer::Status XmlDocumentFramer::scan(std::string& out, std::string& error) {
  if (too_large_) return refuse_too_large(error);
  for (;;) {
    const std::size_t size = buffer_.size();
    if (over_limit()) return refuse_too_large(error);
    switch (state_) {
      case State::outside: {
        if (skipping_line_) {
          auto newline = buffer_.find('\n', pos_);
          if (newline == std::string::npos) {
            buffer_.clear();
            pos_ = 0;
            return Status::need_more;
          }
          buffer_.erase(0, newline + 1);
          pos_ = 0;
          skipping_line_ = false;
        }
        if (!root_seen_) {
          // Between documents or in a document's prolog: only whitespace and markup.
          if (skipping_garbage_) {
            if (pos_ >= size) return Status::need_more;
            if (buffer_[pos_] != '<') {
              if (discard_garbage(pos_, error)) return Status::garbage;
              continue;
            }
            skipping_garbage_ = false;
          }
          while (pos_ < size && is_space(buffer_[pos_])) ++pos_;
          if (start_ == npos) {
            buffer_.erase(0, pos_);
            pos_ = 0;
          }
          if (pos_ >= buffer_.size()) return Status::need_more;
          if (buffer_[pos_] != '<') {  // drops any prolog too
            if (discard_garbage(pos_, error)) return Status::garbage;
            continue;
          }
          if (start_ == npos) start_ = pos_;
          state_ = State::markup;
          break;
        }
        // Character data inside the root element.
        const void* lt = std::memchr(buffer_.data() + pos_, '<', size - pos_);
        if (lt == nullptr) {
          pos_ = size;
          return Status::need_more;
        }
        pos_ = static_cast<std::size_t>(static_cast<const char*>(lt) - buffer_.data());
        state_ = State::markup;
        break;
      }
      case State::markup: {
        if (size - pos_ < 2) return Status::need_more;
        char c = buffer_[pos_ + 1];
        if (c == '?') {
          pos_ += 2;
          state_ = State::processing_instruction;
        } else if (c == '/') {
          if (depth_ == 0) {  // an end tag with nothing open
            if (discard_garbage(pos_, error)) return Status::garbage;
            continue;
          }
          pos_ += 2;
          name_start_ = pos_;
          state_ = State::end_tag;
        } else if (c == '!') {
          Match comment = match_prefix(buffer_, pos_, "<!--");
          Match cdata = match_prefix(buffer_, pos_, "<![CDATA[");
          Match doctype = match_prefix(buffer_, pos_, "<!DOCTYPE");
          if (comment == Match::yes) {
            pos_ += 4;
            state_ = State::comment;
          } else if (cdata == Match::yes && root_seen_) {
            pos_ += 9;
            state_ = State::cdata;
          } else if (doctype == Match::yes && !root_seen_) {
            // Never processed (no DTD, no entities): skipped to find the
            // document's end, then the whole document is rejected.
            pos_ += 9;
            doctype_seen_ = true;
            quote_ = 0;
            doctype_brackets_ = 0;
            state_ = State::doctype;
          } else if (comment == Match::partial || cdata == Match::partial || doctype == Match::partial) {
            return Status::need_more;
          } else if (root_seen_) {
            return discard_malformed("'<!' that is neither a comment nor CDATA", error);
          } else {
            if (discard_garbage(pos_, error)) return Status::garbage;
            continue;
          }
        } else if (is_name_start(c)) {
          pos_ += 1;
          quote_ = 0;
          last_in_tag_ = 0;
          name_start_ = pos_;
          name_done_ = false;
          state_ = State::start_tag;
        } else if (root_seen_) {
          // "<<", "< ", "<1": a '<' in text can never be well-formed.
          return discard_malformed("'<' that starts no tag", error);
        } else {
          {
            if (discard_garbage(pos_, error)) return Status::garbage;
            continue;
          }
        }
        break;
      }
      case State::processing_instruction:
        if (!skip_past("?>", 2)) return Status::need_more;
        state_ = State::outside;
        break;
      case State::comment:
        if (!skip_past("-->", 3)) return Status::need_more;
        state_ = State::outside;
        break;
      case State::cdata:
        if (!skip_past("]]>", 3)) return Status::need_more;
        state_ = State::outside;
        break;
      case State::doctype: {
        bool closed = false;
        while (pos_ < size && !closed) {
          char c = buffer_[pos_++];
          if (quote_ != 0) {
            if (c == quote_) quote_ = 0;
          } else if (c == '"' || c == '\'') {
            quote_ = c;
          } else if (c == '[') {
            ++doctype_brackets_;
          } else if (c == ']') {
            if (doctype_brackets_ > 0) --doctype_brackets_;
          } else if (c == '>' && doctype_brackets_ == 0) {
            closed = true;
          }
        }
        if (!closed) return Status::need_more;
        state_ = State::outside;
        break;
      }
      case State::start_tag: {
        if (!name_done_) {
          while (pos_ < size && !is_space(buffer_[pos_]) && buffer_[pos_] != '/' && buffer_[pos_] != '>') ++pos_;
          if (pos_ >= size) return Status::need_more;
          name_length_ = pos_ - name_start_;
          name_done_ = true;
        }
        bool closed = false;
        while (pos_ < size) {
          if (quote_ != 0) {
            const void* q = std::memchr(buffer_.data() + pos_, quote_, size - pos_);
            if (q == nullptr) {
              pos_ = size;
              break;
            }
            pos_ = static_cast<std::size_t>(static_cast<const char*>(q) - buffer_.data()) + 1;
            quote_ = 0;
            last_in_tag_ = '"';
            continue;
          }
          char c = buffer_[pos_++];
          if (c == '"' || c == '\'') {
            quote_ = c;
          } else if (c == '>') {
            closed = true;
            break;
          } else if (!is_space(c)) {
            last_in_tag_ = c;
          }
        }
        if (!closed) return Status::need_more;
        root_seen_ = true;
        state_ = State::outside;
        if (last_in_tag_ != '/') {
          ++depth_;
          open_.emplace_back(name_start_, name_length_);
        } else if (depth_ == 0) {
          return finish_document(out, error);  // a self-closing root: <Root/>
        }
        break;
      }
      case State::end_tag: {
        const void* gt = std::memchr(buffer_.data() + pos_, '>', size - pos_);
        if (gt == nullptr) {
          pos_ = size;
          return Status::need_more;
        }
        const std::size_t name_at = name_start_;
        pos_ = static_cast<std::size_t>(static_cast<const char*>(gt) - buffer_.data()) + 1;
        std::size_t name_end = pos_ - 1;
        while (name_end > name_at && is_space(buffer_[name_end - 1])) --name_end;
        const std::string_view name(buffer_.data() + name_at, name_end - name_at);
        if (open_.empty() || name != open_name(open_.size() - 1)) {
          return discard_malformed("end tag </" + shown(name) + "> does not close <" +
                                       (open_.empty() ? std::string() : shown(open_name(open_.size() - 1))) + ">",
                                   error);
        }
        open_.pop_back();
        state_ = State::outside;
        if (--depth_ == 0) return finish_document(out, error);
        break;
      }
    }
  }
}

}  // namespace artery::systemone
