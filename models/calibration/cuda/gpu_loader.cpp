// probe_gpu() and measure() for the rest of capstan: they open the CUDA
// module on first use. Where it is looked for, in order:
//   1. $CAPSTAN_GPU_LIBRARY;
//   2. beside the binary that holds this code (the capstan executable, or
//      the Python module _core);
//   3. where the build put it (CAPSTAN_GPU_MODULE_PATH, set by CMake).
// No module (a build without nvcc) or no GPU both give a clear message.
#include <dlfcn.h>

#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <string>

#include "models/calibration/cuda/gpu_module.h"

namespace capstan::calibration {

namespace {

struct Loaded {
  const GpuEntry* entry = nullptr;
  std::string why;  // when entry is null
};

std::string beside_this_binary() {
  Dl_info info{};
  if (dladdr(reinterpret_cast<void*>(&beside_this_binary), &info) == 0 || !info.dli_fname) return "";
  std::error_code ec;
  const auto self = std::filesystem::canonical(info.dli_fname, ec);
  if (ec) return "";
  return (self.parent_path() / "libcapstan_gpu.so").string();
}

const Loaded& loaded() {
  static Loaded result;
  static std::once_flag once;
  std::call_once(once, [] {
#ifndef CAPSTAN_GPU_MODULE_PATH
    result.why = "no CUDA-capable GPU: this capstan was built without CUDA (nvcc not found or CAPSTAN_CUDA=OFF)";
#else
    std::string candidates[3];
    if (const char* env = std::getenv("CAPSTAN_GPU_LIBRARY")) candidates[0] = env;
    candidates[1] = beside_this_binary();
    candidates[2] = CAPSTAN_GPU_MODULE_PATH;
    std::string errors;
    for (const auto& path : candidates) {
      if (path.empty() || !std::filesystem::exists(path)) continue;
      void* handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
      if (!handle) {
        errors += std::string(" (") + dlerror() + ")";
        continue;
      }
      using EntryFn = const GpuEntry* (*)();
      auto fn = reinterpret_cast<EntryFn>(dlsym(handle, "capstan_gpu_entry"));
      if (fn && fn()->abi_version == kGpuAbiVersion) {
        result.entry = fn();
        return;
      }
      errors += " (" + path + " is not a matching capstan GPU module)";
    }
    result.why = "no CUDA-capable GPU: capstan's CUDA module libcapstan_gpu.so could not be loaded" + errors;
#endif
  });
  return result;
}

}  // namespace

GpuProbe probe_gpu() {
  const Loaded& l = loaded();
  if (l.entry) return l.entry->probe();
  GpuProbe p;
  p.message = l.why;
  return p;
}

MeasureResult measure(const MeasureRequest& request) {
  const Loaded& l = loaded();
  if (!l.entry) throw NoGpuError(l.why);
  return l.entry->measure(request);
}

}  // namespace capstan::calibration
