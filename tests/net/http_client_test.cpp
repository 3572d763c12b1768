// artery::HttpClient against the engine's own HttpServer on loopback, over
// real sockets: keep-alive reuse of one connection, the body cap, the
// request deadline, cancel() from another thread, and https with the
// certificate and host name verified (and refused when they do not check out).
#include "support/loopback.hpp"
#include "support/test_certificates.hpp"

#include <artery/http_client.hpp>
#include <artery/http_server.hpp>

#include <catch2/catch.hpp>

#include <thread>

using artery::HttpClient;
using artery::HttpFailure;

namespace {

std::unique_ptr<artery::HttpServer> serve(bool tls) {
  artery::HttpRouter router;
  router.add("GET", "/peer", [](const artery::HttpRequest& r) {
    return artery::HttpResponse::text(200, std::to_string(r.peer_port));
  });
  router.add("POST", "/echo", [](const artery::HttpRequest& r) {
    auto response = artery::HttpResponse::text(201, r.body);
    return response;
  });
  router.add("GET", "/big", [](const artery::HttpRequest&) { return artery::HttpResponse::text(200, std::string(5000, 'x')); });
  router.add("GET", "/slow", [](const artery::HttpRequest&) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1500));
    return artery::HttpResponse::text(200, "late");
  });
  artery::HttpServerOptions options;
  if (tls) {
    const auto& certificates = artery::testing::TestCertificates::get();
    options.tls.enabled = true;
    options.tls.cert = certificates("server.pem");
    options.tls.key = certificates("server.key");
  }
  auto server = std::make_unique<artery::HttpServer>(options, std::move(router));
  std::string error;
  REQUIRE(server->start(error));
  return server;
}

std::string url(const artery::HttpServer& server, bool tls, const std::string& path, const char* host = "127.0.0.1") {
  return std::string(tls ? "https://" : "http://") + host + ":" + std::to_string(server.port()) + path;
}

}  // namespace

TEST_CASE("HttpClient keeps one connection, caps the body, keeps its deadline and can be cancelled", "[http][client]") {
  auto server = serve(false);
  artery::HttpClientOptions options;
  options.request_timeout = std::chrono::milliseconds(400);
  options.max_body = 1000;
  HttpClient client(options);

  auto first = client.request({"GET", url(*server, false, "/peer"), {}, {}});
  REQUIRE(first.response);
  auto second = client.request({"GET", url(*server, false, "/peer"), {}, {}});
  REQUIRE(second.response);
  CHECK(first.response->body == second.response->body);  // the same client port: one connection

  auto echo = client.request({"POST", url(*server, false, "/echo"), {{"Content-Type", "text/plain"}}, "hello"});
  REQUIRE(echo.response);
  CHECK(echo.response->status == 201);
  CHECK(echo.response->body == "hello");
  CHECK(echo.response->header("content-type").find("text/plain") == 0);

  auto big = client.request({"GET", url(*server, false, "/big"), {}, {}});
  CHECK(!big.response);
  CHECK(big.failure == HttpFailure::too_large);

  auto slow = client.request({"GET", url(*server, false, "/slow"), {}, {}});
  CHECK(!slow.response);
  CHECK(slow.failure == HttpFailure::timeout);
  CHECK_THAT(slow.error, Catch::Contains("timed out after 400 ms"));

  // After failures the client dials again and works.
  auto again = client.request({"GET", url(*server, false, "/peer"), {}, {}});
  REQUIRE(again.response);
  CHECK(again.response->status == 200);

  HttpClient patient;  // the default 30 s deadline: only cancel() ends this one early
  const auto started = std::chrono::steady_clock::now();
  std::thread canceller([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    patient.cancel();
  });
  auto cancelled = patient.request({"GET", url(*server, false, "/slow"), {}, {}});
  canceller.join();
  CHECK(cancelled.failure == HttpFailure::cancelled);
  CHECK(std::chrono::steady_clock::now() - started < std::chrono::milliseconds(1200));
  CHECK(patient.request({"GET", url(*server, false, "/peer"), {}, {}}).failure == HttpFailure::cancelled);
  patient.reset_cancel();
  CHECK(patient.request({"GET", url(*server, false, "/peer"), {}, {}}).response);

  auto refused = client.request({"GET", "http://127.0.0.1:" + std::to_string(artery::testing::free_port()) + "/", {}, {}});
  CHECK(refused.failure == HttpFailure::connect);
  CHECK(client.request({"GET", "ftp://x/", {}, {}}).failure == HttpFailure::bad_url);
}

TEST_CASE("HttpClient over https verifies the certificate and the host name", "[http][client][tls]") {
  auto server = serve(true);
  const auto& certificates = artery::testing::TestCertificates::get();
  artery::HttpClientOptions trusted;
  trusted.tls.ca = certificates("ca.pem");
  HttpClient client(trusted);
  auto ok = client.request({"GET", url(*server, true, "/peer"), {}, {}});
  REQUIRE(ok.response);
  CHECK(ok.response->status == 200);
  auto again = client.request({"GET", url(*server, true, "/peer", "localhost"), {}, {}});
  REQUIRE(again.response);  // localhost is in the certificate too

  HttpClient system_store;  // the test CA is not among the system's
  auto untrusted = system_store.request({"GET", url(*server, true, "/peer"), {}, {}});
  CHECK(untrusted.failure == HttpFailure::tls);
  CHECK_THAT(untrusted.error, Catch::Contains("certificate verify failed"));

  artery::HttpClientOptions wrong_name = trusted;
  wrong_name.tls.server_name = "ehr.example.org";
  HttpClient named(wrong_name);
  auto mismatch = named.request({"GET", url(*server, true, "/peer"), {}, {}});
  CHECK(mismatch.failure == HttpFailure::tls);

  artery::HttpClientOptions missing_ca;
  missing_ca.tls.ca = "/nonexistent/ca.pem";
  HttpClient broken(missing_ca);
  CHECK(broken.request({"GET", url(*server, true, "/peer"), {}, {}}).failure == HttpFailure::tls_setup);
}
