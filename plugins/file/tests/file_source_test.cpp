// The file source against real folders: which files it takes, when, in what
// order, and where each file ends up depending on the channel's answers.
#include "../file_connectors.hpp"
#include "../file_option_specs.hpp"
#include "../file_source.hpp"
#include "file_test_support.hpp"

#include <catch2/catch.hpp>

using namespace file_test;
using artery::Disposition;
using artery::file_connector::FileSource;
using artery::file_connector::kSourceOptionCount;
using artery::file_connector::kSourceOptions;

namespace {

std::unique_ptr<FileSource> make_source(TestContext& context,
                                        std::initializer_list<std::pair<std::string, std::string>> given) {
  std::string error;
  auto source = artery::file_connector::create_source(make_options(kSourceOptions, kSourceOptionCount, given),
                                                      context, error);
  INFO(error);
  REQUIRE(source);
  return std::unique_ptr<FileSource>(static_cast<FileSource*>(source.release()));
}

// Content-keyed answers: "reject..." rejected, "error..." errored, "later..." unavailable.
Disposition::Status by_content(const artery::Message& m) {
  if (m.content.rfind("reject", 0) == 0) return Disposition::Status::rejected;
  if (m.content.rfind("error", 0) == 0) return Disposition::Status::errored;
  if (m.content.rfind("later", 0) == 0) return Disposition::Status::unavailable;
  if (m.content.rfind("filter", 0) == 0) return Disposition::Status::filtered;
  return Disposition::Status::accepted;
}

}  // namespace

TEST_CASE("file source submits matching files in name order and moves them to processed/") {
  TempDir tmp;
  TestContext context(tmp.path);
  fs::path in = tmp.path / "in";
  write_file(in / "b.hl7", "second");
  write_file(in / "a.hl7", "first");
  write_file(in / "c.txt", "not matched");
  write_file(in / ".hidden.hl7", "dot files are never matched by *");
  for (auto name : {"a.hl7", "b.hl7", "c.txt", ".hidden.hl7"}) age(in / name);

  auto source = make_source(context, {{"directory", "in"}, {"glob", "*.hl7"}});
  RecordingHost host;
  auto summary = source->poll_once(host);

  CHECK(summary.processed == 2);
  CHECK(summary.messages == 2);
  REQUIRE(host.contents() == std::vector<std::string>{"first", "second"});
  auto first = host.messages()[0];
  CHECK(attribute(first, "filename") == "a.hl7");
  CHECK(attribute(first, "path") == (in / "a.hl7").string());
  CHECK(attribute(first, "size") == "5");
  CHECK(names_in(in / "processed") == std::vector<std::string>{"a.hl7", "b.hl7"});
  CHECK(read_text(in / "processed" / "a.hl7") == "first");
  CHECK(fs::exists(in / "c.txt"));
  CHECK(fs::exists(in / ".hidden.hl7"));

  // Nothing left to do: a second scan submits nothing.
  CHECK(source->poll_once(host).messages == 0);
  CHECK(host.messages().size() == 2);
}

TEST_CASE("file source skips files younger than min_age and takes them once old enough") {
  TempDir tmp;
  TestContext context(tmp.path);
  write_file(tmp.path / "in" / "fresh.txt", "being written");
  auto source = make_source(context, {{"directory", "in"}, {"min_age", "1h"}});
  RecordingHost host;

  auto summary = source->poll_once(host);
  CHECK(summary.too_young == 1);
  CHECK(host.messages().empty());
  CHECK(fs::exists(tmp.path / "in" / "fresh.txt"));

  age(tmp.path / "in" / "fresh.txt", std::chrono::hours(2));
  summary = source->poll_once(host);
  CHECK(summary.processed == 1);
  CHECK(host.contents() == std::vector<std::string>{"being written"});
  CHECK(fs::exists(tmp.path / "in" / "processed" / "fresh.txt"));
}

TEST_CASE("file source with after: delete removes each file once stored, filtered counts as stored") {
  TempDir tmp;
  TestContext context(tmp.path);
  write_file(tmp.path / "in" / "1.txt", "keep me");
  write_file(tmp.path / "in" / "2.txt", "filter me");
  age(tmp.path / "in" / "1.txt");
  age(tmp.path / "in" / "2.txt");
  auto source = make_source(context, {{"directory", "in"}, {"after", "delete"}, {"min_age", "0s"}});
  RecordingHost host(by_content);
  auto summary = source->poll_once(host);
  CHECK(summary.processed == 2);
  CHECK(names_in(tmp.path / "in").empty());
}

TEST_CASE("file source moves files with rejected or errored messages to error/") {
  TempDir tmp;
  TestContext context(tmp.path);
  fs::path in = tmp.path / "in";
  write_file(in / "good.txt", "fine");
  write_file(in / "bad.txt", "reject this");
  write_file(in / "broken.txt", "error in script");
  for (auto name : {"good.txt", "bad.txt", "broken.txt"}) age(in / name);
  auto source = make_source(context, {{"directory", "in"}, {"error_directory", "failed"}});
  RecordingHost host(by_content);
  auto summary = source->poll_once(host);
  CHECK(summary.processed == 1);
  CHECK(summary.errored == 2);
  CHECK(names_in(in / "processed") == std::vector<std::string>{"good.txt"});
  CHECK(names_in(in / "failed") == std::vector<std::string>{"bad.txt", "broken.txt"});
  auto logs = context.logs();
  CHECK(std::any_of(logs.begin(), logs.end(),
                    [](const std::string& l) { return l.find("bad.txt") != std::string::npos && l.find("test host said no") != std::string::npos; }));
}

TEST_CASE("file source leaves a file in place when the channel is unavailable and stops the scan") {
  TempDir tmp;
  TestContext context(tmp.path);
  fs::path in = tmp.path / "in";
  write_file(in / "1.txt", "later please");
  write_file(in / "2.txt", "fine");
  age(in / "1.txt");
  age(in / "2.txt");
  auto source = make_source(context, {{"directory", "in"}, {"max_in_flight", "1"}});
  {
    RecordingHost host(by_content);
    auto summary = source->poll_once(host);
    CHECK(summary.halted);
    CHECK(summary.left == 2);
    CHECK(host.contents() == std::vector<std::string>{"later please"});  // 2.txt not read: order is kept
    CHECK(fs::exists(in / "1.txt"));
    CHECK(fs::exists(in / "2.txt"));
  }
  // The engine is back: the next scan delivers both, in order.
  RecordingHost host;
  auto summary = source->poll_once(host);
  CHECK(summary.processed == 2);
  CHECK(host.contents() == std::vector<std::string>{"later please", "fine"});
  CHECK(names_in(in / "processed") == std::vector<std::string>{"1.txt", "2.txt"});
}

TEST_CASE("file source splits a file on a delimiter, skipping blank pieces") {
  TempDir tmp;
  TestContext context(tmp.path);
  write_file(tmp.path / "in" / "lines.csv", "one,1\r\n\r\ntwo,2\r\nthree,3\r\n");
  age(tmp.path / "in" / "lines.csv");
  auto source = make_source(context, {{"directory", "in"}, {"split", "delimiter"}, {"delimiter", "\r\n"}});
  RecordingHost host;
  auto summary = source->poll_once(host);
  CHECK(summary.processed == 1);
  CHECK(host.contents() == std::vector<std::string>{"one,1", "two,2", "three,3"});
  CHECK(attribute(host.messages()[2], "part") == "3");
  CHECK(attribute(host.messages()[2], "filename") == "lines.csv");
}

TEST_CASE("file source: one rejected piece sends the whole split file to error/") {
  TempDir tmp;
  TestContext context(tmp.path);
  write_file(tmp.path / "in" / "mixed.txt", "ok 1\nreject 2\nok 3\n");
  age(tmp.path / "in" / "mixed.txt");
  auto source = make_source(context, {{"directory", "in"}, {"split", "delimiter"}});
  RecordingHost host(by_content);
  auto summary = source->poll_once(host);
  CHECK(host.messages().size() == 3);
  CHECK(summary.errored == 1);
  CHECK(fs::exists(tmp.path / "in" / "error" / "mixed.txt"));
}

TEST_CASE("file source splits an HL7 batch file into its messages") {
  TempDir tmp;
  TestContext context(tmp.path);
  fs::copy_file(fs::path(ARTERY_FIXTURES) / "samples/hl7v2/batch_fhs_bhs_v25_pythonhl7_vinah.hl7",
                tmp.path / "in.hl7");
  fs::create_directories(tmp.path / "in");
  fs::rename(tmp.path / "in.hl7", tmp.path / "in" / "batch.hl7");
  age(tmp.path / "in" / "batch.hl7");
  auto source = make_source(context, {{"directory", "in"}, {"split", "hl7-batch"}});
  RecordingHost host;
  auto summary = source->poll_once(host);
  CHECK(summary.processed == 1);
  auto messages = host.messages();
  REQUIRE(messages.size() == 3);
  for (const auto& m : messages) {
    CHECK(m.content.rfind("MSH|", 0) == 0);
    CHECK(m.content.find("BHS") == std::string::npos);
  }
  CHECK(messages[1].content.find("12334456778891") != std::string::npos);
}

TEST_CASE("file source sends a file over max_file_size to error/ without reading it") {
  TempDir tmp;
  TestContext context(tmp.path);
  write_file(tmp.path / "in" / "big.txt", std::string(100, 'x'));
  write_file(tmp.path / "in" / "small.txt", "tiny");
  age(tmp.path / "in" / "big.txt");
  age(tmp.path / "in" / "small.txt");
  auto source = make_source(context, {{"directory", "in"}, {"max_file_size", "10"}});
  RecordingHost host;
  auto summary = source->poll_once(host);
  CHECK(summary.errored == 1);
  CHECK(host.contents() == std::vector<std::string>{"tiny"});
  CHECK(fs::exists(tmp.path / "in" / "error" / "big.txt"));
}

TEST_CASE("file source never overwrites a same-named file in processed/") {
  TempDir tmp;
  TestContext context(tmp.path);
  write_file(tmp.path / "in" / "processed" / "a.txt", "yesterday");
  write_file(tmp.path / "in" / "processed" / "a-1.txt", "also yesterday");
  write_file(tmp.path / "in" / "a.txt", "today");
  age(tmp.path / "in" / "a.txt");
  auto source = make_source(context, {{"directory", "in"}});
  RecordingHost host;
  source->poll_once(host);
  CHECK(read_text(tmp.path / "in" / "processed" / "a.txt") == "yesterday");
  CHECK(read_text(tmp.path / "in" / "processed" / "a-1.txt") == "also yesterday");
  CHECK(read_text(tmp.path / "in" / "processed" / "a-2.txt") == "today");
}

TEST_CASE("file source recursive scan keeps subfolders, skips its own folders and symlinked folders") {
  TempDir tmp;
  TestContext context(tmp.path);
  fs::path in = tmp.path / "in";
  write_file(in / "ward1" / "x.txt", "from ward 1");
  write_file(in / "ward2" / "deep" / "y.txt", "from ward 2");
  age(in / "ward1" / "x.txt");
  age(in / "ward2" / "deep" / "y.txt");
  fs::create_directory_symlink(in, in / "ward1" / "loop");  // not followed: would never end
  auto source = make_source(context, {{"directory", "in"}, {"recursive", "true"}});
  RecordingHost host;
  CHECK(source->poll_once(host).processed == 2);
  CHECK(host.contents() == std::vector<std::string>{"from ward 1", "from ward 2"});
  CHECK(fs::exists(in / "processed" / "ward1" / "x.txt"));
  CHECK(fs::exists(in / "processed" / "ward2" / "deep" / "y.txt"));
  auto again = source->poll_once(host);
  CHECK(again.listed == 0);
  CHECK(host.messages().size() == 2);
}

TEST_CASE("file source sort: mtime reads the oldest file first") {
  TempDir tmp;
  TestContext context(tmp.path);
  write_file(tmp.path / "in" / "a.txt", "newer");
  write_file(tmp.path / "in" / "b.txt", "older");
  age(tmp.path / "in" / "a.txt", std::chrono::seconds(100));
  age(tmp.path / "in" / "b.txt", std::chrono::seconds(200));
  auto source = make_source(context, {{"directory", "in"}, {"sort", "mtime"}});
  RecordingHost host;
  source->poll_once(host);
  CHECK(host.contents() == std::vector<std::string>{"older", "newer"});
}

TEST_CASE("file source does not resubmit a stored file it could not move away") {
  TempDir tmp;
  TestContext context(tmp.path);
  write_file(tmp.path / "in" / "a.txt", "stored once");
  write_file(tmp.path / "in" / "processed", "a file where the processed folder should be");
  age(tmp.path / "in" / "a.txt");
  auto source = make_source(context, {{"directory", "in"}, {"glob", "*.txt"}});
  RecordingHost host;
  CHECK(source->poll_once(host).left == 1);
  CHECK(source->poll_once(host).left == 1);
  CHECK(host.messages().size() == 1);
  CHECK(fs::exists(tmp.path / "in" / "a.txt"));
  // Once the file changes it is a new file and is read again.
  write_file(tmp.path / "in" / "a.txt", "changed content");
  age(tmp.path / "in" / "a.txt", std::chrono::seconds(50));
  source->poll_once(host);
  CHECK(host.messages().size() == 2);
}

TEST_CASE("file source moves an empty file away without submitting anything") {
  TempDir tmp;
  TestContext context(tmp.path);
  write_file(tmp.path / "in" / "empty.txt", "");
  age(tmp.path / "in" / "empty.txt");
  auto source = make_source(context, {{"directory", "in"}});
  RecordingHost host;
  CHECK(source->poll_once(host).processed == 1);
  CHECK(host.messages().empty());
  CHECK(fs::exists(tmp.path / "in" / "processed" / "empty.txt"));
}

TEST_CASE("file source keeps at most max_in_flight messages unanswered and still delivers all") {
  TempDir tmp;
  TestContext context(tmp.path);
  for (int i = 0; i < 200; ++i) {
    char name[32];
    std::snprintf(name, sizeof name, "m%04d.txt", i);
    write_file(tmp.path / "in" / name, "message " + std::to_string(i));
    age(tmp.path / "in" / name);
  }
  auto source = make_source(context, {{"directory", "in"}, {"after", "delete"}, {"max_in_flight", "7"}});
  RecordingHost host;
  auto summary = source->poll_once(host);
  CHECK(summary.processed == 200);
  auto contents = host.contents();
  REQUIRE(contents.size() == 200);
  for (int i = 0; i < 200; ++i) CHECK(contents[i] == "message " + std::to_string(i));
  CHECK(names_in(tmp.path / "in").empty());
}

TEST_CASE("file source polls on its own thread between start and stop") {
  TempDir tmp;
  TestContext context(tmp.path);
  auto source = make_source(context, {{"directory", "in"}, {"poll_interval", "10ms"}, {"min_age", "0s"}});
  RecordingHost host;
  std::string error;
  REQUIRE(source->start(host, error));
  CHECK(fs::is_directory(tmp.path / "in"));  // created at start
  write_file(tmp.path / "in" / "x.txt", "hello");
  REQUIRE(host.wait_for(1));
  source->stop();
  CHECK(host.contents() == std::vector<std::string>{"hello"});
  // stop() returned after the file's answer was acted on.
  CHECK(fs::exists(tmp.path / "in" / "processed" / "x.txt"));
  CHECK_FALSE(fs::exists(tmp.path / "in" / "x.txt"));
}

TEST_CASE("file source refuses to start on a missing folder when create_directories is false") {
  TempDir tmp;
  TestContext context(tmp.path);
  auto source = make_source(context, {{"directory", "nowhere"}, {"create_directories", "false"}});
  RecordingHost host;
  std::string error;
  CHECK_FALSE(source->start(host, error));
  CHECK(error.find("does not exist") != std::string::npos);
}

TEST_CASE("file source reports bad options with their location") {
  TempDir tmp;
  TestContext context(tmp.path);
  auto try_create = [&](std::initializer_list<std::pair<std::string, std::string>> given) {
    std::string error;
    auto source = artery::file_connector::create_source(make_options(kSourceOptions, kSourceOptionCount, given),
                                                        context, error);
    CHECK_FALSE(source);
    return error;
  };
  CHECK(try_create({}) == "channel.yaml:3:3: directory: is required");
  std::string error = try_create({{"directory", "in"}, {"split", "lines"}});
  CHECK(error.find("channel.yaml:3:3: split: expected one of none, delimiter, hl7-batch") == 0);
  CHECK(try_create({{"directory", "in"}, {"poll_interval", "soon"}}).find("poll_interval") != std::string::npos);
  CHECK(try_create({{"directory", "in"}, {"max_file_size", "big"}}).find("max_file_size") != std::string::npos);
  CHECK(try_create({{"directory", "in"}, {"error_directory", "."}}).find("error_directory") != std::string::npos);
}
