// "Did you mean" suggestions for misspelt keys and plugin types.
#include "config/closest_name.hpp"

#include <catch2/catch.hpp>

using artery::config::closest_name;
using artery::config::did_you_mean;

TEST_CASE("closest_name suggests near misses only") {
  std::vector<std::string> keys = {"name", "source", "destinations", "retention", "workers", "ack"};
  CHECK(closest_name("destination", keys) == "destinations");
  CHECK(closest_name("sorce", keys) == "source");
  CHECK(closest_name("Name", keys) == "name");
  CHECK(closest_name("retension", keys) == "retention");
  CHECK(closest_name("ak", keys) == "ack");
  CHECK(closest_name("cret", {"cert", "key"}) == "cert");  // a swap is one typo
  CHECK(closest_name("colour", keys).empty());
  CHECK(closest_name("name", keys).empty());  // an exact match is not a suggestion
  CHECK(closest_name("x", {}).empty());
  CHECK(did_you_mean("workrs", keys) == " (did you mean 'workers'?)");
  CHECK(did_you_mean("zzz", keys).empty());
}
