#include "support/server_process.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace bakery::testing {

ServerProcess::ServerProcess(std::string binary, std::string configJson,
                             std::vector<std::string> extraArgs, std::string dataDir) {
  char tmpl[] = "/tmp/bakery-test-XXXXXX";
  if (!mkdtemp(tmpl)) throw std::runtime_error("mkdtemp failed");
  dataDir_ = tmpl;
  stderrPath_ = dataDir_ + "/stderr.log";

  if (dataDir.empty()) dataDir = dataDir_ + "/var";
  std::vector<std::string> args = {binary,         "serve",       "--listen",   "127.0.0.1:0",
                                   "--aws-listen", "127.0.0.1:0", "--data-dir", dataDir};
  if (!configJson.empty()) {
    std::string path = dataDir_ + "/config.json";
    std::ofstream(path) << configJson;
    args.push_back("--config");
    args.push_back(path);
  }
  args.insert(args.end(), extraArgs.begin(), extraArgs.end());

  int out[2];
  if (pipe2(out, O_CLOEXEC) != 0) throw std::runtime_error("pipe failed");
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out[1], 1);
  posix_spawn_file_actions_addopen(&actions, 2, stderrPath_.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                   0644);
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  int rc = posix_spawn(&pid_, binary.c_str(), &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  close(out[1]);
  if (rc != 0) {
    close(out[0]);
    throw std::runtime_error("cannot start " + binary);
  }
  reader_ = std::thread([this, fd = out[0]] { readLoop(fd); });

  auto portOf = [](const std::string& line) {
    return static_cast<std::uint16_t>(std::stoi(line.substr(line.rfind(':') + 1)));
  };
  bool ready = waitForLine(
      [&](const std::string& l) {
        if (l.rfind("listening http://", 0) == 0) port_ = portOf(l);
        if (l.rfind("listening aws http://", 0) == 0) awsPort_ = portOf(l);
        return port_ != 0 && awsPort_ != 0;
      },
      std::chrono::seconds(20));
  if (!ready) {
    std::string err = stderrText();
    throw std::runtime_error("server did not start: " + err);
  }
}

ServerProcess::~ServerProcess() {
  if (!exitCode_ && pid_ > 0) {
    kill(pid_, SIGKILL);
    waitExit(std::chrono::seconds(10));
  }
  if (reader_.joinable()) reader_.join();
  std::error_code ec;
  std::filesystem::remove_all(dataDir_, ec);
}

std::string ServerProcess::url(std::string_view path) const {
  return "http://127.0.0.1:" + std::to_string(port_) + std::string(path);
}

void ServerProcess::signal(int sig) { kill(pid_, sig); }

std::optional<int> ServerProcess::waitExit(std::chrono::milliseconds timeout) {
  if (exitCode_) return exitCode_;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    int status = 0;
    pid_t r = waitpid(pid_, &status, WNOHANG);
    if (r == pid_) {
      exitCode_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      return WIFEXITED(status) ? std::optional<int>(WEXITSTATUS(status)) : std::nullopt;
    }
    if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
    // Polling a child's exit status: there is no wait-with-timeout for a single pid.
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

void ServerProcess::readLoop(int fd) {
  std::string pending;
  char buf[8192];
  while (true) {
    ssize_t n = read(fd, buf, sizeof(buf));
    if (n <= 0) break;
    pending.append(buf, static_cast<std::size_t>(n));
    std::size_t nl;
    std::vector<std::string> complete;
    while ((nl = pending.find('\n')) != std::string::npos) {
      complete.push_back(pending.substr(0, nl));
      pending.erase(0, nl + 1);
    }
    if (!complete.empty()) {
      std::lock_guard lock(mu_);
      for (auto& l : complete) lines_.push_back(std::move(l));
      changed_.notify_all();
    }
  }
  close(fd);
  std::lock_guard lock(mu_);
  eof_ = true;
  changed_.notify_all();
}

std::vector<std::string> ServerProcess::lines() {
  std::lock_guard lock(mu_);
  return lines_;
}

bool ServerProcess::waitForLine(const std::function<bool(const std::string&)>& pred,
                                std::chrono::milliseconds timeout) {
  std::unique_lock lock(mu_);
  std::size_t checked = 0;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    for (; checked < lines_.size(); ++checked) {
      if (pred(lines_[checked])) return true;
    }
    if (eof_) return false;
    if (changed_.wait_until(lock, deadline) == std::cv_status::timeout) return false;
  }
}

std::string ServerProcess::stderrText() {
  std::ifstream in(stderrPath_);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace bakery::testing

namespace bakery::testing {

CommandResult runCommand(const std::vector<std::string>& args, const std::string& input) {
  char tmpl[] = "/tmp/bakery-cmd-XXXXXX";
  if (!mkdtemp(tmpl)) throw std::runtime_error("mkdtemp failed");
  std::string dir = tmpl;
  std::string in = dir + "/in", out = dir + "/out", err = dir + "/err";
  std::ofstream(in) << input;
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, in.c_str(), O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_addopen(&actions, 2, err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  std::vector<std::string> copy = args;
  std::vector<char*> argv;
  for (auto& a : copy) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = -1;
  int rc = posix_spawn(&pid, copy[0].c_str(), &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  CommandResult result;
  if (rc == 0) {
    int status = 0;
    waitpid(pid, &status, 0);
    result.exitCode = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }
  auto slurp = [](const std::string& path) {
    std::ifstream f(path);
    std::stringstream s;
    s << f.rdbuf();
    return s.str();
  };
  result.out = slurp(out);
  result.err = slurp(err);
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  return result;
}

}  // namespace bakery::testing
