// The commands that mirror the admin API (artery channels, channel, messages,
// queue), run as processes against a real `artery run --http` on loopback,
// the way an operator on the server uses them. Until API tokens exist
// (the accounts work), what is tested here is everything that needs none:
// the refusal without a token (401, said clearly), an engine that is not
// listening, and the usage errors, which never reach the network.
#include "support/engine_process.hpp"
#include "support/lab_channel.hpp"
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
    write_text(dir / "channels/lab.yaml", lab_channel_yaml(mllp_port, dir / "out"));
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

namespace {

// An engine with accounts: the first admin from ARTERY_ADMIN_PASSWORD, and a
// channel whose second destination (lis) has no peer, so its deliveries stay
// queued for the purge.
struct AccountsEngine {
  TempDir dir{"artery-cli-auth"};
  int http_port = free_port();
  int mllp_port = free_port();
  std::unique_ptr<EngineProcess> engine;
  AccountsEngine() {
    fs::create_directories(dir / "channels");
    write_text(dir / "channels/lab.yaml", lab_channel_yaml(mllp_port, dir / "out",
                                          "  - name: lis\n"
                                          "    type: mllp\n"
                                          "    remote: 127.0.0.1:" + std::to_string(free_port()) + "\n"
                                          "    retry: {max: 100, initial: 1m}\n"));
    ::setenv("ARTERY_ADMIN_PASSWORD", "cli test admin password", 1);
    engine = std::make_unique<EngineProcess>(
        std::vector<std::string>{"run", "--channels", (dir / "channels").string(), "--data", (dir / "data").string(),
                                 "--http", "127.0.0.1:" + std::to_string(http_port)},
        dir / "engine.log");
    ::unsetenv("ARTERY_ADMIN_PASSWORD");
    REQUIRE(engine->wait_for_log("admin API and console on http://127.0.0.1:" + std::to_string(http_port)));
  }
  std::string server() const { return "http://127.0.0.1:" + std::to_string(http_port); }

  // A token for `user`, made the way a script's owner makes one: log in, POST /api/tokens.
  std::string token(const std::string& user, const std::string& password) {
    auto login = http_post_json(http_port, "/api/login",
                                R"({"user":")" + user + R"(","password":")" + password + R"("})");
    REQUIRE(login.status == 200);
    const std::string set_cookie = login.header("set-cookie");
    const std::string cookie = set_cookie.substr(0, set_cookie.find(';'));
    const std::string csrf(boost::json::parse(login.body).as_object().at("csrf_token").as_string());
    auto created = http_post_json(http_port, "/api/tokens", R"({"name":"cli test"})",
                                  {{"Cookie", cookie}, {"X-CSRF-Token", csrf}});
    INFO(created.body);
    REQUIRE(created.status == 201);
    return std::string(boost::json::parse(created.body).as_object().at("token").as_string());
  }
};

std::int64_t counter(const std::string& channels_json, const std::string& name) {
  auto channels = boost::json::parse(channels_json).as_object().at("channels").as_array();
  REQUIRE(channels.size() == 1);
  return channels[0].as_object().at("counters").as_object().at(name).as_int64();
}

}  // namespace

TEST_CASE("with an operator's token: channels, messages search/show, queue purge, reprocess, channel stop",
          "[cli][admin][integration]") {
  CleanEnvironment clean;
  AccountsEngine running;
  const std::string server = running.server();
  const std::string token = running.token("admin", "cli test admin password");
  write_text(running.dir / "token", token + "\n");
  const std::vector<std::string> auth = {"--server", server, "--token-file", (running.dir / "token").string()};
  auto with_auth = [&](std::vector<std::string> args) {
    args.insert(args.end(), auth.begin(), auth.end());
    return args;
  };
  std::string output;

  // One message in over MLLP: archived, and queued for the absent lis.
  write_text(running.dir / "oru.hl7",
             "MSH|^~\\&|LAB|HOSP|EHR|HOSP|20260101120000||ORU^R01|CTRL-CLI-1|P|2.5\r"
             "PID|1||PAT-42^^^HOSP||Doe^Jane\r"
             "OBX|1|NM|GLU^Glucose||5.4|mmol/L\r");
  REQUIRE(run_artery({"send", "mllp", "127.0.0.1:" + std::to_string(running.mllp_port),
                      (running.dir / "oru.hl7").string()},
                     output) == 0);
  REQUIRE(eventually([&] {
    run_artery(with_auth({"channels", "--json"}), output);
    return output.find("\"queued\":1") != std::string::npos;
  }));

  REQUIRE(run_artery(with_auth({"channels"}), output) == 0);
  CHECK(output.find("NAME") != std::string::npos);
  CHECK(output.find("\nlab   started") != std::string::npos);

  REQUIRE(run_artery(with_auth({"messages", "search", "--channel", "lab", "--control-id", "CTRL-CLI-1", "--json"}),
                     output) == 0);
  auto found = boost::json::parse(output).as_object().at("messages").as_array();
  REQUIRE(found.size() == 1);
  const std::string id = std::to_string(found[0].as_object().at("id").as_int64());
  REQUIRE(run_artery(with_auth({"messages", "search", "--control-id", "NO-SUCH-ID"}), output) == 0);
  CHECK(output.find("no messages match") != std::string::npos);

  REQUIRE(run_artery(with_auth({"messages", "show", id}), output) == 0);
  INFO(output);
  CHECK(output.find("\n  PID|1||PAT-42^^^HOSP||Doe^Jane\n") != std::string::npos);  // one segment a line
  CHECK(output.find("destination archive: SENT") != std::string::npos);
  CHECK(output.find("destination lis: QUEUED") != std::string::npos);

  // The purge: lis's delivery ends as ERROR "purged by admin", the counters follow.
  REQUIRE(run_artery(with_auth({"queue", "purge", "--channel", "lab", "--destination", "lis", "--yes"}), output) == 0);
  CHECK(output.find("purged 1 queued deliveries of lab/lis") != std::string::npos);
  REQUIRE(run_artery(with_auth({"messages", "show", id}), output) == 0);
  CHECK(output.find("destination lis: ERROR") != std::string::npos);
  CHECK(output.find("purged by admin") != std::string::npos);
  // The list is the sampler's, at most a second old.
  CHECK(eventually([&] {
    return run_artery(with_auth({"channels", "--json"}), output) == 0 && counter(output, "queued") == 0;
  }));
  CHECK(counter(output, "errored") == 1);
  CHECK(run_artery(with_auth({"queue", "purge", "--channel", "lab", "--destination", "nope", "--yes"}), output) == 1);
  CHECK(output.find("no destination named nope") != std::string::npos);

  // Reprocess by id and by filter: new messages, linked to the original.
  REQUIRE(run_artery(with_auth({"messages", "reprocess", id}), output) == 0);
  CHECK(output.find("reprocessed 1 message(s); new ids: ") != std::string::npos);
  REQUIRE(run_artery(with_auth({"messages", "reprocess", "--channel", "lab", "--status", "ERROR", "--since", "1h"}),
                     output) == 0);
  CHECK(output.find("reprocessed 1 message(s)") != std::string::npos);
  REQUIRE(run_artery(with_auth({"messages", "search", "--channel", "lab", "--json"}), output) == 0);
  CHECK(boost::json::parse(output).as_object().at("messages").as_array().size() == 3);

  // Stopped, the channel takes no reprocess: exit 1 with the server's reason.
  REQUIRE(run_artery(with_auth({"channel", "stop", "lab"}), output) == 0);
  CHECK(output.find("channel lab: stopped") != std::string::npos);
  CHECK(run_artery(with_auth({"messages", "reprocess", id}), output) == 1);
  CHECK(output.find("is not running; start it first") != std::string::npos);
  CHECK(run_artery(with_auth({"channel", "stop", "nope"}), output) == 1);
  CHECK(output.find("no channel named 'nope' (HTTP 404)") != std::string::npos);
  REQUIRE(run_artery(with_auth({"channel", "start", "lab"}), output) == 0);
  CHECK(output.find("channel lab: started") != std::string::npos);

  // Every action is in the audit log under the token's user.
  auto audit = http_get(running.http_port, "/api/audit?action=channel.", {{"Authorization", "Bearer " + token}});
  CHECK(audit.body.find("channel.queue_purge") != std::string::npos);
  CHECK(audit.body.find("channel.stop") != std::string::npos);

  // A viewer's token sees states, not content, and may not act: refused, said so.
  write_text(running.dir / "pw", "vera's long password\n");
  const std::string add = std::string("\"") + ARTERY_BINARY + "\" user add vera --role viewer --password-stdin --data \"" +
                          (running.dir / "data").string() + "\" < \"" + (running.dir / "pw").string() + "\" > /dev/null";
  REQUIRE(std::system(add.c_str()) == 0);
  ::setenv("ARTERY_TOKEN", running.token("vera", "vera's long password").c_str(), 1);
  CHECK(run_artery({"channel", "stop", "lab", "--server", server}, output) == 1);
  CHECK(output.find("refused") != std::string::npos);
  REQUIRE(run_artery({"messages", "show", id, "--server", server}, output) == 0);
  CHECK(output.find("content hidden") != std::string::npos);
  CHECK(output.find("PID|") == std::string::npos);
  REQUIRE(run_artery({"channels", "--server", server}, output) == 0);
  CHECK(output.find("\nlab   started") != std::string::npos);
}
