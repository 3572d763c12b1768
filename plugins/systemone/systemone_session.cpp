#include "systemone_session.hpp"

namespace artery::systemone {

SystemOneSession::SystemOneSession(std::shared_ptr<SystemOneSource::Runtime> runtime, SourceHost& host,
                                   TcpConnection& connection)
    : runtime_(std::move(runtime)), host_(host), connection_(connection), framer_(runtime_->settings.max_request_size) {}

void SystemOneSession::on_data(std::string_view bytes) {
  framer_.feed(bytes.data(), bytes.size());
  advance();
}

void SystemOneSession::on_peer_closed() {
  peer_closed_ = true;
  advance();
}

void SystemOneSession::advance() {
  std::string document;
  std::string error;
  while (!busy_ && !done_) {
    auto status = framer_.next(document, error);
    if (status == XmlDocumentFramer::Status::need_more) {
      // framing: close — the client ended its request by closing its side.
      if (!peer_closed_ || !runtime_->settings.close_framing || !framer_.in_document()) return;
      document = framer_.take_partial();
      status = XmlDocumentFramer::Status::document;
    }
    if (status == XmlDocumentFramer::Status::document) {
      begin_request(document);
    } else {
      refuse(status, error);
    }
  }
}

void SystemOneSession::refuse(XmlDocumentFramer::Status status, const std::string& error) {
  // Answered here, never submitted: there is no request to store.
  const auto& remote = connection_.peer().remote;
  runtime_->context.log(LogLevel::warn, "systemone: " + remote + ": " + error);
  connection_.metrics().add_error(status == XmlDocumentFramer::Status::rejected ? ConnectorError::rejected
                                                                                : ConnectorError::protocol);
  const ResponseEnvelope no_request;
  answer(runtime_->error_text(no_request, error, true), false);
  // Too large: the stream cannot be resynchronised.
  if (status == XmlDocumentFramer::Status::too_large) {
    done_ = true;
    connection_.close();
  }
}

void SystemOneSession::begin_request(const std::string& document) {
  busy_ = true;
  connection_.request_started();
  connection_.metrics().add_request();
  // One outstanding request per connection: later bytes wait in TCP.
  connection_.pause_reading();
  const auto& remote = connection_.peer().remote;
  if (connection_.stopping()) {
    const ResponseEnvelope no_request;
    answer(runtime_->error_text(no_request, "the service is stopping, try again", false), true);
    return;
  }
  auto screened = runtime_->screen(document);
  if (screened.error) {
    runtime_->context.log(LogLevel::warn, "systemone: " + remote + ": " + *screened.error);
    connection_.metrics().add_error(ConnectorError::rejected);
    answer(runtime_->error_text(screened.envelope, *screened.error, true), true);
    return;
  }
  Message message;
  message.content = document;
  message.data_type = data_type::xml;
  message.attributes = {{"function", screened.envelope.function},
                        {"function_version", screened.envelope.function_version},
                        {"request_uid", screened.envelope.request_uid},
                        {"device_id", screened.envelope.device_id},
                        {"remote", remote}};
  if (!connection_.peer().tls_subject.empty())
    message.attributes.emplace_back("tls_peer_subject", connection_.peer().tls_subject);
  SystemOneSource::Runtime::submit(host_, std::move(message), [handle = connection_.handle(), this,
                                        envelope = std::move(screened.envelope)](Disposition disposition) {
    handle.post([this, envelope, disposition = std::move(disposition)] {
      if (disposition.status == Disposition::Status::rejected)
        connection_.metrics().add_error(ConnectorError::rejected);
      answer(runtime_->answer(envelope, disposition), true);
      advance();
    });
  });
}

void SystemOneSession::answer(const std::string& response, bool request) {
  std::string line;
  line.reserve(response.size() + 1);
  line.append(response).push_back('\n');
  connection_.write(line);
  if (!request) {
    if (runtime_->settings.close_framing) {
      done_ = true;
      connection_.close();
    }
    return;
  }
  busy_ = false;
  if (runtime_->settings.close_framing || connection_.stopping()) {
    done_ = true;
    connection_.close();
  } else {
    connection_.resume_reading();
  }
  connection_.request_finished();
}

}  // namespace artery::systemone
