#include "runtime/channel_runtime.hpp"

#include "clock/unix_time.hpp"

#include "log/logger.hpp"
#include "plugin/library_pin.hpp"
#include "runtime/channel_destination.hpp"
#include "runtime/channel_stage.hpp"
#include "runtime/lua_destination.hpp"
#include "runtime/router_destination.hpp"
#include "runtime/vars_json.hpp"

#include <artery/hl7.hpp>

#include <boost/json.hpp>

#include <algorithm>

namespace artery {
namespace {

std::string first_line(const std::string& text) { return text.substr(0, text.find('\n')); }

std::string attributes_json(const Message& message) {
  if (message.attributes.empty()) return {};
  boost::json::object object;
  for (const auto& [key, value] : message.attributes) object[key] = value;
  return boost::json::serialize(object);
}

// The answer for `ack: after-delivery`: the first destination's outcome.
// `relay`: false for a clustered channel's ingress half, whose destination's
// response (a JetStream PubAck) means nothing to the sender: the source then
// answers as after a store (an AA it builds itself).
Disposition delivery_disposition(std::int64_t message_id, const SendResult& result, bool relay = true) {
  Disposition reply;
  reply.message_id = message_id;
  if (relay) reply.response = result.response;
  if (result.status == SendResult::Status::sent) {
    reply.status = Disposition::Status::accepted;
  } else {
    reply.status = Disposition::Status::errored;
    reply.error = result.error;
  }
  return reply;
}

}  // namespace

std::string_view to_string(ChannelState state) {
  switch (state) {
    case ChannelState::stopped: return "stopped";
    case ChannelState::starting: return "starting";
    case ChannelState::started: return "started";
    case ChannelState::paused: return "paused";
    case ChannelState::stopping: return "stopping";
    case ChannelState::failed: return "failed";
  }
  return "failed";
}

ChannelRuntime::ChannelRuntime(ChannelConfig config, RuntimeEnvironment environment)
    : config_(std::move(config)), env_(std::move(environment)) {
  if (config_.consent) consent_ = std::make_unique<consent::ConsentFilter>(*config_.consent);
}

ChannelRuntime::~ChannelRuntime() { stop(); }

std::map<std::string, Counters> ChannelRuntime::destination_counters() const {
  std::map<std::string, Counters> out;
  std::lock_guard lock(predecessor_mutex_);
  for (const auto& [name, live] : destination_counters_) {
    Counters c = live->snapshot();
    if (predecessor_) {
      // Handing over: the predecessor's counts of the same queue, until take_over() adds them.
      if (auto it = predecessor_->destination_counters_.find(name); it != predecessor_->destination_counters_.end()) {
        const Counters before = it->second->snapshot();
        c.received += before.received;
        c.filtered += before.filtered;
        c.queued += before.queued;
        c.sent += before.sent;
        c.errored += before.errored;
      }
    }
    out[name] = c;
  }
  return out;
}

// Shared by the workers when a destination waits for others (`after:`);
// a disabled destination has no deliveries, so nobody waits for it.
void ChannelRuntime::build_outcomes() {
  std::map<std::string, std::vector<std::string>> awaits;
  for (const auto& dest : config_.destinations) {
    if (!dest.enabled) continue;
    for (const auto& name : dest.after) {
      auto awaited = std::find_if(config_.destinations.begin(), config_.destinations.end(),
                                  [&](const DestinationConfig& d) { return d.name == name; });
      if (awaited != config_.destinations.end() && awaited->enabled) awaits[dest.name].push_back(name);
    }
  }
  if (!awaits.empty())
    outcomes_ =
        std::make_unique<DeliveryOutcomes>(std::move(awaits), 4 * std::max<std::size_t>(1, env_.delivery_window));
}

std::vector<ChannelRuntime::ConnectorMetricsEntry> ChannelRuntime::connector_metrics() const {
  std::vector<ConnectorMetricsEntry> out;
  std::lock_guard lock(contexts_mutex_);
  out.reserve(contexts_.size() + 1);
  if (source_context_) out.push_back({source_context_->connector(), source_context_->metrics_snapshot()});
  for (const auto& context : contexts_) {
    ConnectorMetricsEntry entry{context->connector(), context->metrics_snapshot()};
    if (entry.connector == "source") out.insert(out.begin(), std::move(entry));
    else out.push_back(std::move(entry));
  }
  return out;
}

bool ChannelRuntime::build_destinations(std::string& error) {
  const auto base = config_.file.parent_path();
  build_outcomes();
  for (const auto& dest : config_.destinations) {
    if (!dest.enabled) continue;
    auto context = std::make_unique<StoreConnectorContext>(config_.name, dest.name, base, env_.data_dir, env_.store);
    DestinationWorker::Setup setup;
    setup.channel = config_.name;
    setup.config = dest;
    setup.store = env_.store;
    setup.counters = destination_counters_.at(dest.name).get();
    setup.channel_counters = &counters_;
    setup.memory_window = std::max<std::size_t>(1, env_.delivery_window);
    setup.outcomes = outcomes_.get();
    // ack: after-delivery answers with the first (enabled) destination's outcome.
    if (config_.ack == AckMode::after_delivery && destinations_.empty())
      setup.final_outcome = [this](std::int64_t id, const SendResult& result) { final_outcome(id, result); };
    if (dest.connector.type == "lua") {
      auto script = load_destination_script(dest, error);
      if (!script) return false;
      auto lua = std::make_unique<LuaDestination>(std::move(script), config_.name, dest.name);
      setup.script = lua->script();
      setup.owned_script = lua->shared_script();
      if (!dest.after.empty())
        setup.carry_awaited = [lua = lua.get()](const lua::ScriptContext& context) { lua->carry_awaited(context); };
      setup.connector.connector = std::move(lua);
    } else {
      // `channel` is built in (it needs the other channels); the rest come from plugins.
      if (dest.connector.type == "channel")
        setup.connector.connector = build_channel_destination(dest, error);
      else
        setup.connector =
            env_.plugins->create_destination(dest.connector.type, dest.connector.options, *context, error);
      if (!setup.connector) {
        error = "destination " + dest.name + ": " + error;
        return false;
      }
      if (!dest.script.empty()) {
        setup.owned_script = load_destination_script(dest, error);
        if (!setup.owned_script) return false;
        setup.script = setup.owned_script.get();
      }
    }
    {
      std::lock_guard lock(contexts_mutex_);
      contexts_.push_back(std::move(context));
    }
    auto worker = std::make_unique<DestinationWorker>(std::move(setup));
    if (!worker->start(error, deliver_on_start_)) {
      error = "destination " + dest.name + ": " + error;
      return false;
    }
    destinations_.push_back(std::move(worker));
  }
  return true;
}

// A destination's script as build_destinations() and reload_scripts() load
// it: a `lua` destination's send(msg, ctx) with its fs folders, else the
// filter/transform/response of a plugin destination. Null with `error`.
std::shared_ptr<lua::Script> ChannelRuntime::load_destination_script(const DestinationConfig& dest,
                                                                    std::string& error) const {
  lua::Script::Options options;
  options.file = dest.script;
  options.limits = env_.lua_limits;
  options.services = services_.get();
  options.module_paths = env_.module_paths;
  std::unique_ptr<lua::Script> script;
  if (dest.connector.type == "lua") {
    if (dest.script.empty()) {
      error = "destination " + dest.name + ": type lua needs a script defining send(msg, ctx)";
      return nullptr;
    }
    options.fs_roots = lua_destination_roots(dest, config_.file.parent_path(), env_.data_dir);
    for (const auto& root : options.fs_roots) {
      std::error_code ec;
      std::filesystem::create_directories(root, ec);
    }
    options.functions = lua::Script::lua_destination_functions();
    script = lua::Script::load(options, error);
    if (script && !script->has("send")) {
      error = "script " + dest.script.string() + " defines no send(msg, ctx)";
      script.reset();
    }
  } else {
    options.functions = lua::Script::destination_functions();
    script = lua::Script::load(options, error);
  }
  if (!script) {
    error = "destination " + dest.name + ": " + error;
    return nullptr;
  }
  return script;
}

std::unique_ptr<Destination> ChannelRuntime::build_channel_destination(const DestinationConfig& dest,
                                                                      std::string& error) {
  if (!env_.channels) {
    error = "routing to other channels is not available here";
    return nullptr;
  }
  return std::make_unique<ChannelDestination>(dest.connector.options.tree.get<std::string>("channel", ""),
                                              *env_.channels, config_.name);
}

// The queue of what this channel's script routes with router.route(): a
// destination of its own, built only when there is something it may carry.
bool ChannelRuntime::build_router(std::string& error) {
  if (!routes_) return true;
  DestinationWorker::Setup setup;
  setup.channel = config_.name;
  setup.config.name = std::string(kRouterDestination);
  setup.config.connector.type = "router";
  setup.store = env_.store;
  setup.counters = destination_counters_.at(setup.config.name).get();
  setup.channel_counters = &counters_;
  setup.memory_window = std::max<std::size_t>(1, env_.delivery_window);
  setup.connector.connector = std::make_unique<RouterDestination>(*env_.channels, config_.name);
  setup.drop_content_when_sent = true;
  router_ = std::make_unique<DestinationWorker>(std::move(setup));
  if (!router_->start(error, deliver_on_start_)) {
    error = "router: " + error;
    router_.reset();
    return false;
  }
  return true;
}

// router.route() calls become one more delivery of the message, `router`,
// whose content (the routes) is written with the message in the same insert.
void ChannelRuntime::add_routes(NewMessage& row, std::vector<lua::RoutedPayload>& routes) {
  if (!router_) {
    row.state = MessageState::error;
    row.error = "router.route: routing to other channels is not available here";
    row.destinations.clear();
    return;
  }
  row.delivery_contents.resize(row.destinations.size());
  row.destinations.emplace_back(kRouterDestination);
  row.delivery_contents.push_back(encode_routes(routes));
  row.state = MessageState::queued;
}

void ChannelRuntime::route_in(Message message, RouteOrigin origin, std::function<void(Disposition)> done) {
  std::shared_lock lock(routing_mutex_);
  if (!routable_) {
    done({Disposition::Status::unavailable, 0, {}, "channel " + config_.name + " is not running"});
    return;
  }
  // Scripts see where it came from as source attributes (ctx.source.origin_channel).
  message.attributes.emplace_back("origin_channel", origin.channel);
  message.attributes.emplace_back("origin_message_id", std::to_string(origin.message_id));
  take({std::move(message), std::move(done), unix_time_ms(), std::move(origin)});
}

bool ChannelRuntime::start(std::string& error) { return start_impl(nullptr, error); }

bool ChannelRuntime::start_beside(std::shared_ptr<ChannelRuntime> predecessor, std::string& error) {
  if (!predecessor) return start_impl(nullptr, error);
  {
    std::lock_guard lock(predecessor_mutex_);
    predecessor_ = predecessor;
  }
  deliver_on_start_ = false;
  if (start_impl(predecessor, error)) return true;
  std::lock_guard lock(predecessor_mutex_);
  predecessor_.reset();
  return false;
}

bool ChannelRuntime::start_impl(std::shared_ptr<ChannelRuntime> predecessor, std::string& error) {
  if (state_ == ChannelState::started) return true;
  state_ = ChannelState::starting;
  // Beside a running predecessor, ctx.store is its cache: both versions'
  // scripts run for a moment, and one must read what the other wrote.
  if (predecessor && predecessor->services_) services_ = predecessor->services_;
  else services_ = std::make_shared<ChannelScriptServices>(config_.name, env_.store);

  // Counters: totals from the store; the queued gauge recounted from the queue itself.
  // Beside a predecessor, what it counts (the channel's totals and each queue
  // it has) is still changing: those counters start from zero here and
  // take_over() adds the predecessor's final counts.
  auto stored = env_.store->counters();
  auto& mine = stored[config_.name];
  if (!predecessor) counters_.load(mine[""]);
  auto inherited = [&](const std::string& queue) {
    return predecessor && predecessor->destination_counters_.count(queue) > 0;
  };
  std::int64_t queued_total = 0;
  std::vector<std::string> queues;
  for (const auto& dest : config_.destinations) queues.push_back(dest.name);
  // The router queue: for a script that may route, or routes still queued by
  // an earlier version of this channel whose script did.
  routes_ = env_.channels && (!config_.script.empty() ||
                              env_.store->pending_count(config_.name, std::string(kRouterDestination)) > 0);
  if (routes_) queues.emplace_back(kRouterDestination);
  for (const auto& name : queues) {
    auto live = std::make_unique<LiveCounters>();
    if (inherited(name)) {
      destination_counters_[name] = std::move(live);
      continue;
    }
    live->load(mine[name]);
    const std::int64_t pending = env_.store->pending_count(config_.name, name);
    if (pending != live->queued) {
      Counters fix;
      fix.queued = pending - live->queued;
      env_.store->add_counters({config_.name, name, fix});
      live->queued = pending;
    }
    queued_total += pending;
    destination_counters_[name] = std::move(live);
  }
  if (!predecessor && queued_total != counters_.queued) {
    Counters fix;
    fix.queued = queued_total - counters_.queued;
    env_.store->add_counters({config_.name, "", fix});
    counters_.queued = queued_total;
  }

  {
    // Deliveries recovered from an earlier run have ids up to the channel's
    // newest message; outcomes for them have no answer waiting (final_outcome).
    std::lock_guard lock(waiting_mutex_);
    early_outcomes_.clear();
    committed_through_ = 0;
    if (config_.ack == AckMode::after_delivery) {
      MessageQuery newest;
      newest.channel = config_.name;
      newest.limit = 1;
      auto rows = env_.store->search(newest);
      if (!rows.empty()) committed_through_ = rows.front().id;
    }
  }

  if (!config_.script.empty()) {
    for (int i = 0; i < std::max(1, config_.workers); ++i) {
      lua::Script::Options options;
      options.file = config_.script;
      options.limits = env_.lua_limits;
      options.services = services_.get();
      options.module_paths = env_.module_paths;
      options.functions = lua::Script::channel_functions();
      auto script = lua::Script::load(options, error);
      if (!script) {
        stop_parts();
        state_ = ChannelState::failed;
        return false;
      }
      scripts_.push_back(std::move(script));
    }
  }
  if (!build_destinations(error) || !build_router(error)) {
    stop_parts();
    state_ = ChannelState::failed;
    return false;
  }

  inline_ = config_.workers <= 1;
  accepting_ = true;
  if (!inline_) ingress_ = std::make_unique<BlockingQueue<Ingress>>();
  for (int i = 0; !inline_ && i < config_.workers; ++i) worker_scripts_.push_back(std::make_unique<WorkerScript>());
  for (int i = 0; !inline_ && i < config_.workers; ++i)
    workers_.emplace_back([this, i] { work(static_cast<std::size_t>(i)); });

  if (!start_source(error) || !start_ingress_half(predecessor, error)) {
    stop_parts();
    state_ = ChannelState::failed;
    return false;
  }
  state_ = ChannelState::started;
  logger::info(config_.name, "started (" + std::to_string(destinations_.size()) + " destinations, " +
                                 std::to_string(std::max(1, config_.workers)) + " workers)");
  return true;
}

bool ChannelRuntime::start_ingress_half(std::shared_ptr<ChannelRuntime> predecessor, std::string& error) {
  if (!config_.cluster_ingress) return true;
  RuntimeEnvironment environment = env_;
  environment.channels = nullptr;  // it only publishes into the work queue
  auto half = std::make_shared<ChannelRuntime>(*config_.cluster_ingress, std::move(environment));
  // Beside a running predecessor, its ingress half hands over its listening socket.
  std::shared_ptr<ChannelRuntime> previous = predecessor ? predecessor->ingress_half_ : nullptr;
  const bool started = previous ? half->start_beside(previous, error) : half->start(error);
  if (!started) {
    error = "cluster ingress: " + error;
    return false;
  }
  ingress_half_ = std::move(half);
  return true;
}

bool ChannelRuntime::start_source(std::string& error) {
  if (!source_context_) {
    auto context = std::make_unique<StoreConnectorContext>(config_.name, "source", config_.file.parent_path(),
                                                           env_.data_dir, env_.store);
    std::lock_guard lock(contexts_mutex_);
    source_context_ = std::move(context);
  }
  source_ = env_.plugins->create_source(config_.source.type, config_.source.options, *source_context_, error);
  if (!source_ || !source_->start(*this, error)) {
    error = "source (" + config_.source.type + "): " + error;
    source_ = {};
    return false;
  }
  std::unique_lock lock(routing_mutex_);
  routable_ = true;
  return true;
}

void ChannelRuntime::pause() {
  if (state_ != ChannelState::started) return;
  // The source stops as it does on stop(): its in-flight messages get their
  // answer. Workers and destinations stay: the queues keep draining.
  {
    std::unique_lock lock(routing_mutex_);
    routable_ = false;
  }
  if (ingress_half_) ingress_half_->pause();
  if (source_) source_->stop();
  source_ = {};
  state_ = ChannelState::paused;
  logger::info(config_.name, "paused: the source takes no messages, destinations keep delivering");
}

bool ChannelRuntime::resume(std::string& error) {
  if (state_ != ChannelState::paused) return state_ == ChannelState::started;
  if (!start_source(error)) return false;  // stays paused: the operator can try again
  if (ingress_half_ && !ingress_half_->resume(error)) return false;
  state_ = ChannelState::started;
  logger::info(config_.name, "resumed");
  return true;
}

void ChannelRuntime::stop() {
  auto state = state_.load();
  if (state == ChannelState::stopped || state == ChannelState::failed) return;
  state_ = ChannelState::stopping;
  stop_parts();
  state_ = ChannelState::stopped;
  logger::info(config_.name, "stopped");
}

void ChannelRuntime::stop_parts() {
  // A clustered channel's ingress half first: no new message enters the work
  // queue from here while the processing half stops.
  if (ingress_half_) {
    ingress_half_->stop();
    ingress_half_.reset();
  }
  // Order matters: the source first (its in-flight messages still need the
  // workers), then the workers drain, then every commit lands, then delivery.
  {
    std::unique_lock lock(routing_mutex_);  // no routed message from now on, none in progress
    routable_ = false;
  }
  if (source_) source_->stop();
  {
    std::lock_guard lock(inline_mutex_);  // waits for a message being processed inline
    accepting_ = false;
  }
  if (ingress_) ingress_->close();
  for (auto& worker : workers_) worker.join();
  workers_.clear();
  worker_scripts_.clear();
  if (env_.store) env_.store->flush();
  for (auto& destination : destinations_) destination->stop();
  if (router_) router_->stop();
  {
    // Anyone still waiting for a delivery outcome gets a stored-but-not-sent answer.
    std::lock_guard lock(waiting_mutex_);
    for (auto& [id, done] : waiting_) done({Disposition::Status::accepted, id, {}, {}});
    waiting_.clear();
    early_outcomes_.clear();
  }
  if (env_.store) env_.store->flush();
  source_ = {};
  destinations_.clear();
  router_.reset();
  outcomes_.reset();
  scripts_.clear();
  {
    std::lock_guard lock(contexts_mutex_);
    contexts_.clear();
    source_context_.reset();
  }
  ingress_.reset();
}

void ChannelRuntime::submit(Message message, std::function<void(Disposition)> done) {
  // `done` is the source plugin's code: it holds its library until called and gone.
  take({std::move(message), pin_to_library(source_.library, std::move(done)), unix_time_ms(), {}});
}

void ChannelRuntime::submit_failed(Message message, std::string reason, std::function<void(Disposition)> done) {
  Ingress ingress{std::move(message), pin_to_library(source_.library, std::move(done)), unix_time_ms(), {}};
  ingress.failure = reason.empty() ? std::string("recorded as failed by the source") : std::move(reason);
  take(std::move(ingress));
}

void ChannelRuntime::take(Ingress ingress) {
  if (inline_) {
    // One worker: the source's own thread runs the script and queues the
    // commit, in arrival order, with no hand-off to another thread.
    std::lock_guard lock(inline_mutex_);
    if (!accepting_) {
      ingress.done({Disposition::Status::unavailable, 0, {}, "channel " + config_.name + " is stopping"});
      return;
    }
    process(ingress, scripts_.empty() ? nullptr : scripts_.front().get());
    return;
  }
  auto* queue = ingress_.get();
  if (!queue || state_ == ChannelState::stopped) {
    ingress.done({Disposition::Status::unavailable, 0, {}, "channel " + config_.name + " is not running"});
    return;
  }
  auto done_copy = ingress.done;
  if (!queue->push(std::move(ingress)))
    done_copy({Disposition::Status::unavailable, 0, {}, "channel " + config_.name + " is stopping"});
}

void ChannelRuntime::work(std::size_t index) {
  while (auto ingress = ingress_->pop()) {
    if (scripts_.empty()) {
      process(*ingress, nullptr);
      continue;
    }
    take_worker_script(index);  // between two messages: this one runs wholly on one state
    process(*ingress, scripts_[index].get());
  }
}

void ChannelRuntime::take_worker_script(std::size_t index) {
  WorkerScript& slot = *worker_scripts_[index];
  if (!slot.waiting.load()) return;
  std::unique_ptr<lua::Script> old;
  {
    std::lock_guard lock(slot.mutex);
    old = std::exchange(scripts_[index], std::move(slot.next));
    slot.waiting = false;
  }
  // `old` goes here, on the thread that ran it.
}

Counters ChannelRuntime::counters() const {
  std::lock_guard lock(predecessor_mutex_);
  Counters out = counters_.snapshot();
  if (predecessor_) {
    const Counters before = predecessor_->counters_.snapshot();
    out.received += before.received;
    out.filtered += before.filtered;
    out.queued += before.queued;
    out.sent += before.sent;
    out.errored += before.errored;
  }
  return out;
}

void ChannelRuntime::take_over() {
  {
    std::lock_guard lock(predecessor_mutex_);
    if (!predecessor_) return;
    // The predecessor has stopped: its counts are final. Added under the
    // lock that counters() takes, so no snapshot sees them twice.
    auto add = [](LiveCounters& into, const Counters& c) {
      into.received += c.received;
      into.filtered += c.filtered;
      into.queued += c.queued;
      into.sent += c.sent;
      into.errored += c.errored;
    };
    add(counters_, predecessor_->counters_.snapshot());
    for (auto& [name, live] : destination_counters_) {
      auto it = predecessor_->destination_counters_.find(name);
      if (it != predecessor_->destination_counters_.end()) add(*live, it->second->snapshot());
    }
    {
      std::scoped_lock both(waiting_mutex_, predecessor_->waiting_mutex_);
      committed_through_ = std::max(committed_through_, predecessor_->committed_through_);
    }
    predecessor_.reset();
  }
  // Every commit so far has had its callback: a delivery read back now
  // cannot overtake one (ack: after-delivery's early outcomes).
  if (env_.store) env_.store->flush();
  deliver_on_start_ = true;
  if (ingress_half_) ingress_half_->take_over();
  for (auto& destination : destinations_) destination->start_delivering();
  if (router_) router_->start_delivering();
}

bool ChannelRuntime::reload_scripts(std::string& error) {
  const auto state = state_.load();
  if (state != ChannelState::started && state != ChannelState::paused) return true;
  // Build every state first: a script that does not load leaves all as they are.
  std::vector<std::unique_ptr<lua::Script>> channel_scripts;
  if (!config_.script.empty()) {
    for (std::size_t i = 0; i < scripts_.size(); ++i) {
      lua::Script::Options options;
      options.file = config_.script;
      options.limits = env_.lua_limits;
      options.services = services_.get();
      options.module_paths = env_.module_paths;
      options.functions = lua::Script::channel_functions();
      auto script = lua::Script::load(options, error);
      if (!script) return false;
      channel_scripts.push_back(std::move(script));
    }
  }
  std::vector<std::pair<DestinationWorker*, std::shared_ptr<lua::Script>>> destination_scripts;
  std::vector<const DestinationConfig*> lua_destinations;
  for (const auto& dest : config_.destinations) {
    if (!dest.enabled || dest.script.empty()) continue;
    DestinationWorker* worker = nullptr;
    for (auto& running : destinations_)
      if (running->name() == dest.name) worker = running.get();
    if (!worker) continue;
    auto script = load_destination_script(dest, error);
    if (!script) return false;
    destination_scripts.emplace_back(worker, std::move(script));
    lua_destinations.push_back(dest.connector.type == "lua" ? &dest : nullptr);
  }

  // Swap, the destinations first: a message that runs on the new channel
  // script is then delivered by the new destination scripts too.
  for (std::size_t i = 0; i < destination_scripts.size(); ++i) {
    auto& [worker, script] = destination_scripts[i];
    std::function<void(std::shared_ptr<lua::Script>)> adopt;
    if (lua_destinations[i]) {
      // The lua destination's send() runs on the same state: it switches with it.
      auto* lua = dynamic_cast<LuaDestination*>(worker->connector());
      if (lua) adopt = [lua](std::shared_ptr<lua::Script> next) { lua->use_script(std::move(next)); };
    }
    worker->replace_script(std::move(script), std::move(adopt));
  }
  // Swap. Inline (one worker): under the lock each message is processed in,
  // so between two messages. Several workers: each takes its own at its next message.
  if (inline_) {
    std::unique_ptr<lua::Script> old;
    std::lock_guard lock(inline_mutex_);
    if (!channel_scripts.empty()) old = std::exchange(scripts_.front(), std::move(channel_scripts.front()));
  } else {
    for (std::size_t i = 0; i < channel_scripts.size() && i < worker_scripts_.size(); ++i) {
      std::lock_guard lock(worker_scripts_[i]->mutex);
      worker_scripts_[i]->next = std::move(channel_scripts[i]);
      worker_scripts_[i]->waiting = true;
    }
  }
  logger::info(config_.name, "scripts reloaded");
  return true;
}

void ChannelRuntime::process(Ingress& ingress, lua::Script* script) {
  NewMessage row;
  row.channel = config_.name;
  row.received_at_ms = ingress.received_at_ms;
  // The channel's data_type (written in its YAML, else the plugin's default)
  // decides how the message is read: `run` and `artery test` read it alike.
  row.data_type = channel_data_type(config_, ingress.message);
  row.attributes_json = attributes_json(ingress.message);
  row.origin_channel = std::move(ingress.origin.channel);
  row.origin_message_id = ingress.origin.message_id;
  Disposition reply;

  std::vector<std::string> destinations;
  for (const auto& dest : config_.destinations)
    if (dest.enabled) destinations.push_back(dest.name);

  ChannelStageResult stage;
  if (ingress.failure.empty()) {
    stage = run_channel_stage(config_.name, ingress.message.content, row.data_type, &ingress.message.attributes,
                              script);
  } else {
    // The source gave up on it (SourceHost::submit_failed): kept as ERROR, never run or sent.
    stage.outcome = ChannelStageResult::Outcome::errored;
    stage.error = std::move(ingress.failure);
  }
  // Consent: a message the script passed is shared only as the patient's
  // Consents permit; otherwise dropped (FILTERED with the reason) or sent to
  // the one destination `when_denied.route` names, which gets nothing else.
  // The reason is the message's `consent` variable either way.
  if (consent_ && stage.outcome == ChannelStageResult::Outcome::passed) {
    auto verdict = consent_->check(ingress.message.content, row.data_type, ingress.received_at_ms);
    if (verdict.share && !config_.consent->route.empty())
      destinations.erase(std::remove(destinations.begin(), destinations.end(), config_.consent->route),
                         destinations.end());
    if (!verdict.share) {
      stage.vars["consent"] = verdict.reason;
      if (config_.consent->route.empty()) {
        stage.outcome = ChannelStageResult::Outcome::filtered;
        row.error = std::move(verdict.reason);
      } else {
        destinations = {config_.consent->route};
        stage.routes.clear();  // router.route() shares it too: not for a denied message
      }
    }
  }
  row.message_type = std::move(stage.message_type);
  row.control_id = std::move(stage.control_id);
  row.patient_id = std::move(stage.patient_id);
  if (script || !stage.vars.empty()) row.vars_json = vars_to_json(stage.vars);
  if (stage.response) reply.response = std::move(*stage.response);
  using Outcome = ChannelStageResult::Outcome;
  switch (stage.outcome) {
    case Outcome::passed:
      if (stage.payload) {
        row.transformed = std::move(*stage.payload);
        row.transformed_type = std::move(stage.payload_type);
      }
      row.state = destinations.empty() ? MessageState::transformed : MessageState::queued;
      row.destinations = destinations;
      if (!stage.routes.empty()) add_routes(row, stage.routes);
      reply.status = row.state == MessageState::error ? Disposition::Status::errored : Disposition::Status::accepted;
      if (row.state == MessageState::error) reply.error = row.error;
      break;
    case Outcome::filtered:
      row.state = MessageState::filtered;
      reply.status = Disposition::Status::filtered;
      break;
    case Outcome::rejected:
    case Outcome::errored:
      row.state = MessageState::error;
      row.error = std::move(stage.error);
      reply.status = stage.outcome == Outcome::rejected ? Disposition::Status::rejected : Disposition::Status::errored;
      // The peer gets the first line; the traceback stays in the store.
      reply.error = first_line(row.error);
      break;
  }
  if (row.state == MessageState::error)
    logger::warn(config_.name, "message failed: " + row.error.substr(0, row.error.find('\n')));

  // The raw content is what the store keeps for search, reprocessing, and (when
  // the script left it unchanged) what queued deliveries read back after a restart.
  row.raw = std::move(ingress.message.content);
  auto shared = std::make_shared<Ingress>(std::move(ingress));
  auto summary = std::make_shared<NewMessage>();
  summary->state = row.state;
  summary->data_type = row.transformed_type.empty() ? row.data_type : row.transformed_type;
  summary->vars_json = row.vars_json;
  summary->attributes_json = row.attributes_json;
  summary->destinations = row.destinations;
  if (!row.delivery_contents.empty()) summary->delivery_contents = row.delivery_contents;
  auto payload = std::make_shared<std::string>(row.transformed.empty() ? row.raw : row.transformed);
  // The queued gauges go up before the insert is even queued: a destination
  // reading its queue back from the store can deliver (and count down) a
  // message before this commit's callback runs.
  count_queued(*summary, +1);
  env_.store->insert(std::move(row), [this, shared, reply = std::move(reply), summary, payload](
                                         std::int64_t id, const std::string& error) mutable {
    committed(id, error, shared, std::move(reply), *summary, payload);
  });
}

void ChannelRuntime::count_queued(const NewMessage& summary, int sign) {
  if (summary.destinations.empty()) return;
  Counters channel;
  channel.queued = sign * static_cast<std::int64_t>(summary.destinations.size());
  count(*env_.store, counters_, config_.name, "", channel);
  for (const auto& name : summary.destinations) {
    Counters one;
    one.queued = sign;
    count(*env_.store, *destination_counters_.at(name), config_.name, name, one);
  }
}

void ChannelRuntime::committed(std::int64_t id, const std::string& error, std::shared_ptr<Ingress> ingress,
                               Disposition reply, const NewMessage& summary, std::shared_ptr<std::string> payload) {
  if (!error.empty() || id == 0) {
    logger::error(config_.name, "store commit failed: " + error);
    count_queued(summary, -1);  // counted before the insert; nothing was queued
    ingress->done({Disposition::Status::unavailable, 0, {}, "store commit failed: " + error});
    return;
  }
  processing_.record(std::chrono::steady_clock::now() - ingress->arrived);
  reply.message_id = id;
  Counters delta;
  delta.received = 1;
  if (summary.state == MessageState::filtered) delta.filtered = 1;
  if (summary.state == MessageState::error) delta.errored = 1;
  count(*env_.store, counters_, config_.name, "", delta);

  // (The first destination answers: a message that only routed has none to wait for.)
  const bool wait_for_delivery = config_.ack == AckMode::after_delivery && !summary.destinations.empty() &&
                                 !destinations_.empty() && reply.status == Disposition::Status::accepted &&
                                 summary.destinations.front() == destinations_.front()->name();
  std::optional<SendResult> early;
  if (config_.ack == AckMode::after_delivery) {
    std::lock_guard lock(waiting_mutex_);
    committed_through_ = std::max(committed_through_, id);
    if (auto it = early_outcomes_.find(id); it != early_outcomes_.end()) {
      early = std::move(it->second);
      early_outcomes_.erase(it);
    } else if (wait_for_delivery) {
      waiting_[id] = std::move(ingress->done);
    }
  }
  // Only a message with delivery rows (accepted, and the channel has
  // destinations) goes out: a FILTERED or ERROR message must never be sent.
  // (A consent-routed message has a delivery row for its one destination only.)
  std::size_t index = 0;
  for (auto& destination : destinations_) {
    if (summary.destinations.empty()) break;
    ++index;
    if (std::find(summary.destinations.begin(), summary.destinations.end(), destination->name()) ==
        summary.destinations.end())
      continue;
    PendingDelivery delivery;
    delivery.message_id = id;
    delivery.destination = destination->name();
    delivery.data_type = summary.data_type;
    delivery.payload = index == destinations_.size() ? std::move(*payload) : *payload;
    delivery.vars_json = summary.vars_json;
    delivery.attributes_json = summary.attributes_json;
    destination->enqueue(std::move(delivery));
  }
  if (router_ && !summary.delivery_contents.empty() && summary.destinations.back() == kRouterDestination) {
    PendingDelivery delivery;
    delivery.message_id = id;
    delivery.destination = std::string(kRouterDestination);
    delivery.payload = summary.delivery_contents.back();
    router_->enqueue(std::move(delivery));
  }
  if (early) ingress->done(delivery_disposition(id, *early, config_.cluster_ingress_of.empty()));
  else if (!wait_for_delivery) ingress->done(std::move(reply));
}

void ChannelRuntime::final_outcome(std::int64_t message_id, const SendResult& result) {
  std::function<void(Disposition)> done;
  {
    std::lock_guard lock(waiting_mutex_);
    auto it = waiting_.find(message_id);
    if (it == waiting_.end()) {
      // Delivered before its commit callback ran: committed() answers with it.
      if (message_id > committed_through_) early_outcomes_[message_id] = result;
      return;
    }
    done = std::move(it->second);
    waiting_.erase(it);
  }
  done(delivery_disposition(message_id, result, config_.cluster_ingress_of.empty()));
}

std::int64_t ChannelRuntime::purge_queued(const std::string& destination, const std::string& reason) {
  if (!destination.empty() && !destination_counters_.count(destination)) return -1;
  std::int64_t purged = 0;
  for (const auto& [name, counters] : destination_counters_) {
    if (!destination.empty() && name != destination) continue;
    DestinationWorker* worker = nullptr;
    if (router_ && name == kRouterDestination) worker = router_.get();
    for (auto& running : destinations_)
      if (running->name() == name) worker = running.get();
    // A running worker purges on its own thread, between deliveries; a
    // stopped channel's queue is only in the store.
    purged += worker ? worker->purge(reason)
                     : purge_queued_deliveries(*env_.store, config_.name, name, reason, *counters, &counters_);
  }
  return purged;
}

}  // namespace artery
