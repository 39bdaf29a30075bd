#include "apps/bakery/cli.h"

#include <csignal>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <unistd.h>

#include "apps/bakery/application.h"
#include "apps/bakery/serve_config.h"
#include "core/json.h"

namespace bakery::app {
namespace {

struct Flags {
  std::string config;
  std::string listen;
  std::string awsListen;
  std::string dataDir;
  std::string logLevel;
  int ioThreads = -1;
};

int fail(const core::Error& error) {
  std::fprintf(stderr, "bakery: %s\n", error.message().c_str());
  return 2;
}

core::Result<ServeConfig> resolveConfig(const Flags& flags) {
  ServeConfig config;
  if (!flags.config.empty()) {
    if (auto loaded = loadConfigFile(flags.config, config); !loaded) return loaded.error();
  }
  if (!flags.listen.empty()) {
    auto hp = parseHostPort(flags.listen, "--listen");
    if (!hp) return hp.error();
    config.listen = *hp;
  }
  if (!flags.awsListen.empty()) {
    auto hp = parseHostPort(flags.awsListen, "--aws-listen");
    if (!hp) return hp.error();
    config.awsListen = *hp;
  }
  if (!flags.dataDir.empty()) config.dataDir = flags.dataDir;
  if (!flags.logLevel.empty()) config.logLevel = flags.logLevel;
  if (flags.ioThreads >= 0) config.ioThreads = flags.ioThreads;
  return config;
}

std::vector<Capability> capabilitiesFor(const ServeConfig& config,
                                        const std::vector<Capability>& extra) {
  auto all = builtinCapabilities(config);
  all.insert(all.end(), extra.begin(), extra.end());
  return all;
}

int serve(const Flags& flags, const std::vector<Capability>& extra) {
  auto config = resolveConfig(flags);
  if (!config) return fail(config.error());
  // Every thread inherits this mask, so SIGTERM/SIGINT reach only the sigwait below.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  std::signal(SIGPIPE, SIG_IGN);

  auto app = Application::create(*config, capabilitiesFor(*config, extra));
  if (!app) return fail(app.error());
  if (auto served = (*app)->serve(); !served) return fail(served.error());
  int received = 0;
  sigwait(&signals, &received);
  (*app)->shutdown();
  return 0;
}

int manifest(const Flags& flags, const std::vector<Capability>& extra) {
  auto config = resolveConfig(flags);
  if (!config) return fail(config.error());
  auto app = Application::create(*config, capabilitiesFor(*config, extra), 2);
  if (!app) return fail(app.error());
  json::array routes;
  for (const auto* fn : (*app)->catalog().all()) {
    for (const auto& r : fn->spec.routes) {
      routes.push_back(
          json::object{{"routeKey", r.key},
                       {"function", fn->spec.name},
                       {"authorization", runtime::authorizationJson(r.authorization)}});
    }
  }
  json::object gateway;
  gateway["accountId"] = config->api.accountId;
  gateway["apiId"] = config->api.apiId;
  gateway["stage"] = config->api.stage;
  gateway["payloadFormatVersion"] = "2.0";
  if (config->cors) {
    const auto& c = *config->cors;
    auto list = [](const std::vector<std::string>& v) {
      json::array a;
      for (const auto& s : v) a.emplace_back(s);
      return a;
    };
    gateway["cors"] = json::object{
        {"allowOrigins", list(c.allowOrigins)},   {"allowMethods", list(c.allowMethods)},
        {"allowHeaders", list(c.allowHeaders)},   {"exposeHeaders", list(c.exposeHeaders)},
        {"allowCredentials", c.allowCredentials}, {"maxAgeSeconds", c.maxAge.count()}};
  }
  json::array tables;
  for (const auto& t : (*app)->catalog().tables()) {
    json::object table = runtime::tableJson(t);
    if (!t.ttlAttribute.empty()) table["TimeToLiveAttribute"] = t.ttlAttribute;
    tables.push_back(std::move(table));
  }
  json::object out{{"functions", (*app)->catalog().manifest()},
                   {"routes", std::move(routes)},
                   {"tables", std::move(tables)},
                   {"gateway", std::move(gateway)}};
  std::cout << core::toJson(out) << "\n";
  return 0;
}

int invoke(const Flags& flags, const std::string& function, const std::string& eventPath,
           const std::vector<Capability>& extra) {
  auto config = resolveConfig(flags);
  if (!config) return fail(config.error());
  std::string text = "{}";
  if (!eventPath.empty()) {
    std::stringstream buffer;
    if (eventPath == "-") {
      buffer << std::cin.rdbuf();
    } else {
      std::ifstream in(eventPath);
      if (!in)
        return fail(core::Error::validation(fmt::format("cannot read '{}'", eventPath), "--event"));
      buffer << in.rdbuf();
    }
    text = buffer.str();
  }
  auto event = core::parseJson(text, "event");
  if (!event) return fail(event.error());
  // The result goes to stdout; log lines to stderr, as `sam local invoke` separates them.
  auto app = Application::create(*config, capabilitiesFor(*config, extra), 2);
  if (!app) return fail(app.error());
  auto* fn = (*app)->catalog().find(function);
  if (!fn) {
    return fail(core::Error::notFound(fmt::format("no function named '{}'", function)));
  }
  runtime::InvocationRequest request;
  request.requestId = (*app)->ids().uuid();
  request.trace = TraceContext{(*app)->ids().traceId(), (*app)->ids().spanId(), "", true};
  request.event = std::move(*event);
  auto result = (*app)->invoker().invokeSync(*fn, std::move(request));
  (*app)->invoker().drain(std::chrono::milliseconds(0));
  if (result.error) {
    std::cout << core::toJson(json::object{{"errorType", result.error->type()},
                                           {"errorMessage", result.error->message()}})
              << "\n";
    std::cout.flush();
    (*app)->logger().flush();
    return 1;
  }
  std::cout << core::toJson(result.response) << "\n";
  std::cout.flush();
  (*app)->logger().flush();
  return 0;
}

}  // namespace

int runCli(int argc, char** argv, const std::vector<Capability>& extra) {
  CLI::App cli{"bakery: the Bakery Street serverless platform in one binary"};
  cli.require_subcommand(1);
  Flags flags;
  auto addConfig = [&](CLI::App* cmd) {
    cmd->add_option("--config", flags.config, "JSON configuration file (flags override it)");
  };

  auto* serveCmd = cli.add_subcommand("serve", "Run the whole platform on this machine");
  addConfig(serveCmd);
  serveCmd->add_option("--listen", flags.listen, "App gateway HOST:PORT (default 127.0.0.1:8080)");
  serveCmd->add_option("--aws-listen", flags.awsListen,
                       "AWS-compatible endpoint HOST:PORT (default 127.0.0.1:4566)");
  serveCmd->add_option("--data-dir", flags.dataDir, "Data directory (default ./var)");
  serveCmd->add_option("--log-level", flags.logLevel, "debug | info | warn | error");
  serveCmd->add_option("--io-threads", flags.ioThreads, "I/O threads (default: one per core)");

  auto* manifestCmd = cli.add_subcommand("manifest", "Print every function, route and setting");
  addConfig(manifestCmd);

  std::string function, eventPath;
  auto* invokeCmd = cli.add_subcommand("invoke", "Run one function locally with a JSON event");
  addConfig(invokeCmd);
  invokeCmd->add_option("function", function, "Function name, e.g. diag.echo")->required();
  invokeCmd->add_option("--event", eventPath, "Event file, or - for stdin (default: {})");
  invokeCmd->add_option("--log-level", flags.logLevel, "debug | info | warn | error");

  cli.add_subcommand("version", "Print the version");

  try {
    cli.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return cli.exit(e);
  }
  if (*serveCmd) return serve(flags, extra);
  if (*manifestCmd) return manifest(flags, extra);
  if (*invokeCmd) return invoke(flags, function, eventPath, extra);
  std::printf("bakery 0.1.0\n");
  return 0;
}

}  // namespace bakery::app
