#include "conformance/dynalite_process.h"

#include <cerrno>
#include <chrono>
#include <filesystem>
#include <stdexcept>
#include <vector>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace bakery::conformance {
namespace {

constexpr int kStartTimeoutMs = 20000;

// Reads stdout until a full "listening <port>" line; "" with what was read on failure.
std::string readListeningLine(int fd, std::string& seen) {
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::milliseconds(kStartTimeoutMs);
  char buf[512];
  while (true) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                    deadline - std::chrono::steady_clock::now())
                    .count();
    if (left <= 0) return {};
    pollfd p{fd, POLLIN, 0};
    int ready = poll(&p, 1, static_cast<int>(left));
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) return {};
    ssize_t n = read(fd, buf, sizeof(buf));
    if (n <= 0) return {};
    seen.append(buf, static_cast<std::size_t>(n));
    if (auto nl = seen.find('\n'); nl != std::string::npos) {
      std::string line = seen.substr(0, nl);
      if (line.rfind("listening ", 0) == 0) return line;
      return {};
    }
  }
}

}  // namespace

DynaliteProcess::DynaliteProcess(const std::string& node, const std::string& launcher,
                                 const std::string& packageRoot) {
  if (!std::filesystem::exists(node)) {
    throw std::runtime_error("node not found at " + node + " (make test installs it)");
  }
  if (!std::filesystem::exists(packageRoot + "/node_modules/dynalite/package.json")) {
    throw std::runtime_error("dynalite not installed under " + packageRoot +
                             "/node_modules (make test installs it)");
  }
  int in[2], out[2];
  if (pipe2(in, O_CLOEXEC) != 0 || pipe2(out, O_CLOEXEC) != 0) {
    throw std::runtime_error("pipe failed");
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in[0], 0);
  posix_spawn_file_actions_adddup2(&actions, out[1], 1);
  std::vector<std::string> args = {node, launcher, "0", packageRoot};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  int rc = posix_spawn(&pid_, node.c_str(), &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  close(in[0]);
  close(out[1]);
  stdinFd_ = in[1];
  if (rc != 0) {
    close(out[0]);
    close(stdinFd_);
    throw std::runtime_error("cannot start " + node);
  }
  std::string seen;
  std::string line = readListeningLine(out[0], seen);
  close(out[0]);
  if (line.empty()) {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
    close(stdinFd_);
    throw std::runtime_error("dynalite did not start; its output: " + seen);
  }
  port_ = static_cast<std::uint16_t>(std::stoi(line.substr(line.find(' ') + 1)));
}

DynaliteProcess::~DynaliteProcess() {
  close(stdinFd_);
  kill(pid_, SIGKILL);
  waitpid(pid_, nullptr, 0);
}

}  // namespace bakery::conformance
