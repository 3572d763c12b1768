#include "consent/consent_servers.hpp"

#include <map>
#include <mutex>

namespace artery::consent {
namespace {

std::mutex& registry_mutex() {
  static std::mutex m;
  return m;
}
std::map<std::string, std::string>& listeners() {
  static std::map<std::string, std::string> m;
  return m;
}
// Bounded: scripts name a handful of servers; a script making up URLs per
// message would otherwise grow this without end.
constexpr std::size_t kMaxLookups = 64;
std::map<std::string, std::shared_ptr<ConsentLookup>>& lookups() {
  static std::map<std::string, std::shared_ptr<ConsentLookup>> m;
  return m;
}

}  // namespace

void remember_local_listener(const std::string& channel, const std::string& base_url) {
  std::lock_guard lock(registry_mutex());
  listeners()[channel] = base_url;
}

std::optional<std::string> local_listener_url(const std::string& channel) {
  std::lock_guard lock(registry_mutex());
  auto it = listeners().find(channel);
  if (it == listeners().end()) return std::nullopt;
  return it->second;
}

std::shared_ptr<ConsentLookup> shared_lookup(const ConsentServer& server, std::chrono::milliseconds ttl) {
  const std::string key = server.base_url + "\n" + server.auth_type + "\n" + server.token + "\n" + server.username +
                          "\n" + server.password + "\n" + server.tls.ca + "\n" + server.tls.cert + "\n" +
                          (server.tls.verify_peer ? "1" : "0") + "\n" + std::to_string(ttl.count()) + "\n" +
                          std::to_string(server.timeout.count());
  std::lock_guard lock(registry_mutex());
  auto& all = lookups();
  if (auto it = all.find(key); it != all.end()) return it->second;
  if (all.size() >= kMaxLookups) all.erase(all.begin());
  auto lookup = std::make_shared<ConsentLookup>(server, ttl);
  all.emplace(key, lookup);
  return lookup;
}

}  // namespace artery::consent
