// DynaliteProcess: dynalite (an independent DynamoDB implementation, npm) as a child process
// on 127.0.0.1 and an ephemeral port, for the conformance suite.
//
// Runs `node dynalite_server.js 0 <node_modules parent>`, reads the "listening <port>" line
// and keeps the child's stdin open; the launcher exits when stdin closes, and the destructor
// also kills the child and reaps it. Throws std::runtime_error when node or dynalite is
// missing or the server does not start (a test set-up fault). Not copyable or movable.
#pragma once

#include <cstdint>
#include <string>

#include <sys/types.h>

namespace bakery::conformance {

class DynaliteProcess {
 public:
  // `node`: the node binary; `launcher`: dynalite_server.js; `packageRoot`: the directory
  // holding node_modules/dynalite.
  DynaliteProcess(const std::string& node, const std::string& launcher,
                  const std::string& packageRoot);
  ~DynaliteProcess();
  DynaliteProcess(const DynaliteProcess&) = delete;
  DynaliteProcess& operator=(const DynaliteProcess&) = delete;

  std::uint16_t port() const { return port_; }
  std::string endpoint() const { return "http://127.0.0.1:" + std::to_string(port_); }

 private:
  pid_t pid_ = -1;
  int stdinFd_ = -1;
  std::uint16_t port_ = 0;
};

}  // namespace bakery::conformance
