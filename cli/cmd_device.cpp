// `capstan device`: is there a GPU capstan can calibrate on?
#include <iostream>

#include "cli/commands.h"
#include "models/calibration/gpu_probe.h"

namespace capstan::cli {

void add_device(CLI::App& app, int& exit_code) {
  auto* cmd = app.add_subcommand("device", "Report the CUDA GPU capstan would calibrate on, if any");
  cmd->callback([&exit_code] {
    const auto p = calibration::probe_gpu();
    if (!p.available) {
      std::cout << p.message << "\n";
      exit_code = 1;
      return;
    }
    std::cout << p.device_name << " (sm_" << p.compute_capability << ", " << p.memory_gib << " GiB, driver "
              << p.driver_version << ", runtime " << p.runtime_version << ")\n";
  });
}

}  // namespace capstan::cli
