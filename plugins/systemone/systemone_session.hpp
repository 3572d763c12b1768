// One integrating application's connection on the TCP listener kit: frames
// request documents, answers each one (strictly one outstanding at a time,
// as SystmOne does), and answers broken input at once. Transport, TLS,
// limits and timeouts belong to the kit.
#pragma once
#include "systemone_runtime.hpp"
#include "xml_document_framer.hpp"

#include <artery/tcp_session.hpp>

#include <memory>
#include <string>

namespace artery::systemone {

class SystemOneSession final : public TcpSession {
 public:
  SystemOneSession(std::shared_ptr<SystemOneSource::Runtime> runtime, SourceHost& host, TcpConnection& connection);

  void on_data(std::string_view bytes) override;
  void on_peer_closed() override;

 private:
  // Takes the next buffered document while no request is outstanding.
  void advance();
  void begin_request(const std::string& document);
  // Writes one response line; ends the outstanding request if there is one.
  void answer(const std::string& response, bool request);
  // An answer for input that never became a request (garbage, malformed, too large).
  void refuse(XmlDocumentFramer::Status status, const std::string& error);

  std::shared_ptr<SystemOneSource::Runtime> runtime_;
  SourceHost& host_;
  TcpConnection& connection_;
  XmlDocumentFramer framer_;
  bool busy_ = false;         // a request is with the channel
  bool peer_closed_ = false;  // EOF: with framing close, it ends the request
  bool done_ = false;         // closing: take nothing more
};

}  // namespace artery::systemone
