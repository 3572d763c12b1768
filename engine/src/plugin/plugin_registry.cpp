#include "plugin/plugin_registry.hpp"

#include "log/logger.hpp"

#include <boost/dll/shared_library.hpp>

#include <algorithm>

namespace artery {
namespace {

ConnectorSchema schema_of(const OptionSpec* options, std::size_t count, const char* data_type) {
  ConnectorSchema schema;
  if (options) schema.options.assign(options, options + count);
  schema.default_data_type = data_type ? data_type : data_type::text;
  return schema;
}

std::unique_ptr<LoadedPlugin> describe(const PluginDescriptor* d) {
  auto plugin = std::make_unique<LoadedPlugin>();
  plugin->descriptor = d;
  plugin->source_schema = schema_of(d->source_options, d->source_option_count, d->source_data_type);
  plugin->destination_schema = schema_of(d->destination_options, d->destination_option_count, nullptr);
  return plugin;
}

// Reads the version fields before anything else and explains a mismatch.
std::optional<std::string> check_api(const PluginDescriptor* d) {
  if (!d) return "its entry point returned no descriptor";
  if (d->api_major != kApiMajor)
    return "it was built for plugin API " + std::to_string(d->api_major) + "." + std::to_string(d->api_minor) +
           " and this engine speaks API " + std::to_string(kApiMajor) + "." + std::to_string(kApiMinor) +
           " (a different major version is incompatible; rebuild the plugin against this engine)";
  if (d->api_minor > kApiMinor)
    return "it needs plugin API " + std::to_string(d->api_major) + "." + std::to_string(d->api_minor) +
           " but this engine only provides " + std::to_string(kApiMajor) + "." + std::to_string(kApiMinor) +
           " (upgrade the engine or use an older build of the plugin)";
  if (!d->build) return "its descriptor carries no build fingerprint";
  if (std::string why = fingerprint_mismatch(*d->build, kBuildFingerprint); !why.empty()) return why;
  if (!d->name || !*d->name) return "its descriptor has no name";
  if (!d->create_source && !d->create_destination) return "it provides neither a source nor a destination";
  return std::nullopt;
}

}  // namespace

PluginRegistry::PluginRegistry() = default;
PluginRegistry::~PluginRegistry() = default;

void PluginRegistry::add_builtin(const PluginDescriptor* descriptor) {
  plugins_[descriptor->name] = describe(descriptor);
}

int PluginRegistry::load_directory(const std::filesystem::path& directory) {
  std::error_code ec;
  if (!std::filesystem::is_directory(directory, ec)) {
    logger::warn("plugins", "plugin directory " + directory.string() + " does not exist; no plugins loaded");
    return 0;
  }
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(directory, ec))
    if (entry.path().extension() == ".so") files.push_back(entry.path());
  std::sort(files.begin(), files.end());
  int loaded = 0;
  for (const auto& file : files) {
    if (auto refused = load_file(file)) {
      logger::error("plugins", "refused " + file.string() + ": " + *refused);
    } else {
      ++loaded;
    }
  }
  return loaded;
}

std::optional<std::string> PluginRegistry::load_file(const std::filesystem::path& file) {
  auto library = std::make_shared<boost::dll::shared_library>();
  try {
    library->load(file, boost::dll::load_mode::rtld_now | boost::dll::load_mode::rtld_local);
  } catch (const std::exception& e) {
    return std::string("not a loadable library (") + e.what() + ")";
  }
  if (!library->has(kPluginEntryPoint))
    return std::string("it has no entry point '") + kPluginEntryPoint + "' (not an Artery plugin?)";
  const PluginDescriptor* descriptor = nullptr;
  try {
    auto& entry = library->get<const PluginDescriptor*()>(kPluginEntryPoint);
    descriptor = entry();
  } catch (const std::exception& e) {
    return std::string("its entry point failed: ") + e.what();
  }
  if (auto mismatch = check_api(descriptor)) return mismatch;
  if (auto existing = plugins_.find(descriptor->name); existing != plugins_.end())
    return std::string("a plugin named '") + descriptor->name + "' is already loaded" +
           (existing->second->file.empty() ? " (built in)" : " from " + existing->second->file.string());
  auto plugin = describe(descriptor);
  plugin->library = std::move(library);
  plugin->file = file;
  logger::info("plugins", std::string("loaded ") + descriptor->name + " " + descriptor->version + " from " +
                              file.string());
  plugins_[descriptor->name] = std::move(plugin);
  return std::nullopt;
}

const LoadedPlugin* PluginRegistry::find(const std::string& name) const {
  auto it = plugins_.find(name);
  return it == plugins_.end() ? nullptr : it->second.get();
}

std::vector<const LoadedPlugin*> PluginRegistry::plugins() const {
  std::vector<const LoadedPlugin*> out;
  for (const auto& [name, plugin] : plugins_) out.push_back(plugin.get());
  return out;
}

ConnectorHandle<Source> PluginRegistry::create_source(const std::string& type, const ConnectorOptions& options,
                                                      ConnectorContext& context, std::string& error) const {
  ConnectorHandle<Source> handle;
  const LoadedPlugin* plugin = find(type);
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
  const LoadedPlugin* plugin = find(type);
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
  const LoadedPlugin* plugin = find(type);
  return plugin && plugin->descriptor->create_source ? &plugin->source_schema : nullptr;
}

const ConnectorSchema* PluginRegistry::destination_schema(const std::string& type) const {
  const LoadedPlugin* plugin = find(type);
  if (!plugin) return nullptr;
  // Built-ins may declare a destination schema without a factory: the runtime builds them.
  if (plugin->descriptor->create_destination || (plugin->file.empty() && plugin->descriptor->destination_options))
    return &plugin->destination_schema;
  return nullptr;
}

std::vector<std::string> PluginRegistry::types() const {
  std::vector<std::string> out;
  for (const auto& [name, plugin] : plugins_) out.push_back(name);
  return out;
}

}  // namespace artery
