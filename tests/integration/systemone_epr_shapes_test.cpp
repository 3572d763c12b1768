// The demo EPR channel answers in the shapes the EPR's own documentation
// shows (tests/fixtures/samples/SOURCES.md, "the demo EPR's documented
// shapes"), so a client written against that EPR works unchanged; TPP's
// element names remain an option. Through the real engine: the committed
// channel file, `artery validate`, `artery run`, a socket client and
// `artery send systemone`.
#include "support/engine_process.hpp"
#include "support/loopback.hpp"

#include <catch2/catch.hpp>
#include <pugixml.hpp>

#include <csignal>
#include <memory>
#include <regex>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

using namespace artery::testing;
namespace fs = std::filesystem;

namespace {

const std::string kSource = ARTERY_SOURCE_DIR;

// The committed channel on a loopback port; `tpp` switches it to TPP's
// element names the way its comment says (two lines).
std::string channel_yaml(int port, bool tpp) {
  std::string yaml = read_text(kSource + "/channels/systemone-epr.yaml");
  REQUIRE(yaml.find("error_style: simple") != std::string::npos);
  yaml = std::regex_replace(yaml, std::regex("listen: 0\\.0\\.0\\.0:40700"), "listen: 127.0.0.1:" + std::to_string(port));
  const std::string script = tpp ? "systemone_epr_tpp.lua" : "systemone_epr.lua";
  yaml = std::regex_replace(yaml, std::regex("script: \\.\\./scripts/systemone_epr\\.lua"),
                            "script: " + kSource + "/scripts/" + script);
  if (tpp) yaml = std::regex_replace(yaml, std::regex("error_style: simple"), "error_style: tpp");
  return yaml;
}

class Epr {
 public:
  explicit Epr(bool tpp) : port(free_port()) {
    write_text(dir / "channels/systemone-epr.yaml", channel_yaml(port, tpp));
    std::string output;
    REQUIRE(run_artery({"validate", (dir / "channels").string()}, output) == 0);
    engine = std::make_unique<EngineProcess>(
        std::vector<std::string>{"run", "--channels", (dir / "channels").string(), "--data", (dir / "data").string(),
                                 "--http", "127.0.0.1:" + std::to_string(free_port())},
        dir / "engine.log");
    REQUIRE(engine->wait_for_log("running 1 of 1 channels"));
  }
  std::string remote() const { return "127.0.0.1:" + std::to_string(port); }

  TempDir dir{"artery-epr-shapes"};
  int port;
  std::unique_ptr<EngineProcess> engine;
};

// Sends one document, reads the one-line answer.
std::string ask(int port, const std::string& document) {
  int fd = connect_loopback(port);
  REQUIRE(fd >= 0);
  timeval timeout{10, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  REQUIRE(::send(fd, document.data(), document.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(document.size()));
  std::string answer;
  char chunk[4096];
  while (answer.find('\n') == std::string::npos) {
    ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
    if (n <= 0) break;
    answer.append(chunk, static_cast<std::size_t>(n));
  }
  ::close(fd);
  return answer;
}

std::string request(const std::string& function, const std::string& key = "artery-demo-key") {
  return "<ClientIntegrationRequest><APIKey>" + key + "</APIKey><DeviceID>392752167bd7f69b</DeviceID>"
         "<RequestUID>shape-1</RequestUID><Function>" + function + "</Function><FunctionVersion>1.0</FunctionVersion>"
         "</ClientIntegrationRequest>\n";
}

pugi::xml_node parse(pugi::xml_document& doc, const std::string& text) {
  INFO(text);
  REQUIRE(doc.load_string(text.c_str()));
  pugi::xml_node root = doc.document_element();
  REQUIRE(std::string(root.name()) == "ClientIntegrationResponse");
  return root;
}

}  // namespace

TEST_CASE("EPR shapes by default: the EPR's documented client, GetFunctions as functions/Item, root-level errors",
          "[integration][systemone][epr]") {
  Epr epr(false);
  // The request as the EPR's documentation and client simulator send it: its
  // API key and device id, several lines, no DeviceVersion.
  const std::string documented =
      read_text(fs::path(ARTERY_FIXTURES) / "samples/systemone/epr_client_GetFunctions_request.xml");
  pugi::xml_document doc;
  pugi::xml_node root = parse(doc, ask(epr.port, documented));
  CHECK(std::string(root.child_value("DeviceID")) == "392752167bd7f69b");
  CHECK(std::string(root.child_value("RequestUID")) == "0C4B7E52-6D1A-4C57-9E3B-2F0A9D7C1E11");
  CHECK_FALSE(std::string(root.child_value("ResponseUID")).empty());
  pugi::xml_node functions = root.child("Response").child("functions");
  REQUIRE(functions);
  std::vector<std::string> names;
  for (pugi::xml_node item : functions.children("Item")) {
    names.emplace_back(item.child_value("name"));
    CHECK(std::string(item.child_value("version")) == "1.0");
    CHECK_FALSE(std::string(item.child_value("description")).empty());
  }
  CHECK(names == std::vector<std::string>{"GetFunctions", "GetPatients", "GetPatient", "GetAppointments",
                                          "GetPrescriptions", "GetLabResults", "AddPatient", "UpdatePatient",
                                          "PatientSearch", "GetPatientRecord", "UpdatePatientRecord"});
  CHECK_FALSE(root.child("Response").child("Functions"));

  // An error: directly under the root, with a ResponseUID; no <Response>.
  pugi::xml_document error_doc;
  pugi::xml_node error = parse(error_doc, ask(epr.port, request("ExitClient", "f31e26725b5491f2")));
  CHECK(std::string(error.child_value("Error")) == "true");
  CHECK(std::string(error.child_value("ErrorMessage")) == "Unknown function ExitClient");
  CHECK_FALSE(std::string(error.child_value("ResponseUID")).empty());
  CHECK_FALSE(error.child("Response"));

  // Artery's own client reads both as well.
  std::string output;
  CHECK(run_artery({"send", "systemone", epr.remote(), "--function", "GetFunctions", "--plugins", ARTERY_PLUGIN_DIR},
                   output) == 0);
  CHECK(output.find("<name>GetLabResults</name>") != std::string::npos);
  CHECK(run_artery({"send", "systemone", epr.remote(), "--function", "GetPatient", "--param", "PatientID=P404",
                    "--api-key", "f31e26725b5491f2", "--plugins", ARTERY_PLUGIN_DIR},
                   output) == 1);
  CHECK(output.find("no patient with PatientID P404") != std::string::npos);
  CHECK(epr.engine->stop(SIGTERM) == 0);
}

TEST_CASE("TPP's element names as an option: Functions/Function, ErrorMessage and PermanentError in Response",
          "[integration][systemone][epr]") {
  Epr epr(true);
  pugi::xml_document doc;
  pugi::xml_node root = parse(doc, ask(epr.port, request("GetFunctions")));
  pugi::xml_node functions = root.child("Response").child("Functions");
  REQUIRE(functions);
  CHECK(std::string(functions.first_child().name()) == "Function");
  CHECK(std::string(functions.first_child().text().as_string()) == "GetFunctions");
  CHECK_FALSE(root.child("Response").child("functions"));

  pugi::xml_document error_doc;
  pugi::xml_node error = parse(error_doc, ask(epr.port, request("ExitClient")));
  CHECK_FALSE(error.child("Error"));
  CHECK(std::string(error.child("Response").child_value("ErrorMessage")) == "Unknown function ExitClient");
  CHECK(std::string(error.child("Response").child_value("PermanentError")) == "true");
  CHECK(std::string(error.child_value("RequestUID")) == "shape-1");
  CHECK(epr.engine->stop(SIGTERM) == 0);
}
