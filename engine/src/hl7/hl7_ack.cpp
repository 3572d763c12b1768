// HL7 v2 acknowledgements (ACK): for parsed messages and, best effort, for
// bytes that did not parse (a receiver must still answer something).
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <random>

#include "artery/hl7.hpp"
#include "hl7/delimited.hpp"
#include "hl7/msh_header.hpp"

namespace artery::hl7 {
namespace {

// What an ACK copies from the message it answers, still in that message's
// encoding (escaped), so values go back byte for byte.
struct AckSource {
  Delimiters delimiters;
  std::string encoding = "^~\\&";
  std::string_view sending_app, sending_facility, receiving_app, receiving_facility;
  std::string_view trigger, control_id, processing_id, version;
};

std::string now_timestamp() {
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  localtime_r(&t, &tm);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04d%02d%02d%02d%02d%02d", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
                tm.tm_min, tm.tm_sec);
  return buf;
}

// Unique within the process (counter) and very likely across restarts and
// processes (millisecond clock + random start). 19 chars fits MSH-10 (ST 20).
std::string generate_control_id() {
  static std::atomic<std::uint32_t> counter{std::random_device{}()};
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::system_clock::now().time_since_epoch())
                      .count();
  char buf[32];
  std::snprintf(buf, sizeof buf, "%013lld%06u", static_cast<long long>(ms),
                static_cast<unsigned>(counter.fetch_add(1, std::memory_order_relaxed) % 1000000u));
  return buf;
}

bool is_error_code(std::string_view code) {
  return code == "AE" || code == "AR" || code == "CE" || code == "CR";
}

// Versions before 2.5 report errors in ERR-1 (ELD); 2.5+ in ERR-3/4/8.
bool version_at_least_2_5(std::string_view version) {
  int major = 0, minor = 0;
  std::size_t i = 0;
  for (; i < version.size() && version[i] >= '0' && version[i] <= '9'; ++i) major = std::min(major * 10 + (version[i] - '0'), 1000);
  if (i == 0) return true;  // unknown: we write 2.5 when the version is absent
  if (i < version.size() && version[i] == '.') {
    for (++i; i < version.size() && version[i] >= '0' && version[i] <= '9'; ++i) minor = std::min(minor * 10 + (version[i] - '0'), 1000);
  }
  return major > 2 || (major == 2 && minor >= 5);
}

std::string write_ack(const AckSource& src, const AckOptions& options) {
  const Delimiters& d = src.delimiters;
  const char f = d.field;
  const std::string code = options.code.empty() ? std::string("AA") : escape(options.code, d);
  std::string out;
  out.reserve(256 + options.text.size() * 2);
  out += "MSH";
  out += f;
  out += src.encoding;
  for (std::string_view v : {src.receiving_app, src.receiving_facility, src.sending_app, src.sending_facility}) {
    out += f;
    out += v;
  }
  out += f;
  out += options.timestamp.empty() ? now_timestamp() : escape(options.timestamp, d);
  out += f;  // MSH-8 security
  out += f;
  out += "ACK";
  if (!src.trigger.empty()) {
    out += d.component;
    out += src.trigger;
    out += d.component;
    out += "ACK";
  }
  out += f;
  out += options.control_id.empty() ? generate_control_id() : escape(options.control_id, d);
  out += f;
  out += src.processing_id.empty() ? std::string_view("P") : src.processing_id;
  out += f;
  out += src.version.empty() ? std::string_view("2.5") : src.version;
  out += '\r';

  const std::string text = escape(options.text, d);
  out += "MSA";
  out += f;
  out += code;
  out += f;
  out += src.control_id;
  if (!text.empty()) {
    out += f;
    out += text;
  }
  out += '\r';

  if (is_error_code(options.code)) {
    const std::string_view what = text.empty() ? std::string_view("Application error") : std::string_view(text);
    out += "ERR";
    if (version_at_least_2_5(src.version)) {
      // ERR-3 HL7 error code 207 (application internal error), ERR-4 severity E, ERR-8 user message.
      out += f;
      out += f;
      out += f;
      out += "207";
      out += d.component;
      out += "Application internal error";
      out += d.component;
      out += "HL70357";
      out += f;
      out += 'E';
      out.append(4, f);
      out += what;
    } else {
      // ERR-1 ELD: segment^sequence^field^code (CE: identifier&text&table).
      out += f;
      out.append(3, d.component);
      out += "207";
      out += d.subcomponent;
      out += what;
      out += d.subcomponent;
      out += "HL70357";
    }
    out += '\r';
  }
  return out;
}

// Fills the copied fields from an MSH line whose delimiters are known good.
void read_msh_fields(std::string_view msh, AckSource& src) {
  const char f = src.delimiters.field;
  auto field = [&](std::size_t n) {  // MSH-n, n >= 3
    auto piece = detail::find_piece(msh, f, n - 1);
    return piece ? *piece : std::string_view();
  };
  src.sending_app = field(3);
  src.sending_facility = field(4);
  src.receiving_app = field(5);
  src.receiving_facility = field(6);
  auto trigger = detail::find_piece(field(9), src.delimiters.component, 1);
  src.trigger = trigger ? *trigger : std::string_view();
  src.control_id = field(10);
  src.processing_id = field(11);
  src.version = field(12);
}

}  // namespace

std::string build_ack(const Message& original, const AckOptions& options) {
  AckSource src;
  Path whole;
  whole.segment = "MSH";
  const std::string msh = original.get_raw(whole);  // field 0: the MSH segment text
  if (msh.size() >= 4) {
    src.delimiters = original.delimiters();
    auto enc = detail::find_piece(msh, msh[3], 1);
    if (enc && !enc->empty()) src.encoding.assign(enc->data(), enc->size());
    read_msh_fields(msh, src);
  }
  return write_ack(src, options);
}

std::string build_ack_for_raw(std::string_view raw, const AckOptions& options) {
  AckSource src;
  // Skip MLLP framing, BOM or blank lines a broken sender may have left.
  const std::size_t start = raw.substr(0, 19).find("MSH");
  if (start != std::string_view::npos) {
    std::string_view line = raw.substr(start);
    line = line.substr(0, line.find_first_of("\r\n"));
    detail::HeaderEncoding header;
    if (detail::read_header_encoding(line, header, nullptr)) {
      src.delimiters = header.delimiters;
      src.encoding.assign(header.encoding_characters.data(), header.encoding_characters.size());
      read_msh_fields(line, src);
      // Junk may hold control bytes or be huge; echo only sane, short values.
      auto sane = [](std::string_view& v) {
        if (v.size() > 200) v = v.substr(0, 0);
        for (char c : v) {
          auto u = static_cast<unsigned char>(c);
          if (u < 0x20 || u == 0x7F) {
            v = std::string_view();
            return;
          }
        }
      };
      for (auto* v : {&src.sending_app, &src.sending_facility, &src.receiving_app, &src.receiving_facility,
                      &src.trigger, &src.control_id, &src.processing_id, &src.version}) {
        sane(*v);
      }
    }
  }
  AckOptions effective = options;
  if (effective.code.empty()) effective.code = "AR";  // it did not parse: rejected unless told otherwise
  return write_ack(src, effective);
}

}  // namespace artery::hl7
