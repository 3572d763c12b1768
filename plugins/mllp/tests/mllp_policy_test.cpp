// The pure parts of the plugin: ACK policy, charsets, duplicates, options.
#include <catch2/catch.hpp>

#include <artery/hl7.hpp>

#include "ack_policy.hpp"
#include "charset.hpp"
#include "duplicate_window.hpp"
#include "frame_header.hpp"
#include "mllp_options.hpp"

using namespace artery;
using namespace artery::mllp;

namespace {
Disposition with(Disposition::Status s, std::string error = {}) {
  Disposition d;
  d.status = s;
  d.error = std::move(error);
  return d;
}
}  // namespace

TEST_CASE("original mode acknowledges every disposition", "[mllp][ack]") {
  using S = Disposition::Status;
  CHECK(decide_ack(with(S::accepted), "").code == "AA");
  CHECK(decide_ack(with(S::filtered), "").code == "AA");
  auto e = decide_ack(with(S::errored, "script failed\nline 2"), "");
  CHECK(e.code == "AE");
  CHECK(e.text == "script failed line 2");
  CHECK(decide_ack(with(S::rejected, "bad MSH"), "").code == "AR");
  auto u = decide_ack(with(S::unavailable, "store down"), "");
  CHECK(u.code == "AE");
  CHECK(u.text == "temporarily unavailable, resend");
  CHECK(decide_ack(with(S::rejected), "").send);
}

TEST_CASE("enhanced mode follows MSH-15", "[mllp][ack]") {
  using S = Disposition::Status;
  CHECK(decide_ack(with(S::accepted), "AL").code == "CA");
  CHECK(decide_ack(with(S::accepted), "AL").send);
  CHECK_FALSE(decide_ack(with(S::accepted), "NE").send);
  CHECK_FALSE(decide_ack(with(S::rejected), "NE").send);
  CHECK_FALSE(decide_ack(with(S::accepted), "ER").send);
  CHECK(decide_ack(with(S::errored), "ER").send);
  CHECK(decide_ack(with(S::errored), "ER").code == "CE");
  CHECK(decide_ack(with(S::rejected), "ER").code == "CR");
  CHECK(decide_ack(with(S::accepted), "SU").send);
  CHECK_FALSE(decide_ack(with(S::unavailable), "SU").send);
}

TEST_CASE("one_line keeps error text short and on one line", "[mllp][ack]") {
  CHECK(one_line("a\r\nb\tc") == "a b c");
  CHECK(one_line(std::string(500, 'x')).size() == 200);
  CHECK(one_line("\xc3\xa9\xc3\xa9", 3) == "\xc3\xa9");
  CHECK(one_line("\xc3\xa9\xc3\xa9", 4) == "\xc3\xa9\xc3\xa9");
}

TEST_CASE("frame header reads MSH facts and finds the MSH of a batch", "[mllp][header]") {
  auto h = read_frame_header("MSH|^~\\&|APP|FAC|R|RF|2024||ADT^A01|C42|P|2.5|||NE|AL||8859/1\rPID|1");
  REQUIRE(h.msh);
  CHECK(h.control_id == "C42");
  CHECK(h.sending_application == "APP");
  CHECK(h.sending_facility == "FAC");
  CHECK(h.accept_ack_type == "NE");
  CHECK(h.application_ack_type == "AL");
  CHECK(h.charset == "8859/1");
  CHECK_FALSE(h.batch);

  auto b = read_frame_header("FHS|^~\\&|X\rBHS|^~\\&|X\rMSH|^~\\&|A|B|||2024||ADT^A04|FIRST|P|2.5\rEVN|A04\r");
  CHECK(b.batch);
  CHECK(b.control_id == "FIRST");

  auto none = read_frame_header("PID|1||x");
  CHECK_FALSE(none.msh);
  CHECK(none.control_id.empty());
}

TEST_CASE("latin-1 converts to UTF-8 and back", "[mllp][charset]") {
  CHECK(latin1_to_utf8("caf\xe9") == "caf\xc3\xa9");
  CHECK(utf8_to_latin1("caf\xc3\xa9") == "caf\xe9");
  CHECK(utf8_to_latin1("\xe2\x82\xac") == "?");  // euro sign has no latin-1 form
  CHECK(utf8_to_latin1("\xc3") == "?");          // truncated sequence
  CHECK(is_ascii("plain text, long enough for words"));
  CHECK_FALSE(is_ascii("plain text, long enough\xe9"));
  CHECK(names_latin1("8859/1"));
  CHECK_FALSE(names_latin1("UNICODE UTF-8"));
  CHECK_FALSE(names_latin1("8859/15"));
}

TEST_CASE("duplicate window forgets after the window", "[mllp][dedup]") {
  DuplicateWindow window(std::chrono::milliseconds(1000));
  auto t0 = DuplicateWindow::Clock::now();
  auto key = DuplicateWindow::key("APP", "FAC", "42");
  CHECK_FALSE(window.contains(key, t0));
  window.remember(key, t0);
  CHECK(window.contains(key, t0 + std::chrono::milliseconds(999)));
  CHECK_FALSE(window.contains(DuplicateWindow::key("OTHER", "FAC", "42"), t0));
  CHECK_FALSE(window.contains(key, t0 + std::chrono::milliseconds(1000)));
  CHECK(window.size() == 0);
  CHECK(DuplicateWindow::key("A", "B", "").empty());
}

TEST_CASE("source options are read with defaults and located errors", "[mllp][options]") {
  ConnectorOptions o;
  o.tree.put("listen", "0.0.0.0:2575");
  std::string error;
  auto s = read_source_settings(o, "/tmp", error);
  REQUIRE(s);
  CHECK(s->listen.port == 2575);
  CHECK(s->max_message_size == 1024 * 1024);
  CHECK(s->idle_timeout == std::chrono::minutes(5));
  CHECK(s->max_connections == 100);
  CHECK(s->dedup_window.count() == 0);
  CHECK_FALSE(s->commit_ack);

  o.tree.put("max_connections", "many");
  o.locations["max_connections"] = "chan.yaml:7:5";
  CHECK_FALSE(read_source_settings(o, "/tmp", error));
  CHECK(error.find("chan.yaml:7:5: max_connections") == 0);

  ConnectorOptions tls;
  tls.tree.put("listen", ":2575");
  tls.tree.put("tls.enabled", "true");
  tls.tree.put("tls.cert", "server.pem");
  CHECK_FALSE(read_source_settings(tls, "/tmp", error));
  tls.tree.put("tls.key", "server.key");
  auto t = read_source_settings(tls, "/etc/artery", error);
  REQUIRE(t);
  CHECK(t->tls.cert == "/etc/artery/server.pem");

  ConnectorOptions missing;
  CHECK_FALSE(read_source_settings(missing, "", error));
  CHECK(error.find("listen") != std::string::npos);
}

TEST_CASE("destination options are read with defaults", "[mllp][options]") {
  ConnectorOptions o;
  o.tree.put("remote", "lab.example.org:2575");
  o.tree.put("ack_timeout", "200ms");
  std::string error;
  auto d = read_destination_settings(o, "", error);
  REQUIRE(d);
  CHECK(d->remote.host == "lab.example.org");
  CHECK(d->ack_timeout == std::chrono::milliseconds(200));
  CHECK(d->connect_timeout == std::chrono::seconds(5));
  CHECK(d->keep_alive);
  CHECK(d->tls.verify_peer);
}

TEST_CASE("every declared option has a key, type and description", "[mllp][options]") {
  for (std::size_t i = 0; i < kSourceOptionCount; ++i) {
    CHECK(kSourceOptions[i].key != nullptr);
    CHECK(std::string(kSourceOptions[i].description).size() > 5);
  }
  for (std::size_t i = 0; i < kDestinationOptionCount; ++i) CHECK(kDestinationOptions[i].type != nullptr);
}
