// ServerProcess: a real `bakery serve` (or testbed) child process for integration tests.
//
// Starts the binary with `serve --listen 127.0.0.1:0 --aws-listen 127.0.0.1:0` and a fresh
// temporary data directory, waits for both `listening` lines, then keeps collecting stdout
// lines (the JSON log) on a background thread. The destructor kills the process if it is
// still running and removes the data directory.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <sys/types.h>

namespace bakery::testing {

class ServerProcess {
 public:
  // `configJson`, when not empty, is written to a file and passed as --config.
  // `dataDir`, when not empty, is the --data-dir to use instead of a fresh one; it belongs to
  // the caller and survives the process (restart and crash tests reopen it).
  explicit ServerProcess(std::string binary, std::string configJson = {},
                         std::vector<std::string> extraArgs = {}, std::string dataDir = {});
  ~ServerProcess();

  std::uint16_t port() const { return port_; }
  std::uint16_t awsPort() const { return awsPort_; }
  std::string url(std::string_view path) const;
  const std::string& dataDir() const { return dataDir_; }
  pid_t pid() const { return pid_; }

  void signal(int sig);
  // Waits for the process to exit; its exit code, or nullopt on timeout / death by signal.
  std::optional<int> waitExit(std::chrono::milliseconds timeout);
  // Every stdout line so far (the `listening` lines included).
  std::vector<std::string> lines();
  // Waits until a stdout line satisfies `pred`; true when one did before `timeout`.
  bool waitForLine(const std::function<bool(const std::string&)>& pred,
                   std::chrono::milliseconds timeout);
  std::string stderrText();

 private:
  void readLoop(int fd);

  pid_t pid_ = -1;
  std::uint16_t port_ = 0;
  std::uint16_t awsPort_ = 0;
  std::string dataDir_;
  std::string stderrPath_;
  std::thread reader_;
  std::mutex mu_;
  std::condition_variable changed_;
  std::vector<std::string> lines_;
  bool eof_ = false;
  std::optional<int> exitCode_;
};

}  // namespace bakery::testing

namespace bakery::testing {

struct CommandResult {
  int exitCode = -1;
  std::string out;
  std::string err;
};

// Runs a command to completion with `input` on its stdin.
CommandResult runCommand(const std::vector<std::string>& args, const std::string& input = {});

}  // namespace bakery::testing
