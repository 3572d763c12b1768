#include "plugin/plugin_registry.hpp"

#include "clock/unix_time.hpp"
#include "log/logger.hpp"
#include "plugin/owned_schema.hpp"
#include "plugin/plugin_library.hpp"

#include <boost/dll/shared_library.hpp>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <set>
#include <sstream>

#include <unistd.h>

namespace artery {
namespace {

std::shared_ptr<LoadedPlugin> describe(const PluginDescriptor* d) {
  auto plugin = std::make_shared<LoadedPlugin>();
  plugin->descriptor = d;
  plugin->name = d->name;
  plugin->version = d->version ? d->version : "";
  plugin->description = d->description ? d->description : "";
  plugin->source_schema = owned_schema(d->source_options, d->source_option_count,
                                       d->source_data_type ? d->source_data_type : data_type::text);
  plugin->destination_schema = owned_schema(d->destination_options, d->destination_option_count, data_type::text);
  return plugin;
}

std::optional<std::string> read_bytes(const std::filesystem::path& file, std::string& bytes) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return "cannot be read (" + std::string(std::strerror(errno)) + ")";
  std::ostringstream content;
  content << in.rdbuf();
  if (in.bad()) return "cannot be read to the end";
  bytes = std::move(content).str();
  return std::nullopt;
}

// A copy of `plugin` with another last reload result (published plugins are immutable).
std::shared_ptr<const LoadedPlugin> with_result(const LoadedPlugin& plugin, PluginReloadResult result) {
  auto copy = std::make_shared<LoadedPlugin>(plugin);
  copy->last_reload = std::move(result);
  return copy;
}

void sort_unique(std::vector<std::string>& names) {
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
}

}  // namespace

std::vector<std::string> PluginReload::changed() const {
  std::vector<std::string> out = replaced;
  out.insert(out.end(), added.begin(), added.end());
  out.insert(out.end(), removed.begin(), removed.end());
  sort_unique(out);
  return out;
}

PluginRegistry::PluginRegistry() = default;
PluginRegistry::~PluginRegistry() = default;

void PluginRegistry::add_builtin(const PluginDescriptor* descriptor) {
  auto plugin = describe(descriptor);
  plugin->loaded_at_ms = unix_time_ms();
  std::unique_lock lock(mutex_);
  plugins_[descriptor->name] = std::move(plugin);
}

void PluginRegistry::load_from_copies_in(const std::filesystem::path& directory) {
  std::lock_guard load(load_mutex_);
  copy_always_ = true;
  copies_ = std::filesystem::absolute(directory);
  std::error_code ec;
  std::filesystem::create_directories(copies_, ec);
  if (ec) logger::error("plugins", "cannot create " + copies_.string() + ": " + ec.message());
  // Copies an earlier run left (it was killed): nothing of this process maps them.
  for (const auto& entry : std::filesystem::directory_iterator(copies_, ec))
    if (entry.path().extension() == ".so") std::filesystem::remove(entry.path(), ec);
}

std::filesystem::path PluginRegistry::next_copy_path(const std::filesystem::path& file) {
  if (copies_.empty()) {
    copies_ = std::filesystem::temp_directory_path() / ("artery-plugin-copies-" + std::to_string(::getpid()));
    std::error_code ec;
    std::filesystem::create_directories(copies_, ec);
  }
  // Unique in this folder for the process's life, and across restarts.
  return copies_ / (file.stem().string() + "." + std::to_string(unix_time_ms()) + "." +
                    std::to_string(++copies_made_) + ".so");
}

int PluginRegistry::load_directory(const std::filesystem::path& directory) {
  std::lock_guard load(load_mutex_);
  directory_ = directory;
  std::error_code ec;
  if (!std::filesystem::is_directory(directory, ec)) {
    logger::warn("plugins", "plugin directory " + directory.string() + " does not exist; no plugins loaded");
    return 0;
  }
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(directory, ec))
    if (entry.path().extension() == ".so") files.push_back(entry.path());
  auto result = load_files(files, true, true);
  return static_cast<int>(result.added.size() + result.replaced.size());
}

std::optional<std::string> PluginRegistry::load_file(const std::filesystem::path& file) {
  std::lock_guard load(load_mutex_);
  auto result = load_files({file}, false, true);
  if (!result.refused.empty()) return result.refused.front().reason;
  return std::nullopt;
}

PluginReload PluginRegistry::reload_directory() {
  std::lock_guard load(load_mutex_);
  PluginReload result;
  result.at_ms = unix_time_ms();
  std::error_code ec;
  if (directory_.empty() || !std::filesystem::is_directory(directory_, ec)) {
    // Nothing to read is not a reason to unload anything: all stays as it is.
    logger::warn("plugins", "reload: the plugin directory " +
                                (directory_.empty() ? std::string("was never set") : directory_.string() +
                                                                                          " does not exist") +
                                "; every loaded plugin stays");
  } else {
    std::vector<std::filesystem::path> files;
    for (const auto& entry : std::filesystem::directory_iterator(directory_, ec))
      if (entry.path().extension() == ".so") files.push_back(entry.path());
    result = load_files(files, true, false);
  }
  std::unique_lock lock(mutex_);
  last_reload_ = result;
  return result;
}

std::optional<PluginReload> PluginRegistry::last_reload() const {
  std::shared_lock lock(mutex_);
  return last_reload_;
}

// The one loading path: read, hash, skip what is unchanged, load the rest
// from unique copies and check them, all without the registry's lock; then
// decide names and publish under it. Libraries refused on the way are
// released after the lock (their static destructors run in dlclose).
PluginReload PluginRegistry::load_files(const std::vector<std::filesystem::path>& given, bool listing, bool initial) {
  struct Candidate {
    std::filesystem::path file;
    std::string sha256;
    PluginLibrary library;
  };
  struct Refusal {
    std::filesystem::path file;
    std::string sha256;  // empty: unreadable, so try again next time
    std::string reason;
  };
  PluginReload result;
  result.at_ms = unix_time_ms();
  const std::int64_t now = result.at_ms;
  std::vector<std::filesystem::path> files = given;
  std::sort(files.begin(), files.end());

  std::vector<Candidate> candidates;
  std::vector<Refusal> refusals;
  std::vector<std::filesystem::path> restored;
  // files_ is only written by this function, under load_mutex_: reading it
  // here without mutex_ is safe.
  for (const auto& file : files) {
    std::string bytes;
    if (auto problem = read_bytes(file, bytes)) {
      refusals.push_back({file, "", *problem});
      continue;
    }
    std::string sha = content_sha256(bytes);
    auto known = files_.find(file);
    if (known != files_.end() && known->second.sha256 == sha) continue;  // unchanged (loaded, or still refused)
    if (known != files_.end() && !known->second.plugin.empty()) {
      // Put back as it was after a refused replacement: nothing to load.
      auto running = find(known->second.plugin);
      if (running && running->file == file && running->sha256 == sha) {
        restored.push_back(file);
        continue;
      }
    }
    // In place only where nothing was loaded from this path before and the
    // engine did not ask for copies (short-lived commands such as `validate`).
    const bool in_place = !copy_always_ && known == files_.end();
    Candidate candidate{file, sha, {}};
    if (auto refused = load_plugin_library(file, bytes, in_place ? std::filesystem::path{} : next_copy_path(file),
                                           candidate.library))
      refusals.push_back({file, sha, *refused});
    else
      candidates.push_back(std::move(candidate));
  }

  std::vector<Candidate> released;  // refused by name: unloaded after the lock
  {
    std::unique_lock lock(mutex_);
    std::set<std::filesystem::path> present(files.begin(), files.end());
    if (!listing)
      for (const auto& [file, state] : files_)
        if (state.present) present.insert(file);
    std::set<std::string> taken;  // names published in this round
    for (auto& candidate : candidates) {
      const PluginDescriptor* d = candidate.library.descriptor;
      const std::string name = d->name;
      auto existing_it = plugins_.find(name);
      std::shared_ptr<const LoadedPlugin> existing =
          existing_it == plugins_.end() ? nullptr : existing_it->second;
      std::string conflict;
      if (taken.count(name))
        conflict = "a plugin named '" + name + "' is already loaded from " + plugins_.at(name)->file.string();
      else if (existing && existing->file.empty())
        conflict = "a plugin named '" + name + "' is already loaded (built in)";
      else if (existing && existing->file != candidate.file && present.count(existing->file))
        conflict = "a plugin named '" + name + "' is already loaded from " + existing->file.string();
      if (!conflict.empty()) {
        refusals.push_back({candidate.file, candidate.sha256, conflict});
        released.push_back(std::move(candidate));
        continue;
      }
      auto plugin = describe(d);
      plugin->library = std::move(candidate.library.library);
      plugin->file = candidate.file;
      plugin->copy = candidate.library.copy;
      plugin->sha256 = candidate.sha256;
      plugin->loaded_at_ms = now;
      if (!initial)
        plugin->last_reload = {now, true,
                               existing ? "replaced " + existing->version + " by " + plugin->version
                                        : "loaded " + plugin->version};
      // The file used to provide another type: that one is gone with it.
      if (auto state = files_.find(candidate.file); state != files_.end() && !state->second.plugin.empty() &&
                                                    state->second.plugin != name) {
        auto old = plugins_.find(state->second.plugin);
        if (old != plugins_.end() && old->second->file == candidate.file) {
          retired_.push_back({{old->second->name, old->second->version, old->second->copy, now, true, false},
                              old->second->library});
          kept_schemas_.push_back(old->second->source_schema);
          kept_schemas_.push_back(old->second->destination_schema);
          result.removed.push_back(old->first);
          plugins_.erase(old);
        }
      }
      if (existing) {
        retired_.push_back({{existing->name, existing->version, existing->copy, now, true, false}, existing->library});
        kept_schemas_.push_back(existing->source_schema);
        kept_schemas_.push_back(existing->destination_schema);
        result.replaced.push_back(name);
        logger::info("plugins", "replaced " + name + " " + existing->version + " by " + plugin->version + " from " +
                                    candidate.file.string() + " (running from " + plugin->copy.string() + ")");
      } else {
        result.added.push_back(name);
        logger::info("plugins", "loaded " + name + " " + plugin->version + " from " + candidate.file.string() +
                                    (plugin->copy.empty() ? "" : " (running from " + plugin->copy.string() + ")"));
      }
      files_[candidate.file] = {candidate.sha256, name, "", true};
      plugins_[name] = std::move(plugin);
      taken.insert(name);
    }
    for (const auto& refusal : refusals) {
      FileState& state = files_[refusal.file];
      state.present = true;
      if (!refusal.sha256.empty()) {
        state.sha256 = refusal.sha256;
        state.refusal = refusal.reason;
      }
      result.refused.push_back({refusal.file, refusal.reason});
      // What this file loaded before keeps running, and says why it was not replaced.
      auto plugin = state.plugin.empty() ? plugins_.end() : plugins_.find(state.plugin);
      if (plugin != plugins_.end() && plugin->second->file == refusal.file) {
        logger::error("plugins", "refused " + refusal.file.string() + ": " + refusal.reason + "; " + plugin->first +
                                     " " + plugin->second->version + " keeps running");
        plugin->second = with_result(*plugin->second, {now, false, refusal.reason});
      } else {
        logger::error("plugins", "refused " + refusal.file.string() + ": " + refusal.reason);
      }
    }
    for (const auto& file : restored) {
      FileState& state = files_[file];
      auto plugin = plugins_.find(state.plugin);
      if (plugin == plugins_.end()) continue;
      state.sha256 = plugin->second->sha256;
      state.refusal.clear();
      state.present = true;
      plugin->second = with_result(*plugin->second, {now, true, "its file is the running version again"});
    }
    if (listing) {
      for (auto& [file, state] : files_) {
        if (present.count(file) || !state.present) continue;
        state.present = false;
        auto plugin = state.plugin.empty() ? plugins_.end() : plugins_.find(state.plugin);
        if (plugin == plugins_.end() || plugin->second->file != file) continue;
        logger::warn("plugins", file.string() + " was removed; " + plugin->first + " " + plugin->second->version +
                                    " stays loaded until a file provides it again or the engine restarts");
        plugin->second = with_result(*plugin->second, {now, true, "its file was removed; the loaded version stays"});
      }
    }
    // Forget retired versions that are gone for good.
    retired_.erase(std::remove_if(retired_.begin(), retired_.end(),
                                  [](const Retired& r) {
                                    return r.library.expired() &&
                                           (r.plugin.copy.empty() || !library_is_mapped(r.plugin.copy));
                                  }),
                   retired_.end());
  }
  sort_unique(result.replaced);
  sort_unique(result.added);
  sort_unique(result.removed);
  return result;
}

std::shared_ptr<const LoadedPlugin> PluginRegistry::find(const std::string& name) const {
  std::shared_lock lock(mutex_);
  auto it = plugins_.find(name);
  return it == plugins_.end() ? nullptr : it->second;
}

std::vector<std::shared_ptr<const LoadedPlugin>> PluginRegistry::plugins() const {
  std::shared_lock lock(mutex_);
  std::vector<std::shared_ptr<const LoadedPlugin>> out;
  for (const auto& [name, plugin] : plugins_) out.push_back(plugin);
  return out;
}

std::vector<RetiredPlugin> PluginRegistry::retired() const {
  std::shared_lock lock(mutex_);
  std::vector<RetiredPlugin> out;
  for (const auto& r : retired_) {
    RetiredPlugin view = r.plugin;
    view.in_use = !r.library.expired();
    view.still_mapped = !view.in_use && !view.copy.empty() && library_is_mapped(view.copy);
    if (view.in_use || view.still_mapped) out.push_back(std::move(view));
  }
  return out;
}

std::vector<PluginFileRefusal> PluginRegistry::refused_files() const {
  std::shared_lock lock(mutex_);
  std::vector<PluginFileRefusal> out;
  for (const auto& [file, state] : files_)
    if (state.present && !state.refusal.empty()) out.push_back({file, state.refusal});
  return out;
}

ConnectorHandle<Source> PluginRegistry::create_source(const std::string& type, const ConnectorOptions& options,
                                                      ConnectorContext& context, std::string& error) const {
  ConnectorHandle<Source> handle;
  auto plugin = find(type);  // holds the library for the factory call, whatever a reload does meanwhile
  if (!plugin || !plugin->descriptor->create_source) {
    error = "no source plugin named '" + type + "'";
    return handle;
  }
  handle.library = plugin->library;
  handle.connector = plugin->descriptor->create_source(options, context, error);
  if (!handle.connector && error.empty()) error = "the " + type + " plugin could not create a source";
  return handle;
}

ConnectorHandle<Destination> PluginRegistry::create_destination(const std::string& type,
                                                                const ConnectorOptions& options,
                                                                ConnectorContext& context,
                                                                std::string& error) const {
  ConnectorHandle<Destination> handle;
  auto plugin = find(type);
  if (!plugin || !plugin->descriptor->create_destination) {
    error = "no destination plugin named '" + type + "'";
    return handle;
  }
  handle.library = plugin->library;
  handle.connector = plugin->descriptor->create_destination(options, context, error);
  if (!handle.connector && error.empty()) error = "the " + type + " plugin could not create a destination";
  return handle;
}

const ConnectorSchema* PluginRegistry::source_schema(const std::string& type) const {
  auto plugin = find(type);
  return plugin && plugin->descriptor->create_source ? plugin->source_schema.get() : nullptr;
}

const ConnectorSchema* PluginRegistry::destination_schema(const std::string& type) const {
  auto plugin = find(type);
  if (!plugin) return nullptr;
  // Built-ins may declare a destination schema without a factory: the runtime builds them.
  if (plugin->descriptor->create_destination || (plugin->file.empty() && plugin->descriptor->destination_options))
    return plugin->destination_schema.get();
  return nullptr;
}

std::vector<std::string> PluginRegistry::types() const {
  std::shared_lock lock(mutex_);
  std::vector<std::string> out;
  for (const auto& [name, plugin] : plugins_) out.push_back(name);
  return out;
}

}  // namespace artery
