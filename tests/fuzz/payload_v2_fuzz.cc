// A request built from arbitrary bytes (target, headers, body) becomes a payload 2.0 event,
// and arbitrary JSON becomes a response or a clean error.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "core/json.h"
#include "platform/gateway/payload_v2.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  bakery::gateway::ServerRequest req;
  req.method = "POST";
  req.sourceIp = "127.0.0.1";
  // Line 1: the target; then "name: value" header lines; a blank line; the body.
  std::size_t pos = 0;
  auto next = [&]() -> std::string_view {
    auto nl = input.find('\n', pos);
    std::string_view line =
        input.substr(pos, nl == std::string_view::npos ? input.size() - pos : nl - pos);
    pos = nl == std::string_view::npos ? input.size() : nl + 1;
    return line;
  };
  req.target = std::string(next());
  while (pos < input.size()) {
    std::string_view line = next();
    if (line.empty()) break;
    auto colon = line.find(':');
    req.headers.push_back(
        {std::string(line.substr(0, colon)),
         colon == std::string_view::npos ? "" : std::string(line.substr(colon + 1))});
  }
  req.body = std::string(input.substr(pos));

  bakery::gateway::RouteMatch route{"ANY /{proxy+}", "f", {{"proxy", "x"}}};
  bakery::gateway::ApiIdentity api;
  auto event = bakery::gateway::buildEvent(
      {req, route, api, "req", std::chrono::system_clock::time_point{}, 8080, nullptr});
  (void)bakery::core::toJson(event);

  auto parsed = bakery::core::parseJson(input, "result");
  if (parsed) (void)bakery::gateway::mapResult(*parsed);
  (void)bakery::gateway::isTextualContentType(input);
  return 0;
}
