// One plugin library on its way in: written to its own unique copy, loaded
// from there with Boost.DLL and checked (plugin API, build fingerprint,
// descriptor) before anything in it but the entry point is called. The
// library is held by a shared_ptr whose last release unloads it and removes
// the copy; the loader's caches are keyed by path, so a unique path per
// load is what makes a replaced file load as new code.
#pragma once
#include <artery/plugin.hpp>

#include <filesystem>
#include <memory>
#include <optional>
#include <string>

namespace boost::dll {
class shared_library;
}

namespace artery {

struct PluginLibrary {
  std::shared_ptr<boost::dll::shared_library> library;
  const PluginDescriptor* descriptor = nullptr;  // checked; valid while `library` is held
  std::filesystem::path copy;                    // empty: loaded in place
};

// Loads `file`, whose content is `bytes` (read once, so what was hashed is
// what runs). With a non-empty `copy`, the bytes are written there first and
// loaded from it; otherwise `file` is loaded in place. Returns why the
// library was refused, or nullopt with `out` filled.
std::optional<std::string> load_plugin_library(const std::filesystem::path& file, const std::string& bytes,
                                               const std::filesystem::path& copy, PluginLibrary& out);

// Whether an object loaded from `path` is still in the process's link map
// (dl_iterate_phdr): after the last release it should not be.
bool library_is_mapped(const std::filesystem::path& path);

// Hex SHA-256 of a file's content: how a reload tells a changed file.
std::string content_sha256(const std::string& bytes);

}  // namespace artery
