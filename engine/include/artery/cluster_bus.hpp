// A message bus between the nodes of a cluster (docs/cluster.md, "One
// cluster, one view"): plain publish/subscribe and request/reply on subjects,
// for what the nodes tell each other about themselves (channel snapshots,
// message search). Not a queue: nothing here is durable, a node that is not
// listening misses what was said. Durable work goes through clustered
// channels (JetStream), never through this.
//
// The engine core does not link a NATS client (a single node needs none), so
// the nats plugin provides the bus: besides artery_plugin_v1 its library
// exports artery_cluster_bus_v1, which the engine looks up only when
// artery.yaml has `cluster:`. Optional, and found at run time by its own
// symbol, so the plugin API needs no version bump: an engine that does not
// know the symbol never asks for it, and a plugin without it still loads
// and serves its connectors (the engine then says plainly that the cluster
// view is off and why). Like failed_message_host.hpp, this relies on the
// build fingerprint (one compiler and C++ runtime on both sides), so the
// std:: types below may cross the library boundary.
#pragma once
#include <artery/options.hpp>
#include <artery/plugin.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace artery {

// One subscription. Destroying it unsubscribes and returns only once its
// handler is no longer running and will not be called again.
class ClusterSubscription {
 public:
  virtual ~ClusterSubscription() = default;
};

class ClusterBus {
 public:
  virtual ~ClusterBus() = default;

  // `reply`: where the sender waits for an answer ("" when it does not).
  // Called on the bus's thread for this subscription, one message at a time;
  // it must not throw.
  using Handler = std::function<void(std::string_view subject, std::string_view data, const std::string& reply)>;

  // Thread-safe, all of them. False with `error` when the bus cannot take
  // the message now (not connected, too large for the server).
  virtual bool publish(const std::string& subject, std::string_view data, std::string& error) = 0;
  // `subject` may hold wildcards ("artery.view.snapshot.*"). Null with
  // `error` when the subscription cannot be made.
  virtual std::unique_ptr<ClusterSubscription> subscribe(const std::string& subject, Handler handler,
                                                         std::string& error) = 0;
  // Sends `data` and waits for the first answer, at most `timeout`. Nullopt
  // with `error` on timeout, when nobody listens on the subject, or when
  // the bus is not connected.
  virtual std::optional<std::string> request(const std::string& subject, std::string_view data,
                                             std::chrono::milliseconds timeout, std::string& error) = 0;
  // The largest message the connected server accepts (0: not known yet).
  virtual std::size_t max_payload() const = 0;
};

struct ClusterBusDescriptor {
  std::uint32_t version;  // 1; a later version only adds fields at the end
  // The connection keys artery.yaml's `cluster:` block may hold (servers,
  // authentication, TLS, timeouts); the engine checks the block against
  // them and fills in defaults before open().
  const OptionSpec* options;
  std::size_t option_count;
  // Connects (or keeps trying in the background when no server answers
  // yet). `name` is the connection's name for the server; `base_dir` is
  // where relative paths in the options resolve. Null with `error` on bad
  // settings or credentials. Never throws.
  std::unique_ptr<ClusterBus> (*open)(const ConnectorOptions& options, const std::string& name,
                                      const std::filesystem::path& base_dir,
                                      std::function<void(LogLevel, std::string_view)> log,
                                      std::string& error) noexcept;
};

using ClusterBusEntryPoint = const ClusterBusDescriptor* (*)() noexcept;
inline constexpr const char* kClusterBusEntryPoint = "artery_cluster_bus_v1";

}  // namespace artery
