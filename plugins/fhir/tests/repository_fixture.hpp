// A real `artery run` with one channel whose source is `type: fhir,
// repository: true` on a free loopback port, for the repository tests: the
// channel YAML is validated with `artery validate` first, as a user would.
#pragma once
#include "support/engine_process.hpp"
#include "support/http_client.hpp"
#include "support/loopback.hpp"

#include <boost/json.hpp>

#include <catch2/catch.hpp>

#include <csignal>
#include <memory>
#include <string>

namespace artery::testing {

struct FhirRepository {
  TempDir dir{"artery-fhir-repo"};
  int port = free_port();
  std::unique_ptr<EngineProcess> engine;

  // `source_extra`: more lines under `source:` (indented two spaces);
  // `channel_extra`: lines at the channel's top level (script: ...).
  explicit FhirRepository(const std::string& source_extra = "", const std::string& channel_extra = "") {
    write_text(dir / "channels/ehr.yaml", "name: ehr\n" + channel_extra + "source:\n  type: fhir\n  listen: 127.0.0.1:" +
                                              std::to_string(port) + "\n  repository: true\n" + source_extra);
    start();
  }
  void start() {
    std::string output;
    REQUIRE(run_artery({"validate", "--channels", (dir / "channels").string()}, output) == 0);
    engine = std::make_unique<EngineProcess>(
        std::vector<std::string>{"run", "--channels", (dir / "channels").string(), "--data", (dir / "data").string(),
                                 "--http", "off"},
        dir / "engine.log");
    REQUIRE(engine->wait_for_log("running 1 of 1 channels"));
  }
  void restart() {
    engine->stop(SIGTERM);
    start();
  }

  HttpReply call(const std::string& method, const std::string& path, const std::string& body = "",
                 std::vector<std::pair<std::string, std::string>> headers = {}) const {
    if (!body.empty()) {
      bool has_type = false;
      for (const auto& [k, v] : headers) has_type = has_type || k == "Content-Type";
      if (!has_type) headers.emplace_back("Content-Type", "application/fhir+json");
    }
    return http_request(port, {method, "/fhir" + path, std::move(headers), body});
  }
};

inline boost::json::object json_of(const HttpReply& reply) {
  boost::system::error_code ec;
  auto v = boost::json::parse(reply.body, ec);
  INFO(reply.body);
  REQUIRE(!ec);
  REQUIRE(v.is_object());
  return v.as_object();
}

inline std::string str(const boost::json::value& v) { return std::string(v.as_string()); }

// The reply is an OperationOutcome with this status.
inline void require_outcome(const HttpReply& reply, int status) {
  INFO(reply.body);
  REQUIRE(reply.status == status);
  REQUIRE(reply.header("content-type").find("application/fhir+json") == 0);
  auto o = json_of(reply);
  REQUIRE(str(o.at("resourceType")) == "OperationOutcome");
  REQUIRE(!o.at("issue").as_array().empty());
}

}  // namespace artery::testing
