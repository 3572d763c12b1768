#include "alerts/alert_config.hpp"

#include "notify/notify_options.hpp"

namespace artery {

std::string_view to_string(AlertCondition::Kind kind) {
  switch (kind) {
    case AlertCondition::Kind::errors: return "errors";
    case AlertCondition::Kind::queue_depth: return "queue_depth";
    case AlertCondition::Kind::oldest_queued: return "oldest_queued";
    case AlertCondition::Kind::not_started: return "state";
  }
  return "?";
}

const ConnectorSchema* alert_target_schema(std::string_view type) {
  static const ConnectorSchema webhook = [] {
    ConnectorSchema schema;
    schema.options.assign(notify::kWebhookOptions, notify::kWebhookOptions + notify::kWebhookOptionCount);
    schema.default_data_type = data_type::json;
    return schema;
  }();
  static const ConnectorSchema email = [] {
    ConnectorSchema schema;
    schema.options.assign(notify::kEmailOptions, notify::kEmailOptions + notify::kEmailOptionCount);
    for (auto& spec : schema.options) {
      if (std::string_view(spec.key) == "subject") spec.default_value = "[artery] ${event}: ${rule} on ${channel}";
      if (std::string_view(spec.key) == "body") spec.default_value = "${text}";
    }
    schema.default_data_type = data_type::text;
    return schema;
  }();
  if (type == "webhook") return &webhook;
  if (type == "email") return &email;
  return nullptr;
}

}  // namespace artery
