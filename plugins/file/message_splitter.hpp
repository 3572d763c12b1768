// Turns the bytes of one file into the messages the source submits.
#pragma once
#include "file_source_settings.hpp"

#include <string>
#include <vector>

namespace artery::file_connector {

struct SplitResult {
  std::vector<std::string> messages;
  std::string error;  // set when the content cannot be split (bad HL7 batch)
};

// split none: the whole content is one message (none for an empty file).
// split delimiter: pieces between delimiters; blank pieces (only whitespace) are skipped.
// split hl7-batch: artery::hl7::split_batch (FHS/BHS envelopes or back-to-back MSH).
// Takes the content by value so the common one-message case moves, not copies.
SplitResult split_messages(std::string content, SplitMode mode, const std::string& delimiter);

}  // namespace artery::file_connector
