// The file destination's options, checked.
#pragma once
#include <artery/options.hpp>

#include <filesystem>
#include <optional>
#include <string>

namespace artery::file_connector {

enum class WriteMode { overwrite, append };

struct FileDestinationSettings {
  std::filesystem::path base_dir;      // where a relative (expanded) directory resolves
  std::string directory_template;      // ${var} allowed
  std::string filename_template;       // ${var} allowed
  WriteMode mode = WriteMode::overwrite;
  bool atomic = true;                  // absent from the YAML: true for overwrite, false for append
  bool fsync = false;
  bool create_directories = true;
  std::string separator;
};

// nullopt with `error` ("file:line:col: key: what") when an option or template is invalid.
std::optional<FileDestinationSettings> read_destination_settings(const ConnectorOptions& options,
                                                                 const std::filesystem::path& base_dir,
                                                                 std::string& error);

}  // namespace artery::file_connector
