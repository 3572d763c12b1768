// The systemone destination against the systemone source and against raw
// test servers, on 127.0.0.1.
#include "../client_integration_xml.hpp"
#include "../request_envelope.hpp"
#include "../systemone_destination.hpp"
#include "../systemone_source.hpp"
#include "systemone_test_support.hpp"

#include <catch2/catch.hpp>

#include <fstream>
#include <future>
#include <sstream>

using namespace systemone_test;
using artery::Disposition;
using artery::SendResult;
using artery::systemone::make_systemone_destination;
using artery::systemone::make_systemone_source;
using Opts = std::map<std::string, std::string>;

namespace {

Disposition script(const artery::Message& m) {
  std::string f = attribute(m, "function");
  if (f == "Permanent") return answer("<ErrorMessage>device blocked</ErrorMessage><PermanentError>true</PermanentError>");
  if (f == "Transient") return answer("<ErrorMessage>record is open</ErrorMessage><PermanentError>false</PermanentError>");
  if (f == "SimpleError") return answer("<Error>true</Error><ErrorMessage>simulator says no</ErrorMessage>");
  return answer("<Done>" + f + "</Done>");
}

struct Server {
  Server() : host(script) {
    port = free_port();
    source = make_systemone_source(options({{"listen", "127.0.0.1:" + std::to_string(port)}}, {"SECRET"}), context);
    std::string error;
    REQUIRE(source->start(host, error));
  }
  ~Server() { source->stop(); }
  MemoryContext context;
  ScriptedHost host;
  std::unique_ptr<artery::Source> source;
  int port = 0;
};

std::unique_ptr<artery::Destination> destination(int port, MemoryContext& context, Opts extra = {}) {
  extra["remote"] = "127.0.0.1:" + std::to_string(port);
  if (!extra.count("api_key")) extra["api_key"] = "SECRET";
  if (!extra.count("rate_limit")) extra["rate_limit"] = "0";
  auto d = make_systemone_destination(options(extra), context);
  std::string error;
  REQUIRE(d->start(error));
  return d;
}

SendResult send(artery::Destination& d, const std::string& content, std::map<std::string, std::string> vars = {}) {
  artery::OutboundMessage m;
  m.content = content;
  m.data_type = "xml";
  m.vars = std::move(vars);
  std::promise<SendResult> promise;
  auto future = promise.get_future();
  d.send(std::move(m), [&promise](SendResult r) { promise.set_value(std::move(r)); });
  REQUIRE(future.wait_for(std::chrono::seconds(30)) == std::future_status::ready);
  return future.get();
}

pugi::xml_document parse(const std::string& text) {
  pugi::xml_document doc;
  std::string error;
  INFO(text);
  REQUIRE(artery::systemone::parse_xml(text, doc, false, error));
  return doc;
}

std::string at(const pugi::xml_document& doc, const char* path) {
  return doc.document_element().first_element_by_path(path).text().as_string();
}

const std::string kCanned =
    "<ClientIntegrationResponse><DeviceID>DEV</DeviceID><RequestUID>R</RequestUID><Function>F</Function>"
    "<FunctionVersion>1.0</FunctionVersion><ResponseUID>X</ResponseUID><Response><Ok/></Response></ClientIntegrationResponse>\n";

}  // namespace

TEST_CASE("destination: wraps parameters in the envelope, keeps the approved DeviceID across restarts", "[systemone][destination]") {
  Server server;
  MemoryContext context;
  {
    auto d = destination(server.port, context, {{"function", "GetPatientRecord"}, {"output_scheme_codes", "Snomed"}});
    auto r = send(*d, "<Identity><NHSNumber>4917111072</NHSNumber></Identity>\n<Filter><Demographics/></Filter>");
    REQUIRE(r.status == SendResult::Status::sent);
    CHECK(at(parse(r.response), "Response/Done") == std::string("GetPatientRecord"));

    auto first = parse(server.host.message(0).content);
    CHECK(server.host.message(0).content.find('\n') == std::string::npos);  // one line on the wire
    CHECK(at(first, "APIKey") == std::string("SECRET"));
    CHECK(at(first, "DeviceID") == std::string(""));
    CHECK(at(first, "DeviceVersion") == std::string("Artery 0.1"));
    CHECK(std::string(at(first, "RequestUID")).size() == 36);
    CHECK(at(first, "FunctionVersion") == std::string("1.0"));
    CHECK(at(first, "OutputScheme/Codes") == std::string("Snomed"));
    CHECK(at(first, "FunctionParameters/Identity/NHSNumber") == std::string("4917111072"));
    CHECK(first.document_element().first_element_by_path("FunctionParameters/Filter/Demographics"));

    std::string approved = attribute(server.host.message(0), "device_id");
    REQUIRE(approved.size() == 36);
    CHECK(context.state["device_id"] == approved);

    // A vars.function override and a bare <FunctionParameters> element.
    auto r2 = send(*d, "<FunctionParameters/>", {{"function", "GetCurrentActivity"}});
    REQUIRE(r2.status == SendResult::Status::sent);
    auto second = parse(server.host.message(1).content);
    CHECK(at(second, "Function") == std::string("GetCurrentActivity"));
    CHECK(at(second, "DeviceID") == approved);
    d->stop();
  }
  // A new instance (an engine restart) reads the stored id.
  auto again = destination(server.port, context, {{"function", "GetFunctions"}});
  REQUIRE(send(*again, "").status == SendResult::Status::sent);
  CHECK(at(parse(server.host.message(2).content), "DeviceID") == context.state["device_id"]);
}

TEST_CASE("destination: a whole request document has only its empty fields filled", "[systemone][destination]") {
  Server server;
  MemoryContext context;
  auto d = destination(server.port, context);
  auto r = send(*d,
                "<?xml version=\"1.0\"?>\n<ClientIntegrationRequest>\n  <APIKey></APIKey>\n  <RequestUID>MINE</RequestUID>\n"
                "  <Function>PatientSearch</Function>\n  <FunctionParameters><Surname>Abbot</Surname></FunctionParameters>\n"
                "</ClientIntegrationRequest>");
  REQUIRE(r.status == SendResult::Status::sent);
  auto sent = parse(server.host.message(0).content);
  CHECK(at(sent, "APIKey") == std::string("SECRET"));
  CHECK(at(sent, "RequestUID") == std::string("MINE"));
  CHECK(at(parse(r.response), "RequestUID") == std::string("MINE"));
  // Missing elements are inserted in the schema's order.
  std::vector<std::string> order;
  for (auto child : sent.document_element().children()) order.emplace_back(child.name());
  CHECK(order == std::vector<std::string>{"APIKey", "DeviceID", "DeviceVersion", "RequestUID", "Function",
                                          "FunctionVersion", "FunctionParameters"});
}

TEST_CASE("destination: content that is not XML, or no function, is rejected", "[systemone][destination]") {
  MemoryContext context;
  LineServer never([](const std::string&, int) { return std::string{}; });
  auto d = destination(never.port, context);
  auto bad = send(*d, "<a><b></a>", {{"function", "X"}});
  CHECK(bad.status == SendResult::Status::rejected);
  CHECK_THAT(bad.error, Catch::Contains("not XML"));
  auto nofn = send(*d, "<Identity/>");
  CHECK(nofn.status == SendResult::Status::rejected);
  CHECK_THAT(nofn.error, Catch::Contains("no function"));
  CHECK(never.requests == 0);
}

TEST_CASE("destination: error responses map to rejected or retry", "[systemone][destination]") {
  Server server;
  MemoryContext context;
  auto d = destination(server.port, context);
  auto permanent = send(*d, "", {{"function", "Permanent"}});
  CHECK(permanent.status == SendResult::Status::rejected);
  CHECK(permanent.error == "device blocked");
  auto transient = send(*d, "", {{"function", "Transient"}});
  CHECK(transient.status == SendResult::Status::retry);
  CHECK(transient.error == "record is open");
  auto simple = send(*d, "", {{"function", "SimpleError"}});
  CHECK(simple.status == SendResult::Status::retry);
  CHECK(simple.error == "simulator says no");
  CHECK_FALSE(transient.response.empty());
}

TEST_CASE("destination: rate_limit spaces consecutive requests", "[systemone][destination]") {
  Server server;
  MemoryContext context;
  auto d = destination(server.port, context, {{"rate_limit", "200ms"}, {"function", "GetFunctions"}});
  for (int i = 0; i < 3; ++i) REQUIRE(send(*d, "").status == SendResult::Status::sent);
  auto times = server.host.times();
  REQUIRE(times.size() == 3);
  for (int i = 1; i < 3; ++i) {
    auto gap = std::chrono::duration_cast<std::chrono::milliseconds>(times[i] - times[i - 1]).count();
    INFO("gap " << gap << " ms");
    CHECK(gap >= 180);  // configured 200 ms, measured at the receiving end
  }
}

TEST_CASE("destination: record_rate_limit spaces full GetPatientRecord requests only", "[systemone][destination]") {
  Server server;
  MemoryContext context;
  auto d = destination(server.port, context, {{"record_rate_limit", "300ms"}, {"function", "GetPatientRecord"}});
  REQUIRE(send(*d, "<Identity><NHSNumber>1</NHSNumber></Identity>").status == SendResult::Status::sent);
  REQUIRE(send(*d, "<Identity><NHSNumber>1</NHSNumber></Identity><Filter><Demographics/></Filter>").status ==
          SendResult::Status::sent);
  REQUIRE(send(*d, "<Identity><NHSNumber>2</NHSNumber></Identity><Filter><Medication/></Filter>").status ==
          SendResult::Status::sent);
  auto times = server.host.times();
  REQUIRE(times.size() == 3);
  auto full_gap = std::chrono::duration_cast<std::chrono::milliseconds>(times[2] - times[0]).count();
  INFO("full-record gap " << full_gap << " ms");
  CHECK(full_gap >= 280);
}

TEST_CASE("destination: full-record classification", "[systemone][destination]") {
  artery::systemone::RequestDefaults defaults;
  defaults.function = "GetPatientRecord";
  defaults.today = "2026-02-11";
  std::string error;
  auto full = [&](const std::string& params) { return artery::systemone::build_request(params, defaults, error)->full_patient_record; };
  CHECK(full(""));
  CHECK(full("<Filter><Demographics/><Medication/></Filter>"));
  CHECK_FALSE(full("<Filter><Demographics/></Filter>"));
  CHECK_FALSE(full("<Filter><MinEntryDate>2026-02-11</MinEntryDate><MaxEntryDate>2026-02-11</MaxEntryDate></Filter>"));
  CHECK(full("<Filter><MinEntryDate>2026-02-10</MinEntryDate><MaxEntryDate>2026-02-11</MaxEntryDate></Filter>"));
  defaults.function = "PatientSearch";
  CHECK_FALSE(full(""));
}

TEST_CASE("destination: no answer times out, closes, retries, and the next send succeeds", "[systemone][destination]") {
  MemoryContext context;
  LineServer server([](const std::string&, int index) { return index == 0 ? std::string{} : kCanned; });
  auto d = destination(server.port, context, {{"response_timeout", "300ms"}, {"function", "GetFunctions"}});
  auto first = send(*d, "");
  CHECK(first.status == SendResult::Status::retry);
  CHECK_THAT(first.error, Catch::StartsWith("timeout"));
  auto second = send(*d, "");
  CHECK(second.status == SendResult::Status::sent);
  CHECK(server.connections == 2);  // the timed-out connection was not reused
  CHECK(context.state["device_id"] == "DEV");
}

TEST_CASE("destination: a multi-line, multi-read response (kcl full record) is read whole", "[systemone][destination]") {
  std::ifstream in(ARTERY_FIXTURES "/samples/systemone/response_GetPatientRecord_full_kcl.xml", std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string record = ss.str();
  MemoryContext context;
  LineServer server([&record](const std::string&, int) { return record + "\n"; });
  auto d = destination(server.port, context, {{"function", "GetPatientRecord"}});
  auto r = send(*d, "<Identity><NHSNumber>4917111072</NHSNumber></Identity>");
  REQUIRE(r.status == SendResult::Status::sent);
  CHECK(r.response.size() > 30000);
  CHECK(at(parse(r.response), "Response/Identity/NHSNumber") == std::string("4917111072"));
  CHECK(context.state["device_id"] == "a824b6abdab4c355");
  // The same connection serves the next request (the trailing newline is not taken for a stray answer).
  REQUIRE(send(*d, "<Identity><NHSNumber>4917111072</NHSNumber></Identity><Filter><Demographics/></Filter>").status ==
          SendResult::Status::sent);
  CHECK(server.connections == 1);
}

TEST_CASE("destination: connection refused and a peer that closes are retries", "[systemone][destination]") {
  MemoryContext context;
  auto refused = destination(free_port(), context, {{"function", "GetFunctions"}});
  auto r = send(*refused, "");
  CHECK(r.status == SendResult::Status::retry);
  CHECK_THAT(r.error, Catch::Contains("cannot connect"));

  LineServer tiny([](const std::string&, int) { return std::string("<R>") + std::string(2000, 'x') + "</R>\n"; });
  auto small = destination(tiny.port, context, {{"function", "GetFunctions"}, {"max_response_size", "1KiB"}});
  auto big = send(*small, "");
  CHECK(big.status == SendResult::Status::rejected);
  CHECK_THAT(big.error, Catch::Contains("max_response_size"));
}

TEST_CASE("destination: options are checked", "[systemone][destination]") {
  MemoryContext context;
  CHECK_THROWS_WITH(make_systemone_destination(options({}), context), Catch::Contains("api_key: is required"));
  CHECK_THROWS_WITH(make_systemone_destination(options({{"api_key", "k"}, {"rate_limit", "soon"}}), context),
                    Catch::Contains("rate_limit"));
  CHECK_THROWS_WITH(make_systemone_destination(options({{"api_key", "k"}, {"output_scheme_drugs", "BNF"}}), context),
                    Catch::Contains("expected one of Multilex, Dmd"));
}

TEST_CASE("destination: TLS options verify the server unless told not to", "[systemone][destination][tls]") {
  using artery::systemone::DestinationSettings;
  auto plain = DestinationSettings::read(options({{"api_key", "k"}}));
  CHECK_FALSE(plain.tls.enabled);
  auto tls = DestinationSettings::read(options({{"api_key", "k"}, {"tls.enabled", "true"}}));
  CHECK(tls.tls.enabled);
  CHECK(tls.tls.verify_peer);  // on by default: the one safe default for patient data
  auto trusting =
      DestinationSettings::read(options({{"api_key", "k"}, {"tls.enabled", "true"}, {"tls.verify_server", "false"}}));
  CHECK_FALSE(trusting.tls.verify_peer);
  CHECK_THROWS_WITH(DestinationSettings::read(options({{"api_key", "k"}, {"tls.enabled", "true"}, {"tls.cert", "c.pem"}})),
                    Catch::Contains("tls.cert and tls.key go together"));
  CHECK_THROWS_WITH(DestinationSettings::read(options({{"api_key", "k"}, {"tls.min_version", "1.1"}})),
                    Catch::Contains("tls.min_version"));
}
