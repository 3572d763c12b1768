#include "client/authorized_client.hpp"

namespace artery::fhir {

AuthorizedClient::AuthorizedClient(const ClientSettings& settings)
    : settings_(settings), http_(settings_.http), tokens_(settings_) {}

void AuthorizedClient::cancel() {
  http_.cancel();
  tokens_.cancel();
}

void AuthorizedClient::reset_cancel() {
  http_.reset_cancel();
  tokens_.reset_cancel();
}

AuthorizedResult AuthorizedClient::request(HttpClientRequest request) {
  AuthorizedResult out;
  const std::size_t plain_headers = request.headers.size();
  for (int attempt = 0; attempt < 2; ++attempt) {
    request.headers.resize(plain_headers);
    auto header = tokens_.authorization(out.auth_error);
    if (!header) {
      out.http = {};
      return out;
    }
    if (!header->empty()) request.headers.emplace_back("Authorization", *header);
    out.http = http_.request(request);
    if (attempt == 0 && out.http.response && out.http.response->status == 401 && tokens_.invalidate()) continue;
    break;
  }
  return out;
}

}  // namespace artery::fhir
