// Users, roles, sessions and API tokens as a browser and a script reach them:
// the real `artery run --http`, ARTERY_ADMIN_PASSWORD for the first admin,
// plain HTTP over loopback, and `artery user` run beside the engine. Every
// password is hashed at full strength (~0.25-0.5 s), so logins are few.
#include "support/engine_process.hpp"
#include "support/lab_channel.hpp"
#include "support/http_client.hpp"
#include "support/loopback.hpp"

#include <boost/json.hpp>

#include <catch2/catch.hpp>

#include <csignal>
#include <cstdlib>
#include <thread>

using namespace artery::testing;
using namespace std::chrono_literals;
namespace fs = std::filesystem;
namespace json = boost::json;

namespace {

constexpr const char* kAdminPassword = "the first admin's password";
using Headers = std::vector<std::pair<std::string, std::string>>;

struct RunningEngine {
  TempDir dir{"artery-admin-auth"};
  int http_port = free_port();
  int mllp_port = free_port();
  std::unique_ptr<EngineProcess> engine;

  // `admin_password` "": no ARTERY_ADMIN_PASSWORD, the engine generates one.
  explicit RunningEngine(const std::string& admin_block = "", const std::string& admin_password = kAdminPassword) {
    fs::create_directories(dir / "channels");
    write_text(dir / "channels/lab.yaml", lab_channel_yaml(mllp_port, dir / "out"));
    write_text(dir / "artery.yaml", admin_block);
    if (!admin_password.empty()) ::setenv("ARTERY_ADMIN_PASSWORD", admin_password.c_str(), 1);
    else ::unsetenv("ARTERY_ADMIN_PASSWORD");
    engine = std::make_unique<EngineProcess>(
        std::vector<std::string>{"run", "--config", (dir / "artery.yaml").string(), "--channels",
                                 (dir / "channels").string(), "--data", (dir / "data").string(), "--http",
                                 "127.0.0.1:" + std::to_string(http_port)},
        dir / "engine.log");
    ::unsetenv("ARTERY_ADMIN_PASSWORD");
    const bool up = engine->wait_for_log("admin API and console on http://127.0.0.1:" + std::to_string(http_port));
    INFO(engine->log());
    REQUIRE(up);
    REQUIRE(engine->wait_for_log("admin API and console on http://127.0.0.1:" + std::to_string(http_port)));
  }
  std::string data() const { return (dir / "data").string(); }
};

// What a browser keeps after logging in.
struct Login {
  std::string cookie;  // "artery_session=..."
  std::string csrf;
  std::string set_cookie;  // the whole Set-Cookie header
  Headers read() const { return {{"Cookie", cookie}}; }
  Headers write() const { return {{"Cookie", cookie}, {"X-CSRF-Token", csrf}}; }
};

std::string login_body(const std::string& user, const std::string& password) {
  json::object o;
  o["user"] = user;
  o["password"] = password;
  return json::serialize(o);
}

Login log_in(int port, const std::string& user, const std::string& password) {
  auto reply = http_post_json(port, "/api/login", login_body(user, password));
  INFO(reply.body);
  REQUIRE(reply.status == 200);
  Login login;
  login.set_cookie = reply.header("set-cookie");
  login.cookie = login.set_cookie.substr(0, login.set_cookie.find(';'));
  login.csrf = std::string(json::parse(reply.body).as_object().at("csrf_token").as_string());
  REQUIRE(login.cookie.rfind("artery_session=", 0) == 0);
  return login;
}

HttpReply call(int port, const std::string& method, const std::string& target, const Headers& headers,
               const std::string& body = "") {
  return http_request(port, {method, target, headers, body});
}

json::array audit_entries(int port, const Login& admin, const std::string& action) {
  auto reply = http_get(port, "/api/audit?action=" + action, admin.read());
  INFO(reply.body);
  REQUIRE(reply.status == 200);
  return json::parse(reply.body).as_object().at("entries").as_array();
}

std::string text(const json::value& v, const char* key) { return std::string(v.as_object().at(key).as_string()); }

}  // namespace

TEST_CASE("admin login: bad password 401, session cookie attributes, who am I, logout revokes, all audited",
          "[admin][auth][integration]") {
  RunningEngine running;
  const int port = running.http_port;

  auto wrong = http_post_json(port, "/api/login", login_body("admin", "not the password at all"));
  CHECK(wrong.status == 401);
  CHECK(wrong.header("set-cookie").empty());
  auto unknown = http_post_json(port, "/api/login", login_body("nobody", "not the password at all"));
  CHECK(unknown.status == 401);
  CHECK(unknown.body == wrong.body);  // the same answer: user names cannot be probed
  CHECK(http_post_json(port, "/api/login", "{\"user\": \"admin\"").status == 400);
  auto misspelt = http_post_json(port, "/api/login", "{\"user\": \"admin\", \"pasword\": \"x\"}");
  CHECK(misspelt.status == 400);
  CHECK(misspelt.body.find("unknown member 'pasword'") != std::string::npos);

  Login admin = log_in(port, "admin", kAdminPassword);
  CHECK(admin.set_cookie.find("; HttpOnly") != std::string::npos);
  CHECK(admin.set_cookie.find("; SameSite=Strict") != std::string::npos);
  CHECK(admin.set_cookie.find("; Path=/") != std::string::npos);
  CHECK(admin.set_cookie.find("; Max-Age=86400") != std::string::npos);  // the 24 h absolute lifetime
  CHECK(admin.set_cookie.find("Secure") == std::string::npos);           // plain HTTP here

  auto me = http_get(port, "/api/session", admin.read());
  REQUIRE(me.status == 200);
  auto who = json::parse(me.body).as_object();
  CHECK(who.at("user").as_string() == "admin");
  CHECK(who.at("role").as_string() == "admin");
  CHECK(who.at("csrf_token").as_string() == admin.csrf);
  CHECK(http_get(port, "/api/session").status == 401);

  // Logout is a state change: the cookie alone is not enough.
  CHECK(call(port, "POST", "/api/logout", admin.read()).status == 403);
  auto out = call(port, "POST", "/api/logout", admin.write());
  CHECK(out.status == 200);
  CHECK(out.header("set-cookie").find("Max-Age=0") != std::string::npos);
  CHECK(http_get(port, "/api/session", admin.read()).status == 401);  // the old cookie is dead on the server

  Login again = log_in(port, "admin", kAdminPassword);
  // The account endpoints are in the OpenAPI document with the role each needs.
  auto paths = json::parse(http_get(port, "/api/openapi.json").body).as_object().at("paths").as_object();
  for (const char* path : {"/api/login", "/api/logout", "/api/session", "/api/users", "/api/users/{name}",
                           "/api/tokens", "/api/tokens/{id}"}) {
    INFO(path);
    CHECK(paths.contains(path));
  }
  CHECK(paths.at("/api/users").as_object().at("post").as_object().at("x-artery-role").as_string() == "admin");

  auto failed = audit_entries(port, again, "login_failed");
  REQUIRE(failed.size() == 2);
  CHECK(text(failed[0], "user") == "nobody");
  CHECK(text(failed[1], "user") == "admin");
  CHECK(text(failed[1], "address") == "127.0.0.1");
  CHECK_FALSE(failed[1].as_object().at("ok").as_bool());
  CHECK(audit_entries(port, again, "login").size() == 2);
  CHECK(audit_entries(port, again, "logout").size() == 1);
}

TEST_CASE("admin login: five failures for a user are throttled with 429 and Retry-After", "[admin][auth][integration]") {
  RunningEngine running;
  const int port = running.http_port;
  for (int i = 0; i < 5; ++i)
    CHECK(http_post_json(port, "/api/login", login_body("admin", "guess number " + std::to_string(i))).status == 401);
  // Even the right password waits now: the guesser cannot tell it was right.
  auto throttled = http_post_json(port, "/api/login", login_body("admin", kAdminPassword));
  CHECK(throttled.status == 429);
  const int retry_after = std::atoi(throttled.header("retry-after").c_str());
  CHECK(retry_after >= 25);
  CHECK(retry_after <= 30);
  CHECK(throttled.header("set-cookie").empty());

  // The operator gets in with a token created from the command line: throttling is per user name.
  std::string output;
  write_text(running.dir / "pw", "another admin password\n");
  REQUIRE(run_artery({"user", "add", "second", "--role", "admin", "--data", running.data()}, output) == 2);
  CHECK(output.find("--password-stdin") != std::string::npos);  // stdin is not a terminal here
  Login second = [&] {
    // run_artery has no stdin: feed the password through a shell.
    std::string command = std::string("\"") + ARTERY_BINARY + "\" user add second --role admin --password-stdin --data \"" +
                          running.data() + "\" < \"" + (running.dir / "pw").string() + "\" > /dev/null";
    REQUIRE(std::system(command.c_str()) == 0);
    return log_in(port, "second", "another admin password");
  }();
  auto throttled_entries = audit_entries(port, second, "login_failed");
  REQUIRE(throttled_entries.size() == 6);
  CHECK(text(throttled_entries[0], "detail").find("throttled") != std::string::npos);
}

TEST_CASE("admin sessions: an idle session expires (admin: session_idle: 2s)", "[admin][auth][integration]") {
  RunningEngine running("admin:\n  session_idle: 2s\n  session_absolute: 1h\n");
  const int port = running.http_port;
  Login admin = log_in(port, "admin", kAdminPassword);
  CHECK(admin.set_cookie.find("Max-Age=3600") != std::string::npos);
  // Used every second, it lives on past its idle time...
  for (int i = 0; i < 3; ++i) {
    std::this_thread::sleep_for(1s);
    REQUIRE(http_get(port, "/api/session", admin.read()).status == 200);
  }
  // ...left alone, it ends.
  std::this_thread::sleep_for(2500ms);
  CHECK(http_get(port, "/api/session", admin.read()).status == 401);
  CHECK(http_get(port, "/api/channels", admin.read()).status == 401);
}

TEST_CASE("admin roles and CSRF: a viewer cannot stop a channel, an operator cannot add users, cookies need the token",
          "[admin][auth][integration]") {
  RunningEngine running;
  const int port = running.http_port;
  Login admin = log_in(port, "admin", kAdminPassword);

  auto add = [&](const std::string& name, const std::string& role) {
    json::object o;
    o["name"] = name;
    o["role"] = role;
    o["password"] = name + "'s long password";
    return call(port, "POST", "/api/users", admin.write(), json::serialize(o));
  };
  // CSRF: the admin's own cookie, without the header, changes nothing.
  auto forged = call(port, "POST", "/api/users", admin.read(),
                     R"({"name":"mallory","role":"admin","password":"mallory's long password"})");
  CHECK(forged.status == 403);
  CHECK(forged.body.find("X-CSRF-Token") != std::string::npos);
  auto wrong_token = call(port, "POST", "/api/users", {{"Cookie", admin.cookie}, {"X-CSRF-Token", "guessed"}},
                          R"({"name":"mallory","role":"admin","password":"mallory's long password"})");
  CHECK(wrong_token.status == 403);
  CHECK(call(port, "POST", "/api/channels/lab/stop", admin.read()).status == 403);

  REQUIRE(add("vera", "viewer").status == 201);
  REQUIRE(add("otto", "operator").status == 201);
  CHECK(add("otto", "operator").status == 409);
  auto short_password = call(port, "POST", "/api/users", admin.write(),
                             R"({"name":"shorty","role":"viewer","password":"too short"})");
  CHECK(short_password.status == 400);
  CHECK(short_password.body.find("at least 12 characters") != std::string::npos);
  CHECK(call(port, "POST", "/api/users", admin.write(), "{not json").status == 400);
  CHECK(call(port, "POST", "/api/users", admin.write(), R"({"name":"x","role":"boss","password":"a long password"})")
            .status == 400);

  Login vera = log_in(port, "vera", "vera's long password");
  Login otto = log_in(port, "otto", "otto's long password");

  CHECK(http_get(port, "/api/channels", vera.read()).status == 200);
  auto viewer_stop = call(port, "POST", "/api/channels/lab/stop", vera.write());
  CHECK(viewer_stop.status == 403);
  CHECK(viewer_stop.body.find("operator") != std::string::npos);
  CHECK(http_get(port, "/api/users", vera.read()).status == 403);

  auto operator_add = call(port, "POST", "/api/users", otto.write(),
                           R"({"name":"eve","role":"admin","password":"eve's long password"})");
  CHECK(operator_add.status == 403);
  CHECK(call(port, "DELETE", "/api/users/vera", otto.write()).status == 403);
  CHECK(call(port, "PUT", "/api/users/vera", otto.write(), R"({"role":"admin"})").status == 403);
  CHECK(call(port, "PUT", "/api/users/otto", otto.write(), R"({"role":"admin"})").status == 403);  // not himself either
  CHECK(call(port, "POST", "/api/channels/lab/stop", otto.write()).status == 200);
  CHECK(call(port, "POST", "/api/channels/lab/start", otto.write()).status == 200);

  // The last admin stays.
  auto last = call(port, "DELETE", "/api/users/admin", admin.write());
  CHECK(last.status == 409);
  CHECK(last.body.find("last admin") != std::string::npos);
  CHECK(call(port, "DELETE", "/api/users/nobody", admin.write()).status == 404);
  CHECK(call(port, "DELETE", "/api/users/vera", admin.write()).status == 200);
  CHECK(http_get(port, "/api/channels", vera.read()).status == 401);  // removed with her sessions

  auto users = json::parse(http_get(port, "/api/users", admin.read()).body).as_object().at("users").as_array();
  REQUIRE(users.size() == 2);
  CHECK(text(users[0], "name") == "admin");
  CHECK(text(users[1], "name") == "otto");

  // 2 added, 2 refused by the store (name taken, password short); bodies
  // that are not requests at all (bad JSON, unknown role) are only answered.
  auto added = audit_entries(port, admin, "user.add");
  REQUIRE(added.size() == 4);
  CHECK_FALSE(added[0].as_object().at("ok").as_bool());
  CHECK(text(added[3], "detail") == "added vera as viewer");
  auto removed = audit_entries(port, admin, "user.remove");
  REQUIRE(removed.size() == 3);
  CHECK(text(removed[0], "detail") == "removed vera");
}

TEST_CASE("admin passwords: a change ends the user's sessions, one's own needs the current password",
          "[admin][auth][integration]") {
  RunningEngine running;
  const int port = running.http_port;
  Login admin = log_in(port, "admin", kAdminPassword);
  REQUIRE(call(port, "POST", "/api/users", admin.write(),
               R"({"name":"otto","role":"operator","password":"otto's long password"})")
              .status == 201);
  Login otto = log_in(port, "otto", "otto's long password");
  Login otto_elsewhere = log_in(port, "otto", "otto's long password");

  CHECK(call(port, "PUT", "/api/users/otto", otto.write(), R"({"password":"otto's new password"})").status == 400);
  CHECK(call(port, "PUT", "/api/users/otto", otto.write(),
             R"({"password":"otto's new password","current_password":"a wrong guess here"})")
            .status == 403);
  CHECK(call(port, "PUT", "/api/users/admin", otto.write(),
             R"({"password":"otto owns admin now","current_password":"otto's long password"})")
            .status == 403);
  auto changed = call(port, "PUT", "/api/users/otto", otto.write(),
                      R"({"password":"otto's new password","current_password":"otto's long password"})");
  INFO(changed.body);
  REQUIRE(changed.status == 200);
  CHECK(json::parse(changed.body).as_object().at("sessions_ended").as_int64() == 2);
  CHECK(changed.header("set-cookie").find("Max-Age=0") != std::string::npos);
  CHECK(http_get(port, "/api/session", otto.read()).status == 401);
  CHECK(http_get(port, "/api/session", otto_elsewhere.read()).status == 401);
  CHECK(http_post_json(port, "/api/login", login_body("otto", "otto's long password")).status == 401);
  Login otto_new = log_in(port, "otto", "otto's new password");

  // An admin resets someone else's password without knowing it; that ends his sessions too.
  REQUIRE(call(port, "PUT", "/api/users/otto", admin.write(), R"({"password":"reset by the admin"})").status == 200);
  CHECK(http_get(port, "/api/session", otto_new.read()).status == 401);
  auto changes = audit_entries(port, admin, "user.password");
  CHECK(changes.size() == 3);  // two changes, one refused current password
}

TEST_CASE("admin API tokens: Bearer works without CSRF, shown once, a revoked one does not",
          "[admin][auth][integration]") {
  RunningEngine running;
  const int port = running.http_port;
  Login admin = log_in(port, "admin", kAdminPassword);
  auto created = call(port, "POST", "/api/tokens", admin.write(), R"({"name":"nightly script"})");
  INFO(created.body);
  REQUIRE(created.status == 201);
  auto token = json::parse(created.body).as_object();
  const std::string secret(token.at("token").as_string());
  const std::string id(token.at("id").as_string());
  const Headers bearer = {{"Authorization", "Bearer " + secret}};

  auto me = http_get(port, "/api/session", bearer);
  REQUIRE(me.status == 200);
  CHECK(json::parse(me.body).as_object().at("via").as_string() == "token");
  // No cookie, so no CSRF token needed for a state change.
  CHECK(call(port, "POST", "/api/channels/lab/stop", bearer).status == 200);
  CHECK(call(port, "POST", "/api/channels/lab/start", bearer).status == 200);
  auto stop_entries = audit_entries(port, admin, "channel.stop");
  REQUIRE_FALSE(stop_entries.empty());
  CHECK(text(stop_entries[0], "detail").find("by API token") != std::string::npos);

  // Listed without its text.
  auto listed = http_get(port, "/api/tokens", admin.read());
  REQUIRE(listed.status == 200);
  CHECK(listed.body.find(id) != std::string::npos);
  CHECK(listed.body.find(secret) == std::string::npos);

  CHECK(call(port, "DELETE", "/api/tokens/" + id, bearer).status == 200);  // a token may revoke itself
  CHECK(http_get(port, "/api/session", bearer).status == 401);
  CHECK(call(port, "POST", "/api/channels/lab/stop", bearer).status == 401);
  CHECK(call(port, "DELETE", "/api/tokens/" + id, admin.write()).status == 404);
  CHECK(audit_entries(port, admin, "token.create").size() == 1);
  CHECK(audit_entries(port, admin, "token.revoke").size() == 1);
}

TEST_CASE("artery user: add, list, passwd and remove on the store of a running engine", "[admin][auth][integration]") {
  RunningEngine running;
  const int port = running.http_port;
  const std::string binary = ARTERY_BINARY;
  const std::string data = running.data();
  auto with_stdin = [&](const std::string& input, const std::string& args) {
    write_text(running.dir / "stdin", input);
    std::string command = "\"" + binary + "\" " + args + " --data \"" + data + "\" < \"" +
                          (running.dir / "stdin").string() + "\" > \"" + (running.dir / "out").string() + "\" 2>&1";
    int status = std::system(command.c_str());
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  };

  CHECK(with_stdin("olga's long password\n", "user add olga --role operator --password-stdin") == 0);
  CHECK(read_text(running.dir / "out").find("added user 'olga' (operator)") != std::string::npos);
  CHECK(with_stdin("short\n", "user add pat --role viewer --password-stdin") == 1);
  CHECK(read_text(running.dir / "out").find("at least 12 characters") != std::string::npos);
  CHECK(with_stdin("", "user add pat --role chief --password-stdin") == 2);
  CHECK(with_stdin("olga's long password\n", "user add olga --role viewer --password-stdin") == 1);

  std::string output;
  REQUIRE(run_artery({"user", "list", "--data", data}, output) == 0);
  CHECK(output.find("olga") != std::string::npos);
  CHECK(output.find("operator") != std::string::npos);
  CHECK(output.find("password") == std::string::npos);  // no hashes printed
  CHECK(output.find("pbkdf2") == std::string::npos);

  // The running engine sees the new user at once...
  Login olga = log_in(port, "olga", "olga's long password");
  REQUIRE(http_get(port, "/api/channels", olga.read()).status == 200);
  // ...and `passwd` ends her session in it.
  CHECK(with_stdin("olga's second password\n", "user passwd olga --password-stdin") == 0);
  CHECK(read_text(running.dir / "out").find("1 session ended") != std::string::npos);
  CHECK(http_get(port, "/api/channels", olga.read()).status == 401);
  Login olga_again = log_in(port, "olga", "olga's second password");

  CHECK(run_artery({"user", "remove", "admin", "--data", data}, output) == 1);
  CHECK(output.find("last admin") != std::string::npos);
  CHECK(run_artery({"user", "remove", "olga", "--data", data}, output) == 0);
  CHECK(http_get(port, "/api/channels", olga_again.read()).status == 401);
  CHECK(run_artery({"user", "remove", "olga", "--data", data}, output) == 1);
  CHECK(run_artery({"user", "passwd", "--data", data}, output) == 2);
  CHECK(run_artery({"user", "list", "--data", (running.dir / "nowhere").string()}, output) == 1);
}

TEST_CASE("first admin: without ARTERY_ADMIN_PASSWORD a generated password is printed once and works",
          "[admin][auth][integration]") {
  std::string password;
  TempDir keep("artery-first-admin");
  {
    RunningEngine running("", "");
    const std::string log = running.engine->log();
    const std::string said = "first start: created user 'admin' with password ";
    auto at = log.find(said);
    REQUIRE(at != std::string::npos);
    password = log.substr(at + said.size(), log.find('\n', at) - at - said.size());
    CHECK(password.size() == 32);
    CHECK(log.find("change it") != std::string::npos);
    log_in(running.http_port, "admin", password);
    CHECK(running.engine->stop(SIGTERM) == 0);
    fs::copy(running.dir / "data", keep / "data", fs::copy_options::recursive);
    fs::create_directories(keep / "channels");
  }
  // A second start on the same store creates nothing and prints nothing.
  const int port = free_port();
  EngineProcess again({"run", "--channels", (keep / "channels").string(), "--data", (keep / "data").string(), "--http",
                       "127.0.0.1:" + std::to_string(port)},
                      keep / "engine.log");
  const bool up = again.wait_for_log("admin API and console on http://127.0.0.1:" + std::to_string(port));
  INFO(again.log());
  REQUIRE(up);
  CHECK(again.log().find("first start") == std::string::npos);
  log_in(port, "admin", password);
}

TEST_CASE("admin API as an operator's console uses it: channel actions survive a redeploy, SSE stats, alerts, "
          "plugins, search by control id, detail and reprocess, all audited",
          "[admin][integration]") {
  RunningEngine running("alerts:\n  targets:\n    hook: {type: webhook, url: \"http://127.0.0.1:9/alerts\"}\n"
                        "  rules:\n    - {name: lab-errors, channel: lab, errors: {count: 5, window: 1m}, notify: hook}\n");
  const int port = running.http_port;
  Login admin = log_in(port, "admin", kAdminPassword);

  // A message in over MLLP, found by its control id, seen in full, reprocessed.
  write_text(running.dir / "oru.hl7",
             "MSH|^~\\&|MON|ICU|ARTERY|LAB|20261201120000||ORU^R01|CTRL-API-7|P|2.5.1\r"
             "PID|1||4711^^^HOSP^MR||DOE^JOHN\rOBX|1|NM|2823-3^Potassium^LN||6.2|mmol/L|3.5-5.1|H|||F\r");
  std::string output;
  REQUIRE(run_artery({"send", "mllp", "127.0.0.1:" + std::to_string(running.mllp_port),
                      (running.dir / "oru.hl7").string()},
                     output) == 0);
  json::array found;
  REQUIRE(eventually([&] {
    auto reply = http_get(port, "/api/messages?control_id=CTRL-API-7", admin.read());
    found = json::parse(reply.body).as_object().at("messages").as_array();
    return found.size() == 1;
  }, std::chrono::seconds(10)));
  const std::int64_t id = found[0].as_object().at("id").as_int64();
  CHECK(text(found[0], "patient_id") == "4711");
  CHECK_FALSE(found[0].as_object().contains("raw"));  // a listing carries no content
  CHECK(json::parse(http_get(port, "/api/messages?patient_id=4711", admin.read()).body)
            .as_object().at("messages").as_array().size() == 1);
  CHECK(http_get(port, "/api/messages?status=NOPE", admin.read()).status == 400);

  auto detail = http_get(port, "/api/messages/" + std::to_string(id), admin.read());
  REQUIRE(detail.status == 200);
  auto message = json::parse(detail.body).as_object();
  CHECK(message.at("content_included").as_bool());
  CHECK(std::string(message.at("raw").as_string()).find("CTRL-API-7") != std::string::npos);
  CHECK(message.at("deliveries").as_array().size() == 1);
  CHECK(http_get(port, "/api/messages/999999", admin.read()).status == 404);

  auto again = call(port, "POST", "/api/messages/" + std::to_string(id) + "/reprocess", admin.write());
  INFO(again.body);
  REQUIRE(again.status == 200);
  const std::int64_t copy = json::parse(again.body).as_object().at("message_id").as_int64();
  CHECK(copy > id);
  auto routed = json::parse(http_get(port, "/api/messages/" + std::to_string(copy), admin.read()).body).as_object();
  CHECK(routed.at("origin_message_id").as_int64() == id);

  // Stop, then redeploy: the operator's stop holds (Mirth's #1362 is the opposite).
  auto stopped = call(port, "POST", "/api/channels/lab/stop", admin.write());
  REQUIRE(stopped.status == 200);
  CHECK(text(json::parse(stopped.body), "state") == "stopped");
  auto redeployed = call(port, "POST", "/api/channels/lab/redeploy", admin.write());
  REQUIRE(redeployed.status == 200);
  CHECK(text(json::parse(redeployed.body), "state") == "stopped");
  CHECK(call(port, "POST", "/api/messages/" + std::to_string(id) + "/reprocess", admin.write()).status == 409);
  auto started = call(port, "POST", "/api/channels/lab/start", admin.write());
  CHECK(text(json::parse(started.body), "state") == "started");
  CHECK(call(port, "POST", "/api/channels/nope/stop", admin.write()).status == 404);

  // A broken file: the running version stays, and the answer says where.
  const std::string good = read_text(running.dir / "channels/lab.yaml");
  write_text(running.dir / "channels/lab.yaml", good + "  - name: broken\n    type: nosuchplugin\n");
  auto refused = call(port, "POST", "/api/channels/lab/redeploy", admin.write());
  CHECK(refused.status == 409);
  CHECK_THAT(refused.body, Catch::Contains("lab.yaml:") && Catch::Contains("running version stays"));
  CHECK(text(json::parse(http_get(port, "/api/channels/lab", admin.read()).body), "state") == "started");
  write_text(running.dir / "channels/lab.yaml", good);

  // One channel in detail carries its connectors' counters.
  auto lab = json::parse(http_get(port, "/api/channels/lab", admin.read()).body).as_object();
  CHECK(lab.at("connectors").as_array().size() >= 1);

  // Live stats: a `stats` event naming the channel.
  auto events = http_request(port, {"GET", "/api/events", admin.read(), {}}, 2500);
  CHECK(events.header("content-type").find("text/event-stream") == 0);
  CHECK_THAT(events.body, Catch::Contains("event: stats") && Catch::Contains("\"name\":\"lab\""));

  auto alerts = http_get(port, "/api/alerts", admin.read());
  REQUIRE(alerts.status == 200);
  auto rules = json::parse(alerts.body).as_object().at("rules").as_array();
  REQUIRE(rules.size() == 1);
  CHECK(text(rules[0], "name") == "lab-errors");
  CHECK(text(rules[0], "condition") == "errors");

  auto plugins = http_get(port, "/api/plugins", admin.read());
  CHECK_THAT(plugins.body, Catch::Contains("\"name\":\"mllp\"") && Catch::Contains("\"name\":\"webhook\""));

  // Every action and every view of content is in the audit log.
  CHECK(audit_entries(port, admin, "channel.stop").size() == 1);
  CHECK(audit_entries(port, admin, "channel.redeploy").size() == 2);
  CHECK(audit_entries(port, admin, "message.view").size() >= 2);
  CHECK(audit_entries(port, admin, "message.reprocess").size() == 2);  // one done, one refused
}
