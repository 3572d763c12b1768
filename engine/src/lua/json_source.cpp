// The Boost.JSON implementation, compiled once for the whole engine.
// Boost.JSON is used header-only: this is the ONE translation unit that may
// include <boost/json/src.hpp>. Everywhere else include <boost/json.hpp>
// (or the parts you need) and link nothing extra.
#include <boost/json/src.hpp>
