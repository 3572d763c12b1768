#include "connection_options.hpp"

namespace artery::nats {

ConnectionSettings read_connection_settings(OptionReader& in, const std::filesystem::path& base_dir,
                                            const std::string& default_name) {
  ConnectionSettings s;
  s.servers = in.list("servers");
  if (s.servers.empty()) in.fail("servers", "needs at least one NATS server URL");
  for (auto& url : s.servers) {
    // A bare host:port is what people type; nats.c wants a scheme.
    if (url.find("://") == std::string::npos) url = "nats://" + url;
    if (url.rfind("nats://", 0) != 0 && url.rfind("tls://", 0) != 0)
      in.fail("servers", "'" + url + "' is not a nats:// or tls:// URL");
  }
  s.name = in.string("name");
  if (s.name.empty()) s.name = default_name;
  s.user = in.string("user");
  s.password = in.string("password");
  s.token = in.string("token");
  s.nkey = in.string("nkey");
  s.nkey_seed = in.path("nkey_seed", base_dir);
  s.credentials = in.path("credentials", base_dir);
  if (!s.password.empty() && s.user.empty()) in.fail("password", "needs user");
  if (!s.nkey_seed.empty() && s.nkey.empty()) in.fail("nkey_seed", "needs nkey, the public key of the seed");
  if (!s.nkey.empty() && s.nkey_seed.empty()) in.fail("nkey", "needs nkey_seed, the file holding its seed");
  const int methods = !s.user.empty() + !s.token.empty() + !s.nkey.empty() + !s.credentials.empty();
  if (methods > 1)
    in.fail(!s.token.empty() ? "token" : !s.nkey.empty() ? "nkey" : "credentials",
            "choose one way to authenticate: user/password, token, nkey or credentials");

  s.tls.enabled = in.boolean("tls.enabled");
  s.tls.ca = in.path("tls.ca", base_dir);
  s.tls.cert = in.path("tls.cert", base_dir);
  s.tls.key = in.path("tls.key", base_dir);
  s.tls.verify = in.boolean("tls.verify");
  s.tls.server_name = in.string("tls.server_name");
  if (s.tls.cert.empty() != s.tls.key.empty()) in.fail(s.tls.cert.empty() ? "tls.key" : "tls.cert",
                                                      "tls.cert and tls.key go together");

  s.connect_timeout = in.duration("connect_timeout");
  if (s.connect_timeout.count() <= 0 && in.ok()) in.fail("connect_timeout", "must be more than 0");
  s.max_reconnect = static_cast<int>(in.integer("max_reconnect", -1, 1'000'000));
  s.reconnect_wait = in.duration("reconnect_wait");
  s.max_reconnect_wait = in.duration("max_reconnect_wait");
  if (s.max_reconnect_wait < s.reconnect_wait && in.ok())
    in.fail("max_reconnect_wait", "must be at least reconnect_wait");
  s.reconnect_jitter = in.duration("reconnect_jitter");
  s.request_timeout = in.duration("request_timeout");
  if (s.request_timeout.count() <= 0 && in.ok()) in.fail("request_timeout", "must be more than 0");
  return s;
}

}  // namespace artery::nats
