// Records what a request did in the audit log, with who and from where.
#pragma once
#include "admin/principal.hpp"

#include <artery/http_message.hpp>

#include <cstdint>
#include <string>

namespace artery::admin {

struct AdminContext;

struct AuditFacts {
  std::string action;  // "channel.stop", "message.view", ...
  std::string channel;
  std::int64_t message_id = 0;
  bool ok = true;
  std::string detail;
};

void audit(AdminContext& context, const HttpRequest& request, const Principal& who, AuditFacts facts);

}  // namespace artery::admin
