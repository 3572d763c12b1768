// The audit log: who logged in (or failed to), who changed what, who looked
// at which message's content, from where. Append-only: nothing in the engine
// updates or deletes an entry, and the API offers no way to.
//
// It lives in the store's database file on a connection of its own: audit
// writes are rare next to messages, must be committed before the action they
// record is answered, and must not queue behind the message writer's batches.
#pragma once
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace artery {

namespace sqlite {
class Connection;
}

struct AuditEntry {
  std::int64_t id = 0;     // assigned by record()
  std::int64_t at_ms = 0;  // assigned by record() when 0
  std::string user;        // "" when nobody was logged in (a failed login names the user tried)
  std::string action;      // "login", "login_failed", "logout", "channel.stop", "message.view", "user.add", ...
  std::string channel;     // when the action concerns one
  std::int64_t message_id = 0;
  std::string address;  // the client's address
  bool ok = true;       // false: refused or failed (and why, in detail)
  std::string detail;
};

struct AuditQuery {
  std::string user;     // "" = any
  std::string action;   // "" = any; "channel." matches every action starting with it
  std::string channel;  // "" = any
  std::int64_t since_ms = 0;
  std::int64_t before_id = 0;  // paging: entries below this id (0 = newest)
  int limit = 100;
};

class AuditLog {
 public:
  // Opens (and creates the table in) the store's database file. Throws
  // std::runtime_error when it cannot.
  explicit AuditLog(const std::filesystem::path& database);
  ~AuditLog();

  // Committed before it returns. Never throws: an audit write that fails is
  // logged at ERROR (the caller's action is not undone).
  void record(AuditEntry entry) noexcept;
  std::vector<AuditEntry> list(const AuditQuery& query);  // newest first

 private:
  std::mutex mutex_;
  std::unique_ptr<sqlite::Connection> connection_;
};

}  // namespace artery
