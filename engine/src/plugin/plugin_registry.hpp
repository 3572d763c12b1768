// The plugins the engine knows: loaded from shared libraries (Boost.DLL) or
// built in. Doubles as the PluginCatalog the config loader checks options with.
#pragma once
#include "config/channel_config.hpp"

#include <artery/plugin.hpp>

#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace boost::dll {
class shared_library;
}

namespace artery {

struct LoadedPlugin {
  std::shared_ptr<boost::dll::shared_library> library;  // null for built-ins
  const PluginDescriptor* descriptor = nullptr;
  std::filesystem::path file;  // empty for built-ins
  ConnectorSchema source_schema;
  ConnectorSchema destination_schema;
  bool has_source() const { return descriptor->create_source != nullptr; }
  bool has_destination() const { return descriptor->create_destination != nullptr; }
};

// A connector created by a plugin. The library outlives the object: members
// are destroyed in reverse order, so the connector goes first.
template <class Connector>
struct ConnectorHandle {
  std::shared_ptr<boost::dll::shared_library> library;
  std::unique_ptr<Connector> connector;
  Connector* operator->() const { return connector.get(); }
  explicit operator bool() const { return connector != nullptr; }
};

class PluginRegistry final : public PluginCatalog {
 public:
  PluginRegistry();
  ~PluginRegistry() override;

  // Built-ins: descriptors compiled into the engine (the `lua` destination).
  void add_builtin(const PluginDescriptor* descriptor);

  // Loads every *.so in the folder. Refusals are logged, one line each naming
  // the file and the reason; the rest still load. Returns how many loaded.
  int load_directory(const std::filesystem::path& directory);
  // Loads one library; the reason it was refused, or nullopt on success.
  std::optional<std::string> load_file(const std::filesystem::path& file);

  const LoadedPlugin* find(const std::string& name) const;
  std::vector<const LoadedPlugin*> plugins() const;

  ConnectorHandle<Source> create_source(const std::string& type, const ConnectorOptions& options,
                                        ConnectorContext& context, std::string& error) const;
  ConnectorHandle<Destination> create_destination(const std::string& type, const ConnectorOptions& options,
                                                  ConnectorContext& context, std::string& error) const;

  // PluginCatalog
  const ConnectorSchema* source_schema(const std::string& type) const override;
  const ConnectorSchema* destination_schema(const std::string& type) const override;
  std::vector<std::string> types() const override;

 private:
  std::map<std::string, std::unique_ptr<LoadedPlugin>> plugins_;
};

}  // namespace artery
