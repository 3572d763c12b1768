// A stored message as the API shows it. Content (raw, transformed, each
// delivery's sent form and response, errors, variables) is included only
// for roles allowed to see it; a viewer gets the metadata alone.
#pragma once
#include <boost/json/object.hpp>

namespace artery {
struct MessageRecord;
}

namespace artery::admin {

boost::json::object message_summary_json(const MessageRecord& message);
boost::json::object message_detail_json(const MessageRecord& message, bool with_content);

}  // namespace artery::admin
