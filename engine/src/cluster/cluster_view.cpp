#include "cluster/cluster_view.hpp"

#include "clock/unix_time.hpp"
#include "control/channel_registry.hpp"
#include "log/logger.hpp"

#include "json/json_fields.hpp"

#include <boost/json.hpp>

#include <algorithm>

namespace artery {
namespace {

// Nodes unheard of this long are forgotten (a node renamed or retired);
// until then a gone node stays listed, marked gone.
constexpr std::chrono::hours kForgetAfter{1};

boost::json::object counters_to_json(const Counters& c) {
  return {{"received", c.received}, {"filtered", c.filtered}, {"queued", c.queued}, {"sent", c.sent},
          {"errored", c.errored}};
}

Counters counters_from_json(const boost::json::object& o) {
  Counters c;
  c.received = json_fields::integer(o, "received");
  c.filtered = json_fields::integer(o, "filtered");
  c.queued = json_fields::integer(o, "queued");
  c.sent = json_fields::integer(o, "sent");
  c.errored = json_fields::integer(o, "errored");
  return c;
}

// Node names are [a-z0-9-]+ (cluster_settings.cpp), so one is one subject token.
bool valid_token(const std::string& s) {
  if (s.empty()) return false;
  for (char c : s)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) return false;
  return true;
}

// A responder's subscription, holding the bus (and so the plugin library
// whose code it is) until it is gone, whoever outlives whom.
class PinnedSubscription final : public ClusterSubscription {
 public:
  PinnedSubscription(std::unique_ptr<ClusterSubscription> inner, std::shared_ptr<ClusterBus> bus)
      : inner_(std::move(inner)), bus_(std::move(bus)) {}
  ~PinnedSubscription() override { inner_.reset(); }

 private:
  std::unique_ptr<ClusterSubscription> inner_;
  std::shared_ptr<ClusterBus> bus_;
};

}  // namespace

std::string ClusterView::snapshot_subject(const std::string& node) { return "artery.view.snapshot." + node; }
std::string ClusterView::request_subject(const std::string& kind, const std::string& node) {
  return "artery.view." + kind + "." + node;
}

ClusterView::ClusterView(std::shared_ptr<ClusterBus> bus, std::string node, ChannelRegistry& channels,
                         Versions versions, std::chrono::milliseconds every, std::chrono::milliseconds gone_after)
    : bus_(std::move(bus)),
      node_(std::move(node)),
      channels_(channels),
      versions_(std::move(versions)),
      every_(every),
      gone_after_(gone_after),
      started_ms_(unix_time_ms()) {}

ClusterView::~ClusterView() { stop(); }

bool ClusterView::start(std::string& error) {
  subscription_ = bus_->subscribe(
      "artery.view.snapshot.*",
      [this](std::string_view, std::string_view data, const std::string&) { on_snapshot(data); }, error);
  if (!subscription_) return false;
  thread_ = std::thread([this] { run(); });
  return true;
}

void ClusterView::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
  subscription_.reset();  // returns once its handler is done
}

void ClusterView::run() {
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    lock.unlock();
    publish_once();
    lock.lock();
    wake_.wait_for(lock, every_, [&] { return stopping_; });
  }
}

NodeView ClusterView::local_view() const {
  NodeView view;
  view.node = node_;
  view.self = true;
  view.last_seen_ms = unix_time_ms();
  view.started_ms = started_ms_;
  const auto versions = versions_ ? versions_() : std::map<std::string, ChannelVersion>{};
  for (const auto& channel : channels_.snapshot()) {
    NodeChannelState state;
    state.name = channel.name;
    state.state = std::string(to_string(channel.state));
    state.reason = channel.reason;
    state.counters = channel.counters;
    if (auto it = versions.find(channel.name); it != versions.end()) {
      state.version = it->second.version;
      state.clustered = it->second.clustered;
    }
    view.channels.push_back(std::move(state));
  }
  return view;
}

void ClusterView::publish_once() {
  const NodeView view = local_view();
  boost::json::array channels;
  for (const auto& c : view.channels)
    channels.push_back(boost::json::object{{"name", c.name},
                                           {"state", c.state},
                                           {"reason", c.reason},
                                           {"clustered", c.clustered},
                                           {"version", c.version},
                                           {"counters", counters_to_json(c.counters)}});
  const std::string body = boost::json::serialize(boost::json::object{
      {"node", node_}, {"at_ms", view.last_seen_ms}, {"started_ms", started_ms_}, {"channels", std::move(channels)}});
  std::string error;
  const bool ok = bus_->publish(snapshot_subject(node_), body, error);
  std::lock_guard lock(mutex_);
  local_ = view;
  const auto now = std::chrono::steady_clock::now();
  for (auto it = heard_.begin(); it != heard_.end();) {
    if (now - it->second.at > kForgetAfter) {
      logger::info("cluster", "node " + it->first + " forgotten: not heard of for an hour");
      it = heard_.erase(it);
    } else {
      ++it;
    }
  }
  if (!ok && !publish_failing_) logger::warn("cluster", "cannot publish this node's snapshot: " + error);
  if (ok && publish_failing_) logger::info("cluster", "publishing this node's snapshot again");
  publish_failing_ = !ok;
}

void ClusterView::on_snapshot(std::string_view data) {
  // Another engine's words: anything malformed is ignored, never trusted.
  boost::system::error_code ec;
  auto parsed = boost::json::parse(data, ec);
  if (ec || !parsed.is_object()) return;
  const auto& root = parsed.as_object();
  Heard heard;
  heard.at = std::chrono::steady_clock::now();
  heard.view.node = json_fields::text(root, "node");
  if (!valid_token(heard.view.node) || heard.view.node == node_) return;
  heard.view.last_seen_ms = unix_time_ms();
  heard.view.started_ms = json_fields::integer(root, "started_ms");
  if (const auto* list = root.if_contains("channels"); list && list->is_array()) {
    for (const auto& item : list->as_array()) {
      if (!item.is_object()) continue;
      const auto& o = item.as_object();
      NodeChannelState c;
      c.name = json_fields::text(o, "name");
      if (c.name.empty()) continue;
      c.state = json_fields::text(o, "state");
      c.reason = json_fields::text(o, "reason");
      c.version = json_fields::text(o, "version");
      const auto* clustered = o.if_contains("clustered");
      c.clustered = clustered && clustered->is_bool() && clustered->as_bool();
      if (const auto* counters = o.if_contains("counters"); counters && counters->is_object())
        c.counters = counters_from_json(counters->as_object());
      heard.view.channels.push_back(std::move(c));
    }
  }
  std::sort(heard.view.channels.begin(), heard.view.channels.end(),
            [](const NodeChannelState& a, const NodeChannelState& b) { return a.name < b.name; });
  std::lock_guard lock(mutex_);
  auto [it, added] = heard_.insert_or_assign(heard.view.node, std::move(heard));
  if (added) logger::info("cluster", "node " + it->first + " joined the view");
}

std::vector<NodeView> ClusterView::nodes() const {
  std::vector<NodeView> out;
  const auto now = std::chrono::steady_clock::now();
  std::unique_lock lock(mutex_);
  if (local_) {
    out.push_back(*local_);
  } else {
    lock.unlock();  // not published yet (the first second): fresh
    out.push_back(local_view());
    lock.lock();
  }
  for (const auto& [name, heard] : heard_) {
    const auto age = std::chrono::duration_cast<std::chrono::milliseconds>(now - heard.at);
    NodeView view = heard.view;
    view.age_ms = age.count();
    view.gone = age > gone_after_;
    out.push_back(std::move(view));
  }
  std::sort(out.begin(), out.end(), [](const NodeView& a, const NodeView& b) { return a.node < b.node; });
  return out;
}

std::unique_ptr<ClusterSubscription> ClusterView::serve(const std::string& kind, Responder responder,
                                                        std::string& error) {
  ClusterBus* bus = bus_.get();  // outlives the handler: PinnedSubscription holds it
  auto subscription = bus_->subscribe(
      request_subject(kind, node_),
      [bus, responder = std::move(responder), kind](std::string_view, std::string_view data, const std::string& reply) {
        if (reply.empty()) return;
        std::string answer;
        try {
          answer = responder(std::string(data));
        } catch (const std::exception& e) {
          answer = boost::json::serialize(boost::json::object{{"error", e.what()}});
        }
        std::string problem;
        if (bus->max_payload() > 0 && answer.size() > bus->max_payload())
          answer = boost::json::serialize(boost::json::object{
              {"error", "the answer (" + std::to_string(answer.size()) + " bytes) is larger than the NATS server's "
                        "max_payload (" + std::to_string(bus->max_payload()) + "); ask for fewer results"}});
        if (!bus->publish(reply, answer, problem)) logger::warn("cluster", "cannot answer a " + kind + ": " + problem);
      },
      error);
  if (!subscription) return nullptr;
  return std::make_unique<PinnedSubscription>(std::move(subscription), bus_);
}

std::optional<std::string> ClusterView::ask(const std::string& node, const std::string& kind,
                                            const std::string& request, std::chrono::milliseconds timeout,
                                            std::string& error) const {
  if (!valid_token(node)) {
    error = "'" + node + "' is not a node name";
    return std::nullopt;
  }
  return bus_->request(request_subject(kind, node), request, timeout, error);
}

}  // namespace artery
