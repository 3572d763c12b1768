#include "file_destination_settings.hpp"

#include "file_option_specs.hpp"
#include <artery/option_reader.hpp>

namespace artery::file_connector {

std::optional<FileDestinationSettings> read_destination_settings(const ConnectorOptions& options,
                                                                 const std::filesystem::path& base_dir,
                                                                 std::string& error) {
  OptionReader read(options, kDestinationOptions, kDestinationOptionCount);
  FileDestinationSettings s;
  s.base_dir = base_dir;
  s.directory_template = read.required("directory");
  s.filename_template = read.required("filename");
  if (std::string problem = check_template(s.directory_template); !problem.empty()) read.fail("directory", problem);
  if (std::string problem = check_template(s.filename_template); !problem.empty()) read.fail("filename", problem);
  s.mode = read.choice("mode", {"overwrite", "append"}) == 0 ? WriteMode::overwrite : WriteMode::append;
  // Unset, atomic follows the mode: replacing a whole file is atomic, while an
  // atomic append would copy the whole file for every message.
  s.atomic = read.string("atomic").empty() ? s.mode == WriteMode::overwrite : read.boolean("atomic");
  s.fsync = read.boolean("fsync");
  s.create_directories = read.boolean("create_directories");
  s.separator = read.string("separator");
  if (!read.error().empty()) {
    error = read.error();
    return std::nullopt;
  }
  return s;
}

}  // namespace artery::file_connector
