// The admin HTTP API and web console of a running engine (`artery run
// --http ADDR`): the core HTTP server with every endpoint of api/register.cpp,
// the stats sampler behind the dashboard and SSE, the audit log and the
// accounts. Started after the engine's channels, stopped before them.
#pragma once
#include <artery/options.hpp>
#include <artery/tls_settings.hpp>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>

namespace artery {
class Engine;
}

namespace artery::admin {

struct AdminServerOptions {
  Address listen;                      // 127.0.0.1:8080 by default
  std::filesystem::path console_dir;  // the built web console
  TlsSettings tls;                    // artery.yaml's http.tls: HTTPS, optional client certificates
};

class AdminServer {
 public:
  AdminServer(Engine& engine, AdminServerOptions options);
  ~AdminServer();  // stops

  bool start(std::string& error);
  void stop();
  std::uint16_t port() const;

 private:
  struct Parts;
  Engine& engine_;
  AdminServerOptions options_;
  std::unique_ptr<Parts> parts_;
};

// Where the built console is: $ARTERY_CONSOLE_DIR, else `console` next to
// the running binary (the build puts it there).
std::filesystem::path default_console_dir();

}  // namespace artery::admin
