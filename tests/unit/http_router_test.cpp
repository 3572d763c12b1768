// The HTTP router and the request/response helpers: pure functions, no sockets.
#include <catch2/catch.hpp>

#include <artery/http.hpp>

using namespace artery;

namespace {

HttpResponse ok(const HttpRequest&) { return HttpResponse::text(200, "ok"); }

std::string param(const HttpRouteMatch& m, const std::string& name) {
  for (auto& [k, v] : m.params)
    if (k == name) return v;
  return "<none>";
}

// Records what a streaming response would send, to check the SSE framing.
class RecordingWriter final : public HttpStreamWriter {
 public:
  std::string written;
  bool write(std::string_view bytes) override {
    written.append(bytes);
    return true;
  }
  void close() override {}
  bool is_open() const override { return true; }
  void on_close(std::function<void()>) override {}
};

}  // namespace

TEST_CASE("http router: literal and parameter segments", "[http][router]") {
  HttpRouter router;
  REQUIRE(router.add("GET", "/api/channels", ok));
  REQUIRE(router.add("GET", "/api/channels/{name}", ok));
  REQUIRE(router.add("POST", "/api/channels/{name}/start", ok));

  auto list = router.match("GET", "/api/channels");
  CHECK(list.status == 200);
  CHECK(list.params.empty());

  auto one = router.match("GET", "/api/channels/lab-results");
  CHECK(one.status == 200);
  CHECK(param(one, "name") == "lab-results");

  auto start = router.match("POST", "/api/channels/adt%2Din/start");
  CHECK(start.status == 200);
  CHECK(param(start, "name") == "adt-in");

  CHECK(router.match("GET", "/api/channels/a/b").status == 404);
  CHECK(router.match("GET", "/api/nothing").status == 404);
  CHECK(router.match("GET", "/").status == 404);
}

TEST_CASE("http router: an escaped slash stays inside its parameter", "[http][router]") {
  HttpRouter router;
  REQUIRE(router.add("GET", "/files/{name}", ok));
  auto m = router.match("GET", "/files/a%2Fb");
  CHECK(m.status == 200);
  CHECK(param(m, "name") == "a/b");
  CHECK(router.match("GET", "/files/%zz").status == 400);
}

TEST_CASE("http router: 405 names the methods the path has", "[http][router]") {
  HttpRouter router;
  REQUIRE(router.add("GET", "/api/users", ok));
  REQUIRE(router.add("POST", "/api/users", ok));
  auto m = router.match("DELETE", "/api/users");
  CHECK(m.status == 405);
  CHECK(m.allow == "GET, HEAD, POST");
}

TEST_CASE("http router: HEAD is answered by the GET route", "[http][router]") {
  HttpRouter router;
  REQUIRE(router.add("GET", "/api/health", ok));
  CHECK(router.match("HEAD", "/api/health").status == 200);
  CHECK(router.match("POST", "/api/health").status == 405);
}

TEST_CASE("http router: the most specific route wins", "[http][router]") {
  HttpRouter router;
  REQUIRE(router.add("GET", "/{path...}", ok));
  REQUIRE(router.add("GET", "/fhir/{type}/{id}", ok));
  REQUIRE(router.add("GET", "/fhir/{type}/_search", ok));
  REQUIRE(router.add("GET", "/fhir/metadata", ok));

  auto search = router.match("GET", "/fhir/Patient/_search");
  REQUIRE(search.status == 200);
  CHECK(param(search, "type") == "Patient");
  CHECK(param(search, "id") == "<none>");

  auto read = router.match("GET", "/fhir/Patient/p1");
  CHECK(param(read, "id") == "p1");

  auto metadata = router.match("GET", "/fhir/metadata");
  CHECK(metadata.params.empty());

  auto asset = router.match("GET", "/assets/app.js");
  CHECK(param(asset, "path") == "assets/app.js");
  auto root = router.match("GET", "/");
  REQUIRE(root.status == 200);
  CHECK(param(root, "path").empty());
}

TEST_CASE("http router: malformed patterns and duplicates are refused", "[http][router]") {
  HttpRouter router;
  std::string error;
  CHECK_FALSE(router.add("GET", "api", ok, &error));
  CHECK(error.find("must start with '/'") != std::string::npos);
  CHECK_FALSE(router.add("GET", "/a/{rest...}/b", ok, &error));
  CHECK(error.find("last segment") != std::string::npos);
  CHECK_FALSE(router.add("GET", "/a/x{id}", ok, &error));
  CHECK_FALSE(router.add("GET", "/a/{}", ok, &error));
  REQUIRE(router.add("GET", "/a/{id}", ok, &error));
  CHECK_FALSE(router.add("GET", "/a/{id}", ok, &error));
  CHECK(error.find("already defined") != std::string::npos);
  CHECK_FALSE(router.add("GET", "/b", HttpHandler{}, &error));
}

TEST_CASE("http headers: lookup ignores case, add keeps repeats", "[http]") {
  HttpHeaders h;
  h.add("Content-Type", "text/plain");
  h.add("Set-Cookie", "a=1");
  h.add("set-cookie", "b=2");
  CHECK(h.get("content-type") == "text/plain");
  CHECK(h.contains("CONTENT-TYPE"));
  CHECK(h.find("x-missing") == nullptr);
  CHECK(h.get("x-missing", "none") == "none");
  CHECK(h.fields().size() == 3);
  h.set("SET-COOKIE", "c=3");
  CHECK(h.fields().size() == 2);
  CHECK(h.get("Set-Cookie") == "c=3");
}

TEST_CASE("http request: cookies and query parameters", "[http]") {
  HttpRequest r;
  r.headers.add("Cookie", "theme=dark; artery_session=\"abc123\"; x=");
  CHECK(r.cookie("artery_session") == "abc123");
  CHECK(r.cookie("theme") == "dark");
  CHECK(r.cookie("x") == "");
  CHECK_FALSE(r.cookie("missing"));
  r.query = {{"channel", "a"}, {"channel", "b"}};
  CHECK(r.query_param("channel") == "a");
  CHECK_FALSE(r.query_param("q"));
}

TEST_CASE("http: percent decoding", "[http]") {
  CHECK(percent_decode("a%20b+c", true) == "a b c");
  CHECK(percent_decode("a%20b+c", false) == "a b+c");
  CHECK(percent_decode("%e2%9C%93", false) == "\xE2\x9C\x93");
  CHECK_FALSE(percent_decode("%2", false));
  CHECK_FALSE(percent_decode("%g0", false));
  CHECK_FALSE(percent_decode("abc%", false));
}

TEST_CASE("http: error bodies are JSON with the message quoted", "[http]") {
  auto r = HttpResponse::error(404, "no \"such\" thing\n");
  CHECK(r.status == 404);
  CHECK(r.headers.get("Content-Type") == "application/json");
  CHECK(r.body == "{\"error\": \"no \\\"such\\\" thing\\n\"}");
  CHECK(json_quote(std::string_view("\x01", 1)) == "\"\\u0001\"");
  CHECK(http_reason(413) == "Content Too Large");
  CHECK(http_reason(799).empty());
}

TEST_CASE("http: server-sent events are framed line by line", "[http][sse]") {
  RecordingWriter w;
  w.send_event("{\"a\":1}");
  CHECK(w.written == "data: {\"a\":1}\n\n");
  w.written.clear();
  w.send_event("line one\nline two\r\nthree", "stats", "42");
  CHECK(w.written == "event: stats\nid: 42\ndata: line one\ndata: line two\ndata: three\n\n");
  w.written.clear();
  w.send_comment("ping\nnot this");
  CHECK(w.written == ": ping\n\n");
  auto r = HttpResponse::event_stream([](std::shared_ptr<HttpStreamWriter>) {});
  CHECK(r.headers.get("Content-Type") == "text/event-stream");
  CHECK(r.headers.get("Cache-Control") == "no-cache");
  CHECK(static_cast<bool>(r.stream));
}

TEST_CASE("http: the --http setting is an address or off", "[http]") {
  auto off = parse_http_listen("off");
  REQUIRE(off);
  CHECK_FALSE(off->enabled);
  auto on = parse_http_listen("127.0.0.1:8080");
  REQUIRE(on);
  CHECK(on->enabled);
  CHECK(on->address.host == "127.0.0.1");
  CHECK(on->address.port == 8080);
  auto any = parse_http_listen(":9000");
  REQUIRE(any);
  CHECK(any->address.host == "0.0.0.0");
  CHECK_FALSE(parse_http_listen("localhost"));
  CHECK_FALSE(parse_http_listen("127.0.0.1:99999"));
}
