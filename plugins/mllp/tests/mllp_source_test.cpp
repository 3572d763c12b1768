// The MLLP listener over real loopback sockets, with an in-test channel.
#include <catch2/catch.hpp>

#include <atomic>
#include <filesystem>
#include <set>

#include "charset.hpp"
#include "mllp_test_support.hpp"

using namespace mllp_test;
using artery::Disposition;
namespace fs = std::filesystem;

TEST_CASE("source acknowledges AA after the channel accepted the message", "[mllp][source]") {
  RunningSource s;
  Client c(s.port());
  c.send_frame(hl7_message("MSG001"));
  auto ack = parse_ack(c.read_frame());
  CHECK(ack.code == "AA");
  CHECK(ack.control_id == "MSG001");
  auto received = s.host.received();
  REQUIRE(received.size() == 1);
  CHECK(received[0].content == hl7_message("MSG001"));
  CHECK(received[0].data_type == "hl7v2");
  bool has_remote = false, has_port = false;
  for (auto& [k, v] : received[0].attributes) {
    if (k == "remote") has_remote = v.rfind("127.0.0.1:", 0) == 0;
    if (k == "local_port") has_port = v == std::to_string(s.port());
  }
  CHECK(has_remote);
  CHECK(has_port);
}

TEST_CASE("source answers only after the disposition arrives, however late", "[mllp][source]") {
  RunningSource s;
  s.host.set_delay(300ms);
  Client c(s.port());
  c.send_frame(hl7_message("SLOW1"));
  CHECK(parse_ack(c.read_frame()).code == "AA");
}

TEST_CASE("source reassembles a frame written one byte at a time", "[mllp][source]") {
  RunningSource s;
  Client c(s.port());
  for (char b : framed(hl7_message("BYTES1"))) c.send_raw(std::string(1, b));
  auto ack = parse_ack(c.read_frame());
  CHECK(ack.code == "AA");
  CHECK(ack.control_id == "BYTES1");
}

TEST_CASE("source answers two frames sent in one write in order", "[mllp][source]") {
  RunningSource s;
  // The first answer is slow and the second fast: order must still hold.
  std::atomic<int> calls{0};
  s.host.set_policy([&](const artery::Message&) {
    if (calls++ == 0) std::this_thread::sleep_for(100ms);
    return Disposition{};
  });
  Client c(s.port());
  c.send_raw(framed(hl7_message("FIRST")) + framed(hl7_message("SECOND")));
  CHECK(parse_ack(c.read_frame()).control_id == "FIRST");
  CHECK(parse_ack(c.read_frame()).control_id == "SECOND");
}

TEST_CASE("source answers an oversized frame with AR and closes", "[mllp][source]") {
  auto settings = loopback_settings();
  settings.max_message_size = 1024;
  RunningSource s(settings);
  Client c(s.port());
  c.send_frame(hl7_message("HUGE1", "", "OBX|1|TX|||" + std::string(4000, 'x')));
  auto ack = parse_ack(c.read_frame());
  CHECK(ack.code == "AR");
  CHECK(ack.control_id == "HUGE1");
  CHECK(ack.raw.find("too large") != std::string::npos);
  CHECK(c.closed_by_peer());
  CHECK(s.host.count() == 0);
  // The listener itself keeps serving.
  Client next(s.port());
  next.send_frame(hl7_message("AFTER"));
  CHECK(parse_ack(next.read_frame()).code == "AA");
}

TEST_CASE("source discards binary junk before a frame", "[mllp][source]") {
  RunningSource s;
  Client c(s.port());
  c.send_raw(std::string("\x00\xff\x13garbage\x00", 11) + framed(hl7_message("AFTERJUNK")));
  CHECK(parse_ack(c.read_frame()).control_id == "AFTERJUNK");
  CHECK(s.host.count() == 1);
  CHECK(eventually([&] { return s.context.logged("junk"); }));
}

TEST_CASE("source survives a peer vanishing mid-frame and serves the next connection", "[mllp][source]") {
  RunningSource s;
  {
    Client c(s.port());
    c.send_raw("\x0bMSH|^~\\&|LAB|HOSP|||2024||ORU^R01|CUT|P|2.5\rPID|1|");
  }
  CHECK(eventually([&] { return s.context.logged("middle of a frame"); }));
  Client c(s.port());
  c.send_frame(hl7_message("NEXTCONN"));
  CHECK(parse_ack(c.read_frame()).control_id == "NEXTCONN");
  CHECK(s.host.count() == 1);
}

TEST_CASE("source still answers a peer that half-closed after sending", "[mllp][source]") {
  RunningSource s;
  s.host.set_delay(100ms);
  Client c(s.port());
  c.send_frame(hl7_message("HALF1"));
  c.shutdown_write();
  CHECK(parse_ack(c.read_frame()).control_id == "HALF1");
  CHECK(c.closed_by_peer());
}

TEST_CASE("source serves 100 concurrent connections", "[mllp][source]") {
  auto settings = loopback_settings();
  settings.threads = 2;
  RunningSource s(settings);
  std::vector<std::unique_ptr<Client>> clients;
  for (int i = 0; i < 100; ++i) clients.push_back(std::make_unique<Client>(s.port()));
  for (int i = 0; i < 100; ++i) clients[i]->send_frame(hl7_message("CONC" + std::to_string(i)));
  std::set<std::string> seen;
  for (int i = 0; i < 100; ++i) {
    auto ack = parse_ack(clients[i]->read_frame());
    CHECK(ack.code == "AA");
    CHECK(ack.control_id == "CONC" + std::to_string(i));
    seen.insert(ack.control_id);
  }
  CHECK(seen.size() == 100);
  CHECK(s.host.count() == 100);
}

TEST_CASE("source closes idle connections", "[mllp][source]") {
  auto settings = loopback_settings();
  settings.idle_timeout = 200ms;
  RunningSource s(settings);
  Client c(s.port());
  c.send_frame(hl7_message("IDLE1"));
  CHECK(parse_ack(c.read_frame()).code == "AA");
  CHECK(c.closed_by_peer());
  CHECK(s.context.logged("idle"));
}

TEST_CASE("source closes connections beyond max_connections", "[mllp][source]") {
  auto settings = loopback_settings();
  settings.max_connections = 2;
  RunningSource s(settings);
  Client a(s.port()), b(s.port());
  a.send_frame(hl7_message("A1"));
  b.send_frame(hl7_message("B1"));
  CHECK(parse_ack(a.read_frame()).code == "AA");
  CHECK(parse_ack(b.read_frame()).code == "AA");
  Client extra(s.port());
  CHECK(extra.closed_by_peer());
  CHECK(s.context.logged("max_connections"));
  // Room again once one leaves.
  a.close();
  CHECK(eventually([&] {
    try {
      Client again(s.port());
      again.send_frame(hl7_message("AGAIN"));
      return parse_ack(again.read_frame()).code == "AA";
    } catch (const std::exception&) {
      return false;
    }
  }));
}

TEST_CASE("source acknowledges every sample file with its control id", "[mllp][source][fixtures]") {
  // The channel accepts everything here: whether the engine's parser likes a
  // file is not the listener's business, its ACK is.
  RunningSource s(loopback_settings(), [](const artery::Message&) { return Disposition{}; });
  Client c(s.port());
  int files = 0;
  for (auto& entry : fs::directory_iterator(fs::path(ARTERY_FIXTURES) / "samples/hl7v2")) {
    if (!entry.is_regular_file() || entry.path().extension() != ".hl7") continue;
    std::string content = read_file(entry.path());
    auto header = artery::hl7::Message::parse(content.substr(0, content.find('\r')));
    bool batch = content.rfind("FHS", 0) == 0;
    std::string control_id, msh15;
    if (batch) {
      auto msh = content.find("\rMSH");
      auto first = artery::hl7::Message::parse(content.substr(msh + 1, content.find('\r', msh + 1) - msh - 1));
      REQUIRE(first);
      control_id = first->get("MSH-10");
    } else {
      REQUIRE(header);
      control_id = header->get("MSH-10");
      msh15 = header->get("MSH-15");
      // A blank (space-padded) MSH-15 asks for original mode.
      msh15.erase(0, msh15.find_first_not_of(' '));
      msh15.erase(msh15.find_last_not_of(' ') + 1);
    }
    INFO(entry.path().filename().string() << " MSH-15=" << msh15);
    c.send_frame(content);
    // A probe in original mode after each file: when MSH-15 asks for no
    // accept ack (NE, ER on success) the probe's ACK is the next frame.
    c.send_frame(hl7_message("PROBE" + std::to_string(files)));
    bool silent = msh15 == "NE" || msh15 == "ER";
    if (!silent) {
      auto ack = parse_ack(c.read_frame());
      CHECK(ack.code == (msh15.empty() || batch ? "AA" : "CA"));
      CHECK(ack.control_id == control_id);
    }
    auto probe = parse_ack(c.read_frame());
    CHECK(probe.control_id == "PROBE" + std::to_string(files));
    ++files;
  }
  CHECK(files >= 30);
}

TEST_CASE("source answers malformed files AR and keeps serving", "[mllp][source][fixtures]") {
  RunningSource s;  // the test host rejects what hl7::Message::parse refuses, as the engine does
  int files = 0;
  for (auto& entry : fs::directory_iterator(fs::path(ARTERY_FIXTURES) / "samples/hl7v2/malformed")) {
    std::string content = read_file(entry.path());
    INFO(entry.path().filename().string());
    Client c(s.port());
    c.send_frame(content);
    auto reply = c.read_frame();
    auto ack = parse_ack(reply);
    bool parses = artery::hl7::Message::parse(content).has_value();
    if (parses) {
      CHECK(ack.code == "AA");
    } else {
      CHECK((ack.code == "AR" || ack.code == "AE"));
    }
    ++files;
  }
  CHECK(files >= 18);
  CHECK(s.host.count() == static_cast<std::size_t>(files));
  Client c(s.port());
  c.send_frame(hl7_message("STILLUP"));
  CHECK(parse_ack(c.read_frame()).code == "AA");
}

TEST_CASE("source maps dispositions to AE, AR and resend-AE", "[mllp][source]") {
  RunningSource s;
  Disposition next;
  std::mutex m;
  s.host.set_policy([&](const artery::Message&) {
    std::lock_guard lock(m);
    return next;
  });
  auto answer = [&](Disposition::Status status, std::string error) {
    {
      std::lock_guard lock(m);
      next = Disposition{};
      next.status = status;
      next.error = std::move(error);
    }
    Client c(s.port());
    c.send_frame(hl7_message("D1"));
    return parse_ack(c.read_frame());
  };
  auto e = answer(Disposition::Status::errored, "transform failed:\nline 3");
  CHECK(e.code == "AE");
  CHECK(e.raw.find("transform failed: line 3") != std::string::npos);
  CHECK(answer(Disposition::Status::rejected, "cannot parse").code == "AR");
  auto u = answer(Disposition::Status::unavailable, "store is down");
  CHECK(u.code == "AE");
  CHECK(u.raw.find("temporarily unavailable, resend") != std::string::npos);
  CHECK(answer(Disposition::Status::filtered, "").code == "AA");
  {
    std::lock_guard lock(m);
    next = Disposition{};
    next.response = "MSH|^~\\&|CUSTOM|X|||2024||ACK^R01|R1|P|2.5\rMSA|AA|D1|custom\r";
  }
  Client c(s.port());
  c.send_frame(hl7_message("D1"));
  CHECK(c.read_frame() == "MSH|^~\\&|CUSTOM|X|||2024||ACK^R01|R1|P|2.5\rMSA|AA|D1|custom\r");
}

TEST_CASE("source acknowledges a duplicate within dedup_window without submitting it", "[mllp][source]") {
  auto settings = loopback_settings();
  settings.dedup_window = std::chrono::minutes(1);
  RunningSource s(settings);
  {
    Client c(s.port());
    c.send_frame(hl7_message("DUP1"));
    CHECK(parse_ack(c.read_frame()).code == "AA");
  }
  Client c(s.port());  // the sender reconnects and resends after a lost ACK
  c.send_frame(hl7_message("DUP1"));
  auto ack = parse_ack(c.read_frame());
  CHECK(ack.code == "AA");
  CHECK(ack.control_id == "DUP1");
  c.send_frame(hl7_message("DUP2"));
  CHECK(parse_ack(c.read_frame()).control_id == "DUP2");
  CHECK(s.host.count() == 2);
}

TEST_CASE("source without dedup_window submits a resent message again", "[mllp][source]") {
  RunningSource s;
  Client c(s.port());
  c.send_frame(hl7_message("DUP1"));
  c.send_frame(hl7_message("DUP1"));
  c.read_frame();
  c.read_frame();
  CHECK(s.host.count() == 2);
}

TEST_CASE("source sends no accept ack when MSH-15 is NE", "[mllp][source]") {
  RunningSource s;
  Client c(s.port());
  c.send_frame(hl7_message("NOACK", "|||NE|AL"));
  c.send_frame(hl7_message("ACKME"));
  CHECK(parse_ack(c.read_frame()).control_id == "ACKME");
  CHECK(s.host.count() == 2);
  c.send_frame(hl7_message("ENH", "|||AL|NE"));
  auto ack = parse_ack(c.read_frame());
  CHECK(ack.code == "CA");
  CHECK(ack.control_id == "ENH");
}

TEST_CASE("source converts ISO-8859-1 (MSH-18 8859/1) to UTF-8 and answers in kind", "[mllp][source]") {
  RunningSource s([] {
    auto settings = loopback_settings();
    return settings;
  }());
  s.host.set_policy([](const artery::Message&) {
    Disposition d;
    d.status = Disposition::Status::errored;
    d.error = "patient Ren\xc3\xa9 unknown";
    return d;
  });
  Client c(s.port());
  c.send_frame(hl7_message("LAT1", "||||||8859/1", "PID|1||1||REN\xc9^Andr\xe9"));
  std::string reply = c.read_frame();
  auto received = s.host.received();
  REQUIRE(received.size() == 1);
  CHECK(received[0].content.find("Andr\xc3\xa9") != std::string::npos);
  CHECK(received[0].content.find("REN\xc3\x89") != std::string::npos);
  // The ACK goes back in the sender's charset: é is one byte again.
  CHECK(reply.find("Ren\xe9 unknown") != std::string::npos);
  CHECK(parse_ack(reply).control_id == "LAT1");
}

TEST_CASE("source passes UTF-8 through untouched", "[mllp][source]") {
  RunningSource s;
  Client c(s.port());
  std::string msg = hl7_message("UTF1", "||||||UNICODE UTF-8", "PID|1||1||REN\xc3\x89^Andr\xc3\xa9");
  c.send_frame(msg);
  c.read_frame();
  CHECK(s.host.received().at(0).content == msg);
}

TEST_CASE("source stores a batch frame as its messages and answers once", "[mllp][source]") {
  // Its first MSH asks for no accept ack (MSH-15 NE): a batch is answered anyway.
  std::string batch = read_file(fs::path(ARTERY_FIXTURES) / "samples/hl7v2/batch_fhs_bhs_v25_pythonhl7_vinah.hl7");
  RunningSource s;
  Client c(s.port());
  c.send_frame(batch);
  auto ack = parse_ack(c.read_frame());
  CHECK(ack.code == "AA");
  CHECK(ack.control_id == "12334456778890");
  REQUIRE(s.host.count() == 3);
  for (const auto& part : s.host.received()) CHECK(part.content.rfind("MSH|", 0) == 0);

  // One message of the batch failing fails the frame: the sender resends it.
  s.host.set_policy([](const artery::Message& m) {
    Disposition d;
    if (m.content.find("12334456778891") != std::string::npos) {
      d.status = Disposition::Status::errored;
      d.error = "second message failed";
    }
    return d;
  });
  c.send_frame(batch);
  auto failed = parse_ack(c.read_frame());
  CHECK(failed.code == "AE");
  CHECK(s.host.count() == 6);
}

TEST_CASE("source in commit_ack mode answers with ACK/NAK bytes", "[mllp][source]") {
  auto settings = loopback_settings();
  settings.commit_ack = true;
  RunningSource s(settings);
  Client c(s.port());
  c.send_frame(hl7_message("C1"));
  CHECK(c.read_frame() == "\x06");
  s.host.set_policy([](const artery::Message&) {
    Disposition d;
    d.status = Disposition::Status::unavailable;
    return d;
  });
  c.send_frame(hl7_message("C2"));
  CHECK(c.read_frame() == "\x15");
}

TEST_CASE("source stop lets an in-flight message get its answer", "[mllp][source]") {
  TestContext context;
  TestHost host;
  host.set_delay(200ms);
  artery::mllp::MllpSource source(loopback_settings(), context);
  std::string error;
  REQUIRE(source.start(host, error));
  Client c(source.local_port());
  c.send_frame(hl7_message("INFLIGHT"));
  REQUIRE(eventually([&] { return host.count() == 1; }));
  std::thread stopper([&] { source.stop(); });
  auto ack = parse_ack(c.read_frame());
  stopper.join();
  CHECK(ack.code == "AA");
  CHECK(c.closed_by_peer());
}

TEST_CASE("source refuses a port already in use with a clear error", "[mllp][source]") {
  RunningSource first;
  TestContext context;
  TestHost host;
  auto settings = loopback_settings();
  settings.listen.port = first.port();
  artery::mllp::MllpSource second(settings, context);
  std::string error;
  CHECK_FALSE(second.start(host, error));
  CHECK(error.find("in use") != std::string::npos);
}

TEST_CASE("create_mllp_source builds from options and reports bad ones", "[mllp][source]") {
  TestContext context;
  std::string error;
  artery::ConnectorOptions bad;
  bad.tree.put("listen", "nowhere");
  bad.locations["listen"] = "chan.yaml:4:11";
  CHECK(artery::mllp::create_mllp_source(bad, context, error) == nullptr);
  CHECK(error.find("chan.yaml:4:11: listen") == 0);

  artery::ConnectorOptions good;
  good.tree.put("listen", "127.0.0.1:1");
  good.tree.put("idle_timeout", "1m");
  error.clear();
  auto source = artery::mllp::create_mllp_source(good, context, error);
  CHECK(source != nullptr);
  CHECK(error.empty());
}

TEST_CASE("source answers a long pipeline in order, pausing reads under back-pressure", "[mllp][source]") {
  RunningSource s(loopback_settings(), [](const artery::Message&) { return Disposition{}; });
  Client c(s.port());
  const int n = 2000;  // more than the 512 answers a connection may have outstanding
  std::thread writer([&] {
    std::string all;
    for (int i = 0; i < n; ++i) all += framed(hl7_message("P" + std::to_string(i)));
    c.send_raw(all);
  });
  int in_order = 0;
  for (int i = 0; i < n; ++i) in_order += parse_ack(c.read_frame()).control_id == "P" + std::to_string(i);
  writer.join();
  CHECK(in_order == n);
  CHECK(s.host.count() == static_cast<std::size_t>(n));
}

TEST_CASE("source: a crowd of 100 silent connections cannot lock a real sender out", "[mllp][source][listener]") {
  // max_connections at and below the crowd: the longest-silent connection
  // makes room for each newcomer instead of the newcomer being refused.
  for (int limit : {100, 10}) {
    INFO("max_connections " << limit);
    auto settings = loopback_settings();
    settings.max_connections = limit;
    RunningSource s(settings);
    std::vector<std::unique_ptr<Client>> crowd;
    for (int i = 0; i < 100; ++i) crowd.push_back(std::make_unique<Client>(s.port()));
    Client sender(s.port());
    sender.send_frame(hl7_message("PAST-THE-CROWD"));
    auto ack = parse_ack(sender.read_frame());
    CHECK(ack.code == "AA");
    CHECK(ack.control_id == "PAST-THE-CROWD");
    // The first silent connection was closed to make room; the sender still works.
    CHECK(crowd.front()->closed_by_peer());
    sender.send_frame(hl7_message("STILL-HERE"));
    CHECK(parse_ack(sender.read_frame()).control_id == "STILL-HERE");
    const auto m = s.context.metrics().snapshot();
    CHECK(m.connections_total == 101);
    CHECK(m.connections_evicted >= 1);
    CHECK(m.connections_refused == 0);
    CHECK(m.requests == 2);
    CHECK(s.context.logged("to make room for"));
  }
}

TEST_CASE("source: connection, byte and request counters move over a real socket", "[mllp][source][metrics]") {
  auto settings = loopback_settings();
  settings.max_message_size = 4096;
  RunningSource s(settings);
  const std::string message = hl7_message("COUNT1");
  std::size_t ack_bytes = 0;
  {
    Client c(s.port());
    c.send_frame(message);
    ack_bytes = framed(c.read_frame()).size();
    // Counted when the write completes, which may be just after the client has the bytes.
    REQUIRE(eventually([&] { return s.context.metrics().snapshot().bytes_out == ack_bytes; }));
    auto m = s.context.metrics().snapshot();
    CHECK(m.connections_open == 1);
    CHECK(m.connections_total == 1);
    CHECK(m.requests == 1);
    CHECK(m.bytes_in == framed(message).size());
    CHECK(m.errors_total() == 0);
  }
  // The client left: the gauge falls back, the totals stay.
  REQUIRE(eventually([&] { return s.context.metrics().snapshot().connections_open == 0; }));
  {
    // An oversize frame is a protocol error, its AR answer a rejection of nothing stored.
    Client c(s.port());
    c.send_frame(std::string(5000, 'x'));
    CHECK(parse_ack(c.read_frame()).code == "AR");
    CHECK(c.closed_by_peer());
  }
  REQUIRE(eventually([&] { return s.context.metrics().snapshot().connections_open == 0; }));
  auto m = s.context.metrics().snapshot();
  CHECK(m.connections_total == 2);
  CHECK(m.errors_of(artery::ConnectorError::protocol) == 1);
  CHECK(m.requests == 1);
}
