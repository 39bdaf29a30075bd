// Shared helpers for the integration tests.
#pragma once

#include <memory>
#include <string>

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include "support/http_client.h"
#include "support/server_process.h"

namespace bakery::testing {

// Built by CMake and compiled in (tests/integration/CMakeLists.txt).
inline std::string bakeryBinary() { return BAKERY_BIN_PATH; }
inline std::string testbedBinary() { return BAKERY_TESTBED_PATH; }

inline std::unique_ptr<ServerProcess> startTestbed(std::string config = {},
                                                   std::vector<std::string> args = {}) {
  return std::make_unique<ServerProcess>(testbedBinary(), std::move(config), std::move(args));
}

inline boost::json::value parse(const std::string& text) { return boost::json::parse(text); }

inline HttpResult post(const ServerProcess& s, const std::string& path, const std::string& body,
                       std::vector<std::pair<std::string, std::string>> headers = {}) {
  headers.emplace_back("content-type", "application/json");
  return httpRequest({.method = "POST", .url = s.url(path), .headers = headers, .body = body});
}

// The error type of an app API error response.
inline std::string errorType(const HttpResult& r) {
  return std::string(parse(r.body).at("error").at("type").as_string());
}

}  // namespace bakery::testing
