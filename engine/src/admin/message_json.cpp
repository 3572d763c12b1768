#include "admin/message_json.hpp"

#include "store/message_store.hpp"

#include <boost/json.hpp>

namespace artery::admin {

boost::json::object message_summary_json(const MessageRecord& m) {
  boost::json::object out{{"id", m.id},
                          {"channel", m.channel},
                          {"received_at_ms", m.received_at_ms},
                          {"state", std::string(to_string(m.state))},
                          {"data_type", m.data_type},
                          {"message_type", m.message_type},
                          {"control_id", m.control_id},
                          {"patient_id", m.patient_id}};
  if (!m.origin_channel.empty()) {
    out["origin_channel"] = m.origin_channel;
    out["origin_message_id"] = m.origin_message_id;
  }
  return out;
}

boost::json::object message_detail_json(const MessageRecord& m, bool with_content) {
  auto out = message_summary_json(m);
  boost::json::array deliveries;
  for (const auto& d : m.deliveries) {
    boost::json::object one{{"destination", d.destination},
                            {"state", std::string(to_string(d.state))},
                            {"attempts", d.attempts},
                            {"updated_ms", d.updated_ms}};
    if (with_content) {
      // Empty sent_content: the destination sent the message's payload unchanged.
      one["sent_content"] = d.sent_content.empty() ? (m.transformed.empty() ? m.raw : m.transformed) : d.sent_content;
      one["sent_unchanged"] = d.sent_content.empty();
      one["response"] = d.response;
      one["error"] = d.error;
    }
    deliveries.push_back(std::move(one));
  }
  out["deliveries"] = std::move(deliveries);
  out["content_included"] = with_content;
  if (with_content) {
    out["raw"] = m.raw;
    out["transformed"] = m.transformed;
    out["transformed_type"] = m.transformed_type;
    out["error"] = m.error;
    out["vars_json"] = m.vars_json;
    out["attributes_json"] = m.attributes_json;
  }
  return out;
}

}  // namespace artery::admin
