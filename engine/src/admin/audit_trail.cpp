#include "admin/audit_trail.hpp"

#include "admin/admin_context.hpp"
#include "store/audit_log.hpp"

namespace artery::admin {

void audit(AdminContext& context, const HttpRequest& request, const Principal& who, AuditFacts facts) {
  AuditEntry entry;
  entry.user = who.user;
  entry.action = std::move(facts.action);
  entry.channel = std::move(facts.channel);
  entry.message_id = facts.message_id;
  entry.address = request.peer_address;
  entry.ok = facts.ok;
  entry.detail = std::move(facts.detail);
  if (who.via == Principal::Via::token) entry.detail += (entry.detail.empty() ? "" : "; ") + std::string("by API token");
  context.audit.record(std::move(entry));
}

}  // namespace artery::admin
