// SystmOne wire (plugins/systemone): the XML document framer over a stream
// read in arbitrary pieces, then every document it yields through the
// source's envelope checks (SystemOneSource::Runtime::screen, as a session
// does), the destination's response reader and request builder, and the
// source's script-answer wrapper. Input: a size-limit byte, a read-size seed
// byte, then the stream (a raw document, starting with '<', is read with a
// large limit). Invariant: the documents do not depend on how the
// stream was cut into reads.
#include "fuzz_check.hpp"
#include "fuzz_connector_context.hpp"
#include "fuzz_input.hpp"

#include "request_envelope.hpp"
#include "response_envelope.hpp"
#include "systemone_runtime.hpp"
#include "xml_document_framer.hpp"

#include <cstdint>
#include <string>
#include <vector>

using artery::systemone::XmlDocumentFramer;

namespace {

struct Event {
  XmlDocumentFramer::Status status;
  std::string document;
  bool operator==(const Event&) const = default;
};

// Events until need_more or the sticky too_large.
void drain(XmlDocumentFramer& framer, std::vector<Event>& events) {
  std::string document, error;
  for (;;) {
    auto status = framer.next(document, error);
    if (status == XmlDocumentFramer::Status::need_more) return;
    events.push_back({status, status == XmlDocumentFramer::Status::document ? document : std::string()});
    if (status == XmlDocumentFramer::Status::too_large) return;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  artery::fuzz::FuzzInput input(data, size);
  const bool raw = input.raw_sample('<');
  const std::size_t limit = 64 + (raw ? 255 : input.byte()) * 256u;
  artery::fuzz::ChunkSizes sizes(raw ? 7 : input.byte(), 128);
  const std::string_view stream = input.rest();

  XmlDocumentFramer whole(limit);
  std::vector<Event> at_once;
  whole.feed(stream.data(), stream.size());
  drain(whole, at_once);

  XmlDocumentFramer pieces(limit);
  std::vector<Event> in_pieces;
  for (std::size_t at = 0; at < stream.size();) {
    const std::size_t n = std::min(sizes.next(), stream.size() - at);
    pieces.feed(stream.data() + at, n);
    at += n;
    drain(pieces, in_pieces);
    if (!in_pieces.empty() && in_pieces.back().status == XmlDocumentFramer::Status::too_large) break;
  }
  FUZZ_CHECK(at_once == in_pieces);
  // framing: close — a peer that ends its request by closing the socket.
  if (pieces.in_document()) at_once.push_back({XmlDocumentFramer::Status::document, pieces.take_partial()});

  artery::fuzz::FuzzConnectorContext context;
  artery::systemone::SourceSettings settings;
  settings.api_keys = {"fuzz-key"};
  artery::systemone::SystemOneSource::Runtime runtime(settings, context);
  for (const auto& event : at_once) {
    if (event.status != XmlDocumentFramer::Status::document) continue;
    auto screened = runtime.screen(event.document);
    std::string error;
    (void)artery::systemone::read_response(event.document, error);
    artery::systemone::RequestDefaults defaults;
    defaults.api_key = "fuzz-key";
    defaults.function = "GetPatientRecord";
    defaults.today = "2024-01-01";
    (void)artery::systemone::build_request(event.document, defaults, error);
    (void)artery::systemone::script_response(screened.envelope, event.document, error);
  }
  return 0;
}
