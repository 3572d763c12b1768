// HTTP request handling of the admin server: the bytes a client sends, read
// by Beast's request parser under the limits the core HttpServer sets
// (HttpServerOptions: 16 KiB head, 10 MiB body), turned into an HttpRequest
// and routed as HttpServer::handle does (routed_request.hpp), to the real
// admin API (register_admin_api) of a real engine on an empty store. The
// HttpServer has no socket-free seam, so the socket and its timers are the
// only part left out. The first input byte picks the caller (nobody, or an
// API token of a viewer, an operator or an admin), so the fuzzer gets past
// the access checks into every endpoint; the rest is the byte stream (up to
// four pipelined requests). Invariant: no handler answers 500 to a client's
// bad input.
#include "fuzz_check.hpp"
#include "fuzz_input.hpp"
#include "routed_request.hpp"

#include "admin/account_store.hpp"
#include "admin/admin_context.hpp"
#include "admin/admin_routes.hpp"
#include "admin/api/endpoints.hpp"
#include "admin/authenticator.hpp"
#include "admin/stats_sampler.hpp"
#include "clock/unix_time.hpp"
#include "log/logger.hpp"
#include "runtime/engine.hpp"
#include "store/audit_log.hpp"

#include <artery/http_server.hpp>

#include <boost/asio/buffer.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>

#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <string>

namespace fs = std::filesystem;
namespace bhttp = boost::beast::http;
using namespace artery;

namespace artery::admin {
std::unique_ptr<Authenticator> make_authenticator(AdminContext& context);
}

namespace {

// An engine with no channels on a store of its own, and the admin API's
// parts built as AdminServer::start builds them, minus the HttpServer.
struct AdminUnderTest {
  fs::path dir = fs::temp_directory_path() / ("artery-fuzz-admin-" + std::to_string(getpid()));
  std::unique_ptr<Engine> engine;
  std::unique_ptr<AuditLog> audit;
  std::unique_ptr<admin::StatsSampler> stats;
  std::unique_ptr<admin::AdminContext> context;
  std::unique_ptr<admin::Authenticator> authenticator;
  HttpRouter router;
  std::unique_ptr<admin::AdminRoutes> routes;
  std::string tokens[3];  // viewer, operator, admin
  HttpServerOptions limits;  // the server's defaults: what the admin server runs with

  AdminUnderTest() {
    logger::set_level(LogLevel::error);
    fs::remove_all(dir);
    fs::create_directories(dir / "channels");
    fs::create_directories(dir / "plugins");
    setenv("ARTERY_ADMIN_PASSWORD", "fuzz-admin-password-0", 1);
    EngineConfig config;
    config.channels_dir = dir / "channels";
    config.data_dir = dir / "data";
    config.plugins_dir = dir / "plugins";
    engine = std::make_unique<Engine>(config);
    std::string error;
    if (!engine->start(error)) {
      std::fprintf(stderr, "fuzz_admin_http: engine: %s\n", error.c_str());
      std::abort();
    }
    audit = std::make_unique<AuditLog>(engine->config().data_dir / "artery.db");
    stats = std::make_unique<admin::StatsSampler>(engine->channels());
    context = std::make_unique<admin::AdminContext>(admin::AdminContext{
        engine->channels(), engine->store(), engine->plugins(), *audit, engine->config(), *stats, nullptr,
        engine->alerts(), dir / "console", std::chrono::steady_clock::now(),
        [this](const std::string& name) { return engine->redeploy(name).error; },
        [] { return std::map<std::string, std::int64_t>{}; }, engine->reloads(),
        [this](const std::string& trigger) { return engine->reload_plugins(trigger); }});
    authenticator = admin::make_authenticator(*context);
    routes = std::make_unique<admin::AdminRoutes>(router, *authenticator);
    admin::register_admin_api(*routes, *context);
    auto& accounts = *context->accounts;
    accounts.add_user("fuzz-viewer", admin::Role::viewer, "fuzz-viewer-password");
    accounts.add_user("fuzz-operator", admin::Role::operator_, "fuzz-operator-password");
    tokens[0] = accounts.create_token("fuzz-viewer", "fuzz").secret;
    tokens[1] = accounts.create_token("fuzz-operator", "fuzz").secret;
    tokens[2] = accounts.create_token("admin", "fuzz").secret;
  }
  ~AdminUnderTest() {
    routes.reset();
    authenticator.reset();
    context.reset();
    stats.reset();
    audit.reset();
    engine.reset();
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
};

AdminUnderTest& admin_api() {
  static AdminUnderTest instance;
  return instance;
}

}  // namespace

// Set up before the first input: three PBKDF2 hashes (the first admin and the
// two users) take seconds, which libFuzzer would count against that input.
extern "C" int LLVMFuzzerInitialize(int*, char***) {
  admin_api();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  AdminUnderTest& a = admin_api();
  fuzz::FuzzInput input(data, size);
  const std::uint8_t caller = input.byte() % 4;
  std::string_view bytes = input.rest();
  for (int pipelined = 0; pipelined < 4 && !bytes.empty(); ++pipelined) {
    bhttp::request_parser<bhttp::string_body> parser;
    parser.eager(true);
    parser.header_limit(static_cast<std::uint32_t>(a.limits.max_header_bytes));
    parser.body_limit(a.limits.max_body_bytes);
    boost::system::error_code ec;
    std::size_t used = parser.put(boost::asio::buffer(bytes.data(), bytes.size()), ec);
    // Beast reads a head whole before its body; put() again for the body.
    while (!ec && !parser.is_done() && used < bytes.size()) {
      std::size_t more = parser.put(boost::asio::buffer(bytes.data() + used, bytes.size() - used), ec);
      if (more == 0) break;
      used += more;
    }
    if (!ec && !parser.is_done() && parser.is_header_done() && parser.need_eof()) parser.put_eof(ec);
    if (ec || !parser.is_done()) return 0;  // the server answers 400/413/431 (or waits) itself
    bytes.remove_prefix(used);
    auto message = parser.release();
    HttpRequest request;
    request.method = std::string(message.method_string());
    request.target = std::string(message.target());
    request.version = message.version();
    request.peer_address = "127.0.0.1";
    request.peer_port = 40000;
    for (auto& field : message) request.headers.add(field.name_string(), field.value());
    if (caller > 0 && !request.headers.contains("Authorization"))
      request.headers.set("Authorization", "Bearer " + a.tokens[caller - 1]);
    request.body = std::move(message.body());
    // A login or a new password costs 600,000 PBKDF2 rounds by design (a
    // quarter of a second on an idle core, minutes under the fuzzer on a
    // loaded one): each would read as a hang. Those routes' input is
    // tested by admin_auth_test; the fuzzer spends its time elsewhere.
    const bool hashes = (request.method == "POST" || request.method == "PUT") &&
                        (request.target.rfind("/api/login", 0) == 0 || request.target.rfind("/api/users", 0) == 0);
    if (hashes) return 0;
    auto answer = fuzz::route(a.router, std::move(request));
    if (answer && answer->status == 500) std::fprintf(stderr, "500: %s\n", answer->body.c_str());
    FUZZ_CHECK(!answer || answer->status != 500);
    if (!message.keep_alive()) return 0;
  }
  return 0;
}
