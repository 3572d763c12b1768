#include "file_option_specs.hpp"

#include <iterator>

namespace artery::file_connector {

const OptionSpec kSourceOptions[] = {
    {"directory", "string", nullptr, true,
     "Folder to poll for files. Relative paths resolve against the channel file's folder."},
    {"glob", "string", "*", false,
     "File name pattern (fnmatch: *, ?, [abc]). Names starting with '.' only match a pattern that starts with '.'."},
    {"recursive", "bool", "false", false, "Also poll subfolders (except the processed and error folders)."},
    {"poll_interval", "duration", "1s", false, "Pause between two scans of a folder that had nothing to do."},
    {"min_age", "duration", "1s", false,
     "Skip files modified more recently than this, so a file still being written is not read half-way."},
    {"sort", "enum:name|mtime", "name", false, "Order in which the files of one scan are read."},
    {"split", "enum:none|delimiter|hl7-batch", "none", false,
     "One message per file, messages separated by `delimiter`, or an HL7 v2 batch (FHS/BHS or back-to-back MSH)."},
    {"delimiter", "string", "\n", false, "Message separator for split: delimiter. Blank pieces are skipped."},
    {"after", "enum:processed|delete", "processed", false,
     "What happens to a file once every message in it is stored: move it to processed_directory, or delete it."},
    {"processed_directory", "string", "processed", false,
     "Where processed files go (after: processed). Relative paths resolve against `directory`."},
    {"error_directory", "string", "error", false,
     "Where unreadable, oversized, unsplittable, errored or rejected files go. Relative to `directory`."},
    {"max_file_size", "size", "64MiB", false, "Larger files are not read; they go to error_directory."},
    {"max_in_flight", "int", "256", false,
     "Messages handed to the channel and not yet answered, at most. Bounds memory; higher keeps throughput up."},
    {"create_directories", "bool", "true", false, "Create `directory` at start when it does not exist."},
};
const std::size_t kSourceOptionCount = std::size(kSourceOptions);

const OptionSpec kDestinationOptions[] = {
    {"directory", "string", nullptr, true,
     "Folder to write into; ${var} templates allowed. Relative paths resolve against the channel file's folder."},
    {"filename", "string", nullptr, true,
     "File name; ${var} templates allowed. A name that expands to '', '.', '..' or contains '/' is rejected."},
    {"mode", "enum:overwrite|append", "overwrite", false, "Replace an existing file, or add to its end."},
    {"atomic", "bool", nullptr, false,
     "Write a temporary file in the same folder and rename it over the target, so readers never see a partial file. "
     "Default: true for mode overwrite, false for append (an atomic append copies the whole file per message)."},
    {"fsync", "bool", "false", false, "fsync the file and its folder before reporting the message sent."},
    {"create_directories", "bool", "true", false, "Create the target folder when it does not exist."},
    {"separator", "string", "", false, "Text written after each message in append mode (for example \"\\n\")."},
};
const std::size_t kDestinationOptionCount = std::size(kDestinationOptions);

}  // namespace artery::file_connector
