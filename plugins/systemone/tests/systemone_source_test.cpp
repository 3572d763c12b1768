// The systemone source over real TCP connections on 127.0.0.1.
#include "../client_integration_xml.hpp"
#include "../systemone_source.hpp"
#include "systemone_test_support.hpp"

#include <catch2/catch.hpp>

using namespace systemone_test;
using artery::Disposition;
using artery::systemone::make_systemone_source;

namespace {

std::string request(const std::string& function, const std::string& uid, const std::string& key = "KEY",
                    const std::string& device = "", const std::string& params = "<FunctionParameters/>") {
  return "<?xml version=\"1.0\" encoding=\"UTF-8\"?><ClientIntegrationRequest><APIKey>" + key + "</APIKey><DeviceID>" +
         device + "</DeviceID><DeviceVersion>T 1</DeviceVersion><RequestUID>" + uid + "</RequestUID><Function>" +
         function + "</Function><FunctionVersion>1.0</FunctionVersion>" + params + "</ClientIntegrationRequest>";
}

// The "channel script": answers by function name.
Disposition script(const artery::Message& m) {
  std::string f = attribute(m, "function");
  if (f == "GetFunctions") return answer("<Functions><Function>GetPatientRecord</Function></Functions>");
  if (f == "Echo") return answer("<Echo>" + attribute(m, "request_uid") + "</Echo>");
  if (f == "Multiline") return answer("<Response>\n  <Text>line one\nline two</Text>\n</Response>");
  if (f == "Full")
    return answer("<ClientIntegrationResponse><DeviceID>X</DeviceID><Response><Mine/></Response></ClientIntegrationResponse>");
  if (f == "Silent") return answer("");
  if (f == "Broken") return answer("<Unclosed>");
  if (f == "Fail") return answer("", Disposition::Status::errored, "lua: transform.lua:3: boom\nstack traceback:\n\t[C]: in ?");
  if (f == "Bad") return answer("", Disposition::Status::rejected, "cannot parse\nmore");
  if (f == "Down") return answer("", Disposition::Status::unavailable, "store is closing");
  return answer("<ErrorMessage>unknown function " + f + "</ErrorMessage><PermanentError>true</PermanentError>");
}

using Opts = std::map<std::string, std::string>;

struct Served {
  explicit Served(std::map<std::string, std::string> extra = {}, std::vector<std::string> keys = {})
      : host(script) {
    port = free_port();
    extra["listen"] = "127.0.0.1:" + std::to_string(port);
    source = make_systemone_source(options(extra, keys), context);
    std::string error;
    REQUIRE(source->start(host, error));
  }
  ~Served() { source->stop(); }
  MemoryContext context;
  ScriptedHost host;
  std::unique_ptr<artery::Source> source;
  int port = 0;
};

pugi::xml_document parse(const std::string& line) {
  pugi::xml_document doc;
  std::string error;
  INFO(line);
  REQUIRE(artery::systemone::parse_xml(line, doc, false, error));
  REQUIRE(std::string(doc.document_element().name()) == "ClientIntegrationResponse");
  return doc;
}

std::string response_text(const pugi::xml_document& doc, const char* path) {
  return doc.document_element().first_element_by_path(path).text().as_string();
}

}  // namespace

TEST_CASE("source: several requests on one connection, each answered by function", "[systemone][source]") {
  Served s;
  auto c = Connection::to(s.port);
  c.send(request("GetFunctions", "U1") + "\n" + request("Echo", "U2") + "\n");
  auto first = parse(c.read_line());
  auto second = parse(c.read_line());
  c.send(request("Nope", "U3") + "\n");
  auto third = parse(c.read_line());

  CHECK(response_text(first, "RequestUID") == std::string("U1"));
  CHECK(response_text(first, "Function") == std::string("GetFunctions"));
  CHECK(response_text(first, "FunctionVersion") == std::string("1.0"));
  CHECK(response_text(first, "Response/Functions/Function") == std::string("GetPatientRecord"));
  CHECK(std::string(response_text(first, "ResponseUID")).size() == 36);
  CHECK(response_text(first, "ResponseUID") != std::string(response_text(second, "ResponseUID")));
  CHECK(response_text(second, "Response/Echo") == std::string("U2"));
  CHECK(response_text(third, "Response/ErrorMessage") == std::string("unknown function Nope"));

  REQUIRE(s.host.count() == 3);
  auto m = s.host.message(1);
  CHECK(m.content == request("Echo", "U2"));
  CHECK(m.data_type == "xml");
  CHECK(attribute(m, "request_uid") == "U2");
  CHECK(attribute(m, "remote").rfind("127.0.0.1:", 0) == 0);
}

TEST_CASE("source: a request written one byte at a time", "[systemone][source]") {
  Served s;
  auto c = Connection::to(s.port);
  c.send_bytewise(request("Echo", "BYTES") + "\n");
  auto doc = parse(c.read_line());
  CHECK(response_text(doc, "Response/Echo") == std::string("BYTES"));
}

TEST_CASE("source: responses are one line, script line breaks become character references", "[systemone][source]") {
  Served s;
  auto c = Connection::to(s.port);
  c.send(request("Multiline", "M1") + "\n");
  std::string line = c.read_line();
  CHECK(line.find('\r') == std::string::npos);
  CHECK(line.find("line one&#10;line two") != std::string::npos);
  auto doc = parse(line);
  CHECK(response_text(doc, "Response/Text") == std::string("line one\nline two"));  // <Response> not nested
  CHECK_FALSE(doc.document_element().first_element_by_path("Response/Response"));
}

TEST_CASE("source: a whole ClientIntegrationResponse from the script is sent as it is", "[systemone][source]") {
  Served s;
  auto c = Connection::to(s.port);
  c.send(request("Full", "F1") + "\n");
  CHECK(c.read_line() == "<ClientIntegrationResponse><DeviceID>X</DeviceID><Response><Mine/></Response></ClientIntegrationResponse>");
}

TEST_CASE("source: framing close answers a client that sends one request and half-closes", "[systemone][source]") {
  Served s(Opts{{"framing", "close"}});
  {
    auto c = Connection::to(s.port);
    c.send(request("Echo", "C1"));  // no newline
    c.shutdown_write();
    std::string all = c.read_to_end();
    REQUIRE(!all.empty());
    CHECK(all.back() == '\n');
    auto doc = parse(all.substr(0, all.size() - 1));
    CHECK(response_text(doc, "Response/Echo") == std::string("C1"));
  }
  {
    // An incomplete document ended by EOF still gets an (error) answer.
    auto c = Connection::to(s.port);
    c.send("<ClientIntegrationRequest><APIKey>K</APIKey>");
    c.shutdown_write();
    std::string all = c.read_to_end();
    auto doc = parse(all.substr(0, all.find('\n')));
    CHECK_THAT(response_text(doc, "Response/ErrorMessage"), Catch::StartsWith("invalid XML"));
  }
  {
    // With framing close the server closes after answering, even if the client does not.
    auto c = Connection::to(s.port);
    c.send(request("Echo", "C3") + "\n");
    auto doc = parse(c.read_line());
    CHECK(response_text(doc, "Response/Echo") == std::string("C3"));
    CHECK(c.peer_closed());
  }
}

TEST_CASE("source: an oversized request is answered with an error and the connection closed", "[systemone][source]") {
  Served s(Opts{{"max_request_size", "1KiB"}});
  auto c = Connection::to(s.port);
  c.send(request("Echo", "BIG", "KEY", "", "<FunctionParameters>" + std::string(4000, 'x') + "</FunctionParameters>") + "\n");
  auto doc = parse(c.read_line());
  CHECK_THAT(response_text(doc, "Response/ErrorMessage"), Catch::Contains("size limit of 1024 bytes"));
  CHECK(response_text(doc, "Response/PermanentError") == std::string("true"));
  CHECK(c.peer_closed());
  CHECK(s.host.count() == 0);
}

TEST_CASE("source: garbage gets an error answer and the connection keeps working", "[systemone][source]") {
  Served s;
  auto c = Connection::to(s.port);
  c.send("GET / HTTP/1.1\n");
  auto error = parse(c.read_line());
  CHECK_THAT(response_text(error, "Response/ErrorMessage"), Catch::Contains("expected an XML document"));
  c.send("<ClientIntegrationRequest><a b=1/></ClientIntegrationRequest>\n");
  auto invalid = parse(c.read_line());
  CHECK_THAT(response_text(invalid, "Response/ErrorMessage"), Catch::StartsWith("invalid XML"));
  c.send(request("Echo", "AFTER") + "\n");
  auto ok = parse(c.read_line());
  CHECK(response_text(ok, "Response/Echo") == std::string("AFTER"));
  CHECK(s.host.count() == 1);
  bool logged = false;
  for (auto& l : s.context.logs) logged = logged || l.find("expected an XML document") != std::string::npos;
  CHECK(logged);
}

TEST_CASE("source: malformed XML is answered 'Invalid XML format' at once, and the connection keeps working", "[systemone][source]") {
  // Before, these waited for a root close that cannot come, until idle_timeout.
  Served s(Opts{{"idle_timeout", "10m"}});
  auto c = Connection::to(s.port);
  for (const std::string broken : {"<a><b></a>", "<APIKey><<<<"}) {
    INFO(broken);
    c.send(broken + "\n");
    std::string line = c.read_line();
    CHECK(line.find("Invalid XML format") != std::string::npos);
    pugi::xml_document doc;
    std::string error;
    REQUIRE(artery::systemone::parse_xml(line, doc, false, error));
    CHECK(std::string(doc.document_element().name()) == "ClientIntegrationResponse");
  }
  c.send(request("Echo", "AFTER-BROKEN") + "\n");
  CHECK(response_text(parse(c.read_line()), "Response/Echo") == std::string("AFTER-BROKEN"));
  CHECK(s.host.count() == 1);
}

TEST_CASE("source: DOCTYPE with an entity is refused and the entity never expanded", "[systemone][source]") {
  Served s;
  auto c = Connection::to(s.port);
  std::string evil = "<?xml version=\"1.0\"?><!DOCTYPE ClientIntegrationRequest [<!ENTITY xxe \"EXPANDED\">]>" +
                     request("Echo", "&xxe;").substr(std::string("<?xml version=\"1.0\" encoding=\"UTF-8\"?>").size());
  c.send(evil + "\n");
  std::string line = c.read_line();
  CHECK(line.find("EXPANDED") == std::string::npos);
  auto doc = parse(line);
  CHECK_THAT(response_text(doc, "Response/ErrorMessage"), Catch::Contains("DOCTYPE"));
  CHECK(response_text(doc, "Response/PermanentError") == std::string("true"));
  CHECK(s.host.count() == 0);
  c.send(request("Echo", "NEXT") + "\n");
  CHECK(response_text(parse(c.read_line()), "Response/Echo") == std::string("NEXT"));
}

TEST_CASE("source: a wrong API key is refused in both error styles", "[systemone][source]") {
  {
    Served s(Opts{}, {"OTHER", "KEY"});
    auto c = Connection::to(s.port);
    c.send(request("Echo", "OK", "KEY") + "\n");
    CHECK(response_text(parse(c.read_line()), "Response/Echo") == std::string("OK"));
    c.send(request("Echo", "W1", "WRONG") + "\n");
    auto doc = parse(c.read_line());
    CHECK(response_text(doc, "RequestUID") == std::string("W1"));
    CHECK(response_text(doc, "Response/ErrorMessage") == std::string("invalid API key"));
    CHECK(response_text(doc, "Response/PermanentError") == std::string("true"));
    CHECK(s.host.count() == 1);
  }
  {
    Served s(Opts{{"error_style", "simple"}}, {"KEY"});
    auto c = Connection::to(s.port);
    c.send(request("Echo", "W2", "KEY2") + "\n");
    auto doc = parse(c.read_line());
    CHECK(response_text(doc, "Response/Error") == std::string("true"));
    CHECK(response_text(doc, "Response/ErrorMessage") == std::string("invalid API key"));
    CHECK_FALSE(doc.document_element().first_element_by_path("Response/PermanentError"));
    CHECK(s.host.count() == 0);
  }
}

TEST_CASE("source: missing envelope elements are named", "[systemone][source]") {
  Served s;
  auto c = Connection::to(s.port);
  c.send("<ClientIntegrationRequest><APIKey>K</APIKey><RequestUID>N1</RequestUID></ClientIntegrationRequest>\n");
  auto doc = parse(c.read_line());
  CHECK(response_text(doc, "Response/ErrorMessage") == std::string("missing element Function"));
  CHECK(response_text(doc, "RequestUID") == std::string("N1"));
  c.send("<ClientIntegrationRequest><RequestUID>N2</RequestUID><Function>Echo</Function></ClientIntegrationRequest>\n");
  CHECK(response_text(parse(c.read_line()), "Response/ErrorMessage") == std::string("missing element APIKey"));
  c.send("<Other/>\n");
  CHECK_THAT(response_text(parse(c.read_line()), "Response/ErrorMessage"), Catch::Contains("must be ClientIntegrationRequest"));
  CHECK(s.host.count() == 0);
}

TEST_CASE("source: failed dispositions answer the error's first line only", "[systemone][source]") {
  Served s;
  auto c = Connection::to(s.port);
  c.send(request("Fail", "E1") + "\n");
  auto failed = parse(c.read_line());
  CHECK(response_text(failed, "Response/ErrorMessage") == std::string("lua: transform.lua:3: boom"));
  CHECK(response_text(failed, "Response/PermanentError") == std::string("false"));
  c.send(request("Bad", "E2") + "\n");
  auto bad = parse(c.read_line());
  CHECK(response_text(bad, "Response/ErrorMessage") == std::string("cannot parse"));
  CHECK(response_text(bad, "Response/PermanentError") == std::string("true"));
  c.send(request("Down", "E3") + "\n");
  auto down = parse(c.read_line());
  CHECK(response_text(down, "Response/ErrorMessage") == std::string("service unavailable: store is closing"));
  CHECK(response_text(down, "Response/PermanentError") == std::string("false"));
  c.send(request("Silent", "E4") + "\n");
  CHECK(response_text(parse(c.read_line()), "Response/ErrorMessage") == std::string("function Silent produced no response"));
  c.send(request("Broken", "E5") + "\n");
  CHECK_THAT(response_text(parse(c.read_line()), "Response/ErrorMessage"), Catch::StartsWith("the channel's response is not XML"));
}

TEST_CASE("source: device approval gives a new device an id and remembers it", "[systemone][source]") {
  Served s;
  auto c = Connection::to(s.port);
  c.send(request("Echo", "D1") + "\n");
  std::string id = response_text(parse(c.read_line()), "DeviceID");
  CHECK(id.size() == 36);
  CHECK(s.context.state.count("device:" + id) == 1);
  CHECK(attribute(s.host.message(0), "device_id") == id);
  c.send(request("Echo", "D2", "KEY", id) + "\n");
  CHECK(response_text(parse(c.read_line()), "DeviceID") == id);

  Served none(Opts{{"device_approval", "none"}});
  auto c2 = Connection::to(none.port);
  c2.send(request("Echo", "D3") + "\n");
  CHECK(response_text(parse(c2.read_line()), "DeviceID") == std::string(""));
  c2.send(request("Echo", "D4", "KEY", "abc") + "\n");
  CHECK(response_text(parse(c2.read_line()), "DeviceID") == std::string("abc"));
  CHECK(none.context.state.empty());
}

TEST_CASE("source: silent connections beyond max_connections make room for a real client", "[systemone][source]") {
  Served s(Opts{{"max_connections", "10"}});
  std::vector<Connection> crowd;
  for (int i = 0; i < 20; ++i) crowd.push_back(Connection::to(s.port));
  auto c = Connection::to(s.port);
  c.send(request("Echo", "PAST-CROWD") + "\n");
  CHECK(response_text(parse(c.read_line()), "Response/Echo") == std::string("PAST-CROWD"));
  CHECK(crowd.front().peer_closed());
  auto m = s.context.metrics().snapshot();
  CHECK(m.connections_evicted >= 11);
  CHECK(m.connections_refused == 0);
  CHECK(m.requests == 1);
}

TEST_CASE("source: idle connections are closed", "[systemone][source]") {
  Served s(Opts{{"idle_timeout", "200ms"}});
  auto c = Connection::to(s.port);
  CHECK(c.peer_closed(5000));
}

TEST_CASE("source: options are checked", "[systemone][source]") {
  MemoryContext context;
  CHECK_THROWS_WITH(make_systemone_source(options({}), context), Catch::Contains("listen: is required"));
  CHECK_THROWS_WITH(make_systemone_source(options({{"listen", "127.0.0.1:99999"}}), context), Catch::Contains("listen"));
  CHECK_THROWS_WITH(make_systemone_source(options({{"listen", ":40700"}, {"framing", "lines"}}), context),
                    Catch::Contains("expected one of newline, close"));
}
