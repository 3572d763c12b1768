// HL7 v2 message: validated at parse, accessed lazily.
//
// Parsing copies the input once and records only where each segment starts
// and ends (plus its 3-letter id); fields are located on demand with memchr
// when a path is read. An unmodified message encodes to its original bytes.
// set() rewrites just the one segment it touches, splicing the new value
// into that segment's text, so there is never a full field tree in memory.
#include <cstdint>
#include <cstring>
#include <limits>

#include "artery/hl7.hpp"
#include "hl7/delimited.hpp"
#include "hl7/msh_header.hpp"

namespace artery::hl7 {

using detail::count_pieces;
using detail::find_or_add_piece;
using detail::find_piece;

namespace {

constexpr char kDefaultEncoding[] = "^~\\&";

// A segment id packed into an integer so lookups compare one word.
std::uint32_t pack_id(std::string_view text) {
  std::uint32_t id = 0;
  for (std::size_t i = 0; i < 3 && i < text.size(); ++i) id |= static_cast<std::uint32_t>(static_cast<unsigned char>(text[i])) << (8 * i);
  return id;
}

bool fail(ParseError* error, std::string message, std::size_t offset) {
  if (error) {
    error->message = std::move(message);
    error->offset = offset;
  }
  return false;
}

bool is_blank(char c) { return c == '\r' || c == '\n' || c == ' ' || c == '\t'; }

// Segments that belong to batch structure or start a new message: inside a
// single message they mean two messages were glued together.
bool is_message_boundary(std::uint32_t id) {
  static const std::uint32_t ids[] = {pack_id("MSH"), pack_id("FHS"), pack_id("BHS"), pack_id("BTS"), pack_id("FTS")};
  for (auto b : ids)
    if (b == id) return true;
  return false;
}

}  // namespace

struct Message::Impl {
  struct Segment {
    std::uint32_t offset = 0;  // into `text`, when owned < 0
    std::uint32_t length = 0;
    std::int32_t owned = -1;   // index into `owned_text` once the segment was rewritten
    std::uint32_t id = 0;      // pack_id of the first 3 chars
  };

  std::string text;  // the bytes given to parse()
  std::vector<Segment> segments;
  std::vector<std::string> owned_text;
  Delimiters delimiters;
  char encoding[6] = "^~\\&";  // MSH-2 as written (4 or 5 chars)
  char terminator[3] = "\r";
  bool modified = false;

  std::string_view segment_text(const Segment& s) const {
    if (s.owned >= 0) return owned_text[static_cast<std::size_t>(s.owned)];
    return std::string_view(text.data() + s.offset, s.length);
  }

  // Index into `segments` of the n-th (1-based) segment with this id, or -1.
  long find(std::uint32_t id, int n) const {
    int seen = 0;
    for (std::size_t i = 0; i < segments.size(); ++i) {
      if (segments[i].id == id && ++seen == n) return static_cast<long>(i);
    }
    return -1;
  }

  std::string& make_owned(Segment& s) {
    if (s.owned < 0) {
      owned_text.emplace_back(segment_text(s));
      s.owned = static_cast<std::int32_t>(owned_text.size() - 1);
    }
    return owned_text[static_cast<std::size_t>(s.owned)];
  }

  void append_owned(std::string line) {
    Segment s;
    s.id = pack_id(line);
    owned_text.push_back(std::move(line));
    s.owned = static_cast<std::int32_t>(owned_text.size() - 1);
    segments.push_back(s);
  }

  // Encoded text at a path, or nullopt when absent. `literal` is set for
  // MSH-1/MSH-2 and whole segments, whose text must not be unescaped.
  std::optional<std::string_view> locate(const Path& p, bool& literal) const;

  bool parse(std::string_view input, ParseError* error);
};

bool Message::Impl::parse(std::string_view input, ParseError* error) {
  const std::size_t n = input.size();
  if (n == 0) return fail(error, "empty message", 0);
  if (n >= std::numeric_limits<std::uint32_t>::max()) return fail(error, "message larger than 4 GiB", 0);
  if (const void* nul = std::memchr(input.data(), '\0', n)) {
    return fail(error, "NUL byte in message", static_cast<std::size_t>(static_cast<const char*>(nul) - input.data()));
  }
  // Leading blank lines/spaces are tolerated (files and some senders add them).
  std::size_t start = 0;
  while (start < n && is_blank(input[start])) ++start;
  if (start == n) return fail(error, "message contains only whitespace", 0);
  std::string_view rest = input.substr(start);
  if (rest.substr(0, 3) != "MSH") {
    if (rest.substr(0, 3) == "FHS" || rest.substr(0, 3) == "BHS") {
      return fail(error, "input is a batch (starts with " + std::string(rest.substr(0, 3)) + "); split it with split_batch",
                  start);
    }
    return fail(error, "message does not start with an MSH segment", start);
  }

  const char* data = input.data();
  // Next CR and LF at or after the scan position, refreshed only when passed,
  // so scanning a message is linear whatever its terminators are.
  const char* end = data + n;
  const char* next_cr = static_cast<const char*>(std::memchr(data + start, '\r', n - start));
  const char* next_lf = static_cast<const char*>(std::memchr(data + start, '\n', n - start));
  if (!next_cr) next_cr = end;
  if (!next_lf) next_lf = end;

  segments.clear();
  segments.reserve(16);
  bool terminator_known = false;
  std::size_t pos = start;
  while (pos < n) {
    const char* p = data + pos;
    if (next_cr < p) {
      next_cr = static_cast<const char*>(std::memchr(p, '\r', static_cast<std::size_t>(end - p)));
      if (!next_cr) next_cr = end;
    }
    if (next_lf < p) {
      next_lf = static_cast<const char*>(std::memchr(p, '\n', static_cast<std::size_t>(end - p)));
      if (!next_lf) next_lf = end;
    }
    const char* eol = next_cr < next_lf ? next_cr : next_lf;
    const std::size_t len = static_cast<std::size_t>(eol - p);
    if (len == 0 || is_blank(*p)) {
      // A blank line ends the message only if nothing but whitespace follows.
      std::size_t q = pos;
      while (q < n && is_blank(data[q])) ++q;
      if (q == n) break;
      if (len == 0) return fail(error, "empty segment line inside the message", pos);
      return fail(error, "segment starts with whitespace instead of a segment id", pos);
    }
    if (len < 3 || !detail::is_segment_id(p) || (len > 3 && p[3] != delimiters.field && !segments.empty())) {
      std::string shown(p, len < 12 ? len : 12);
      for (char& c : shown)
        if (static_cast<unsigned char>(c) < 0x20) c = '?';
      return fail(error, "invalid segment id at start of \"" + shown + "\" (expected 3 characters [A-Z][A-Z0-9]{2})",
                  pos);
    }
    Segment seg;
    seg.offset = static_cast<std::uint32_t>(pos);
    seg.length = static_cast<std::uint32_t>(len);
    seg.id = pack_id(std::string_view(p, 3));
    if (segments.empty()) {
      detail::HeaderEncoding header;
      ParseError inner;
      if (!detail::read_header_encoding(std::string_view(p, len), header, &inner)) {
        return fail(error, inner.message, pos + inner.offset);
      }
      delimiters = header.delimiters;
      std::memcpy(encoding, header.encoding_characters.data(), header.encoding_characters.size());
      encoding[header.encoding_characters.size()] = '\0';
    } else if (is_message_boundary(seg.id)) {
      return fail(error, "second " + std::string(p, 3) + " segment inside one message", pos);
    }
    segments.push_back(seg);

    if (eol == end) break;
    std::size_t next = pos + len + 1;
    const bool crlf = *eol == '\r' && next < n && data[next] == '\n';
    if (!terminator_known) {
      terminator[0] = *eol;
      terminator[1] = crlf ? '\n' : '\0';
      terminator[2] = '\0';
      terminator_known = true;
    }
    pos = crlf ? next + 1 : next;
  }

  // MSH-9 (message type) and MSH-12 (version) are what every receiver needs
  // to route and acknowledge; a header without them is truncated.
  std::string_view msh(data + segments[0].offset, segments[0].length);
  if (msh.size() < 8) return fail(error, "MSH segment too short", start);
  auto msh9 = find_piece(msh, delimiters.field, 8);
  if (!msh9) return fail(error, "MSH-9 (message type) missing: MSH has only " + std::to_string(count_pieces(msh, delimiters.field)) + " fields", start + msh.size());
  auto type = find_piece(find_piece(*msh9, delimiters.repetition, 0).value(), delimiters.component, 0).value();
  if (type.empty()) return fail(error, "MSH-9 (message type) is empty", static_cast<std::size_t>(msh9->data() - data));
  auto msh12 = find_piece(msh, delimiters.field, 11);
  if (!msh12 || msh12->empty()) return fail(error, "MSH-12 (version id) missing: MSH is truncated", start + msh.size());

  text.assign(input.data(), n);
  modified = false;
  return true;
}

std::optional<std::string_view> Message::Impl::locate(const Path& p, bool& literal) const {
  literal = false;
  if (p.segment.size() != 3) return std::nullopt;
  long index = find(pack_id(p.segment), p.segment_index);
  if (index < 0) return std::nullopt;
  std::string_view seg = segment_text(segments[static_cast<std::size_t>(index)]);
  if (p.field <= 0) {
    literal = true;
    return seg;
  }
  const bool header = detail::is_header_segment(p.segment);
  if (header && p.field <= 2) {
    // MSH-1 / MSH-2 are the delimiters themselves: not split, not unescaped.
    literal = true;
    if (p.repetition > 1 || p.component > 1 || p.subcomponent > 1) return std::nullopt;
    if (seg.size() < 4) return std::nullopt;
    if (p.field == 1) return seg.substr(3, 1);
    return find_piece(seg, seg[3], 1);
  }
  auto field = find_piece(seg, delimiters.field, static_cast<std::size_t>(header ? p.field - 1 : p.field));
  if (!field) return std::nullopt;
  auto rep = find_piece(*field, delimiters.repetition, static_cast<std::size_t>(p.repetition - 1));
  if (!rep || p.component <= 0) return rep;
  auto comp = find_piece(*rep, delimiters.component, static_cast<std::size_t>(p.component - 1));
  if (!comp || p.subcomponent <= 0) return comp;
  return find_piece(*comp, delimiters.subcomponent, static_cast<std::size_t>(p.subcomponent - 1));
}

// ---- construction / copying ------------------------------------------------

Message::Message() : impl_(std::make_unique<Impl>()) {}
Message::~Message() = default;
Message::Message(Message&&) noexcept = default;
Message& Message::operator=(Message&&) noexcept = default;
Message::Message(const Message& other) : impl_(other.impl_ ? std::make_unique<Impl>(*other.impl_) : nullptr) {}
Message& Message::operator=(const Message& other) {
  if (this != &other) impl_ = other.impl_ ? std::make_unique<Impl>(*other.impl_) : nullptr;
  return *this;
}

std::optional<Message> Message::parse(std::string_view text, ParseError* error) {
  Message m;
  if (!m.impl_->parse(text, error)) return std::nullopt;
  return m;
}

std::string Message::encode() const {
  if (!impl_) return {};
  const Impl& m = *impl_;
  if (!m.modified) return m.text;
  const std::size_t tlen = std::strlen(m.terminator);
  std::size_t total = 0;
  for (const auto& s : m.segments) total += m.segment_text(s).size() + tlen;
  std::string out;
  out.reserve(total);
  for (const auto& s : m.segments) {
    out += m.segment_text(s);
    out.append(m.terminator, tlen);
  }
  return out;
}

const Delimiters& Message::delimiters() const {
  static const Delimiters defaults;
  return impl_ ? impl_->delimiters : defaults;
}

std::string Message::get(std::string_view path) const {
  auto p = parse_path(path);
  if (!p) return {};
  return get(*p);
}

std::string Message::get(const Path& path) const {
  if (!impl_) return {};
  bool literal = false;
  auto raw = impl_->locate(path, literal);
  if (!raw) return {};
  if (literal) return std::string(*raw);
  return unescape(*raw, impl_->delimiters);
}

std::string Message::get_raw(const Path& path) const {
  if (!impl_) return {};
  bool literal = false;
  auto raw = impl_->locate(path, literal);
  return raw ? std::string(*raw) : std::string();
}

bool Message::set(std::string_view path, std::string_view value, std::string* error) {
  auto p = parse_path(path, error);
  if (!p) return false;
  return set(*p, value, error);
}

bool Message::set(const Path& path, std::string_view value, std::string* error) {
  auto refuse = [&](std::string why) {
    if (error) *error = std::move(why);
    return false;
  };
  // Re-validate: a Path built by hand bypasses parse_path's checks.
  if (path.segment.size() != 3 || !detail::is_segment_id(path.segment.data())) {
    return refuse("invalid segment id \"" + path.segment + "\"");
  }
  if (path.field <= 0) return refuse("path " + path.segment + " names a whole segment; set needs a field");
  if (path.segment_index < 1 || path.segment_index > 100000 || path.field > 10000 || path.repetition < 1 ||
      path.repetition > 10000 || path.component < 0 || path.component > 1000 || path.subcomponent < 0 ||
      path.subcomponent > 1000 || (path.subcomponent > 0 && path.component == 0)) {
    return refuse("path index out of range");
  }
  const bool header = detail::is_header_segment(path.segment);
  if (header && path.field <= 2) {
    return refuse(path.segment + "-" + std::to_string(path.field) + " holds the delimiters and cannot be set");
  }
  if (!impl_) impl_ = std::make_unique<Impl>();
  Impl& m = *impl_;
  const std::uint32_t id = pack_id(path.segment);

  // A message built from scratch starts with an MSH carrying default delimiters.
  if (m.segments.empty()) m.append_owned(std::string("MSH|") + kDefaultEncoding);
  long index = m.find(id, path.segment_index);
  if (index < 0) {
    if (is_message_boundary(id)) return refuse("cannot add a second " + path.segment + " segment to a message");
    int have = 0;
    for (const auto& s : m.segments) have += s.id == id;
    for (int i = have; i < path.segment_index; ++i) m.append_owned(path.segment);
    index = static_cast<long>(m.segments.size() - 1);
  }

  std::string& seg = m.make_owned(m.segments[static_cast<std::size_t>(index)]);
  const Delimiters& d = m.delimiters;
  auto span = find_or_add_piece(seg, 0, seg.size(), d.field,
                                static_cast<std::size_t>(header ? path.field - 1 : path.field));
  span = find_or_add_piece(seg, span.first, span.second, d.repetition, static_cast<std::size_t>(path.repetition - 1));
  if (path.component > 0) {
    span = find_or_add_piece(seg, span.first, span.second, d.component, static_cast<std::size_t>(path.component - 1));
    if (path.subcomponent > 0) {
      span = find_or_add_piece(seg, span.first, span.second, d.subcomponent,
                               static_cast<std::size_t>(path.subcomponent - 1));
    }
  }
  seg.replace(span.first, span.second - span.first, escape(value, d));
  m.modified = true;
  return true;
}

std::size_t Message::segment_count() const { return impl_ ? impl_->segments.size() : 0; }

std::string_view Message::segment_name(std::size_t index) const {
  if (!impl_ || index >= impl_->segments.size()) return {};
  return impl_->segment_text(impl_->segments[index]).substr(0, 3);
}

int Message::count(std::string_view segment) const {
  if (!impl_ || segment.size() != 3) return 0;
  const std::uint32_t id = pack_id(segment);
  int n = 0;
  for (const auto& s : impl_->segments) n += s.id == id;
  return n;
}

int Message::field_count(std::string_view segment, int segment_index) const {
  if (!impl_ || segment.size() != 3) return 0;
  long index = impl_->find(pack_id(segment), segment_index);
  if (index < 0) return 0;
  std::string_view seg = impl_->segment_text(impl_->segments[static_cast<std::size_t>(index)]);
  if (detail::is_header_segment(segment)) return seg.size() < 4 ? 0 : static_cast<int>(count_pieces(seg, seg[3]));
  return static_cast<int>(count_pieces(seg, impl_->delimiters.field)) - 1;
}

int Message::repetition_count(const Path& field_path) const {
  if (!impl_ || field_path.field <= 0) return 0;
  Path p = field_path;
  p.repetition = 1;
  p.component = 0;
  p.subcomponent = 0;
  bool literal = false;
  auto first = impl_->locate(p, literal);
  if (!first) return 0;
  if (literal) return 1;
  // Locate the whole field (all repetitions) to count them.
  long index = impl_->find(pack_id(p.segment), p.segment_index);
  std::string_view seg = impl_->segment_text(impl_->segments[static_cast<std::size_t>(index)]);
  const bool header = detail::is_header_segment(p.segment);
  auto field = find_piece(seg, impl_->delimiters.field, static_cast<std::size_t>(header ? p.field - 1 : p.field));
  if (!field || field->empty()) return 0;
  return static_cast<int>(count_pieces(*field, impl_->delimiters.repetition));
}

void Message::add_segment(std::string_view encoded) {
  if (!impl_) impl_ = std::make_unique<Impl>();
  // Several segments may be given at once, separated by any terminator.
  std::size_t pos = 0;
  while (pos < encoded.size()) {
    std::size_t eol = encoded.find_first_of("\r\n", pos);
    if (eol == std::string_view::npos) eol = encoded.size();
    if (eol > pos) {
      impl_->append_owned(std::string(encoded.substr(pos, eol - pos)));
      impl_->modified = true;
    }
    pos = eol + 1;
  }
}

bool Message::remove_segment(std::string_view segment, int segment_index) {
  if (!impl_ || segment.size() != 3) return false;
  long index = impl_->find(pack_id(segment), segment_index);
  // The MSH carries the delimiters; without it the message is no message.
  if (index <= 0) return false;
  impl_->segments.erase(impl_->segments.begin() + index);
  impl_->modified = true;
  return true;
}

std::string Message::message_type() const {
  // Always joined with '^' whatever the message's delimiters: this is an
  // identifier for routing and filters, not encoded HL7.
  Path p;
  p.segment = "MSH";
  p.field = 9;
  p.component = 1;
  std::string type = get(p);
  p.component = 2;
  std::string trigger = get(p);
  if (!trigger.empty()) {
    type += '^';
    type += trigger;
  }
  return type;
}

std::string Message::control_id() const {
  Path p;
  p.segment = "MSH";
  p.field = 10;
  return get(p);
}

}  // namespace artery::hl7
