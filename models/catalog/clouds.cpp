#include "models/catalog/clouds.h"

#include <stdexcept>

#include <nlohmann/json.hpp>

#include "models/catalog/catalog.h"
#include "models/catalog/embedded.h"
#include "models/input/json_reader.h"

namespace capstan::catalog {

namespace js = capstan::input;

const Clouds& Clouds::builtin() {
  static const Clouds clouds = [] {
    nlohmann::json doc;
    for (const EmbeddedFile& f : embedded_files()) {
      if (std::string_view(f.name) == "clouds.json") doc = nlohmann::json::parse(f.text);
    }
    Clouds c;
    try {
      js::Object top(doc, "", {"about", "clouds", "engine"});
      js::Object engine = top.object("engine", {"weight_load_gb_per_s", "engine_start_s", "source"}, true);
      c.weight_load_gb_per_s = engine.number("weight_load_gb_per_s", js::positive(1e4));
      c.engine_start_s = engine.number("engine_start_s", js::non_negative(1e5));
      nlohmann::json& list = top.raw("clouds");
      if (!list.is_object()) js::fail(top.ptr("clouds"), "an object of cloud: figures", js::describe(list));
      for (auto& item : list.items()) {
        js::Object o(item.value(), js::child(top.ptr("clouds"), item.key()), {"spot_notice_s", "node_boot_s", "source"});
        CloudSpec spec;
        spec.spot_notice_s = o.number("spot_notice_s", js::non_negative(3600));
        spec.node_boot_s = o.number("node_boot_s", js::non_negative(86400));
        o.string("source");
        c.clouds[canonical_name(item.key())] = spec;
      }
    } catch (const js::FieldError& e) {
      throw std::logic_error(std::string("built-in clouds.json: ") + e.what());
    }
    return c;
  }();
  return clouds;
}

const CloudSpec* Clouds::cloud(std::string_view name) const {
  auto it = clouds.find(canonical_name(name));
  return it == clouds.end() ? nullptr : &it->second;
}

std::vector<std::string> Clouds::names() const {
  std::vector<std::string> out;
  for (const auto& [name, spec] : clouds) out.push_back(name);
  return out;
}

}  // namespace capstan::catalog
