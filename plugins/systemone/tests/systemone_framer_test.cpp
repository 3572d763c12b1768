// XmlDocumentFramer: document boundaries whatever the read boundaries.
#include "../xml_document_framer.hpp"

#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>
#include <vector>

using artery::systemone::XmlDocumentFramer;
using Status = XmlDocumentFramer::Status;

namespace {

struct Event {
  Status status;
  std::string text;  // the document, or the error
};

// Feeds `input` in pieces of `step` bytes and collects every event.
std::vector<Event> frame(const std::string& input, std::size_t step, std::size_t max = 1 << 20) {
  XmlDocumentFramer framer(max);
  std::vector<Event> events;
  for (std::size_t i = 0; i < input.size(); i += step) {
    framer.feed(input.data() + i, std::min(step, input.size() - i));
    for (;;) {
      std::string doc, error;
      Status s = framer.next(doc, error);
      if (s == Status::need_more) break;
      events.push_back({s, s == Status::document ? doc : error});
      if (s == Status::too_large) return events;
    }
  }
  return events;
}

const std::string kRequest =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!-- a comment with <Tag> inside -->"
    "<ClientIntegrationRequest><APIKey a=\"x>y\" b='</ClientIntegrationRequest>'>K</APIKey>"
    "<DeviceID/><Function>GetPatientRecord</Function>"
    "<FunctionParameters><![CDATA[</ClientIntegrationRequest> <x> ]]]]></FunctionParameters>"
    "<?pi </ClientIntegrationRequest> ?></ClientIntegrationRequest>";

}  // namespace

TEST_CASE("framer: one document, newline terminated, any read size", "[systemone][framer]") {
  for (std::size_t step : {std::size_t{1}, std::size_t{2}, std::size_t{3}, std::size_t{7}, std::size_t{4096}}) {
    auto events = frame(kRequest + "\n", step);
    INFO("step " << step);
    REQUIRE(events.size() == 1);
    CHECK(events[0].status == Status::document);
    CHECK(events[0].text == kRequest);  // CDATA/attribute/PI/comment content never ends it early
  }
}

TEST_CASE("framer: two documents in one chunk, blank lines between, no newline after the last", "[systemone][framer]") {
  std::string input = "\r\n\n  " + kRequest + "\n\n<ClientIntegrationRequest><A>1</A></ClientIntegrationRequest>";
  auto events = frame(input, input.size());
  REQUIRE(events.size() == 2);
  CHECK(events[0].text == kRequest);
  CHECK(events[1].text == "<ClientIntegrationRequest><A>1</A></ClientIntegrationRequest>");
}

TEST_CASE("framer: a self-closing root is a whole document", "[systemone][framer]") {
  auto events = frame("<ClientIntegrationRequest a=\"/\" />\n<R/>", 1);
  REQUIRE(events.size() == 2);
  CHECK(events[0].text == "<ClientIntegrationRequest a=\"/\" />");
  CHECK(events[1].text == "<R/>");
}

TEST_CASE("framer: raw newlines inside text do not end a document", "[systemone][framer]") {
  std::string doc = "<ClientIntegrationResponse>\n\t<Response>\n<Content>line one\nline two\n</Content></Response>\n</ClientIntegrationResponse>";
  auto events = frame(doc + "\n", 5);
  REQUIRE(events.size() == 1);
  CHECK(events[0].text == doc);
}

TEST_CASE("framer: the kcl full-record response frames whole in 1-byte and 1000-byte reads", "[systemone][framer]") {
  std::ifstream in(ARTERY_FIXTURES "/samples/systemone/response_GetPatientRecord_full_kcl.xml", std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  std::string text = ss.str();
  REQUIRE(text.size() > 30000);
  auto root_end = text.rfind("</ClientIntegrationResponse>") + std::string("</ClientIntegrationResponse>").size();
  for (std::size_t step : {std::size_t{1}, std::size_t{1000}}) {
    auto events = frame(text, step);
    REQUIRE(events.size() == 1);
    CHECK(events[0].status == Status::document);
    CHECK(events[0].text == text.substr(0, root_end));
  }
}

TEST_CASE("framer: garbage is reported once per line and the next document still frames", "[systemone][framer]") {
  for (std::size_t step : {std::size_t{1}, std::size_t{1000}}) {
    auto events = frame("hello world\n\x01\x02\xff garbage\n<R><A/></R>\n", step);
    INFO("step " << step);
    REQUIRE(events.size() == 3);
    CHECK(events[0].status == Status::garbage);
    CHECK(events[1].status == Status::garbage);
    CHECK(events[2].status == Status::document);
    CHECK(events[2].text == "<R><A/></R>");
  }
}

TEST_CASE("framer: garbage directly before a document is dropped up to its '<'", "[systemone][framer]") {
  auto events = frame("junk<R/>", 3);
  REQUIRE(events.size() == 2);
  CHECK(events[0].status == Status::garbage);
  CHECK(events[1].text == "<R/>");
}

TEST_CASE("framer: an end tag with nothing open and a bare '<' are garbage", "[systemone][framer]") {
  auto events = frame("</R>\n< x\n<R/>", 1);
  REQUIRE(events.size() == 3);
  CHECK(events[0].status == Status::garbage);
  CHECK(events[1].status == Status::garbage);
  CHECK(events[2].text == "<R/>");
}

TEST_CASE("framer: a DOCTYPE document is consumed whole and rejected, the stream goes on", "[systemone][framer]") {
  std::string evil =
      "<?xml version=\"1.0\"?><!DOCTYPE ClientIntegrationRequest [<!ENTITY xxe \"a>b]\"><!ENTITY y SYSTEM \"file:///etc/passwd\">]>"
      "<ClientIntegrationRequest><APIKey>&xxe;</APIKey></ClientIntegrationRequest>";
  for (std::size_t step : {std::size_t{1}, std::size_t{4096}}) {
    auto events = frame(evil + "\n<R/>\n", step);
    REQUIRE(events.size() == 2);
    CHECK(events[0].status == Status::rejected);
    CHECK(events[0].text.find("DOCTYPE") != std::string::npos);
    CHECK(events[1].status == Status::document);
    CHECK(events[1].text == "<R/>");
  }
}

TEST_CASE("framer: the size limit applies to one document, not the whole stream", "[systemone][framer]") {
  std::string doc = "<R>" + std::string(80, 'x') + "</R>";  // 87 bytes
  auto ok = frame(doc + "\n" + doc + "\n" + doc + "\n", 1000, 100);
  REQUIRE(ok.size() == 3);
  for (auto& e : ok) CHECK(e.status == Status::document);

  std::string big = "<R>" + std::string(500, 'x') + "</R>";
  for (std::size_t step : {std::size_t{1}, std::size_t{64}, std::size_t{10000}}) {
    auto events = frame(big, step, 100);
    REQUIRE(events.size() == 1);
    CHECK(events[0].status == Status::too_large);
  }
}

// Found by fuzz/systemone_wire: the document is decided in the same step that
// carries it past the limit (its end tag, a mismatched one, or a long start
// tag), so whole it was a document or malformed while split it was too large.
TEST_CASE("framer: a document whose last step crosses the limit is too large however it is read",
          "[systemone][framer]") {
  const std::string body = "<R>" + std::string(95, 'x');  // 98 bytes, under the limit of 100
  for (const std::string& input : {body + "</R>\n" + std::string(20, ' '), body + "</Wrong-name>\n", body + "<S a='" +
                                       std::string(20, 'y') + "'/></R>\n"}) {
    for (std::size_t step : {std::size_t{1}, std::size_t{7}, std::size_t{95}, std::size_t{10000}}) {
      auto events = frame(input, step, 100);
      REQUIRE(events.size() == 1);
      CHECK(events[0].status == Status::too_large);
    }
  }
  const std::string fits = "<R>" + std::string(93, 'x') + "</R>";  // exactly 100 bytes
  for (std::size_t step : {std::size_t{1}, std::size_t{10000}}) {
    auto events = frame(fits, step, 100);
    REQUIRE(events.size() == 1);
    CHECK(events[0].status == Status::document);
  }
}

TEST_CASE("framer: too_large is sticky until reset", "[systemone][framer]") {
  XmlDocumentFramer framer(10);
  std::string doc, error;
  framer.feed("<Root>aaaaaaaaaaaaaaaaaaaaa");
  CHECK(framer.next(doc, error) == Status::too_large);
  framer.feed("</Root><R/>");
  CHECK(framer.next(doc, error) == Status::too_large);
  framer.reset();
  framer.feed("<R/>");
  CHECK(framer.next(doc, error) == Status::document);
  CHECK(doc == "<R/>");
}

TEST_CASE("framer: a partial document is reported and can be taken at EOF", "[systemone][framer]") {
  XmlDocumentFramer framer(1000);
  std::string doc, error;
  framer.feed("  \n");
  CHECK(framer.next(doc, error) == Status::need_more);
  CHECK_FALSE(framer.in_document());
  framer.feed("<A><B>text");
  CHECK(framer.next(doc, error) == Status::need_more);
  CHECK(framer.in_document());
  CHECK(framer.take_partial() == "<A><B>text");
  CHECK_FALSE(framer.in_document());
}

TEST_CASE("framer: a comment after a document does not swallow the next one", "[systemone][framer]") {
  auto events = frame("<R/>\n<!-- between -->\n<S>1</S>\n", 1);
  REQUIRE(events.size() == 2);
  CHECK(events[0].text == "<R/>");
  CHECK(events[1].text == "<!-- between -->\n<S>1</S>");
}

TEST_CASE("framer: a mismatched end tag is malformed at once, and the next line frames", "[systemone][framer]") {
  for (std::size_t step : {std::size_t{1}, std::size_t{3}, std::size_t{1000}}) {
    INFO("step " << step);
    auto events = frame("<a><b></a>\n<R><b></b></R>\n", step);
    REQUIRE(events.size() == 2);
    CHECK(events[0].status == Status::malformed);
    CHECK_THAT(events[0].text, Catch::StartsWith("Invalid XML format"));
    CHECK_THAT(events[0].text, Catch::Contains("</a>"));
    CHECK(events[1].status == Status::document);
    CHECK(events[1].text == "<R><b></b></R>");
  }
}

TEST_CASE("framer: a '<' that starts no tag inside the root is malformed, through the end of its line", "[systemone][framer]") {
  for (std::size_t step : {std::size_t{1}, std::size_t{1000}}) {
    INFO("step " << step);
    auto events = frame("<APIKey><<<<\n<R/>\n", step);
    REQUIRE(events.size() == 2);
    CHECK(events[0].status == Status::malformed);
    CHECK_THAT(events[0].text, Catch::StartsWith("Invalid XML format"));
    CHECK(events[1].text == "<R/>");
  }
}

TEST_CASE("framer: a malformed line is reported once however it is split", "[systemone][framer]") {
  // The rest of the broken line arrives in later reads and is dropped silently.
  XmlDocumentFramer framer(1000);
  std::string doc, error;
  framer.feed("<A></B> <<<<");
  CHECK(framer.next(doc, error) == Status::malformed);
  framer.feed(" more </A> < junk");
  CHECK(framer.next(doc, error) == Status::need_more);
  framer.feed("\n<R>ok</R>");
  CHECK(framer.next(doc, error) == Status::document);
  CHECK(doc == "<R>ok</R>");
}

TEST_CASE("framer: matching names are checked with attributes, whitespace and prefixes", "[systemone][framer]") {
  auto events = frame("<s:R a=\"1\"><s:B\n x='</s:R>'>t</s:B ><C/></s:R >\n", 2);
  REQUIRE(events.size() == 1);
  CHECK(events[0].status == Status::document);
}
