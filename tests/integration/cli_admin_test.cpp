// The commands that mirror the admin API (artery channels, channel, messages,
// queue), run as processes against a real `artery run --http` on loopback,
// the way an operator on the server uses them. Until API tokens exist
// (the accounts work), what is tested here is everything that needs none:
// the refusal without a token (401, said clearly), an engine that is not
// listening, and the usage errors, which never reach the network.
#include "support/engine_process.hpp"
#include "support/http_client.hpp"
#include "support/loopback.hpp"
#include "support/test_certificates.hpp"

#include <artery/http_router.hpp>
#include <artery/http_server.hpp>

#include <boost/json.hpp>

#include <catch2/catch.hpp>

#include <cstdlib>

using namespace artery::testing;
namespace fs = std::filesystem;

namespace {

struct RunningEngine {
  TempDir dir{"artery-cli-admin"};
  int http_port = free_port();
  int mllp_port = free_port();
  std::unique_ptr<EngineProcess> engine;
  RunningEngine() {
    fs::create_directories(dir / "channels");
    write_text(dir / "channels/lab.yaml", "name: lab\n"
                                          "source:\n"
                                          "  type: mllp\n"
                                          "  listen: 127.0.0.1:" + std::to_string(mllp_port) + "\n"
                                          "destinations:\n"
                                          "  - name: archive\n"
                                          "    type: file\n"
                                          "    directory: " + (dir / "out").string() + "\n"
                                          "    filename: ${control_id}.hl7\n");
    engine = std::make_unique<EngineProcess>(
        std::vector<std::string>{"run", "--channels", (dir / "channels").string(), "--data", (dir / "data").string(),
                                 "--http", "127.0.0.1:" + std::to_string(http_port)},
        dir / "engine.log");
    REQUIRE(engine->wait_for_log("admin API and console on http://127.0.0.1:" + std::to_string(http_port)));
  }
  std::string server() const { return "http://127.0.0.1:" + std::to_string(http_port); }
};

// The test's own environment must not point the commands elsewhere.
struct CleanEnvironment {
  CleanEnvironment() {
    ::unsetenv("ARTERY_SERVER");
    ::unsetenv("ARTERY_TOKEN");
  }
  ~CleanEnvironment() { ::unsetenv("ARTERY_TOKEN"); }
};

}  // namespace

TEST_CASE("artery channels|channel|messages|queue without a token: exit 1 and say how to authenticate",
          "[cli][admin][integration]") {
  CleanEnvironment clean;
  RunningEngine running;
  const std::string server = running.server();
  for (const auto& args : std::vector<std::vector<std::string>>{
           {"channels", "--server", server},
           {"channels", "--json", "--server", server},
           {"channel", "stop", "lab", "--server", server},
           {"messages", "search", "--channel", "lab", "--since", "1h", "--server", server},
           {"messages", "show", "1", "--server", server},
           {"messages", "reprocess", "1", "2", "--server", server},
           {"messages", "reprocess", "--channel", "lab", "--status", "ERROR", "--since", "1h", "--server", server},
           {"queue", "purge", "--channel", "lab", "--yes", "--server", server}}) {
    INFO(args[0] + " " + args[1]);
    std::string output;
    CHECK(run_artery(args, output) == 1);
    CHECK(output.find("not authenticated by " + server) != std::string::npos);
    CHECK(output.find("ARTERY_TOKEN") != std::string::npos);
  }
  // A token the engine does not know is refused the same way, and ARTERY_SERVER is honoured.
  ::setenv("ARTERY_SERVER", server.c_str(), 1);
  ::setenv("ARTERY_TOKEN", "not-a-real-token", 1);
  std::string output;
  CHECK(run_artery({"channels"}, output) == 1);
  CHECK(output.find("not authenticated") != std::string::npos);
  ::unsetenv("ARTERY_SERVER");
  // The refusals changed nothing: the channel still runs.
  auto health = http_get(running.http_port, "/api/health");
  CHECK(boost::json::parse(health.body).as_object().at("status").as_string() == "healthy");
}

TEST_CASE("artery channels against no engine: exit 1, is the engine running with --http?",
          "[cli][admin][integration]") {
  CleanEnvironment clean;
  const std::string server = "http://127.0.0.1:" + std::to_string(free_port());  // nobody listens
  std::string output;
  CHECK(run_artery({"channels", "--server", server}, output) == 1);
  CHECK(output.find("cannot connect to " + server) != std::string::npos);
  CHECK(output.find("is the engine running with --http?") != std::string::npos);
  CHECK(run_artery({"queue", "purge", "--channel", "lab", "--yes", "--server", server}, output) == 1);
  CHECK(output.find("connection refused") != std::string::npos);
}

TEST_CASE("the API commands' usage errors exit 2 before any request", "[cli][admin][integration]") {
  CleanEnvironment clean;
  TempDir dir{"artery-cli-usage"};
  // An address nobody listens on: a usage error must be found before connecting.
  const std::string server = "http://127.0.0.1:" + std::to_string(free_port());
  struct Case {
    std::vector<std::string> args;
    std::string says;
  };
  for (const auto& c : std::vector<Case>{
           {{"channels", "extra"}, "unexpected argument 'extra'"},
           {{"channels", "--bogus"}, "unknown option --bogus"},
           {{"channel"}, "name an action"},
           {{"channel", "explode", "lab"}, "unknown action 'explode'"},
           {{"channel", "stop"}, "name the channel"},
           {{"channel", "stop", "a", "b"}, "one channel at a time"},
           {{"messages"}, "search, show or reprocess"},
           {{"messages", "list"}, "unknown subcommand 'list'"},
           {{"messages", "search", "--limit", "0"}, "--limit: '0'"},
           {{"messages", "search", "--text", "a", "--control-id", "b"}, "give one of"},
           {{"messages", "show"}, "name one message id"},
           {{"messages", "show", "abc"}, "'abc' is not a message id"},
           {{"messages", "reprocess"}, "ID... or --channel C"},
           {{"messages", "reprocess", "x1"}, "'x1' is not a message id"},
           {{"messages", "reprocess", "1", "--channel", "lab"}, "not both"},
           {{"queue"}, "name what to do: purge"},
           {{"queue", "purge"}, "--channel C"},
           {{"queue", "purge", "--channel", "lab"}, "confirm with --yes"},
           {{"channels", "--server", "ftp://x"}, "not an http:// or https:// address"},
           {{"channels", "--server", "http://:80"}, "names no host"},
           {{"channels", "--token-file", (dir / "missing").string()}, "cannot read it"}}) {
    auto args = c.args;
    if (std::find(args.begin(), args.end(), "--server") == args.end()) {
      args.push_back("--server");
      args.push_back(server);
    }
    INFO(args[0] + (args.size() > 1 ? " " + args[1] : std::string()));
    std::string output;
    CHECK(run_artery(args, output) == 2);
    CHECK(output.find(c.says) != std::string::npos);
    CHECK(output.find("--help lists the options") != std::string::npos);
  }
}

TEST_CASE("artery channels/messages/queue --help say what they take", "[cli][admin][integration]") {
  std::string output;
  REQUIRE(run_artery({"help"}, output) == 0);
  CHECK(output.find("queue purge --channel C") != std::string::npos);
  REQUIRE(run_artery({"messages", "search", "--help"}, output) == 0);
  CHECK(output.find("--patient-id P") != std::string::npos);
  CHECK(output.find("ARTERY_SERVER") != std::string::npos);
  REQUIRE(run_artery({"queue", "purge", "--help"}, output) == 0);
  CHECK(output.find("purged by <user>") != std::string::npos);
  REQUIRE(run_artery({"channel", "--help"}, output) == 0);
  CHECK(output.find("start|stop|pause|resume|redeploy NAME") != std::string::npos);
}

TEST_CASE("the bulk reprocess and queue purge endpoints are in openapi.json and need a login",
          "[cli][admin][integration]") {
  RunningEngine running;
  auto doc = boost::json::parse(http_get(running.http_port, "/api/openapi.json").body).as_object();
  const auto& paths = doc.at("paths").as_object();
  REQUIRE(paths.contains("/api/messages/reprocess"));
  REQUIRE(paths.contains("/api/channels/{name}/queue/purge"));
  CHECK(paths.at("/api/messages/reprocess").as_object().contains("post"));
  for (const std::string target : {"/api/messages/reprocess", "/api/channels/lab/queue/purge"}) {
    auto reply = http_post_json(running.http_port, target, "{}");
    CHECK(reply.status == 401);
  }
}

// The admin server has no TLS of its own yet (a proxy in front gives it), so
// https is tested against the core HTTP server with TLS standing in for the
// engine: the client verifies the certificate against --ca, sends the token
// as a Bearer header, and prints the table from the answer.
TEST_CASE("artery channels over https: the certificate verified against --ca, the token sent as Bearer",
          "[cli][admin][integration]") {
  CleanEnvironment clean;
  const auto& certificates = artery::testing::TestCertificates::get();
  artery::HttpServerOptions options;
  options.tls.enabled = true;
  options.tls.cert = certificates("server.pem");
  options.tls.key = certificates("server.key");
  artery::HttpRouter router;
  router.add("GET", "/api/channels", [](const artery::HttpRequest& request) {
    if (request.headers.get("authorization") != "Bearer secret-token")
      return artery::HttpResponse::error(401, "no valid token");
    return artery::HttpResponse::json(
        200, R"({"channels":[{"name":"lab-results","state":"started","counters":{"received":12,"filtered":1,)"
             R"("queued":3,"sent":8,"errored":0},"rates":{"received_per_second":2.5}}],"sampled_at_ms":0})");
  });
  artery::HttpServer server(options, std::move(router));
  std::string error;
  REQUIRE(server.start(error));
  TempDir dir{"artery-cli-https"};
  write_text(dir / "token", "secret-token\n");
  const std::string url = "https://127.0.0.1:" + std::to_string(server.port());

  std::string output;
  REQUIRE(run_artery({"channels", "--server", url, "--ca", certificates("ca.pem"), "--token-file",
                      (dir / "token").string()},
                     output) == 0);
  CHECK(output.find("NAME") != std::string::npos);
  CHECK(output.find("lab-results  started") != std::string::npos);
  CHECK(output.find("2.5") != std::string::npos);

  // A certificate the client cannot verify is refused: no token is sent to it.
  CHECK(run_artery({"channels", "--server", url, "--ca", certificates("other.pem"), "--token-file",
                    (dir / "token").string()},
                   output) == 1);
  CHECK(output.find("certificate verify failed") != std::string::npos);
  // The right server with no token: the server's 401, said clearly.
  CHECK(run_artery({"channels", "--server", url, "--ca", certificates("ca.pem")}, output) == 1);
  CHECK(output.find("not authenticated") != std::string::npos);
}
