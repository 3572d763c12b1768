// The plugins the engine knows: loaded from shared libraries (Boost.DLL) or
// built in. Doubles as the PluginCatalog the config loader checks options with.
//
// Hot load (docs/reload.md): reload_directory() reads the plugins folder
// again; a new or replaced library is copied to a unique path (the dynamic
// loader caches by path, so dlopen of the same path would hand back the old
// library) and loaded from there, and checked — plugin API, build
// fingerprint, descriptor — before anything calls it. The old library stays
// loaded while anything holds it (a ConnectorHandle of a running channel, a
// callback a plugin handed to the engine) and is unloaded when the last holder
// lets go. Every operation is thread-safe: a reload never blocks
// create_source/create_destination/find for longer than a map update.
#pragma once
#include "config/channel_config.hpp"

#include <artery/plugin.hpp>

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <vector>

namespace boost::dll {
class shared_library;
}

namespace artery {

// What the last reload did with one plugin's file.
struct PluginReloadResult {
  std::int64_t at_ms = 0;  // 0: not reloaded since it was first loaded
  bool ok = true;
  std::string detail;  // what happened ("replaced 1.0.0 by 2.0.0"), or why the new file was refused
};

// One loaded plugin. Immutable once published: a reload publishes a new one.
// Everything but `library` and `descriptor` is the engine's own memory, so it
// stays readable after the library is unloaded.
struct LoadedPlugin {
  std::shared_ptr<boost::dll::shared_library> library;  // null for built-ins
  const PluginDescriptor* descriptor = nullptr;         // valid while `library` is held
  std::string name;
  std::string version;
  std::string description;
  std::filesystem::path file;  // in the plugins folder; empty for built-ins
  std::filesystem::path copy;  // the unique copy it runs from (empty: loaded in place, or built in)
  std::string sha256;          // of the file's content when it was loaded
  std::int64_t loaded_at_ms = 0;
  PluginReloadResult last_reload;
  std::shared_ptr<const ConnectorSchema> source_schema;       // never null (empty without a source)
  std::shared_ptr<const ConnectorSchema> destination_schema;  // never null
  bool has_source() const { return descriptor->create_source != nullptr; }
  bool has_destination() const { return descriptor->create_destination != nullptr; }
};

// A version a reload replaced, kept in view until it is unloaded.
struct RetiredPlugin {
  std::string name;
  std::string version;
  std::filesystem::path copy;
  std::int64_t retired_at_ms = 0;
  bool in_use = false;        // a running connector (or a callback) still holds the library
  bool still_mapped = false;  // released, but the loader kept it mapped (see docs/reload.md)
};

// One file a load or reload would not take, and why.
struct PluginFileRefusal {
  std::filesystem::path file;
  std::string reason;
};

// What reload_directory() did.
struct PluginReload {
  std::int64_t at_ms = 0;
  std::vector<std::string> replaced;  // types now served by a new library: redeploy the channels using them
  std::vector<std::string> added;     // types no library provided before
  std::vector<std::string> removed;   // types whose file now provides another type
  std::vector<PluginFileRefusal> refused;  // new or changed files not taken; what was running stays
  bool ok() const { return refused.empty(); }
  // replaced + added + removed, sorted: every type whose implementation changed.
  std::vector<std::string> changed() const;
};

// A connector created by a plugin. The library outlives the object: the
// connector is always destroyed first, also on assignment (the defaulted
// move-assignment would release the old library before destroying the old
// connector, whose destructor lives in that library).
template <class Connector>
struct ConnectorHandle {
  std::shared_ptr<boost::dll::shared_library> library;
  std::unique_ptr<Connector> connector;

  ConnectorHandle() = default;
  ConnectorHandle(ConnectorHandle&&) noexcept = default;
  ConnectorHandle& operator=(ConnectorHandle&& other) noexcept {
    if (this != &other) {
      connector.reset();
      connector = std::move(other.connector);
      library = std::move(other.library);
    }
    return *this;
  }
  ConnectorHandle(const ConnectorHandle&) = delete;
  ConnectorHandle& operator=(const ConnectorHandle&) = delete;
  ~ConnectorHandle() { connector.reset(); }

  Connector* operator->() const { return connector.get(); }
  explicit operator bool() const { return connector != nullptr; }
};

class PluginRegistry final : public PluginCatalog {
 public:
  PluginRegistry();
  ~PluginRegistry() override;

  // Built-ins: descriptors compiled into the engine (the `lua` destination).
  void add_builtin(const PluginDescriptor* descriptor);

  // Loads every library from a unique copy in `directory` (created; copies
  // left by an earlier run are removed). The engine sets this before loading
  // so that a file replaced in the plugins folder never changes code that is
  // running. Without it, libraries load in place and a reload copies into a
  // folder under the system temp dir.
  void load_from_copies_in(const std::filesystem::path& directory);

  // Loads every *.so in the folder. Refusals are logged, one line each naming
  // the file and the reason; the rest still load. Returns how many loaded.
  // Remembers the folder for reload_directory().
  int load_directory(const std::filesystem::path& directory);
  // Loads one library; the reason it was refused, or nullopt on success.
  std::optional<std::string> load_file(const std::filesystem::path& file);

  // Reads the folder load_directory() was given again: new and changed files
  // (by content) are loaded and checked; a refused one leaves the version
  // that was running in place. A removed file leaves its plugin loaded.
  // Serialized with other loads; logged like load_directory().
  PluginReload reload_directory();
  std::optional<PluginReload> last_reload() const;

  std::shared_ptr<const LoadedPlugin> find(const std::string& name) const;
  std::vector<std::shared_ptr<const LoadedPlugin>> plugins() const;  // sorted by name
  // Replaced versions not yet unloaded (a channel still runs on them), and
  // unloaded ones the loader kept mapped.
  std::vector<RetiredPlugin> retired() const;
  // Files in the plugins folder that are refused as they are now (unchanged
  // since they were refused), with the reason.
  std::vector<PluginFileRefusal> refused_files() const;

  ConnectorHandle<Source> create_source(const std::string& type, const ConnectorOptions& options,
                                        ConnectorContext& context, std::string& error) const;
  ConnectorHandle<Destination> create_destination(const std::string& type, const ConnectorOptions& options,
                                                  ConnectorContext& context, std::string& error) const;

  // PluginCatalog. The schema pointers stay valid for the registry's life,
  // also across reloads (replaced schemas are kept: a few hundred bytes each).
  const ConnectorSchema* source_schema(const std::string& type) const override;
  const ConnectorSchema* destination_schema(const std::string& type) const override;
  std::vector<std::string> types() const override;

 private:
  struct FileState {
    std::string sha256;   // of the content last examined
    std::string plugin;   // the plugin loaded from this file ("" when none)
    std::string refusal;  // why that content was refused ("" when it was taken)
    bool present = true;  // in the folder at the last scan
  };
  struct Retired {
    RetiredPlugin plugin;
    std::weak_ptr<boost::dll::shared_library> library;
  };
  // Loads what is new or changed among `files`; `listing` says they are the
  // whole folder (files_ not among them are gone).
  PluginReload load_files(const std::vector<std::filesystem::path>& files, bool listing, bool initial);
  std::filesystem::path next_copy_path(const std::filesystem::path& file);

  mutable std::shared_mutex mutex_;  // guards everything below but load_mutex_'s own state
  std::map<std::string, std::shared_ptr<const LoadedPlugin>> plugins_;
  std::vector<std::shared_ptr<const ConnectorSchema>> kept_schemas_;  // of replaced versions
  std::vector<Retired> retired_;
  std::map<std::filesystem::path, FileState> files_;  // every *.so seen in the folder
  std::optional<PluginReload> last_reload_;

  std::mutex load_mutex_;  // one load or reload at a time
  std::filesystem::path directory_;
  std::filesystem::path copies_;
  bool copy_always_ = false;
  std::uint64_t copies_made_ = 0;
};

}  // namespace artery
