// The typed option reader every plugin uses: values, defaults, and errors
// that point at the YAML line of the bad value.
#include <artery/option_reader.hpp>

#include <catch2/catch.hpp>

using artery::ConnectorOptions;
using artery::OptionReader;
using artery::OptionSpec;

namespace {

const OptionSpec kSpecs[] = {
    {"listen", "address", nullptr, true, ""},
    {"idle_timeout", "duration", "5m", false, ""},
    {"tls.enabled", "bool", "false", false, ""},
    {"mode", "enum:a|b", "a", false, ""},
};

ConnectorOptions options(std::initializer_list<std::pair<const char*, const char*>> values) {
  ConnectorOptions out;
  out.locations[""] = "c.yaml:3:3";
  int line = 4;
  for (auto [key, value] : values) {
    out.tree.put(boost::property_tree::ptree::path_type(key, '.'), value);
    out.locations[key] = "c.yaml:" + std::to_string(line++) + ":5";
  }
  return out;
}

}  // namespace

TEST_CASE("option reader: typed values, nested keys and the declared defaults") {
  auto opts = options({{"listen", "127.0.0.1:2575"}, {"tls.enabled", "true"}, {"size", "1MiB"}, {"n", "7"}});
  opts.tree.put_child("allowed", {});
  opts.tree.get_child("allowed").push_back({"", boost::property_tree::ptree("a")});
  opts.tree.get_child("allowed").push_back({"", boost::property_tree::ptree("b")});
  OptionReader read(opts, kSpecs, std::size(kSpecs));
  CHECK(read.address("listen")->port == 2575);
  CHECK(read.boolean("tls.enabled"));
  CHECK(read.duration("idle_timeout") == std::chrono::minutes(5));  // the default
  CHECK(read.size("size") == 1u << 20);
  CHECK(read.integer("n", 1, 10) == 7);
  CHECK(read.choice("mode", {"a", "b"}) == 0);
  CHECK(read.list("allowed") == std::vector<std::string>{"a", "b"});
  CHECK(read.path("listen", "/base").string() == "/base/127.0.0.1:2575");
  CHECK_FALSE(read.present("absent"));
  CHECK(read.ok());
}

TEST_CASE("option reader: the first bad value is reported at its line") {
  auto opts = options({{"listen", "nowhere"}, {"tls.enabled", "yes"}});
  OptionReader read(opts, kSpecs, std::size(kSpecs));
  read.address("listen");
  read.boolean("tls.enabled");
  CHECK_FALSE(read.ok());
  CHECK(read.error() == "c.yaml:4:5: listen: expected host:port with a port from 1 to 65535, got 'nowhere'");

  OptionReader second(opts, kSpecs, std::size(kSpecs));
  CHECK_FALSE(second.boolean("tls.enabled"));
  CHECK(second.error() == "c.yaml:5:5: tls.enabled: expected true or false, got 'yes'");

  const auto none = options({});  // the reader keeps a reference: it must outlive it
  OptionReader missing(none, kSpecs, std::size(kSpecs));
  CHECK(missing.required("name").empty());
  CHECK(missing.error() == "c.yaml:3:3: name: is required");
}
