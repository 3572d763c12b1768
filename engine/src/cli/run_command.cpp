// artery run: deploy the channels and serve until SIGINT/SIGTERM.
#include "cli/commands.hpp"
#include "cli/engine_settings.hpp"
#include "admin/admin_server.hpp"
#include "cli/usage.hpp"
#include "log/logger.hpp"
#include "runtime/engine.hpp"

#include <artery/http_server.hpp>

#include <csignal>
#include <cstdio>

namespace artery::cli {

int run_command(int argc, char** argv) {
  auto args = parse_arguments(argc, argv, 2, kEngineFlags);
  if (!args.error.empty()) return usage_error("run", args.error);
  // A stray word must not start an engine on ./channels and create ./data.
  if (!args.positional.empty())
    return usage_error("run", "unexpected argument '" + args.positional.front() +
                                  "' (run takes no paths; use --channels DIR)");
  if (auto error = engine_flags_error(args); !error.empty()) return usage_error("run", error);
  auto config = engine_settings(args);
  if (!config) return 1;

  // Block the stop signals before any thread starts so every thread inherits
  // the mask and only sigwait below sees them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGHUP);  // reload (docs/reload.md), also waited for below
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  std::signal(SIGPIPE, SIG_IGN);

  Engine engine(*config);
  std::string error;
  if (!engine.start(error)) {
    logger::error("engine", error);
    return 1;
  }
  std::size_t running = 0, held = 0;
  for (const auto& channel : engine.channels().snapshot()) {
    if (channel.state == ChannelState::started || channel.state == ChannelState::paused) ++running;
    else if (channel.state == ChannelState::stopped) ++held;  // an operator stopped it: not a failure
  }
  const auto& failures = engine.start_failures();
  const std::size_t deployable = running + failures.size();
  if (!failures.empty()) {
    std::string names;
    for (const auto& failure : failures) names += (names.empty() ? "" : ", ") + failure.channel;
    logger::error("engine", std::to_string(running) + " of " + std::to_string(deployable) +
                                " channels started; not started: " + names);
  }
  // Serving nothing while looking alive hides the failure from whoever
  // started us (systemd, a script): stop with an error instead. An empty
  // channels folder is not a failure: there was nothing to start.
  if (held > 0)
    logger::info("engine", std::to_string(held) + " channel" + (held == 1 ? " is" : "s are") +
                               " kept stopped, as an operator left them");
  if (running == 0 && deployable > 0) {
    logger::error("engine", "no channel could start; exiting");
    engine.stop();
    return 1;
  }
  if (deployable == 0) logger::warn("engine", "no channels to run in " + config->channels_dir.string());
  logger::info("engine", "artery " + std::string(kEngineVersion) + " running " + std::to_string(running) + " of " +
                             std::to_string(deployable) + " channels from " + config->channels_dir.string() +
                             ", data in " + config->data_dir.string());

  std::unique_ptr<admin::AdminServer> admin_server;
  const auto http = parse_http_listen(config->http);  // checked with the flags and artery.yaml
  if (http && http->enabled) {
    admin_server = std::make_unique<admin::AdminServer>(
        engine, admin::AdminServerOptions{http->address, admin::default_console_dir(), config->http_tls});
    if (!admin_server->start(error)) {
      // The channels run on; the operator is told plainly what is missing.
      logger::error("engine", error + "; the channels run without the admin API and console");
      admin_server.reset();
    } else {
      logger::info("engine", std::string("admin API and console on ") +
                                 (config->http_tls.enabled ? "https://" : "http://") + http->address.host + ":" +
                                 std::to_string(admin_server->port()) + "/");
    }
  } else {
    logger::info("engine", "admin API and console are off (--http off)");
  }

  int signal = 0;
  for (;;) {
    sigwait(&stop_signals, &signal);
    if (signal != SIGHUP) break;
    // Queued like any other trigger; the outcome is logged when it is done.
    logger::info("engine", "received SIGHUP; reloading the channels folder");
    ReloadRequest request;
    request.folder = true;
    request.triggers.push_back("SIGHUP");
    if (auto* reloads = engine.reloads()) reloads->request(std::move(request));
  }
  logger::info("engine", std::string("received ") + (signal == SIGINT ? "SIGINT" : "SIGTERM") +
                             "; stopping sources, draining, flushing the store");
  if (admin_server) admin_server->stop();
  engine.stop();
  logger::info("engine", "stopped cleanly");
  return 0;
}

}  // namespace artery::cli
