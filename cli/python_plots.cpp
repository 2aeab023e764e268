// Plots drawn by the Python package, from the command line.
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <iostream>

#include "cli/commands.h"

extern char** environ;

namespace capstan::cli {

namespace {

// Runs `args` with PYTHONPATH led by `pythonpath`; its exit status, or -1.
int run_python(const std::vector<std::string>& args, const std::string& pythonpath, bool quiet) {
  std::vector<std::string> env_strings;
  for (char** e = environ; *e; ++e) {
    if (std::string_view(*e).rfind("PYTHONPATH=", 0) != 0) env_strings.emplace_back(*e);
  }
  const char* old = std::getenv("PYTHONPATH");
  env_strings.push_back("PYTHONPATH=" + pythonpath + (old && *old ? std::string(":") + old : std::string()));
  std::vector<char*> envp;
  for (auto& s : env_strings) envp.push_back(s.data());
  envp.push_back(nullptr);
  std::vector<std::string> copy = args;
  std::vector<char*> argv;
  for (auto& s : copy) argv.push_back(s.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  if (quiet) {  // a probe: its failure is an answer, not an error to show
    posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
  }
  pid_t pid = 0;
  const int spawned = posix_spawnp(&pid, argv[0], &actions, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  if (spawned != 0) return -1;
  int status = 0;
  if (waitpid(pid, &status, 0) < 0) return -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

}  // namespace

int run_python_module(const std::string& module, const std::vector<std::string>& args, const std::string& imports) {
  // The package built beside this executable; the interpreter: $CAPSTAN_PYTHON, Debian's, or python3 on PATH.
  std::error_code ec;
  const auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  const std::string pythonpath = ec ? std::string() : (exe.parent_path() / "python").string();
  std::vector<std::string> candidates;
  if (const char* p = std::getenv("CAPSTAN_PYTHON"); p && *p) candidates.emplace_back(p);
  candidates.emplace_back("/usr/bin/python3");
  candidates.emplace_back("python3");
  for (const auto& py : candidates) {
    if (run_python({py, "-c", "import " + imports}, pythonpath, true) != 0) continue;
    std::vector<std::string> command = {py, "-m", module};
    command.insert(command.end(), args.begin(), args.end());
    const int status = run_python(command, pythonpath, false);
    return status < 0 ? 1 : status;
  }
  return -1;
}

bool run_python_plots(const std::string& module, const std::vector<std::string>& args, const std::string& written,
                      const std::string& what) {
  const int status = run_python_module(module, args, module + ", matplotlib");
  if (status == 0) return true;
  if (status > 0) {
    std::cerr << "capstan: the " << what << " failed (python3 -m " << module << "); " << written << " is written\n";
    return false;
  }
  std::cerr << "capstan: no " << what
            << ": no Python with the capstan package and matplotlib importable (set CAPSTAN_PYTHON, "
               "or PYTHONPATH to <build>/python); "
            << written << " is written\n";
  return false;
}

}  // namespace capstan::cli
